// Issue 13, acceptance "Proxy": the bundled proxy follows the same health and failover groups as
// the DNS answer. Through the real CLI (one proxy worker: routes travel over IPC, as in
// production), three folder clusters' load balancers are real HTTP servers: east 127.0.0.2
// (priority 1), west 127.0.0.3 and central 127.0.0.4 (both priority 2). Their `/healthz` is what
// the entry's health check probes and what the test turns bad (east); `/` keeps answering 200,
// so only the health verdict (not the proxy's passive ejection) can keep traffic away. Central's
// server is closed instead.
// - all healthy → only the primary group (east) receives requests;
// - east's verdict down → no request reaches east; west and central (the next group) share them;
// - central's server closed, its verdict down → only west;
// - east up again → west keeps the traffic until failback has run out, then east has it alone.
import http from 'node:http';
import test from 'ava';
import { ingressYaml, startGlobaldns } from '../support/globaldns.js';
import { freePort } from '../support/ports.js';
import { waitFor } from '../support/wait.js';
import { FAIL_503, OK, startHealthUpstream } from '../support/health-upstream.js';
import type { HealthUpstream } from '../support/health-upstream.js';
import { HEALTH_PATH, tail, transitions } from './health-world.js';
import type { Transition } from './health-world.js';

const NAME = 'shop.local.test';
const INTERVAL_MS = 300;
const FAILBACK_MS = 2_000;
/** After a verdict, how long the route may take to reach the proxy worker (stage debounce, IPC): generous, 2 shared cores. */
const ROUTE_MS = 1_000;

interface Sent {
  at: number;
  upstream: string;
}

/** One request through the proxy on a fresh connection; which upstream answered. */
function get(port: number): Promise<Sent> {
  const at = Date.now();
  return new Promise((resolve, reject) => {
    const req = http.get({ host: '127.0.0.1', port, path: '/', headers: { host: NAME }, agent: false, timeout: 5_000 }, (res) => {
      res.resume();
      res.on('end', () => res.statusCode === 200 ? resolve({ at, upstream: String(res.headers['x-upstream']) }) : reject(new Error(`status ${res.statusCode}`)));
    });
    req.on('timeout', () => req.destroy(new Error('timeout')));
    req.on('error', reject);
  });
}

/** `n` requests one after another; how many each upstream answered. */
async function burst(port: number, n: number): Promise<Record<string, number>> {
  const counts: Record<string, number> = {};
  for (let i = 0; i < n; i++) {
    const r = await get(port);
    counts[r.upstream] = (counts[r.upstream] ?? 0) + 1;
  }
  return counts;
}

