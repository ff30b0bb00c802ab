import { addressType, endpointKey } from '../model/index.js';
import type { Endpoint, GlobalDnsEntry, RecordSet } from '../model/index.js';
import { uniqueSortedAddresses } from './addresses.js';
import { claimRejection } from './entries.js';
import type { RejectedClaim, ResolvedHostnames } from './types.js';

export interface NamePlan {
  fqdn: string;
  /** At most an A and an AAAA set; none when no accepted endpoint has an address. */
  records: RecordSet[];
  rejected: RejectedClaim[];
}

/**
 * The records of one name, from the endpoints claiming it. This is the unit of re-planning:
 * a store change re-plans only the names it touched.
 *
 * - Only endpoints whose cluster (and project, where the target lists projects) is a target
 *   of `entry` count; the others are rejected, all of them when no entry governs the name.
 * - IP targets become A/AAAA. Load-balancer hostnames are flattened to the addresses in
 *   `resolved` (never a CNAME: the name also carries the other clusters' A records);
 *   a hostname not in `resolved` contributes nothing yet.
 * - TTL: the smallest of the entry TTL and the TTLs annotated on contributing endpoints.
 *   A cluster owner may ask for faster failover than the entry, never for slower.
 */
export function planName(
  fqdn: string,
  entry: GlobalDnsEntry | undefined,
  endpoints: readonly Endpoint[],
  resolved: ResolvedHostnames,
): NamePlan {
  const rejected: RejectedClaim[] = [];
  if (!entry) {
    for (const e of endpoints) rejected.push({ key: endpointKey(e), fqdn, reason: `no entry covers ${fqdn}` });
    return { fqdn, records: [], rejected };
  }
  const v4: string[] = [];
  const v6: string[] = [];
  let ttl = entry.ttl;
  for (const e of endpoints) {
    const reason = claimRejection(entry, e);
    if (reason !== undefined) {
      rejected.push({ key: endpointKey(e), fqdn, reason });
      continue;
    }
    let contributed = false;
    for (const target of e.targets) {
      const type = addressType(target);
      if (type === 'A') v4.push(target);
      else if (type === 'AAAA') v6.push(target);
      else {
        const r = resolved.get(target);
        if (!r) continue;
        v4.push(...r.v4);
        v6.push(...r.v6);
        if (r.v4.length + r.v6.length === 0) continue;
      }
      contributed = true;
    }
    if (contributed && e.ttl !== undefined) ttl = Math.min(ttl, e.ttl);
  }
  const records: RecordSet[] = [];
  if (v4.length > 0) records.push({ name: fqdn, type: 'A', ttl, values: uniqueSortedAddresses(v4) });
  if (v6.length > 0) records.push({ name: fqdn, type: 'AAAA', ttl, values: uniqueSortedAddresses(v6) });
  rejected.sort((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : 0));
  return { fqdn, records, rejected };
}

/** Load-balancer hostnames among the targets of `endpoints`: what must be resolved to plan them. */
export function targetHostnames(endpoints: Iterable<Endpoint>): Set<string> {
  const out = new Set<string>();
  for (const e of endpoints) for (const t of e.targets) if (addressType(t) === undefined) out.add(t);
  return out;
}
