// Shared setup of the Cloudflare provider tests: a simulator with the zone example.org, a
// provider pointed at it through the official SDK, and reading the simulator's own state.

import type { RecordSet, RRType } from '../../../src/model/index.js';
import { CloudflareProvider, type CloudflareProviderOptions } from '../../../providers/index.js';
import { startCloudflareSim, txtStrings, type CfSimOptions, type CloudflareSim, type SimRecord } from '../../support/cloudflare-sim/index.js';
import { seededRandom } from '../../support/random.js';

export const ZONE = 'example.org';
export const EMPTY = { creates: [], updates: [], deletes: [] };

/** A provider on the simulator with its token; fast by default (1000 requests/s, 5 ms base backoff). */
export function provider(sim: CloudflareSim, o: Partial<CloudflareProviderOptions> = {}): CloudflareProvider {
  return new CloudflareProvider({
    baseUrl: sim.url,
    credentials: { apiToken: sim.token },
    rateLimitPerSecond: 1000,
    baseDelayMs: 5,
    maxDelayMs: 50,
    random: seededRandom(7),
    ...o,
  });
}

export async function withSim<T>(o: CfSimOptions, f: (sim: CloudflareSim, zoneId: string) => Promise<T>): Promise<T> {
  const sim = await startCloudflareSim(o);
  try {
    return await f(sim, sim.createZone(ZONE));
  } finally {
    await sim.stop();
  }
}

/** The value a stored record stands for, read the simulator's way (not the provider's). */
export function simValue(r: SimRecord): string {
  switch (r.type) {
    case 'TXT':
      return txtStrings(r.content).join('');
    case 'MX':
      return `${r.priority} ${r.content}`;
    case 'SRV':
      return `${r.data?.priority} ${r.data?.weight} ${r.data?.port} ${r.data?.target}`;
    case 'CAA':
      return `${r.data?.flags} ${r.data?.tag} "${r.data?.value}"`;
    default:
      return r.content;
  }
}

/** The zone as model sets, from the simulator's state; an automatic TTL (1) reads as 1 here. */
export function simSets(sim: CloudflareSim, zoneId: string): RecordSet[] {
  const sets = new Map<string, RecordSet>();
  for (const r of sim.records(zoneId)) {
    const k = `${r.name}|${r.type}`;
    const s = sets.get(k);
    if (s) s.values.push(simValue(r));
    else sets.set(k, { name: r.name, type: r.type as RRType, ttl: r.ttl, values: [simValue(r)] });
  }
  return [...sets.values()];
}

/** 'www.example.org 300 A 192.0.2.1 192.0.2.2' → RecordSet (TXT, MX, SRV and CAA keep the rest as one value). */
export function rr(text: string): RecordSet {
  const [name, ttl, type, ...rest] = text.split(' ');
  const values = ['TXT', 'MX', 'SRV', 'CAA'].includes(type) ? [rest.join(' ')] : rest;
  return { name, ttl: Number(ttl), type: type as RRType, values };
}

/** The body a test seeds a foreign record with, from a model set's first value. */
export function seedBody(r: RecordSet): Record<string, unknown> {
  const v = r.values[0];
  switch (r.type) {
    case 'MX': {
      const [p, host] = v.split(' ');
      return { name: r.name, type: 'MX', ttl: r.ttl, priority: Number(p), content: host };
    }
    case 'TXT':
      return { name: r.name, type: 'TXT', ttl: r.ttl, content: v };
    default:
      return { name: r.name, type: r.type, ttl: r.ttl, content: v };
  }
}
