import { endpointKey } from '../../model/index.js';
import type { Endpoint } from '../../model/index.js';
import { describeObject, extractEndpoint, namespaceLabels, namespaceProject } from '../extract.js';
import type { ManifestObject } from './manifests.js';
import type { ManifestProblem } from './problems.js';

/**
 * The endpoints a set of manifests makes, as one cluster would. Namespaces are gathered
 * first because a project label on a Namespace applies to objects in any file.
 */
export function endpointsFromObjects(
  cluster: string,
  objects: readonly ManifestObject[],
): { endpoints: Endpoint[]; problems: ManifestProblem[] } {
  const projects = new Map<string, string>();
  const labels = new Map<string, Record<string, string>>();
  for (const { object } of objects) {
    const ns = namespaceProject(object);
    if (ns?.project !== undefined) projects.set(ns.name, ns.project);
    const l = namespaceLabels(object);
    if (l) labels.set(l.name, l.labels);
  }
  const ctx = { cluster, projectOf: (namespace: string) => projects.get(namespace), labelsOf: (namespace: string) => labels.get(namespace) };

  const endpoints = new Map<string, { endpoint: Endpoint; at: ManifestObject }>();
  const problems: ManifestProblem[] = [];
  for (const at of objects) {
    const { endpoint, problems: reasons } = extractEndpoint(at.object, ctx);
    const where = { file: at.file, document: at.document, object: describeObject(at.object) };
    for (const reason of reasons) problems.push({ ...where, reason });
    if (!endpoint) continue;
    const key = endpointKey(endpoint);
    const first = endpoints.get(key);
    if (first) {
      // The same object twice is a copy-paste slip; the first one stays, as it would in a cluster.
      problems.push({ ...where, reason: `defined again (first in ${first.at.file} document ${first.at.document}); ignored` });
      continue;
    }
    endpoints.set(key, { endpoint, at });
  }
  return { endpoints: [...endpoints.values()].map((x) => x.endpoint), problems };
}
