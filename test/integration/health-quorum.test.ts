// Several vantage points, through the CLI: three `globaldns serve` replicas in management mode
// (the fake API server as management cluster, two fake workload clusters), each probing from its
// own source address (127.0.0.2, .3, .4), publishing its verdicts as a ConfigMap and deciding by
// quorum. The endpoints are two loopback HTTP upstreams (127.0.0.10 and 127.0.0.11) that can
// refuse chosen source addresses. Answers are read with dig. Interval 300 ms, timeout 200 ms,
// failureThreshold 2, successThreshold 1.
import test from 'ava';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import YAML from 'yaml';
import { startFakeKube } from '../support/fake-kube/index.js';
import type { FakeKube } from '../support/fake-kube/index.js';
import { startGlobaldns } from '../support/globaldns.js';
import type { Globaldns } from '../support/globaldns.js';
import { dig } from '../support/dig.js';
import { sleep, waitFor } from '../support/wait.js';
import { ingress } from './kube-world.js';
import { parseReport, reportName, VANTAGE_LABEL } from '../../src/health/index.js';

const APEX = 'internal.test';
const NAME = `shop.${APEX}`;
const NS = 'globaldns-system';
const EAST = '127.0.0.10';
const WEST = '127.0.0.11';
const SOURCES = ['127.0.0.2', '127.0.0.3', '127.0.0.4'];

/** A loopback /healthz upstream: 200, or 503 to the source addresses it refuses (all of them when dead). */
interface Upstream {
  refuse: Set<string>;
  dead: boolean;
  server: http.Server;
}

async function listen(server: http.Server, host: string, port: number): Promise<number> {
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => resolve((server.address() as AddressInfo).port));
  });
}

/** Both upstreams on one port (the health check names one port for every endpoint). */
async function startUpstreams(): Promise<{ east: Upstream; west: Upstream; port: number }> {
  const make = (): Upstream => {
    const u: Upstream = { refuse: new Set(), dead: false, server: http.createServer() };
    u.server.on('request', (req: http.IncomingMessage, res: http.ServerResponse) => {
      const refused = u.dead || u.refuse.has(req.socket.remoteAddress ?? '');
      res.writeHead(refused ? 503 : 200, { 'content-type': 'text/plain', connection: 'close' }).end(refused ? 'no' : 'ok');
    });
    return u;
  };
  for (let attempt = 0;; attempt++) {
    const east = make();
    const west = make();
    const port = await listen(east.server, EAST, 0);
    try {
      await listen(west.server, WEST, port);
      return { east, west, port };
    } catch (e) {
      east.server.close();
      if (attempt >= 5) throw e;
    }
  }
}

function replicaConfig(identity: string, sourceAddress: string, port: number): object {
  return {
    zones: [{ apex: APEX, records: ['ns1 3600 IN A 127.0.0.1'] }],
    sources: { gracePeriod: '3s', watchdogSeconds: 20, backoff: { initial: '100ms', max: '400ms' } },
    clusters: [{ kubeconfig: 'kube/east.yaml' }, { kubeconfig: 'kube/west.yaml' }],
    providers: [{ name: 'embedded', type: 'embedded' }],
    entries: [
      {
        fqdn: NAME,
        ttl: 5,
        targets: [{ cluster: 'east' }, { cluster: 'west' }],
        healthCheck: { type: 'http', port, path: '/healthz', interval: '300ms', timeout: '200ms', failureThreshold: 2, successThreshold: 1 },
      },
    ],
    health: { sourceAddress },
    sync: { debounce: '50ms', maxDelay: '200ms', resync: false },
    management: { kubeconfig: 'kube/mgmt.yaml', identity, leaseNamespace: NS, leaseName: 'globaldns', leaseDuration: '3s', renewDeadline: '2s', retryPeriod: '300ms' },
  };
}

async function answer(g: Globaldns): Promise<string> {
  const r = await dig({ port: g.port, name: NAME, type: 'A', timeout: 1 });
  if (r.status !== 'NOERROR') return r.status || 'no reply';
  return r.answer.filter((rr) => rr.type === 'A').map((rr) => rr.data).sort().join(' ');
}

async function until(g: Globaldns, identity: string, want: string, timeoutMs = 10_000): Promise<void> {
  let last = '';
  await waitFor(
    async () => {
      last = await answer(g);
      return last === want ? true : undefined;
    },
    timeoutMs,
    () => `${identity} answers ${JSON.stringify(want)} (last: ${JSON.stringify(last)})\n${g.logs().split('\n').slice(-30).join('\n')}`,
  );
}

