// Endpoint health on the status surfaces, from a real desired-state stage with the health
// checker on a manual clock and a scripted prober (the network is injected): what
// /api/v1/status, `globaldns status` and /metrics say per name and per endpoint address as
// endpoints fail, fail over and all go down. The admin server is the real one, on loopback.
import test from 'ava';
import type { GlobalDnsEntry } from '../../src/model/index.js';
import { EndpointStore } from '../../src/sources/index.js';
import { DesiredState, nameHealthReport } from '../../src/desired/index.js';
import { HealthChecker } from '../../src/health/index.js';
import { LoadBalancerResolver } from '../../src/sources/resolver/index.js';
import { silentLogger } from '../../src/kernel/index.js';
import { AdminServer, buildStatus, formatStatus, Metrics } from '../../src/observe/index.js';
import type { StatusInputs, StatusReport } from '../../src/observe/index.js';
import { ManualClock } from '../support/clock.js';
import { lookupBackend } from '../support/desired.js';
import { httpCheck } from '../health/fixtures.js';
import { sample } from '../support/prom.js';

const NAME = 'shop.example.test';
const T0 = 1_700_000_000_000;

const check = httpCheck({ intervalMs: 5000, timeoutMs: 2000 });

const entries: GlobalDnsEntry[] = [
  { fqdn: NAME, ttl: 60, provider: 'embedded', targets: [{ cluster: 'east', priority: 1 }, { cluster: 'west', priority: 2 }], healthCheck: check, routing: { policy: 'failover', failbackMs: 60_000, whenAllDown: 'serve-all' } },
  { fqdn: 'plain.example.test', ttl: 60, provider: 'embedded', targets: [{ cluster: 'east' }] },
];

/** The stage as serve builds it, with probes answered by `failing` (address → the probe's failure reason). */
async function world() {
  const clock = new ManualClock();
  clock.t = T0;
  const store = new EndpointStore();
  const failing = new Map<string, string>();
  const checker = new HealthChecker({
    clock,
    random: () => 0,
    concurrency: 16,
    logger: silentLogger,
    prober: async (spec) => {
      const reason = failing.get(spec.address);
      return reason ? { ok: false, reason, durationMs: 3 } : { ok: true, reason: 'status 200', durationMs: 1 };
    },
  });
  const resolver = new LoadBalancerResolver({ backend: lookupBackend(), clock });
  const desired = new DesiredState({ store, resolver, entries, logger: silentLogger, clock, debounceMs: 1, health: checker });
  await desired.start();
  store.upsert({ cluster: 'east', namespace: 'shop', kind: 'Ingress', name: 'web', hostnames: [NAME, 'plain.example.test'], targets: ['127.0.0.2'] });
  store.upsert({ cluster: 'west', namespace: 'shop', kind: 'Ingress', name: 'web', hostnames: [NAME], targets: ['127.0.0.3'] });
  await clock.advance(1);
  await desired.flush();
  const inputs: StatusInputs = {
    version: 'test',
    clusters: () => ['east', 'west'].map((cluster) => ({ cluster, phase: 'Synced', watchRestarts: 0 })),
    endpoints: store,
    entries: () => desired.entries(),
    entryFor: (fqdn) => desired.entryFor(fqdn),
    health: (fqdn) => nameHealthReport(desired, fqdn),
    readiness: () => ({ sourcesSynced: true, snapshotLoaded: false, listenersBound: true }),
  };
  const status = () => buildStatus(inputs, clock.now());
  /** One interval at a time, `n` times. */
  const steps = async (n: number) => {
    for (let i = 0; i < n; i++) await clock.advance(5000);
    await desired.flush();
  };
  return { clock, failing, desired, status, steps, stop: () => (desired.stop(), checker.stop()) };
}

