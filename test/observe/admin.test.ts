// The admin listener of a real `globaldns serve` watching a fake cluster: /readyz says 503
// while the cluster cannot be read and 200 once it is, /healthz says alive throughout,
// /metrics counts real dig queries by rcode and type, and `globaldns status` prints the
// clusters and names and exits non-zero while the service is not ready.
import { execFile } from 'node:child_process';
import test from 'ava';
import YAML from 'yaml';
import { dig } from '../support/dig.js';
import { startFakeKube } from '../support/fake-kube/index.js';
import { cliPath, startGlobaldns } from '../support/globaldns.js';
import { waitFor } from '../support/wait.js';
import { ingress, namespace } from '../integration/kube-world.js';
import { sample } from '../support/prom.js';

const APEX = 'example.test';

async function get(url: string): Promise<{ status: number; body: string }> {
  const res = await fetch(url, { signal: AbortSignal.timeout(5000) });
  return { status: res.status, body: await res.text() };
}

/** Polls `f` until it returns something; a listener not up yet counts as not yet. */
const until = <T>(f: () => Promise<T | undefined>, ms: number, what: () => string): Promise<T> => waitFor(f, ms, what, { retryErrors: true });

function status(admin: string, ...extra: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    execFile(process.execPath, [cliPath, 'status', '--admin', admin, ...extra], { timeout: 30_000 }, (err, stdout, stderr) => {
      resolve({ code: err ? Number((err as { code?: number }).code ?? 1) : 0, stdout, stderr });
    });
  });
}

test('readyz 503 until the cluster is read, then 200; metrics count dig queries; status prints and exits by readiness', async (t) => {
  t.timeout(120_000);
  const fake = await startFakeKube();
  t.teardown(() => fake.stop());
  fake.apply(namespace('shop'));
  fake.apply(ingress({ name: 'web', namespace: 'shop', hosts: `shop.${APEX}`, ips: ['192.0.2.10'] }));
  await fake.goDown();

  const config = {
    zones: [{ apex: APEX, records: ['ns1 3600 IN A 127.0.0.1'] }],
    // A long grace: serve waits for the cluster rather than giving up on it during the test.
    sources: { gracePeriod: '60s', watchdogSeconds: 20, backoff: { initial: '100ms', max: '300ms' } },
    clusters: [{ kubeconfig: 'kube/east.yaml' }],
    entries: [{ fqdn: `shop.${APEX}`, ttl: 30, targets: [{ cluster: 'east' }] }],
  };
  const g = await startGlobaldns({ configYaml: YAML.stringify(config), files: { 'kube/east.yaml': fake.kubeconfig('east') }, ipv6: false, readyName: '' });
  t.teardown(() => g.cleanup());
  const logs = () => g.logs().split('\n').slice(-30).join('\n');

  // Not read yet: alive, not ready.
  const notReady = await until(
    async () => {
      const r = await get(`${g.adminUrl}/readyz`);
      return r;
    },
    15_000,
    logs,
  );
  t.is(notReady.status, 503, notReady.body);
  t.like(JSON.parse(notReady.body), { sourcesSynced: false, snapshotLoaded: false });
  t.is((await get(`${g.adminUrl}/healthz`)).status, 200);
  const early = await status(g.adminUrl);
  t.is(early.code, 1, early.stdout + early.stderr);
  t.regex(early.stdout, /: not ready \(clusters not read yet, no snapshot\)$/m);
  t.regex(early.stdout, /^east\s+(Syncing|Degraded)/m);

  await fake.comeUp();
  await until(async () => ((await get(`${g.adminUrl}/readyz`)).status === 200 ? true : undefined), 20_000, logs);
  t.is((await get(`${g.adminUrl}/healthz`)).body, 'ok\n');

  // Real queries: 5 answered A, 3 NXDOMAIN AAAA, 2 TXT over TCP (NOERROR, no data), 1 REFUSED.
  for (let i = 0; i < 5; i++) t.is((await dig({ port: g.port, name: `shop.${APEX}`, type: 'A' })).status, 'NOERROR');
  for (let i = 0; i < 3; i++) t.is((await dig({ port: g.port, name: `nope.${APEX}`, type: 'AAAA' })).status, 'NXDOMAIN');
  for (let i = 0; i < 2; i++) t.is((await dig({ port: g.port, name: `shop.${APEX}`, type: 'TXT', tcp: true })).status, 'NOERROR');
  t.is((await dig({ port: g.port, name: 'elsewhere.invalid', type: 'MX' })).status, 'REFUSED');

  const metrics = await get(`${g.adminUrl}/metrics`);
  t.is(metrics.status, 200);
  const m = metrics.body;
  t.is(sample(m, 'globaldns_dns_queries_total', { rcode: 'NOERROR', type: 'A' }), 5);
  t.is(sample(m, 'globaldns_dns_queries_total', { rcode: 'NXDOMAIN', type: 'AAAA' }), 3);
  t.is(sample(m, 'globaldns_dns_queries_total', { rcode: 'NOERROR', type: 'TXT' }), 2);
  t.is(sample(m, 'globaldns_dns_queries_total', { rcode: 'REFUSED', type: 'MX' }), 1);
  t.regex(m, /^globaldns_dns_query_duration_seconds_count \d+$/m);
  t.is(sample(m, 'globaldns_cluster_state', { cluster: 'east', state: 'Synced' }), 1);
  t.is(sample(m, 'globaldns_cluster_state', { cluster: 'east', state: 'Degraded' }), 0);
  t.true((sample(m, 'globaldns_cluster_watch_restarts_total', { cluster: 'east' }) ?? 0) >= 1, 'the failed lists while it was down count as restarts');
  const age = sample(m, 'globaldns_cluster_last_event_age_seconds', { cluster: 'east' });
  t.true(age !== undefined && age >= 0 && age < 60, `last event age ${age}`);
  t.is(sample(m, 'globaldns_entry_endpoints', { fqdn: `shop.${APEX}` }), 1);
  t.is(sample(m, 'globaldns_entry_rejected_claims', { fqdn: `shop.${APEX}` }), 0);
  t.regex(m, /^globaldns_build_info\{version="\d+\.\d+\.\d+[^"]*",node="[^"]+"\} 1$/m);
  for (const family of ['globaldns_provider_api_calls_total', 'globaldns_provider_pending_changes', 'globaldns_provider_last_sync_timestamp_seconds', 'globaldns_proxy_requests_total', 'globaldns_proxy_upstream_duration_seconds', 'globaldns_proxy_ejections_total', 'globaldns_leader']) {
    t.regex(m, new RegExp(`^# TYPE ${family} `, 'm'), `${family} is declared`);
  }

  const ready = await status(g.adminUrl);
  t.is(ready.code, 0, ready.stdout + ready.stderr);
  t.regex(ready.stdout, /: ready$/m);
  t.regex(ready.stdout, /^east\s+Synced\s+\S+s ago\s+\d+/m);
  t.regex(ready.stdout, new RegExp(`^shop\\.example\\.test\\s+up\\s+embedded\\s+east\\s+192\\.0\\.2\\.10`, 'm'));
  const json = await status(g.adminUrl, '--json');
  t.like(JSON.parse(json.stdout), { ready: true, names: [{ fqdn: `shop.${APEX}`, health: 'up', clusters: ['east'] }] });

  // Nothing listening: exit 2 with the address in the message.
  await g.stop();
  const gone = await status(g.adminUrl);
  t.is(gone.code, 2);
  t.regex(gone.stderr, /ECONNREFUSED/);
});
