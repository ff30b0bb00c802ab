// Management mode with endpoint health: the GlobalDNS status says per endpoint address its
// health, since when, whether it is answered and the last probe's reason, and healthy/total
// (the Healthy printer column); the leader records one Event per change of a name's answer
// (failover, all down, recovery). The management runtime is the product's, against the fake
// API server; the verdicts are scripted (the probes are test/health's and test/desired's).
import test from 'ava';
import type { HealthVerdicts, ProbeTarget, Verdict } from '../../src/health/index.js';
import type { EndpointHealth } from '../../src/model/index.js';
import { waitFor } from '../support/wait.js';
import { ingress, provider, startRuntimeWorld } from './management-runtime-world.js';

const NAME = 'shop.internal.test';

/** Verdicts set by the test, per address; the stage asks for them by probe key. */
class ScriptedVerdicts implements HealthVerdicts {
  private readonly addressOf = new Map<string, string>();
  private readonly byAddress = new Map<string, Verdict>();
  private readonly listeners = new Set<(keys: ReadonlySet<string>) => void>();

  want(_owner: string, targets: readonly ProbeTarget[]): void {
    for (const t of targets) this.addressOf.set(t.key, t.spec.address);
  }

  verdict(key: string): Verdict | undefined {
    const a = this.addressOf.get(key);
    return a === undefined ? undefined : this.byAddress.get(a);
  }

  onChange(listener: (keys: ReadonlySet<string>) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  set(address: string, health: EndpointHealth, reason: string): void {
    const at = Date.now();
    const before = this.byAddress.get(address);
    this.byAddress.set(address, { health, since: at, successes: 0, failures: 0, recovered: health === 'healthy' && before?.health === 'unhealthy', last: { ok: health === 'healthy', reason, durationMs: 1, at } });
    const keys = new Set([...this.addressOf].filter(([, a]) => a === address).map(([k]) => k));
    for (const l of this.listeners) l(keys);
  }
}

interface HealthStatus {
  healthyEndpoints?: string;
  health?: { name: string; activeGroup?: number; allDown: boolean; whenAllDown?: string; endpoints: { cluster: string; address: string; priority: number; health: string; since?: string; served: boolean; lastProbe?: string }[] }[];
}

test('the GlobalDNS status carries endpoint health and healthy/total; the leader records an Event per change of the answer', async (t) => {
  const verdicts = new ScriptedVerdicts();
  const w = await startRuntimeWorld({ health: verdicts });
  t.teardown(() => w.close());
  w.mgmt.apply(provider('internal', { type: 'embedded' }));
  w.mgmt.apply({
    apiVersion: 'globaldns.io/v1alpha1',
    kind: 'GlobalDNS',
    metadata: { name: 'shop', namespace: 'shop' },
    spec: {
      fqdn: NAME,
      ttl: 60,
      providerRef: 'internal',
      targets: [{ cluster: 'east', priority: 1 }, { cluster: 'west', priority: 2 }],
      healthCheck: { type: 'http', port: 8080, path: '/healthz', interval: '5s', timeout: '2s' },
      routing: { policy: 'failover', failback: '60s' },
    },
  });
  w.store.upsert(ingress('east', 'web', NAME, ['127.0.0.2']));
  w.store.upsert(ingress('west', 'web', NAME, ['127.0.0.3']));
  const status = () => (w.mgmt.get('GlobalDNS', 'shop', 'shop')?.status ?? {}) as HealthStatus;
  const until = (f: (s: HealthStatus) => boolean, what: string) => waitFor(() => (f(status()) ? status() : undefined), 10_000, () => `${what}: ${JSON.stringify(status())}\n${w.lines.slice(-10).join('\n')}`);
  const events = () => w.mgmt.list('Event').filter((e) => (e.involvedObject as { name?: string } | undefined)?.name === 'shop') as { type: string; reason: string; message: string }[];
  const eventUntil = (reason: string) => waitFor(() => events().find((e) => e.reason === reason), 10_000, () => `no ${reason} Event: ${JSON.stringify(events())}`);

  // Not judged yet: unknown, answered (no endpoint is known healthy), 0 of 2 healthy.
  let st = await until((s) => s.healthyEndpoints === '0/2', 'unknown endpoints');
  t.like(st.health?.[0].endpoints[0], { cluster: 'east', address: '127.0.0.2', health: 'unknown', served: true });

  verdicts.set('127.0.0.2', 'healthy', 'status 200');
  verdicts.set('127.0.0.3', 'healthy', 'status 200');
  st = await until((s) => s.healthyEndpoints === '2/2', 'both healthy');
  t.is(st.health?.length, 1);
  t.like(st.health?.[0], { name: NAME, activeGroup: 1, allDown: false });
  t.is(st.health?.[0].whenAllDown, undefined);
  t.deepEqual(st.health?.[0].endpoints.map((e) => ({ ...e, since: typeof e.since })), [
    { cluster: 'east', address: '127.0.0.2', priority: 1, health: 'healthy', since: 'string', served: true, lastProbe: 'status 200' },
    { cluster: 'west', address: '127.0.0.3', priority: 2, health: 'healthy', since: 'string', served: false, lastProbe: 'status 200' },
  ]);
  t.regex(st.health?.[0].endpoints[0].since ?? '', /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/);
  t.deepEqual(events().filter((e) => /Endpoint|Failed|AllEndpoints/.test(e.reason)), [], 'first verdicts are no news');

  // The primary dies: failed over to priority 2, one Warning Event naming it and why.
  verdicts.set('127.0.0.2', 'unhealthy', 'status 503');
  st = await until((s) => s.healthyEndpoints === '1/2', 'east down');
  t.like(st.health?.[0], { activeGroup: 2, allDown: false });
  t.like(st.health?.[0].endpoints[0], { health: 'unhealthy', served: false, lastProbe: 'status 503' });
  const over = await eventUntil('FailedOver');
  t.like(over, { type: 'Warning', message: `${NAME}: failed over from priority 1 to priority 2; down: east 127.0.0.2 (status 503); answering 127.0.0.3` });

  // All down: served all, the status and an Event say so.
  verdicts.set('127.0.0.3', 'unhealthy', 'connect ECONNREFUSED');
  st = await until((s) => s.health?.[0].allDown === true, 'all down');
  t.is(st.healthyEndpoints, '0/2');
  t.is(st.health?.[0].whenAllDown, 'serve-all');
  t.true(st.health?.[0].endpoints.every((e) => e.served));
  const allDown = await eventUntil('AllEndpointsDown');
  t.like(allDown, { type: 'Warning', message: `${NAME}: every endpoint is down (east 127.0.0.2 (status 503), west 127.0.0.3 (connect ECONNREFUSED)); answering all of them (serve-all)` });

  // west comes back: EndpointUp (Normal).
  verdicts.set('127.0.0.3', 'healthy', 'status 200');
  await until((s) => s.healthyEndpoints === '1/2' && s.health?.[0].allDown === false, 'west back');
  t.like(await eventUntil('EndpointUp'), { type: 'Normal', message: `${NAME}: up again: west 127.0.0.3; answering 127.0.0.3` });
  t.is(events().filter((e) => e.reason === 'FailedOver' || e.reason === 'AllEndpointsDown').length, 2, 'one Event per change');
});