test('the status report: per endpoint address its health, since when, whether it is answered and the last probe; the active group; all down', async (t) => {
  const w = await world();
  t.teardown(() => w.stop());
  let r = w.status();
  const shop = () => r.names.find((n) => n.fqdn === NAME)!;
  t.deepEqual(shop().endpointHealth, {
    endpoints: [
      { cluster: 'east', address: '127.0.0.2', priority: 1, health: 'healthy', since: T0 + 1, served: true, lastProbe: { ok: true, reason: 'status 200', durationMs: 1, at: T0 + 1 } },
      { cluster: 'west', address: '127.0.0.3', priority: 2, health: 'healthy', since: T0 + 1, served: false, lastProbe: { ok: true, reason: 'status 200', durationMs: 1, at: T0 + 1 } },
    ],
    activeGroup: 1,
    allDown: false,
    servfail: false,
    healthy: 2,
    total: 2,
  });
  t.is(r.names.find((n) => n.fqdn === 'plain.example.test')?.endpointHealth, undefined, 'no check, no failover: nothing to say');

  // east fails: two failures keep it, the third fails the name over to west.
  w.failing.set('127.0.0.2', 'connect ECONNREFUSED');
  await w.steps(2);
  r = w.status();
  t.like(shop().endpointHealth?.endpoints[0], { health: 'healthy', served: true, lastProbe: { ok: false, reason: 'connect ECONNREFUSED' } });
  await w.steps(1);
  r = w.status();
  t.like(shop().endpointHealth, { activeGroup: 2, allDown: false, healthy: 1, total: 2 });
  t.like(shop().endpointHealth?.endpoints[0], { health: 'unhealthy', since: T0 + 15_001, served: false, lastProbe: { ok: false, reason: 'connect ECONNREFUSED', at: T0 + 15_001 } });
  t.like(shop().endpointHealth?.endpoints[1], { health: 'healthy', served: true });

  // west too: all down, every endpoint answered (serve-all).
  w.failing.set('127.0.0.3', 'timeout after 2s');
  await w.steps(3);
  r = w.status();
  t.like(shop().endpointHealth, { allDown: true, servfail: false, healthy: 0, total: 2 });
  t.deepEqual(shop().endpointHealth?.endpoints.map((e) => [e.health, e.served, e.lastProbe?.reason]), [
    ['unhealthy', true, 'connect ECONNREFUSED'],
    ['unhealthy', true, 'timeout after 2s'],
  ]);

  // `globaldns status` prints the same: the summary per name and a line per endpoint.
  const text = formatStatus(r);
  t.log(text);
  t.regex(text, /^shop\.example\.test\s+up\s+\S+\s+east,west\s+127\.0\.0\.2,127\.0\.0\.3\s+0\/2 ALL DOWN \(serve-all\)/m);
  t.regex(text, /^plain\.example\.test\s+up\s+\S+\s+east\s+127\.0\.0\.2\s+-/m);
  t.regex(text, /^NAME\s+CLUSTER\s+ADDRESS\s+PRIORITY\s+HEALTH\s+SINCE\s+ANSWERED\s+LAST PROBE$/m);
  t.regex(text, /^shop\.example\.test\s+east\s+127\.0\.0\.2\s+1\s+unhealthy\s+15s ago\s+yes\s+fail: connect ECONNREFUSED \(0s ago\)$/m);
  t.regex(text, /^shop\.example\.test\s+west\s+127\.0\.0\.3\s+2\s+unhealthy\s+0s ago\s+yes\s+fail: timeout after 2s \(0s ago\)$/m);
});

