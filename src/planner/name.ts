import { addressType, endpointKey } from '../model/index.js';
import type { Endpoint, GlobalDnsEntry, RecordSet } from '../model/index.js';
import { canonicalAddress, uniqueSortedAddresses } from './addresses.js';
import { selectByHealth } from './health.js';
import type { Candidate, HealthInput, NameHealth, UnitHealth } from './health.js';
import { canonicalAliasTarget, type AliasHostnames } from './alias.js';
import { claimRejection } from './entries.js';
import type { RejectedClaim, ResolvedHostnames } from './types.js';

export interface NamePlan {
  fqdn: string;
  /**
   * Without alias capability: at most an A and an AAAA set; none when no accepted endpoint has
   * an address. With it, see `planName`.
   */
  records: RecordSet[];
  /** The endpoints the entry accepts (what the proxy routes to and status lists). */
  accepted: Endpoint[];
  rejected: RejectedClaim[];
  /** How health and routing chose the answer; absent when the entry has neither a check nor failover. */
  health?: NameHealth;
}

export interface PlanNameOptions {
  /** The provider's alias capability; absent (embedded server, most providers): flatten. */
  aliasHostnames?: AliasHostnames;
  /** The verdicts of the entry's health check; absent: every endpoint is healthy. */
  health?: HealthInput;
}

/** What one cluster contributes to a name: addresses, and alias-capable load balancers. */
interface ClusterPart {
  v4: string[];
  v6: string[];
  /** Canonical alias targets. */
  lbs: Set<string>;
}

/** Weight of every set of a weighted name: clusters share the traffic equally. */
export const ALIAS_WEIGHT = 1;
/** Route53's limit on a set identifier's length. */
const MAX_SET_IDENTIFIER = 128;

/**
 * The records of one name, from the endpoints claiming it. This is the unit of re-planning:
 * a store change re-plans only the names it touched.
 *
 * - Only endpoints whose cluster (and project, where the target lists projects) is a target
 *   of `entry` count; the others are rejected, all of them when no entry governs the name.
 * - IP targets become A/AAAA. Load-balancer hostnames are flattened to the addresses in
 *   `resolved` (never a CNAME: the name also carries the other clusters' A records);
 *   a hostname not in `resolved` contributes nothing yet.
 * - With `aliasHostnames` (a provider with alias records), hostnames it accepts are not
 *   flattened: see `aliasRecords`. Names without such a hostname are planned as above.
 * - TTL: the smallest of the entry TTL and the TTLs annotated on contributing endpoints.
 *   A cluster owner may ask for faster failover than the entry, never for slower.
 * - The entry's `proxied` (Cloudflare's proxy), when it states one, is carried by every set.
 */
export function planName(
  fqdn: string,
  entry: GlobalDnsEntry | undefined,
  endpoints: readonly Endpoint[],
  resolved: ResolvedHostnames,
  opts: PlanNameOptions = {},
): NamePlan {
  const rejected: RejectedClaim[] = [];
  if (!entry) {
    for (const e of endpoints) rejected.push({ key: endpointKey(e), fqdn, reason: `no entry covers ${fqdn}` });
    return { fqdn, records: [], accepted: [], rejected };
  }
  const canAlias = opts.aliasHostnames;
  const parts = new Map<string, ClusterPart>();
  const accepted: Endpoint[] = [];
  let ttl = entry.ttl;
  for (const e of endpoints) {
    const reason = claimRejection(entry, e);
    if (reason !== undefined) {
      rejected.push({ key: endpointKey(e), fqdn, reason });
      continue;
    }
    accepted.push(e);
    let part = parts.get(e.cluster);
    if (!part) {
      part = { v4: [], v6: [], lbs: new Set() };
      parts.set(e.cluster, part);
    }
    let contributed = false;
    for (const target of e.targets) {
      const type = addressType(target);
      if (type === 'A') part.v4.push(target);
      else if (type === 'AAAA') part.v6.push(target);
      else if (canAlias !== undefined && canAlias(target)) part.lbs.add(canonicalAliasTarget(target));
      else {
        const r = resolved.get(target);
        if (!r) continue;
        part.v4.push(...r.v4);
        part.v6.push(...r.v6);
        if (r.v4.length + r.v6.length === 0) continue;
      }
      contributed = true;
    }
    if (contributed && e.ttl !== undefined) ttl = Math.min(ttl, e.ttl);
  }
  rejected.sort((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : 0));
  let health: NameHealth | undefined;
  if (entry.healthCheck || entry.routing?.policy === 'failover') {
    health = selectByHealth(entry, candidates(parts, resolved), entry.healthCheck ? opts.health : undefined);
    if (!health.allDown) keepServed(parts, health.units);
  }
  const anyAlias = [...parts.values()].some((p) => p.lbs.size > 0);
  const records = anyAlias ? aliasRecords(fqdn, ttl, parts, resolved) : flatRecords(fqdn, ttl, parts);
  // Only the entry's own address sets: ownership TXT records are made from these later, never proxied.
  if (entry.proxied !== undefined) { for (const r of records) r.proxied = entry.proxied; }
  return { fqdn, records, accepted, rejected, ...(health ? { health } : {}) };
}

