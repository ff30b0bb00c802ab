// Convergence benchmark: how fast a load-balancer address change in a cluster reaches the
// embedded DNS answer. One fake cluster (test/support/fake-kube, in this process), one
// `type: LoadBalancer` Service (or Ingress) claiming app.conv.test, and `globaldns serve`
// watching it. 500 times, sequentially: change status.loadBalancer.ingress[0].ip with the
// fake's apply(), then ask the embedded server for app.conv.test A over raw UDP every ~1 ms
// until the answer is the new address; the time is from just before apply() to the arrival of
// the first correct reply. 20 unmeasured changes warm up the JIT first.
//
// Prints exactly one JSON line on stdout; progress goes to stderr.
//
//   npm run bench:convergence
//   BENCH_CHANGES=100 npm run bench:convergence      (fewer changes)
//   BENCH_KIND=Ingress npm run bench:convergence     (an Ingress instead of a Service)
//   BENCH_CPU_PROF=1 npm run bench:convergence       (CPU profile of the globaldns process, kept in /tmp)
//
// globaldns runs at log level debug: its `zone patched` lines (ISO time, ms) split each change
// into apply → zone patched (watch delivery, the controller's ~10 ms debounce, planning) and
// zone patched → first correct answer (the poll interval and the query itself).
import { mkdtemp } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import YAML from 'yaml';
import { startFakeKube, type FakeKube } from '../test/support/fake-kube/index.js';
import { startGlobaldns, type Globaldns } from '../test/support/globaldns.js';
import { freePort } from '../test/support/ports.js';
import { DnsClient, kubeClusters, logLines, makeLog, memoryMb, pollUntil, round, summary } from './kube-bench.js';
import { machineFields } from './proc.js';

const CHANGES = Number(process.env.BENCH_CHANGES ?? 500);
const WARMUP = Number(process.env.BENCH_WARMUP ?? 20);
const KIND = process.env.BENCH_KIND === 'Ingress' ? 'Ingress' : 'Service';
const CPU_PROF = process.env.BENCH_CPU_PROF === '1';
/** Poll spacing: one query, its reply, then this pause. */
const POLL_INTERVAL_MS = 1;
/** A single change that takes longer than this is counted as a timeout (and as this long). */
const CHANGE_TIMEOUT_MS = 5000;
/** The whole measured loop stops here, whatever happened. */
const LOOP_BUDGET_MS = 150_000;

const CLUSTER = 'east';
const APEX = 'conv.test';
const NAME = `app.${APEX}`;
const log = makeLog('bench:convergence');

function lbObject(ip: string): Record<string, unknown> {
  const metadata = {
    name: 'web',
    namespace: 'shop',
    labels: { app: 'web' },
    annotations: { 'globaldns.io/hostname': NAME, 'globaldns.io/ttl': '30' },
  };
  const status = { loadBalancer: { ingress: [{ ip }] } };
  if (KIND === 'Service') {
    return {
      apiVersion: 'v1',
      kind: 'Service',
      metadata,
      spec: { type: 'LoadBalancer', selector: { app: 'web' }, ports: [{ name: 'https', port: 443, targetPort: 8443, protocol: 'TCP' }] },
      status,
    };
  }
  return {
    apiVersion: 'networking.k8s.io/v1',
    kind: 'Ingress',
    metadata,
    spec: {
      ingressClassName: 'nginx',
      rules: [{ host: NAME, http: { paths: [{ path: '/', pathType: 'Prefix', backend: { service: { name: 'web', port: { number: 80 } } } }] } }],
    },
    status,
  };
}

/** A distinct address per change (record data only; nothing is ever sent there). */
function addressOf(i: number, block: number): string {
  return `10.${block}.${(i >> 8) & 255}.${i & 255}`;
}

