// Shared setup for the Alidns provider tests: a simulator, a provider pointed at it, and the
// zone as the simulator holds it, read without the provider's code.
import type { RecordSet, RRType } from '../../../src/model/index.js';
import { AlidnsProvider, type AlidnsProviderOptions } from '../../../providers/index.js';
import { startAlidnsSim, SIM_KEY, type AlidnsSim, type AlidnsSimOptions, type SimEdition, type SimRecord } from '../../support/alidns-sim/index.js';
import { seededRandom } from '../../support/random.js';

export { SIM_KEY, seededRandom };
export const ZONE = 'example.org';
export const EMPTY = { creates: [], updates: [], deletes: [] };

/** A provider on the simulator; fast by default (1000 requests/s, 5 ms base backoff). */
export function provider(sim: AlidnsSim, o: Partial<AlidnsProviderOptions> = {}): AlidnsProvider {
  return new AlidnsProvider({
    endpoint: sim.url,
    ...SIM_KEY,
    rateLimitPerSecond: 1000,
    baseDelayMs: 5,
    maxDelayMs: 50,
    random: seededRandom(7),
    ...o,
  });
}

export async function withSim<T>(o: AlidnsSimOptions & { edition?: SimEdition }, f: (sim: AlidnsSim) => Promise<T>): Promise<T> {
  const sim = await startAlidnsSim(o);
  sim.createDomain(ZONE, { edition: o.edition });
  try {
    return await f(sim);
  } finally {
    await sim.stop();
  }
}

/** 'www.example.org. 600 A 192.0.2.1 192.0.2.2' → RecordSet (TXT, MX, SRV, CAA: one value). */
export function rr(text: string): RecordSet {
  const [name, ttl, type, ...rest] = text.split(' ');
  const single = type === 'TXT' || type === 'MX' || type === 'SRV' || type === 'CAA';
  return { name: name.replace(/\.$/, ''), ttl: Number(ttl), type: type as RRType, values: single ? [rest.join(' ')] : rest };
}

/** Someone else's records, straight into the simulator: one record per value. */
export function seedSets(sim: AlidnsSim, sets: readonly RecordSet[], extra: Partial<SimRecord> = {}): string[] {
  const ids: string[] = [];
  for (const s of sets) {
    const RR = s.name === ZONE ? '@' : s.name.slice(0, -(ZONE.length + 1));
    for (const v of s.values) {
      const mx = s.type === 'MX' ? /^(\d+) (.*)$/.exec(v) : null;
      ids.push(sim.seed(ZONE, { RR, Type: s.type, Value: mx ? mx[2] : v, Priority: mx ? Number(mx[1]) : undefined, TTL: s.ttl, ...extra }));
    }
  }
  return ids;
}

/** The zone as record sets: default line and enabled records, grouped by name and type. */
export function readSets(sim: AlidnsSim): RecordSet[] {
  const sets = new Map<string, RecordSet>();
  for (const r of sim.records(ZONE)) {
    if (r.Line !== 'default' || r.Status !== 'ENABLE') continue;
    const name = r.RR === '@' ? ZONE : `${r.RR}.${ZONE}`;
    const value = r.Type === 'MX' ? `${r.Priority} ${r.Value}` : r.Value;
    const key = `${name} ${r.Type}`;
    const s = sets.get(key);
    if (s) {
      s.values.push(value);
      s.ttl = Math.min(s.ttl, r.TTL);
    } else sets.set(key, { name, type: r.Type as RRType, ttl: r.TTL, values: [value] });
  }
  return [...sets.values()];
}

/** 'name ttl type v1 v2' lines with sorted values, sorted: order-free comparison. */
export function lines(sets: readonly RecordSet[]): string[] {
  return sets.map((s) => `${s.name} ${s.ttl} ${s.type} ${[...s.values].sort().join(' ')}`).sort();
}

export function countCalls(sim: AlidnsSim, action: string, okOnly = false): number {
  return sim.calls.filter((c) => c.action === action && (!okOnly || c.status === 200)).length;
}
