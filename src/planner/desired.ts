import type { Endpoint, GlobalDnsEntry, RecordSet } from '../model/index.js';
import { findEntry, indexEntries } from './entries.js';
import { planName } from './name.js';
import type { RejectedClaim, ResolvedHostnames } from './types.js';

/**
 * Desired records for every claimed name at once (a full plan, e.g. for `globaldns plan`
 * or a resync). Incremental callers use planName per touched name instead.
 */
export function desiredRecords(
  entries: readonly GlobalDnsEntry[],
  endpointsByName: ReadonlyMap<string, readonly Endpoint[]>,
  resolved: ResolvedHostnames,
): { records: RecordSet[]; rejected: RejectedClaim[] } {
  const index = indexEntries(entries);
  const records: RecordSet[] = [];
  const rejected: RejectedClaim[] = [];
  for (const fqdn of [...endpointsByName.keys()].sort()) {
    const plan = planName(fqdn, findEntry(fqdn, index), endpointsByName.get(fqdn) ?? [], resolved);
    records.push(...plan.records);
    rejected.push(...plan.rejected);
  }
  return { records, rejected };
}