async function main(): Promise<void> {
  const tStart = Date.now();
  // Other work on the machine shows in the tail latencies; the load average is reported with them.
  const load0 = os.loadavg()[0];
  let fake: FakeKube | undefined;
  let g: Globaldns | undefined;
  let client: DnsClient | undefined;
  try {
    fake = await startFakeKube();
    fake.apply({ apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'shop' } });
    fake.apply(lbObject('10.255.255.1'));

    const profDir = CPU_PROF ? await mkdtemp(path.join(os.tmpdir(), 'globaldns-conv-prof-')) : undefined;
    const port = await freePort({ ipv6: false });
    const config = {
      zones: [{ apex: APEX, records: ['ns1 3600 IN A 127.0.0.1'] }],
      clusters: kubeClusters([CLUSTER]),
      entries: [{ fqdn: NAME, ttl: 30, targets: [{ cluster: CLUSTER }] }],
    };
    g = await startGlobaldns({
      configYaml: YAML.stringify(config),
      files: { [`kube/${CLUSTER}.yaml`]: fake.kubeconfig(CLUSTER) },
      port,
      ipv6: false,
      args: ['--log-level', 'debug'],
      nodeArgs: profDir ? ['--cpu-prof', '--cpu-prof-dir', profDir] : [],
      startTimeoutMs: 20_000,
    });
    log(`globaldns up (pid ${g.pid}) on 127.0.0.1:${port}; changing ${KIND} shop/web ${CHANGES} times`);
    client = await DnsClient.open(port);

    const first = await pollUntil(client, NAME, ['10.255.255.1'], performance.now(), { intervalMs: 20, timeoutMs: 20_000 });
    if (first.ms === undefined) throw new Error(`${NAME} never answered the seeded address (last: ${first.last})\n${g.logs()}`);

    const change = async (ip: string) => {
      const wall = Date.now();
      const t0 = performance.now();
      fake!.apply(lbObject(ip));
      const r = await pollUntil(client!, NAME, [ip], t0, { intervalMs: POLL_INTERVAL_MS, timeoutMs: CHANGE_TIMEOUT_MS });
      return { wall, ...r };
    };

    for (let i = 0; i < WARMUP; i++) {
      const r = await change(addressOf(i, 254));
      if (r.ms === undefined) log(`warm-up change ${i} timed out (last answer ${r.last})`);
    }
    const warmLogEnd = g.logs().length;

    const times: number[] = [];
    const walls: { wall: number; ms: number }[] = [];
    let timeouts = 0;
    let polls = 0;
    const loopStart = performance.now();
    for (let i = 0; i < CHANGES; i++) {
      if (performance.now() - loopStart > LOOP_BUDGET_MS) {
        log(`time budget spent after ${i} changes; stopping`);
        break;
      }
      const r = await change(addressOf(i, 0));
      polls += r.polls;
      if (r.ms === undefined) {
        timeouts++;
        log(`change ${i} timed out after ${CHANGE_TIMEOUT_MS} ms (last answer ${r.last})`);
        times.push(CHANGE_TIMEOUT_MS);
      } else {
        times.push(r.ms);
        walls.push({ wall: r.wall, ms: r.ms });
      }
      if ((i + 1) % 100 === 0) log(`${i + 1} changes, p50 so far ${summary(times).p50} ms`);
    }
    const mem = memoryMb(g.pid);

    // Split each change at globaldns's `zone patched` line (ms resolution).
    const patched = logLines(g.logs().slice(warmLogEnd), /^zone patched$/).map((l) => l.time);
    const toPatch: number[] = [];
    const afterPatch: number[] = [];
    let pi = 0;
    for (const w of walls) {
      while (pi < patched.length && patched[pi] < w.wall) pi++;
      if (pi >= patched.length) break;
      const dt = patched[pi] - w.wall;
      if (dt > w.ms + 1) continue; // not this change's patch
      toPatch.push(dt);
      afterPatch.push(Math.max(0, w.ms - dt));
      pi++;
    }

    const s = summary(times);
    const tp = summary(toPatch);
    const ap = summary(afterPatch);
    log(`apply → zone patched (log ms): p50 ${tp.p50} p99 ${tp.p99} max ${tp.max} (${toPatch.length} matched)`);
    log(`zone patched → correct answer: p50 ${ap.p50} p99 ${ap.p99} max ${ap.max}`);
    log(`queries sent ${client.sent}, timed out ${client.timeouts}; globaldns RSS ${mem.rss} MiB`);
    if (profDir) log(`CPU profile of globaldns will be in ${profDir} (written when it exits)`);

    const line = {
      bench: 'convergence',
      changes: times.length,
      p50_ms: s.p50,
      p99_ms: s.p99,
      max_ms: s.max,
      p90_ms: s.p90,
      mean_ms: s.mean,
      min_ms: round(Math.min(...times)),
      timeouts,
      kind: KIND,
      warmup_changes: WARMUP,
      poll_interval_ms: POLL_INTERVAL_MS,
      polls_per_change: round(polls / Math.max(1, times.length), 1),
      apply_to_patch_p50_ms: tp.p50,
      apply_to_patch_p99_ms: tp.p99,
      patch_to_answer_p50_ms: ap.p50,
      patch_to_answer_p99_ms: ap.p99,
      rss_mb: mem.rss,
      target_p99_ms: 250,
      ...machineFields(load0, tStart),
    };
    process.stdout.write(JSON.stringify(line) + '\n');
  } finally {
    client?.close();
    if (g) {
      if (!g.alive()) log('globaldns died during the run:\n' + g.logs().split('\n').slice(-30).join('\n'));
      await g.cleanup().catch((e: unknown) => log('globaldns cleanup:', e));
    }
    await fake?.stop().catch((e: unknown) => log('fake stop:', e));
  }
}

main().then(
  () => process.exit(0),
  (err: unknown) => {
    log('failed:', err instanceof Error ? (err.stack ?? err.message) : err);
    process.exit(1);
  },
);
