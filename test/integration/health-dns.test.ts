// Issue 13 through the real CLI and real `dig`: real HTTP, HTTPS and TCP servers on loopback
// addresses stand for clusters' load balancers, and the embedded server's answers follow
// their health. One globaldns serves several names, one per behaviour under test, with the
// checks at a 400 ms interval (timeout 200 ms, failureThreshold 3, successThreshold 2): an
// endpoint must leave the answer within 3 × 400 + 200 + 1000 ms of failing for good.
// (The state machine itself is tested on a manual clock in test/desired/health.test.ts.)
import anyTest from 'ava';
import type { TestFn } from 'ava';
import { startGlobaldns, ingressYaml } from '../support/globaldns.js';
import type { Globaldns } from '../support/globaldns.js';
import { startHealthUpstream } from '../support/health-upstream.js';
import type { HealthUpstream } from '../support/health-upstream.js';
import { freePort } from '../support/ports.js';
import { dig } from '../support/dig.js';
import { sleep, waitFor } from '../support/wait.js';
import { makeTestCa } from '../proxy/tls/test-ca.js';

const INTERVAL = 400;
const TIMEOUT = 200;
const FAILURES = 3;
const SUCCESSES = 2;
const FAILBACK = 3000;
/** The issue's bound: failureThreshold × interval + timeout + 1 s. */
const LEAVE_MS = FAILURES * INTERVAL + TIMEOUT + 1000;

interface World {
  g: Globaldns;
  up: Record<string, HealthUpstream>;
}
const test = anyTest as TestFn<World>;

const check = (o: Record<string, unknown> = {}) => ({ type: 'http', path: '/healthz', interval: `${INTERVAL}ms`, timeout: `${TIMEOUT}ms`, failureThreshold: FAILURES, successThreshold: SUCCESSES, ...o });

test.before(async (t) => {
  const httpPort = await freePort({ ipv6: false });
  const httpsPort = await freePort({ ipv6: false });
  const tcpPort = await freePort({ ipv6: false });
  const ca = await makeTestCa();
  const leaf = await ca.issue(['tls.local.test']);
  await ca.close();
  const up: Record<string, HealthUpstream> = {};
  for (const n of [2, 3, 4, 5, 6, 7, 8, 11, 12, 13, 15]) up[n] = await startHealthUpstream({ address: `127.0.0.${n}`, port: httpPort });
  up[9] = await startHealthUpstream({ address: '127.0.0.9', port: httpsPort, tls: { cert: leaf.certPem, key: leaf.keyPem } });
  up[10] = await startHealthUpstream({ address: '127.0.0.10', port: tcpPort, tcpOnly: true });
  // 127.0.0.14 has no listener at all: connections are refused.
  const entry = (name: string, o: Record<string, unknown> = {}) => ({ fqdn: `${name}.local.test`, ttl: 5, targets: [{ cluster: 'east' }], healthCheck: check({ port: httpPort }), ...o });
  const g = await startGlobaldns({
    configYaml: {
      zones: [{ apex: 'local.test' }],
      clusters: [{ name: 'east', manifests: 'clusters/east' }, { name: 'west', manifests: 'clusters/west' }],
      entries: [
        entry('thr'),
        entry('fo', { targets: [{ cluster: 'east', priority: 1 }, { cluster: 'west', priority: 2 }], routing: { policy: 'failover', failback: `${FAILBACK}ms` } }),
        entry('sa'),
        entry('sf', { routing: { whenAllDown: 'servfail' } }),
        entry('tls', { healthCheck: check({ type: 'https', port: httpsPort }) }),
        entry('tcp', { healthCheck: { type: 'tcp', port: tcpPort, interval: `${INTERVAL}ms`, timeout: `${TIMEOUT}ms`, failureThreshold: FAILURES, successThreshold: SUCCESSES } }),
        entry('st', { healthCheck: check({ port: httpPort, expectStatus: '200-299,418', bodyMatch: 'ok' }) }),
        entry('hang'),
      ],
      logLevel: 'info',
    },
    ipv6: false,
    readyName: 'local.test',
    files: {
      'clusters/east/thr.yaml': ingressYaml({ name: 'thr', hostname: 'thr.local.test', ips: ['127.0.0.2', '127.0.0.3'] }),
      'clusters/east/fo.yaml': ingressYaml({ name: 'fo', hostname: 'fo.local.test', ips: ['127.0.0.4'] }),
      'clusters/west/fo.yaml': ingressYaml({ name: 'fo', hostname: 'fo.local.test', ips: ['127.0.0.5'] }),
      'clusters/east/sa.yaml': ingressYaml({ name: 'sa', hostname: 'sa.local.test', ips: ['127.0.0.6', '127.0.0.7'] }),
      'clusters/east/sf.yaml': ingressYaml({ name: 'sf', hostname: 'sf.local.test', ips: ['127.0.0.8'] }),
      'clusters/east/tls.yaml': ingressYaml({ name: 'tls', hostname: 'tls.local.test', ips: ['127.0.0.9'] }),
      'clusters/east/tcp.yaml': ingressYaml({ name: 'tcp', hostname: 'tcp.local.test', ips: ['127.0.0.10', '127.0.0.14'] }),
      'clusters/east/st.yaml': ingressYaml({ name: 'st', hostname: 'st.local.test', ips: ['127.0.0.11', '127.0.0.15'] }),
      'clusters/east/hang.yaml': ingressYaml({ name: 'hang', hostname: 'hang.local.test', ips: ['127.0.0.12', '127.0.0.13'] }),
    },
  });
  t.context = { g, up };
});

