// Shared setup for the Route53 provider tests: a simulator, a provider pointed at it through
// the real AWS SDK, and record fixtures written in zone-file notation.

import { Route53Client } from '@aws-sdk/client-route-53';
import type { RecordSet, RRType } from '../../../src/model/index.js';
import { Route53Provider, type Route53ProviderOptions } from '../../../providers/index.js';
import { startRoute53Sim, type Route53Sim, type Route53SimOptions, type SimOp } from '../../support/route53-sim/index.js';
import { seededRandom } from '../../support/random.js';

// The SDK warns once per process about Node 20; the tests run on 20 on purpose.
process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';

export const CREDENTIALS = { accessKeyId: 'AKIDEXAMPLE', secretAccessKey: 'secret' };

export { seededRandom };

export function sdkClient(sim: Route53Sim): Route53Client {
  return new Route53Client({ endpoint: sim.url, region: 'us-east-1', credentials: CREDENTIALS, maxAttempts: 1 });
}

/** A provider on the simulator; fast by default (1000 requests/s, 5 ms base backoff). */
export function provider(sim: Route53Sim, o: Route53ProviderOptions = {}): Route53Provider {
  return new Route53Provider({
    endpoint: sim.url,
    region: 'us-east-1',
    credentials: CREDENTIALS,
    rateLimitPerSecond: 1000,
    baseDelayMs: 5,
    maxDelayMs: 50,
    random: seededRandom(7),
    ...o,
  });
}

export async function withSim<T>(o: Route53SimOptions, f: (sim: Route53Sim) => Promise<T>): Promise<T> {
  const sim = await startRoute53Sim(o);
  try {
    return await f(sim);
  } finally {
    await sim.stop();
  }
}

/** 'www.example.org. 300 A 192.0.2.1 192.0.2.2' → RecordSet (values split on spaces; TXT as one value). */
export function rr(text: string): RecordSet {
  const [name, ttl, type, ...rest] = text.split(' ');
  const values = type === 'TXT' ? [rest.join(' ')] : type === 'MX' || type === 'SRV' ? [rest.join(' ')] : rest;
  return { name: name.replace(/\.$/, ''), ttl: Number(ttl), type: type as RRType, values };
}

export function countOps(sim: Route53Sim, op: SimOp, okOnly = false): number {
  return sim.calls.filter((c) => c.op === op && (!okOnly || c.status === 200)).length;
}

/** The zone's records as 'name ttl type value…' lines, SOA and NS left out. */
export function zoneLines(sim: Route53Sim, zoneId: string): string[] {
  return sim
    .records(zoneId)
    .filter((r) => r.type !== 'SOA' && r.type !== 'NS')
    .map((r) => {
      const target = r.alias ? `ALIAS ${r.alias.hostedZoneId} ${r.alias.dnsName}` : [...(r.values ?? [])].sort().join(' ');
      const id = r.setIdentifier === undefined ? '' : ` [${r.setIdentifier} w=${r.weight}]`;
      return `${r.name} ${r.ttl ?? '-'} ${r.type}${id} ${target}`;
    });
}

export const EMPTY = { creates: [], updates: [], deletes: [] };
