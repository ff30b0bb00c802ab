// Endpoint health on every status surface of a real `globaldns serve`, with real probes: two
// clusters (manifest folders) whose endpoints are small HTTP servers on 127.0.0.2 and
// 127.0.0.3. The primary starts answering 503, then the secondary stops listening; at each
// step dig, /api/v1/status, `globaldns status`, /metrics and the dashboard (headless
// Chromium) say the same thing: which endpoint is healthy, why the others are not, which
// failover group is answered, and when everything is down.
import { execFile } from 'node:child_process';
import { createServer, type Server } from 'node:http';
import test from 'ava';
import { chromium, type Browser } from 'playwright-core';
import { dig } from '../support/dig.js';
import { cliPath, ingressYaml, startGlobaldns } from '../support/globaldns.js';
import { waitFor } from '../support/wait.js';
import type { StatusReport } from '../../src/observe/index.js';
import { sample } from '../support/prom.js';

const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
const APEX = 'example.test';
const NAME = `shop.${APEX}`;

/** An upstream standing for a cluster's ingress: /healthz answers `status` (settable). */
interface Upstream {
  server: Server;
  status: number;
}

function listen(server: Server, host: string, port: number): Promise<number> {
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen({ host, port, exclusive: true }, () => {
      server.off('error', reject);
      resolve((server.address() as { port: number }).port);
    });
  });
}

/** Two upstreams on 127.0.0.2 and 127.0.0.3 at one port (the check's). */
async function upstreams(): Promise<{ port: number; east: Upstream; west: Upstream }> {
  for (let attempt = 0;; attempt++) {
    const make = (): Upstream => {
      const u: Upstream = {
        status: 200,
        server: createServer((req, res) => {
          res.writeHead(req.url === '/healthz' ? u.status : 404, { 'content-type': 'text/plain', connection: 'close' });
          res.end('ok\n');
        }),
      };
      return u;
    };
    const east = make();
    const west = make();
    const port = await listen(east.server, '127.0.0.2', 0);
    try {
      await listen(west.server, '127.0.0.3', port);
      return { port, east, west };
    } catch (e) {
      east.server.close();
      if (attempt >= 5) throw e;
    }
  }
}

function cliStatus(admin: string): Promise<{ code: number; stdout: string }> {
  return new Promise((resolve) => {
    execFile(process.execPath, [cliPath, 'status', '--admin', admin], { timeout: 30_000 }, (err, stdout) => resolve({ code: err ? Number((err as { code?: number }).code ?? 1) : 0, stdout }));
  });
}

