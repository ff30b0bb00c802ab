import type { Endpoint, EntryTarget, GlobalDnsEntry } from '../model/index.js';
import { matchesLabels } from '../config/selector.js';
import type { LabelSelector } from '../config/selector.js';

/** A target as a GlobalDNS resource may give it: narrowed further by its namespace's labels. */
type SelectingTarget = EntryTarget & { namespaceSelector?: LabelSelector };

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

/**
 * Why `endpoint` may not claim a name of `entry`, or undefined when it may. Several targets may
 * name one cluster (a GlobalDNS with two selectors): a claim any of them accepts is accepted,
 * otherwise the first target's reason is given.
 */
export function claimRejection(entry: GlobalDnsEntry, endpoint: Endpoint): string | undefined {
  const targets: SelectingTarget[] = entry.targets.filter((t) => t.cluster === endpoint.cluster);
  if (targets.length === 0) return `cluster ${endpoint.cluster} is not a target of entry ${entry.fqdn}`;
  let first: string | undefined;
  for (const target of targets) {
    const why = targetRejection(entry, target, endpoint);
    if (why === undefined) return undefined;
    first ??= why;
  }
  return first;
}

function targetRejection(entry: GlobalDnsEntry, target: SelectingTarget, endpoint: Endpoint): string | undefined {
  if (target.projects) {
    if (endpoint.project === undefined) {
      return `namespace ${endpoint.namespace} of cluster ${endpoint.cluster} is in no Rancher project; entry ${entry.fqdn} accepts projects ${target.projects.join(', ')}`;
    }
    const project = endpoint.project;
    if (!target.projects.some((p) => projectMatches(p, project))) return `project ${project} of cluster ${endpoint.cluster} is not a target of entry ${entry.fqdn}`;
  }
  const selector = target.namespaceSelector;
  if (selector && !matchesLabels(selector, endpoint.namespaceLabels ?? {})) {
    const labels = Object.entries(endpoint.namespaceLabels ?? {}).map(([k, v]) => `${k}=${v}`).sort();
    return `namespace ${endpoint.namespace} of cluster ${endpoint.cluster} (labels: ${labels.join(',') || 'none'}) does not match the namespaceSelector "${selector.text}" of entry ${entry.fqdn}`;
  }
  return undefined;
}

/**
 * The entries in force: the YAML config's, then the resources' (GlobalDNS) whose name the YAML
 * does not have — a name the YAML has stays the YAML's. The one merge of the two inputs, for
 * serve (management mode) and `globaldns plan` alike.
 */
export function mergeEntries(yaml: readonly GlobalDnsEntry[], resources: readonly GlobalDnsEntry[]): GlobalDnsEntry[] {
  const names = new Set(yaml.map((e) => e.fqdn));
  return [...yaml, ...resources.filter((e) => !names.has(e.fqdn))];
}
