// Shared setup for the PowerDNS provider tests: one real pdns_server per test file, a fresh
// zone per test (tests of a file run concurrently on their own zones), record fixtures in
// zone-file notation, and an observer that counts the API calls a provider made.
import type { ExecutionContext } from 'ava';
import type { Plan, RecordSet, RRType } from '../../../src/model/index.js';
import type { ProviderCall, Zone } from '../../../providers/index.js';
import type { Pdns } from '../../support/pdns.js';

export const EMPTY: Plan = { creates: [], updates: [], deletes: [] };

let zoneCounter = 0;

/** A new empty zone on the daemon: 't<n>-<slug>.test' — its name and the provider-side Zone. */
export async function freshZone(pdns: Pdns, slug: string): Promise<Zone> {
  const name = `t${++zoneCounter}-${slug}.test`;
  await pdns.createZone(name);
  return { id: `${name}.`, name };
}

/** 'www 300 A 192.0.2.1 192.0.2.2' relative to `zone` ('@' is the apex); MX/SRV/CAA/TXT take the rest as one value. */
export function rr(zone: string, text: string): RecordSet {
  const [owner, ttl, type, ...rest] = text.split(' ');
  const single = type === 'TXT' || type === 'MX' || type === 'SRV' || type === 'CAA';
  return { name: owner === '@' ? zone : `${owner}.${zone}`, ttl: Number(ttl), type: type as RRType, values: single ? [rest.join(' ')] : rest };
}

/** 'name ttl type v1,v2' with sorted values: order-free comparison. */
export function line(r: RecordSet | undefined): string {
  return r === undefined ? '<missing>' : `${r.name} ${r.ttl} ${r.type} ${[...r.values].sort().join(',')}`;
}

export function find(records: RecordSet[], name: string, type: RRType): RecordSet | undefined {
  return records.find((r) => r.name === name && r.type === type);
}

/** Collects ProviderCall reports; `count('PATCH zone')` counts requests of one operation. */
export function callLog() {
  const calls: ProviderCall[] = [];
  return {
    calls,
    observe: (c: ProviderCall) => void calls.push(c),
    count: (operation: string, outcome?: ProviderCall['outcome']) => calls.filter((c) => c.operation === operation && (outcome === undefined || c.outcome === outcome)).length,
  };
}

/** Logs the daemon's output when a test failed: its own words are the best clue. */
export function logOnFailure(t: ExecutionContext, pdns: Pdns | undefined): void {
  if (pdns && !t.passed) t.log(pdns.logs().split('\n').slice(-30).join('\n'));
}