test('health, the last probe, the failover group and all-down on /api/v1/status, globaldns status, /metrics and the dashboard', async (t) => {
  t.timeout(120_000);
  const { port, east, west } = await upstreams();
  t.teardown(() => (east.server.close(), west.server.close()));
  const config = {
    zones: [{ apex: APEX, records: ['ns1 3600 IN A 127.0.0.1'] }],
    clusters: [{ name: 'east', manifests: 'clusters/east' }, { name: 'west', manifests: 'clusters/west' }],
    entries: [{
      fqdn: NAME,
      ttl: 30,
      targets: [{ cluster: 'east', priority: 1 }, { cluster: 'west', priority: 2 }],
      healthCheck: { type: 'http', port, path: '/healthz', interval: '300ms', timeout: '250ms', failureThreshold: 2, successThreshold: 1 },
      routing: { policy: 'failover', failback: '60s', whenAllDown: 'serve-all' },
    }],
  };
  const g = await startGlobaldns({
    configYaml: config,
    files: {
      'clusters/east/shop.yaml': ingressYaml({ name: 'shop', namespace: 'shop', hostname: NAME, ips: ['127.0.0.2'] }),
      'clusters/west/shop.yaml': ingressYaml({ name: 'shop', namespace: 'shop', hostname: NAME, ips: ['127.0.0.3'] }),
    },
    ipv6: false,
  });
  t.teardown(() => g.cleanup());
  const logs = () => g.logs().split('\n').slice(-20).join('\n');
  const report = async () => (await (await fetch(`${g.adminUrl}/api/v1/status`)).json()) as StatusReport;
  const shop = async () => (await report()).names.find((n) => n.fqdn === NAME);
  const until = <T>(f: () => Promise<T | undefined>, what: string) => waitFor(f, 15_000, () => `${what}\n${logs()}`, { retryErrors: true });
  const answer = async () => (await dig({ port: g.port, name: NAME, type: 'A' })).answer.map((a) => a.data).sort();
  const metrics = async () => await (await fetch(`${g.adminUrl}/metrics`)).text();

  // Both healthy: the primary group is answered.
  let n = await until(async () => {
    const s = await shop();
    return s?.endpointHealth?.healthy === 2 ? s : undefined;
  }, 'both endpoints healthy');
  t.like(n.endpointHealth, { activeGroup: 1, allDown: false, total: 2 });
  t.like(n.endpointHealth?.endpoints[0], { cluster: 'east', address: '127.0.0.2', priority: 1, health: 'healthy', served: true, lastProbe: { ok: true, reason: 'status 200' } });
  t.like(n.endpointHealth?.endpoints[1], { cluster: 'west', address: '127.0.0.3', priority: 2, health: 'healthy', served: false });
  t.deepEqual(await until(async () => ((await answer()).join() === '127.0.0.2' ? ['127.0.0.2'] : undefined), 'the answer is the primary'), ['127.0.0.2']);
  let cli = await cliStatus(g.adminUrl);
  t.is(cli.code, 0, cli.stdout);
  t.regex(cli.stdout, /^shop\.example\.test\s+up\s+embedded\s+east,west\s+127\.0\.0\.2,127\.0\.0\.3\s+2\/2 group 1/m);
  t.regex(cli.stdout, /^shop\.example\.test\s+east\s+127\.0\.0\.2\s+1\s+healthy\s+\S+ ago\s+yes\s+pass: status 200/m);
  t.regex(cli.stdout, /^shop\.example\.test\s+west\s+127\.0\.0\.3\s+2\s+healthy\s+\S+ ago\s+no\s+pass: status 200/m);

  // The primary answers 503: failed over, and every surface says why.
  east.status = 503;
  n = await until(async () => {
    const s = await shop();
    return s?.endpointHealth?.activeGroup === 2 ? s : undefined;
  }, 'failed over to west');
  t.like(n.endpointHealth?.endpoints[0], { health: 'unhealthy', served: false, lastProbe: { ok: false, reason: 'status 503' } });
  t.deepEqual(await until(async () => ((await answer()).join() === '127.0.0.3' ? ['127.0.0.3'] : undefined), 'the answer is the secondary'), ['127.0.0.3']);
  let m = await metrics();
  t.is(sample(m, 'globaldns_endpoint_healthy', { name: NAME, cluster: 'east', address: '127.0.0.2' }), 0);
  t.is(sample(m, 'globaldns_endpoint_healthy', { name: NAME, cluster: 'west', address: '127.0.0.3' }), 1);
  t.is(sample(m, 'globaldns_all_down', { name: NAME }), 0);
  t.true((sample(m, 'globaldns_health_transitions_total', { to: 'unhealthy' }) ?? 0) >= 1);
  cli = await cliStatus(g.adminUrl);
  t.regex(cli.stdout, /\s1\/2 group 2/);
  t.regex(cli.stdout, /^shop\.example\.test\s+east\s+127\.0\.0\.2\s+1\s+unhealthy\s+\S+ ago\s+no\s+fail: status 503/m);

  // The secondary stops listening: all down, both answered (serve-all).
  await new Promise<void>((r) => west.server.close(() => r()));
  n = await until(async () => {
    const s = await shop();
    return s?.endpointHealth?.allDown ? s : undefined;
  }, 'all down');
  t.like(n.endpointHealth, { healthy: 0, servfail: false });
  t.like(n.endpointHealth?.endpoints[1], { health: 'unhealthy', served: true, lastProbe: { ok: false, reason: 'connect ECONNREFUSED' } });
  t.deepEqual(await until(async () => ((await answer()).length === 2 ? answer() : undefined), 'serve-all'), ['127.0.0.2', '127.0.0.3']);
  m = await metrics();
  t.is(sample(m, 'globaldns_all_down', { name: NAME }), 1);
  t.is(sample(m, 'globaldns_endpoint_healthy', { name: NAME, cluster: 'west', address: '127.0.0.3' }), 0);
  cli = await cliStatus(g.adminUrl);
  t.regex(cli.stdout, /\s0\/2 ALL DOWN \(serve-all\)/);
  t.regex(cli.stdout, /^shop\.example\.test\s+west\s+127\.0\.0\.3\s+2\s+unhealthy\s+\S+ ago\s+yes\s+fail: connect ECONNREFUSED/m);

  // The dashboard shows it too, from the same report.
  let browser: Browser | undefined;
  t.teardown(() => browser?.close());
  browser = await chromium.launch({ executablePath: CHROMIUM, args: ['--no-sandbox'] });
  const page = await browser.newPage();
  const errors: string[] = [];
  page.on('pageerror', (e) => errors.push(e.message));
  await page.goto(g.adminUrl + '/');
  const row = page.locator(`#names tbody tr[data-key="${NAME}"]`);
  await row.filter({ hasText: 'all down' }).waitFor({ timeout: 10_000 });
  const text = (await row.innerText()).replace(/\s+/g, ' ');
  t.regex(text, /0\/2 healthy/);
  t.regex(text, /all down: answering all/);
  t.regex(text, /unhealthy east 127\.0\.0\.2 · priority 1 · answered · since \d+ (s|min) ago · last probe failed: status 503/);
  t.regex(text, /unhealthy west 127\.0\.0\.3 · priority 2 · answered · since \d+ (s|min) ago · last probe failed: connect ECONNREFUSED/);
  t.is(await row.locator('.probe .badge.unhealthy').count(), 2);

  // The primary recovers: back on the page without a reload (one success is enough here; failback does not wait when the secondary is down).
  east.status = 200;
  await row.locator('.probe[data-address="127.0.0.2"] .badge.healthy').waitFor({ timeout: 10_000 });
  t.regex((await row.innerText()).replace(/\s+/g, ' '), /1\/2 healthy · answering priority 1/);
  t.deepEqual(errors, [], 'no script errors on the page');
});