/** One candidate per distinct address and per load balancer of each cluster. */
function candidates(parts: ReadonlyMap<string, ClusterPart>, resolved: ResolvedHostnames): Candidate[] {
  const out: Candidate[] = [];
  for (const [cluster, part] of parts) {
    for (const a of uniqueSortedAddresses([...part.v4, ...part.v6])) out.push({ cluster, target: a, addresses: [a] });
    for (const lb of [...part.lbs].sort()) {
      const r = resolved.get(lb);
      out.push({ cluster, target: lb, addresses: r ? [...r.v4, ...r.v6] : [] });
    }
  }
  return out;
}

/** Drops from `parts` what the answer does not hold. */
function keepServed(parts: Map<string, ClusterPart>, units: readonly UnitHealth[]): void {
  const served = new Set(units.filter((u) => u.served).map((u) => `${u.cluster}\0${u.target}`));
  for (const [cluster, part] of parts) {
    const keep = (t: string) => served.has(`${cluster}\0${t}`);
    part.v4 = part.v4.filter((a) => keep(canonicalAddress(a)));
    part.v6 = part.v6.filter((a) => keep(canonicalAddress(a)));
    part.lbs = new Set([...part.lbs].filter(keep));
    if (part.v4.length + part.v6.length + part.lbs.size === 0) parts.delete(cluster);
  }
}

function flatRecords(fqdn: string, ttl: number, parts: ReadonlyMap<string, ClusterPart>): RecordSet[] {
  const v4 = [...parts.values()].flatMap((p) => p.v4);
  const v6 = [...parts.values()].flatMap((p) => p.v6);
  const records: RecordSet[] = [];
  if (v4.length > 0) records.push({ name: fqdn, type: 'A', ttl, values: uniqueSortedAddresses(v4) });
  if (v6.length > 0) records.push({ name: fqdn, type: 'AAAA', ttl, values: uniqueSortedAddresses(v6) });
  return records;
}

/** One set of one type before weighting: a cluster's addresses, or one load balancer. */
interface Unit {
  cluster: string;
  /** The load balancer, for an alias unit. */
  lb?: string;
  values: string[];
}

/**
 * A name with at least one alias-capable load balancer, per type (A, then AAAA):
 *
 * - One set of the type in all (one load balancer, whichever clusters publish it, and no
 *   addresses; or addresses only): a plain set, no set identifier. `values: [lb]` makes the
 *   provider write an alias.
 * - Several: weighted sets, `weight` ALIAS_WEIGHT each. A cluster's addresses (flattened
 *   hostnames included) are one plain set with the cluster's name as set identifier; each of
 *   its load balancers an alias set, identified by the cluster's name when it is the
 *   cluster's only set of the type, else `<cluster>/<load balancer>`. A load balancer
 *   published by two clusters is one set, under the first cluster's name.
 * - AAAA aliases only for load balancers that resolve to IPv6 addresses (dualstack ones):
 *   an AAAA alias to an IPv4-only balancer would answer nothing. Unresolved: A only.
 */
function aliasRecords(fqdn: string, ttl: number, parts: ReadonlyMap<string, ClusterPart>, resolved: ResolvedHostnames): RecordSet[] {
  const clusters = [...parts.keys()].sort();
  const records: RecordSet[] = [];
  for (const type of ['A', 'AAAA'] as const) {
    const units: Unit[] = [];
    const seen = new Set<string>();
    for (const cluster of clusters) {
      const part = parts.get(cluster);
      if (!part) continue;
      const ips = type === 'A' ? part.v4 : part.v6;
      if (ips.length > 0) units.push({ cluster, values: uniqueSortedAddresses(ips) });
      for (const lb of [...part.lbs].sort()) {
        if (seen.has(lb)) continue;
        if (type === 'AAAA' && (resolved.get(lb)?.v6.length ?? 0) === 0) continue;
        seen.add(lb);
        units.push({ cluster, lb, values: [lb] });
      }
    }
    if (units.length === 0) continue;
    const hasAlias = units.some((u) => u.lb !== undefined);
    if (units.length === 1 || !hasAlias) {
      const values = hasAlias ? units[0].values : uniqueSortedAddresses(units.flatMap((u) => u.values));
      records.push({ name: fqdn, type, ttl, values });
      continue;
    }
    const perCluster = new Map<string, number>();
    for (const u of units) perCluster.set(u.cluster, (perCluster.get(u.cluster) ?? 0) + 1);
    const used = new Set<string>();
    for (const u of units) {
      const base = (u.lb === undefined || perCluster.get(u.cluster) === 1 ? u.cluster : `${u.cluster}/${u.lb}`).slice(0, MAX_SET_IDENTIFIER);
      let id = base;
      for (let i = 2; used.has(id); i++) id = `${base.slice(0, MAX_SET_IDENTIFIER - String(i).length - 1)}-${i}`;
      used.add(id);
      records.push({ name: fqdn, type, ttl, values: u.values, setIdentifier: id, weight: ALIAS_WEIGHT });
    }
  }
  return records;
}

/** Load-balancer hostnames among the targets of `endpoints`: what must be resolved to plan them. */
export function targetHostnames(endpoints: Iterable<Endpoint>): Set<string> {
  const out = new Set<string>();
  for (const e of endpoints) for (const t of e.targets) if (addressType(t) === undefined) out.add(t);
  return out;
}