test('the proxy sends nothing to an endpoint whose verdict is down, and only to the active failover group', async (t) => {
  t.timeout(120_000);
  const port = await freePort({ ipv6: false });
  const ups: Record<string, HealthUpstream> = {};
  for (const [name, address] of [['east', '127.0.0.2'], ['west', '127.0.0.3'], ['central', '127.0.0.4']]) {
    const u = await startHealthUpstream({ name, address, port, healthPath: HEALTH_PATH });
    t.teardown(() => u.stop());
    ups[name] = u;
  }
  const { east, west, central } = ups;
  const proxyPort = await freePort({ ipv6: false });
  const g = await startGlobaldns({
    configYaml: {
      zones: [{ apex: 'local.test' }],
      clusters: Object.keys(ups).map((name) => ({ name, manifests: `clusters/${name}` })),
      entries: [{
        fqdn: NAME,
        ttl: 30,
        targets: [{ cluster: 'east', priority: 1 }, { cluster: 'west', priority: 2 }, { cluster: 'central', priority: 2 }],
        proxy: { upstreamPort: port },
        healthCheck: { type: 'http', path: HEALTH_PATH, interval: `${INTERVAL_MS}ms`, timeout: '200ms', failureThreshold: 2, successThreshold: 2 },
        routing: { policy: 'failover', failback: `${FAILBACK_MS}ms` },
      }],
      proxy: { http: `127.0.0.1:${proxyPort}`, https: false, workers: 1 },
      logLevel: 'info',
    },
    ipv6: false,
    startTimeoutMs: 30_000,
    files: Object.fromEntries(Object.values(ups).map((u) => [`clusters/${u.name}/shop.yaml`, ingressYaml({ name: 'shop', hostname: NAME, ips: [u.address] })])),
  });
  t.teardown(() => g.cleanup());
  const transitionOf = (address: string, to: string, after: number): Promise<Transition> => waitFor(() => transitions(g.logs()).find((x) => x.address === address && x.to === to && x.at >= after - 5), 10_000, `${address} logged ${to}`, { intervalMs: 25 });
  const hits = () => ({ east: east.hits, west: west.hits, central: central.hits });

  try {
    // Every endpoint judged healthy (the health check's port is the entry's upstream port), then
    // only the primary group answers.
    for (const u of Object.values(ups)) await transitionOf(u.address, 'healthy', 0);
    await waitFor(async () => ((await get(proxyPort).catch(() => undefined))?.upstream === 'east' ? true : undefined), 15_000, 'the proxy routes to east');
    t.deepEqual(await burst(proxyPort, 30), { east: 30 }, 'all healthy: only the primary group');

    // East's health endpoint breaks; `/` still answers, so only the verdict can keep traffic away.
    const broke = Date.now();
    await east.set(FAIL_503);
    const down = await transitionOf(east.address, 'unhealthy', broke);
    // Requests from the verdict on: the last one east answered, and when the route moved.
    const sent: Sent[] = [];
    await waitFor(
      async () => {
        const r = await get(proxyPort);
        sent.push(r);
        return r.upstream !== 'east' ? true : undefined;
      },
      ROUTE_MS + 5_000,
      'a request answered by the secondary group',
    );
    const lastEast = sent.filter((s) => s.upstream === 'east').at(-1);
    const switched = sent.at(-1)!.at - down.at;
    t.log(`east down ${down.at - broke} ms after its health endpoint broke; the proxy routed away ${switched} ms after the verdict (${sent.filter((s) => s.upstream === 'east').length} requests reached east meanwhile)`);
    t.true(lastEast === undefined || lastEast.at - down.at <= ROUTE_MS, `east still answered a request sent ${lastEast ? lastEast.at - down.at : 0} ms after its verdict`);
    const eastHits = east.hits;
    const spread = await burst(proxyPort, 40);
    t.is(east.hits, eastHits, 'no request reaches east once its verdict is down');
    t.false('east' in spread);
    t.true((spread.west ?? 0) > 0 && (spread.central ?? 0) > 0, `the secondary group shares the requests: ${JSON.stringify(spread)}`);
    t.is((spread.west ?? 0) + (spread.central ?? 0), 40);

    // Central's load balancer dies (connections refused): west alone.
    const centralBroke = Date.now();
    await central.stop();
    const centralDown = await transitionOf(central.address, 'unhealthy', centralBroke);
    await waitFor(async () => ((await get(proxyPort)).upstream === 'west' && (await burst(proxyPort, 5)).west === 5 ? true : undefined), ROUTE_MS + 5_000, 'west alone');
    t.log(`central down; west alone ${Date.now() - centralDown.at} ms after the verdict (upper bound)`);
    const before = hits();
    t.deepEqual(await burst(proxyPort, 30), { west: 30 }, 'only the healthy member of the active group');
    t.deepEqual(hits(), { ...before, west: before.west + 30 });

    // East recovers: west keeps the traffic until failback has run out.
    const fixed = Date.now();
    await east.set(OK);
    const up = await transitionOf(east.address, 'healthy', fixed);
    const after: Sent[] = [];
    await waitFor(
      async () => {
        const r = await get(proxyPort);
        after.push(r);
        return r.upstream === 'east' ? true : undefined;
      },
      FAILBACK_MS + ROUTE_MS + 5_000,
      'east back after failback',
    );
    const firstEast = after.at(-1)!.at - up.at;
    const early = after.filter((s) => s.upstream === 'east' && s.at < up.at + FAILBACK_MS - 100);
    t.log(`east up again ${up.at - fixed} ms after its health endpoint was fixed; first request to east sent ${firstEast} ms after (failback ${FAILBACK_MS} ms); ${after.length} requests meanwhile`);
    t.is(early.length, 0, 'no request to east before failback ran out');
    t.true(after.filter((s) => s.at < up.at + FAILBACK_MS - 100).every((s) => s.upstream === 'west'), 'west alone until then');
    t.true(firstEast <= FAILBACK_MS + ROUTE_MS, `east back ${firstEast} ms after it recovered`);
    t.deepEqual(await burst(proxyPort, 20), { east: 20 }, 'failed back: the primary group alone');
  } catch (e) {
    t.fail(`${(e as Error).message}\n--- globaldns ---\n${tail(g.logs())}`);
  }
});