test.after.always(async (t) => {
  await t.context.g?.cleanup();
  for (const u of Object.values(t.context.up ?? {})) await u.stop();
});

async function answer(g: Globaldns, name: string): Promise<{ status: string; addresses: string[] }> {
  const r = await dig({ port: g.port, name: `${name}.local.test`, type: 'A', timeout: 1 });
  return { status: r.status, addresses: r.answer.filter((a) => a.type === 'A').map((a) => a.data).sort() };
}

/** Polls until the name's answer is `want` (joined); the ms it took. */
async function until(g: Globaldns, name: string, want: string, ms = 15_000): Promise<number> {
  const t0 = Date.now();
  let last = '';
  await waitFor(async () => ((last = (await answer(g, name)).addresses.join()) === want ? true : undefined), ms, () => `${name} answers ${want} (last: ${last})\n${g.logs().split('\n').slice(-20).join('\n')}`, { intervalMs: 25 });
  return Date.now() - t0;
}

const judged = (u: HealthUpstream, status = 200) => waitFor(() => (u.requests.some((r) => r.status === status) ? true : undefined), 10_000, `${u.address} probed`);

test.serial('failureThreshold − 1 failures keep an endpoint; failing for good drops it in time; successThreshold successes bring it back', async (t) => {
  const { g, up } = t.context;
  await judged(up[3]);
  await until(g, 'thr', '127.0.0.2,127.0.0.3');
  // Two failed probes, then good ones: the endpoint never leaves.
  const from = up[3].requests.length;
  await up[3].set({ kind: 'status', status: 503 }, { forRequests: FAILURES - 1 });
  while (up[3].requests.slice(from).filter((r) => r.status === 200).length < SUCCESSES + 1) {
    t.deepEqual((await answer(g, 'thr')).addresses, ['127.0.0.2', '127.0.0.3'], 'two failures are not enough');
    await sleep(50);
  }
  t.is(up[3].requests.slice(from, from + FAILURES - 1).filter((r) => r.status === 503).length, FAILURES - 1);

  // For good: out within the bound.
  await up[3].set({ kind: 'status', status: 503 });
  const left = await until(g, 'thr', '127.0.0.2');
  t.log(`left the answer ${left} ms after failing (bound ${LEAVE_MS} ms)`);
  t.true(left <= LEAVE_MS, `${left} ms`);

  // Back only after successThreshold good probes.
  const back = up[3].requests.length;
  await up[3].set({ kind: 'ok' });
  const returned = await until(g, 'thr', '127.0.0.2,127.0.0.3');
  const good = up[3].requests.slice(back).filter((r) => r.status === 200).length;
  t.log(`back after ${returned} ms and ${good} good probes`);
  t.true(good >= SUCCESSES, `${good} good probes`);
});

