// The desired-state stage as the controllers' tests build it: a real DesiredState over a real
// EndpointStore, with load-balancer hostnames answered by a given lookup instead of DNS.
import type { GlobalDnsEntry } from '../../src/model/index.js';
import { DesiredState } from '../../src/desired/index.js';
import { LoadBalancerResolver } from '../../src/sources/resolver/index.js';
import type { LookupBackend } from '../../src/sources/resolver/index.js';
import type { EndpointStore } from '../../src/sources/index.js';
import type { HealthVerdicts } from '../../src/health/index.js';
import { silentLogger, type Clock, type Logger } from '../../src/kernel/index.js';

type Lookup = (hostname: string) => Promise<{ v4: string[]; v6: string[] }>;

/** A backend where DNS knows no name and the "system resolver" is `lookup`. */
export function lookupBackend(lookup: Lookup = async () => ({ v4: [], v6: [] })): LookupBackend {
  return {
    dns: async () => {
      throw Object.assign(new Error('not in DNS'), { code: 'ENOTFOUND' });
    },
    system: lookup,
  };
}

/** A started stage (its first plan runs in the background; consumers flush it). */
export function desiredFor(o: { entries: readonly GlobalDnsEntry[]; store: EndpointStore; lookup?: Lookup; clock?: Clock; logger?: Logger; refreshMs?: number; health?: HealthVerdicts }): DesiredState {
  const resolver = new LoadBalancerResolver({ backend: lookupBackend(o.lookup), clock: o.clock, minRefreshMs: o.refreshMs, maxRefreshMs: o.refreshMs });
  const desired = new DesiredState({ store: o.store, resolver, entries: o.entries, logger: o.logger ?? silentLogger, clock: o.clock, debounceMs: 1, ...(o.health ? { health: o.health } : {}) });
  void desired.start();
  return desired;
}