/** The verdict counts a replica published, as read from the management cluster. */
function published(mgmt: FakeKube, identity: string): { healthy: number; unhealthy: number } | undefined {
  const obj = mgmt.get('ConfigMap', NS, reportName(identity));
  if (!obj) return undefined;
  const r = parseReport(obj);
  return 'report' in r ? { healthy: r.report.healthy, unhealthy: r.report.unhealthy } : undefined;
}

const quorumDowns = (g: Globaldns) => g.logs().split('\n').filter((l) => l.includes('endpoint down by quorum'));

test('three vantages: one cut off from an endpoint changes nothing; everyone cut off drops it; reports go when replicas go', async (t) => {
  const mgmt = await startFakeKube();
  const east = await startFakeKube();
  const west = await startFakeKube();
  const up = await startUpstreams();
  const replicas: Globaldns[] = [];
  t.teardown(async () => {
    await Promise.all(replicas.map((g) => g.cleanup()));
    await Promise.all([mgmt.stop(), east.stop(), west.stop()]);
    up.east.server.close();
    up.west.server.close();
  });
  east.apply(ingress({ name: 'web', namespace: 'shop', hosts: NAME, ips: [EAST] }));
  west.apply(ingress({ name: 'web', namespace: 'shop', hosts: NAME, ips: [WEST] }));
  const ids = ['replica-1', 'replica-2', 'replica-3'];
  for (const [i, id] of ids.entries()) {
    replicas.push(
      await startGlobaldns({
        configYaml: YAML.stringify(replicaConfig(id, SOURCES[i], up.port)),
        files: { 'kube/east.yaml': east.kubeconfig('east'), 'kube/west.yaml': west.kubeconfig('west'), 'kube/mgmt.yaml': mgmt.kubeconfig('mgmt') },
        ipv6: false,
      }),
    );
  }
  const [r1, r2, r3] = replicas;
  const both = `${EAST} ${WEST}`;
  for (const [i, g] of replicas.entries()) await until(g, ids[i], both);
  await waitFor(() => (ids.every((id) => published(mgmt, id)?.healthy === 2) ? true : undefined), 10_000, 'every replica publishes two healthy verdicts');
  const labels = (o: Record<string, unknown>) => (o.metadata as { labels?: Record<string, string> }).labels ?? {};
  t.is(mgmt.list('ConfigMap').filter((o) => labels(o)[VANTAGE_LABEL] === 'true').length, 3);

  // The east upstream refuses replica-1's source address only.
  up.east.refuse.add(SOURCES[0]);
  await waitFor(() => (published(mgmt, 'replica-1')?.unhealthy === 1 ? true : undefined), 10_000, 'replica-1 judges east down from where it stands');
  t.true(r1.logs().includes('endpoint down'), 'its own probes say so');
  // Ten more intervals: nobody drops it, replica-1 included.
  const t0 = Date.now();
  while (Date.now() - t0 < 3000) {
    for (const [i, g] of replicas.entries()) t.is(await answer(g), both, `${ids[i]} still answers both`);
    await sleep(100);
  }
  for (const g of replicas) t.deepEqual(quorumDowns(g), []);

  // The east upstream dies for everyone: all three drop it.
  up.east.dead = true;
  const died = Date.now();
  for (const [i, g] of replicas.entries()) await until(g, ids[i], WEST);
  t.log(`dropped everywhere within ${Date.now() - died} ms`);
  for (const g of replicas) t.is(quorumDowns(g).length, 1);

  // replica-3 crashes: its report (east down) stays in the management cluster, frozen. East
  // comes back, except for replica-2: replica-1 says up, replica-2 down, replica-3's stale
  // report down. Only once that report has expired (3 intervals) is it a tie, which is up.
  // (The quorum of the others can drop east at replica-3 before its own probes do: wait for its report to say so.)
  await waitFor(() => (published(mgmt, 'replica-3')?.unhealthy === 1 ? true : undefined), 10_000, 'replica-3 publishes east down');
  r3.proc.kill('SIGKILL');
  await waitFor(() => (r3.alive() ? undefined : true), 5000, 'replica-3 gone');
  up.east.refuse = new Set([SOURCES[1]]);
  up.east.dead = false;
  await until(r1, 'replica-1', both);
  await until(r2, 'replica-2', both);
  t.deepEqual(published(mgmt, 'replica-3'), { healthy: 1, unhealthy: 1 }, "replica-3's report is still there, saying east is down: it expired");
  t.is(published(mgmt, 'replica-2')?.unhealthy, 1, 'replica-2 still cannot reach east');

  // replica-2 stops cleanly: its report is deleted.
  await r2.stop();
  t.is(mgmt.get('ConfigMap', NS, reportName('replica-2')), undefined);
  t.truthy(mgmt.get('ConfigMap', NS, reportName('replica-1')));
  t.is(await answer(r1), both);
});