test.serial('failover: the primary dies, the secondary is answered; the primary gets traffic back only after failback', async (t) => {
  const { g, up } = t.context;
  await judged(up[4]);
  await until(g, 'fo', '127.0.0.4');
  await up[4].set({ kind: 'status', status: 503 });
  const over = await until(g, 'fo', '127.0.0.5');
  t.true(over <= LEAVE_MS, `failed over after ${over} ms`);
  const t0 = Date.now();
  await up[4].set({ kind: 'ok' });
  // Recovered after successThreshold probes (and the damping), then the failback runs.
  await waitFor(() => (up[4].requests.filter((r) => r.at >= t0 && r.status === 200).length >= SUCCESSES ? true : undefined), 10_000, 'primary probed healthy');
  const healthyAt = Date.now();
  await sleep(FAILBACK / 2);
  t.deepEqual((await answer(g, 'fo')).addresses, ['127.0.0.5'], 'still the secondary inside the failback');
  const waited = await until(g, 'fo', '127.0.0.4');
  const total = Date.now() - t0;
  t.log(`primary answered again ${total} ms after it recovered (failback ${FAILBACK} ms)`);
  t.true(total >= FAILBACK, `${total} ms`);
  t.true(Date.now() - healthyAt >= FAILBACK / 2, `${waited} ms`);
});

test.serial('all down: serve-all answers every endpoint throughout; servfail answers SERVFAIL and recovers', async (t) => {
  const { g, up } = t.context;
  await judged(up[6]);
  await judged(up[7]);
  await judged(up[8]);
  const t0 = Date.now();
  await up[6].set({ kind: 'status', status: 503 });
  await up[7].set({ kind: 'status', status: 503 });
  await up[8].set({ kind: 'status', status: 503 });
  const sf = await waitFor(async () => ((await answer(g, 'sf')).status === 'SERVFAIL' ? Date.now() - t0 : undefined), 15_000, 'sf answers SERVFAIL', { intervalMs: 25 });
  t.true(sf <= LEAVE_MS, `SERVFAIL after ${sf} ms`);
  // Both of sa's endpoints are down by now (same schedule): still both answered, never NODATA.
  await waitFor(() => (up[7].requests.filter((r) => r.at >= t0 && r.status === 503).length >= FAILURES + 1 ? true : undefined), 10_000, 'sa probed down');
  t.deepEqual(await answer(g, 'sa'), { status: 'NOERROR', addresses: ['127.0.0.6', '127.0.0.7'] });
  await up[8].set({ kind: 'ok' });
  await until(g, 'sf', '127.0.0.8');
  t.is((await answer(g, 'sf')).status, 'NOERROR');
  // One comes back: only it is answered.
  await up[6].set({ kind: 'ok' });
  await until(g, 'sa', '127.0.0.6');
  await up[7].set({ kind: 'ok' });
});

test.serial('https: the probe sends the SNI and Host of the name, and accepts the self-signed certificate', async (t) => {
  const { g, up } = t.context;
  await judged(up[9]);
  const r = up[9].requests.find((x) => x.status === 200);
  t.is(r?.servername, 'tls.local.test');
  t.is(r?.host, 'tls.local.test');
  t.is(r?.path, '/healthz');
  t.deepEqual((await answer(g, 'tls')).addresses, ['127.0.0.9']);
});

test.serial('tcp: a port that accepts is healthy, a refused one is never answered once another is healthy', async (t) => {
  const { g } = t.context;
  const ms = await until(g, 'tcp', '127.0.0.10');
  t.true(ms <= LEAVE_MS, `${ms} ms`);
});

test.serial('expectStatus ranges and bodyMatch: 418 is in range, a body without "ok" is not', async (t) => {
  const { g, up } = t.context;
  await judged(up[11]);
  await until(g, 'st', '127.0.0.11,127.0.0.15');
  const from = up[11].requests.length;
  await up[11].set({ kind: 'status', status: 418 });
  await waitFor(() => (up[11].requests.slice(from).filter((r) => r.status === 418).length >= FAILURES + 1 ? true : undefined), 10_000, '418 probes');
  t.deepEqual((await answer(g, 'st')).addresses, ['127.0.0.11', '127.0.0.15'], '418 is expected');
  await up[11].set({ kind: 'body', body: 'degraded' });
  const left = await until(g, 'st', '127.0.0.15');
  t.true(left <= LEAVE_MS, `${left} ms`);
});

test.serial('a server that accepts and never answers times out and is not answered', async (t) => {
  const { g, up } = t.context;
  await up[12].set({ kind: 'hang' });
  await until(g, 'hang', '127.0.0.13');
  t.true(up[12].requests.length >= 1, 'it was asked');
});