test('the admin server: /api/v1/status carries the endpoint health, /metrics globaldns_endpoint_healthy and globaldns_all_down at scrape time', async (t) => {
  const w = await world();
  t.teardown(() => w.stop());
  // As serve wires it (src/app/admin.ts): the metrics read the names of the status report.
  let report: StatusReport = w.status();
  const metrics = new Metrics({ version: 'test', inputs: { names: () => report.names } });
  const admin = new AdminServer({ host: '127.0.0.1', port: 0, metrics, status: () => report, readiness: () => report.readiness });
  const addr = await admin.start();
  t.teardown(() => admin.stop());
  const base = `http://127.0.0.1:${addr.port}`;
  const scrape = async () => (await (await fetch(`${base}/metrics`)).text());

  let m = await scrape();
  t.is(sample(m, 'globaldns_endpoint_healthy', { name: NAME, cluster: 'east', address: '127.0.0.2' }), 1);
  t.is(sample(m, 'globaldns_endpoint_healthy', { name: NAME, cluster: 'west', address: '127.0.0.3' }), 1);
  t.is(sample(m, 'globaldns_all_down', { name: NAME }), 0);
  t.is(sample(m, 'globaldns_all_down', { name: 'plain.example.test' }), undefined, 'a name without a check or failover has no series');
  t.notRegex(m, /globaldns_endpoint_healthy\{name="plain\.example\.test"/);

  w.failing.set('127.0.0.2', 'status 503');
  await w.steps(3);
  report = w.status();
  m = await scrape();
  t.is(sample(m, 'globaldns_endpoint_healthy', { name: NAME, cluster: 'east', address: '127.0.0.2' }), 0);
  t.is(sample(m, 'globaldns_endpoint_healthy', { name: NAME, cluster: 'west', address: '127.0.0.3' }), 1);
  t.is(sample(m, 'globaldns_all_down', { name: NAME }), 0);

  w.failing.set('127.0.0.3', 'body did not match');
  await w.steps(3);
  report = w.status();
  m = await scrape();
  t.is(sample(m, 'globaldns_endpoint_healthy', { name: NAME, cluster: 'west', address: '127.0.0.3' }), 0);
  t.is(sample(m, 'globaldns_all_down', { name: NAME }), 1);

  const json = (await (await fetch(`${base}/api/v1/status`)).json()) as StatusReport;
  const shop = json.names.find((n) => n.fqdn === NAME);
  t.like(shop?.endpointHealth, { allDown: true, healthy: 0, total: 2 });
  t.deepEqual(shop?.endpointHealth?.endpoints.map((e) => `${e.cluster} ${e.address} ${e.health}: ${e.lastProbe?.reason}`), ['east 127.0.0.2 unhealthy: status 503', 'west 127.0.0.3 unhealthy: body did not match']);
});

test('an endpoint not judged yet is unknown in the report and has no healthy series', async (t) => {
  const clock = new ManualClock();
  clock.t = T0;
  const store = new EndpointStore();
  // Probes that never finish within the test: verdicts stay unknown.
  const checker = new HealthChecker({ clock, random: () => 0, concurrency: 4, logger: silentLogger, prober: () => new Promise(() => undefined) });
  const desired = new DesiredState({ store, resolver: new LoadBalancerResolver({ backend: lookupBackend(), clock }), entries, logger: silentLogger, clock, debounceMs: 1, health: checker });
  await desired.start();
  t.teardown(() => (desired.stop(), checker.stop()));
  store.upsert({ cluster: 'east', namespace: 'shop', kind: 'Ingress', name: 'web', hostnames: [NAME], targets: ['127.0.0.2'] });
  await clock.advance(1);
  await desired.flush();
  const report = nameHealthReport(desired, NAME);
  t.like(report, { healthy: 0, total: 1, allDown: false, activeGroup: 1 });
  t.like(report?.endpoints[0], { health: 'unknown', served: true });
  t.is(report?.endpoints[0].lastProbe, undefined);
  const names = buildStatus({ version: 't', clusters: () => [], endpoints: store, entries: () => entries, entryFor: (f) => desired.entryFor(f), health: (f) => nameHealthReport(desired, f), readiness: () => ({ sourcesSynced: true, snapshotLoaded: false, listenersBound: true }) }, T0).names;
  const body = (await new Metrics({ version: 't', inputs: { names: () => names } }).text()).body;
  t.notRegex(body, /^globaldns_endpoint_healthy\{/m, 'unknown: no series (neither 1 nor 0 would be true)');
  t.is(sample(body, 'globaldns_all_down', { name: NAME }), 0);
});
