import type { Endpoint, EntryTarget, GlobalDnsEntry } from '../model/index.js';

export type EntryIndex = ReadonlyMap<string, GlobalDnsEntry>;

export function indexEntries(entries: readonly GlobalDnsEntry[]): EntryIndex {
  return new Map(entries.map((e) => [e.fqdn, e]));
}

/**
 * The entry governing `fqdn`: the exact one, else the closest wildcard entry above it
 * (`*.apps.example.test` governs `shop.apps.example.test` and `a.b.apps.example.test`),
 * so a team can be given a whole subdomain with one entry.
 */
export function findEntry(fqdn: string, index: EntryIndex): GlobalDnsEntry | undefined {
  const exact = index.get(fqdn);
  if (exact) return exact;
  const labels = fqdn.split('.');
  for (let i = 1; i < labels.length; i++) {
    const wild = index.get(`*.${labels.slice(i).join('.')}`);
    if (wild) return wild;
  }
  return undefined;
}

/**
 * Rancher writes a project id as `p-xyz34` on the namespace label and `c-abc12:p-xyz34` on
 * the annotation. Two fully qualified ids must match exactly; otherwise the project parts
 * are compared, the cluster being already fixed by the entry target.
 */
export function projectMatches(wanted: string, actual: string): boolean {
  if (wanted.includes(':') && actual.includes(':')) return wanted === actual;
  return projectPart(wanted) === projectPart(actual);
}

function projectPart(id: string): string {
  return id.slice(id.lastIndexOf(':') + 1);
}

/** Why `endpoint` may not claim a name of `entry`, or undefined when it may. */
export function claimRejection(entry: GlobalDnsEntry, endpoint: Endpoint): string | undefined {
  const target: EntryTarget | undefined = entry.targets.find((t) => t.cluster === endpoint.cluster);
  if (!target) return `cluster ${endpoint.cluster} is not a target of entry ${entry.fqdn}`;
  if (!target.projects) return undefined;
  if (endpoint.project === undefined) {
    return `namespace ${endpoint.namespace} of cluster ${endpoint.cluster} is in no Rancher project; entry ${entry.fqdn} accepts projects ${target.projects.join(', ')}`;
  }
  const project = endpoint.project;
  if (target.projects.some((p) => projectMatches(p, project))) return undefined;
  return `project ${project} of cluster ${endpoint.cluster} is not a target of entry ${entry.fqdn}`;
}
