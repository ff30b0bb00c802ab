// Scale benchmark: 20 fake clusters × 1,000 Ingresses behind one `globaldns serve`.
//
// Layout (BENCH_SHARED, default 0.5): in every cluster, the first half of the Ingresses claim
// hostnames every cluster claims too (s<j>.scale.test: 500 names, each answering the 20
// addresses of the 20 clusters, so names merge), the other half claim hostnames of their own
// (u<c>-<j>.scale.test: 10,000 names with one address). 20,000 objects, 10,500 names.
// BENCH_SHARED=1 gives 1,000 names × 20 addresses; BENCH_SHARED=0 gives 20,000 distinct names.
// One wildcard entry, `*.scale.test`, targets all 20 clusters (src/planner/entries.ts: the
// closest `*.` entry above a name governs it).
//
// Measured:
// - full_sync_s: from just before globaldns is spawned (the fakes already hold everything) to
//   the first moment every name answers its full expected address set over UDP. Names are
//   polled in sweeps (see waitComplete: one probe per 100 names not yet right, then the
//   blocks whose probe was right, 64 queries in flight, 50 ms between sweeps), so a name is
//   confirmed within a sweep of landing; full_sync_s is when the last name was first seen
//   right (an upper bound), sync_lower_bound_s when some name was last answered wrong (a
//   lower bound). sync_dns_max_rtt_ms / sync_dns_timeouts (no reply within 100 ms) show how
//   responsive the DNS server stays while it syncs. Then every name is queried once
//   more, and the zone snapshot globaldns persists (state/zones.json) is compared name by name
//   and counted: exactly the expected names, with exactly the expected addresses.
// - rss_mb: VmRSS of the globaldns process (the fakes run in this process, not counted) at
//   that moment; rss_hwm_mb is its peak (VmHWM) by the end of the run.
// - e2e_*: 200 single-Ingress address changes after sync, each from just before the fake's
//   apply() to the first right answer (polled every ~1 ms); apply_to_patch_* splits off the
//   time to globaldns's `zone patched` debug line (ms resolution).
// - plan_p99_ms: globaldns writes no planning time, so the planning of a single change is
//   measured in a fresh node process with the product's own classes (EndpointStore → Controller →
//   ZoneStore, the same config, the same 20,000 endpoints): store.upsert() of the changed
//   endpoint, then controller.flush() (which skips the debounce), i.e. re-planning the name
//   and patching the served zone, for 1,000 changes after 20 unmeasured ones. Wall time is
//   the headline; plan_cpu_* is the process CPU time of the same calls, which waiting for a
//   core on a busy machine does not inflate. snapshot_json_ms is the synchronous part of the
//   zone store's persist (content() + JSON.stringify of the whole zone), which runs on
//   globaldns's event loop ~200 ms after every change and shows in the e2e tail.
//
// Prints exactly one JSON line on stdout; progress goes to stderr.
//
//   npm run bench:scale
//   BENCH_SHARED=0 npm run bench:scale         (20,000 distinct names)
//   BENCH_CLUSTERS=5 BENCH_PER_CLUSTER=200 npm run bench:scale   (a quick check of the harness)
//   BENCH_CPU_PROF=1 npm run bench:scale       (CPU profile of the globaldns process, kept in /tmp)
import { spawn } from 'node:child_process';
import { mkdtemp, readFile, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import { fileURLToPath } from 'node:url';
import YAML from 'yaml';
import { parseConfig } from '../src/config/index.js';
import { Controller } from '../src/controller/index.js';
import { ZoneStore } from '../src/dns/index.js';
import type { Endpoint, RecordSet } from '../src/model/index.js';
import { EndpointStore, extractEndpoint } from '../src/sources/index.js';
import { startFakeKube, type FakeKube } from '../test/support/fake-kube/index.js';
import { startGlobaldns, type Globaldns } from '../test/support/globaldns.js';
import { freePort } from '../test/support/ports.js';
import { DnsClient, kubeClusters, logLines, makeLog, memoryMb, pollUntil, round, sameSet, sleep, summary } from './kube-bench.js';
import { seededRandom } from '../test/support/random.js';
import { DesiredState } from '../src/desired/index.js';
import { LoadBalancerResolver } from '../src/sources/resolver/index.js';
import { machineFields } from './proc.js';

const CLUSTERS = Number(process.env.BENCH_CLUSTERS ?? 20);
const PER_CLUSTER = Number(process.env.BENCH_PER_CLUSTER ?? 1000);
const SHARED = Math.min(1, Math.max(0, Number(process.env.BENCH_SHARED ?? 0.5)));
const CHANGES = Number(process.env.BENCH_CHANGES ?? 200);
/** In-process planning samples: more than the end-to-end changes, as each costs well under a millisecond and a p99 of 200 is its 2nd worst value. */
const PLAN_CHANGES = Number(process.env.BENCH_PLAN_CHANGES ?? 1000);
const CPU_PROF = process.env.BENCH_CPU_PROF === '1';
const NAMESPACES = 10;
const APEX = 'scale.test';
const SYNC_TIMEOUT_MS = 120_000;
const CHANGE_TIMEOUT_MS = 5000;
const CHANGES_BUDGET_MS = 60_000;
const IN_FLIGHT = 32;
/** Sync poll: one probe per BLOCK names not yet right, then a pause. */
const BLOCK = 100;
const SWEEP_PAUSE_MS = 50;
/** A query unanswered this long counts as wrong; the name is asked again next sweep. */
const SYNC_QUERY_TIMEOUT_MS = 100;
const log = makeLog('bench:scale');

const sharedCount = Math.round(PER_CLUSTER * SHARED);
const clusterName = (c: number) => `c${String(c).padStart(2, '0')}`;
const hostOf = (c: number, j: number) => (j < sharedCount ? `s${j}.${APEX}` : `u${c}-${j}.${APEX}`);
/** Record data only: nothing is ever sent to these addresses. */
const initialIp = (c: number, j: number) => `10.${c}.${(j >> 8) & 255}.${j & 255}`;
const changedIp = (c: number, k: number) => `10.${100 + c}.${(k >> 8) & 255}.${k & 255}`;

function ingress(c: number, j: number, ip: string): Record<string, unknown> {
  const host = hostOf(c, j);
  const name = `app-${j}`;
  return {
    apiVersion: 'networking.k8s.io/v1',
    kind: 'Ingress',
    metadata: {
      name,
      namespace: `team-${j % NAMESPACES}`,
      labels: { app: name, 'app.kubernetes.io/managed-by': 'helm' },
      annotations: {
        'globaldns.io/hostname': host,
        'nginx.ingress.kubernetes.io/proxy-body-size': '8m',
        'meta.helm.sh/release-name': name,
      },
    },
    spec: {
      ingressClassName: 'nginx',
      tls: [{ hosts: [host], secretName: `${name}-tls` }],
      rules: [{ host, http: { paths: [{ path: '/', pathType: 'Prefix', backend: { service: { name, port: { number: 80 } } } }] } }],
    },
    status: { loadBalancer: { ingress: [{ ip }] } },
  };
}

const prng = seededRandom;

/** The address each object currently has, and from it the address set each name must answer. */
class Model {
  readonly ips: string[][] = [];
  constructor() {
    for (let c = 0; c < CLUSTERS; c++) this.ips.push(Array.from({ length: PER_CLUSTER }, (_, j) => initialIp(c, j)));
  }
  names(): string[] {
    const out = new Set<string>();
    for (let c = 0; c < CLUSTERS; c++) for (let j = 0; j < PER_CLUSTER; j++) out.add(hostOf(c, j));
    return [...out];
  }
  expected(): Map<string, string[]> {
    const m = new Map<string, string[]>();
    for (let c = 0; c < CLUSTERS; c++) {
      for (let j = 0; j < PER_CLUSTER; j++) {
        const h = hostOf(c, j);
        const list = m.get(h);
        if (list) list.push(this.ips[c][j]);
        else m.set(h, [this.ips[c][j]]);
      }
    }
    return m;
  }
  want(name: string): string[] {
    const m = /^(?:s(\d+)|u(\d+)-(\d+))\./.exec(name);
    if (!m) return [];
    if (m[1] !== undefined) return this.ips.map((row) => row[Number(m[1])]);
    return [this.ips[Number(m[2])][Number(m[3])]];
  }
}

interface SyncResult {
  /** performance.now() when the last name was first answered right */
  lastFirstOk: number;
  /** performance.now() of the last wrong answer seen */
  lastWrong: number;
  sweeps: number;
  queries: number;
  /** slowest reply and unanswered queries while waiting: how responsive DNS stays during the sync */
  maxRtt: number;
  timeouts: number;
}

/**
 * Polls until every name has answered right once. The names not yet seen right are cut into
 * blocks of BLOCK (in the order the model lists them: cluster by cluster); each sweep asks the
 * first name of every block, then every other name of the blocks whose first name was right.
 * A sweep costs remaining/BLOCK queries plus the names that landed since the last one, so the
 * poll stays light while globaldns syncs and a landed batch is confirmed within one sweep.
 */
async function waitComplete(client: DnsClient, model: Model, names: string[], t0: number): Promise<SyncResult> {
  let remaining = names;
  let lastFirstOk = 0;
  let lastWrong = 0;
  let sweeps = 0;
  let lastReport = performance.now();
  const sentBefore = client.sent;
  const timeoutsBefore = client.timeouts;
  let maxRtt = 0;
  /** Asks each name; the ones answered right. */
  const check = async (list: string[]): Promise<Set<string>> => {
    const ok = new Set<string>();
    let i = 0;
    const worker = async () => {
      while (i < list.length) {
        const name = list[i++];
        const r = await client.query(name, 1, SYNC_QUERY_TIMEOUT_MS);
        if (r) maxRtt = Math.max(maxRtt, r.rtt);
        if (r && r.rcode === 0 && sameSet(r.a, model.want(name))) {
          ok.add(name);
          lastFirstOk = Math.max(lastFirstOk, r.at);
        } else if (r) {
          // only a wrong answer proves the zone incomplete; a late one proves nothing
          lastWrong = Math.max(lastWrong, r.at);
        }
      }
    };
    await Promise.all(Array.from({ length: Math.min(IN_FLIGHT * 2, list.length) }, worker));
    return ok;
  };
  while (remaining.length > 0) {
    if (performance.now() - t0 > SYNC_TIMEOUT_MS) throw new Error(`zone incomplete after ${SYNC_TIMEOUT_MS / 1000} s: ${remaining.length} names not right, e.g. ${remaining.slice(0, 3).join(', ')}`);
    sweeps++;
    const blocks: string[][] = [];
    for (let i = 0; i < remaining.length; i += BLOCK) blocks.push(remaining.slice(i, i + BLOCK));
    const probed = await check(blocks.map((b) => b[0]));
    const ok = await check(blocks.filter((b) => probed.has(b[0])).flatMap((b) => b.slice(1)));
    for (const n of probed) ok.add(n);
    if (ok.size > 0) remaining = remaining.filter((n) => !ok.has(n));
    if (performance.now() - lastReport > 2000) {
      lastReport = performance.now();
      log(`  ${round((performance.now() - t0) / 1000, 1)} s: ${names.length - remaining.length}/${names.length} names right`);
    }
    if (remaining.length > 0) await sleep(SWEEP_PAUSE_MS);
  }
  return { lastFirstOk, lastWrong, sweeps, queries: client.sent - sentBefore, maxRtt, timeouts: client.timeouts - timeoutsBefore };
}

/** Every name once more (timeouts retried); returns the names not answered right. */
async function verifyAll(client: DnsClient, model: Model, names: string[]): Promise<string[]> {
  const bad: string[] = [];
  let i = 0;
  const worker = async () => {
    while (i < names.length) {
      const name = names[i++];
      let r = null;
      for (let attempt = 0; attempt < 3 && !r; attempt++) r = await client.query(name, 1, 500);
      if (!r || r.rcode !== 0 || !sameSet(r.a, model.want(name))) bad.push(`${name}: ${r ? (r.rcode === 0 ? r.a.join(',') || 'NODATA' : `rcode ${r.rcode}`) : 'TIMEOUT'}`);
    }
  };
  await Promise.all(Array.from({ length: IN_FLIGHT }, worker));
  return bad;
}

/**
 * The persisted zone (state/zones.json, written ~200 ms after a change) against the model:
 * every name, exactly. Retried for a few seconds until a snapshot newer than `notBefore` matches.
 */
async function checkSnapshot(stateDir: string, model: Model, notBefore: number): Promise<{ names: number; problems: string[] }> {
  const file = path.join(stateDir, 'zones.json');
  const want = model.expected();
  let last: { names: number; problems: string[] } = { names: 0, problems: [`${file}: no snapshot newer than the sync`] };
  for (let i = 0; i < 50; i++) {
    try {
      const snap = JSON.parse(await readFile(file, 'utf8')) as { savedAt: string; zones: { apex: string; records: RecordSet[] }[] };
      if (Date.parse(snap.savedAt) >= notBefore) {
        const zone = snap.zones.find((z) => z.apex === APEX);
        const got = new Map<string, string[]>();
        for (const r of zone?.records ?? []) if (r.type === 'A' && r.name !== `ns1.${APEX}`) got.set(r.name, [...r.values]);
        const problems: string[] = [];
        for (const [name, ips] of want) if (!sameSet(got.get(name) ?? [], ips)) problems.push(`${name}: ${got.get(name)?.join(',') ?? 'missing'}`);
        for (const name of got.keys()) if (!want.has(name)) problems.push(`${name}: not expected`);
        last = { names: got.size, problems };
        if (problems.length === 0) return last;
      }
    } catch (e) {
      last = { names: 0, problems: [`${file}: ${(e as Error).message}`] };
    }
    await sleep(100);
  }
  return last;
}

/** Planning of a single change, in this process, with the product's classes. */
async function planInProcess(configText: string, baseDir: string, model: Model, rnd: () => number): Promise<PlanResult> {
  const config = parseConfig(configText, { baseDir });
  const embedded = new Set(config.providers.filter((p) => p.type === 'embedded').map((p) => p.name));
  const quiet = { debug: () => undefined, info: () => undefined, warn: () => undefined, error: () => undefined };
  const zones = new ZoneStore({});
  const store = new EndpointStore();
  const resolver = new LoadBalancerResolver({ backend: { dns: async () => ({ addresses: [] }), system: async () => ({ v4: [], v6: [] }) } });
  const desired = new DesiredState({ store, resolver, entries: config.entries, logger: quiet });
  void desired.start();
  const controller = new Controller({ zones: config.zones, entries: config.entries.filter((e) => embedded.has(e.provider)), desired, sink: zones, logger: quiet });
  controller.start();
  const endpointOf = (c: number, j: number): Endpoint => {
    const { endpoint } = extractEndpoint(ingress(c, j, model.ips[c][j]), { cluster: clusterName(c), projectOf: () => undefined });
    if (!endpoint) throw new Error(`no endpoint for ${clusterName(c)} app-${j}`);
    return endpoint;
  };
  for (let c = 0; c < CLUSTERS; c++) store.replaceCluster(clusterName(c), Array.from({ length: PER_CLUSTER }, (_, j) => endpointOf(c, j)));
  const t0 = performance.now();
  await controller.ready();
  const fullPlanMs = performance.now() - t0;

  // The zone snapshot as src/dns/snapshot-file.ts serialises it (the write itself is async).
  const serialise: number[] = [];
  let snapshotBytes = 0;
  for (let i = 0; i < 5; i++) {
    const ts = performance.now();
    const text = JSON.stringify({ format: 1, savedAt: new Date().toISOString(), zones: zones.apexes().map((a) => zones.get(a)!.content()) });
    serialise.push(performance.now() - ts);
    snapshotBytes = text.length;
  }
  const snapshotJsonMs = serialise.sort((a, b) => a - b)[2];

  const times: number[] = [];
  const cpu: number[] = [];
  let k = 50_000;
  let lastName = '';
  for (let i = 0; i < PLAN_CHANGES + 20; i++) {
    const c = Math.floor(rnd() * CLUSTERS);
    const j = Math.floor(rnd() * PER_CLUSTER);
    model.ips[c][j] = changedIp(c, k++ % 65536);
    const ep = endpointOf(c, j);
    const c0 = process.cpuUsage();
    const t = performance.now();
    store.upsert(ep);
    await controller.flush();
    const dt = performance.now() - t;
    const dc = process.cpuUsage(c0);
    if (i >= 20) {
      // the first 20 warm the JIT
      times.push(dt);
      cpu.push((dc.user + dc.system) / 1000);
    }
    lastName = hostOf(c, j);
  }
  controller.stop();
  // the last change must be in the served zone
  const rr = zones.get(APEX)?.content().records.find((r) => r.name === lastName && r.type === 'A');
  const check = rr && sameSet(rr.values, model.want(lastName)) ? 'ok' : `${lastName}: ${rr?.values.join(',') ?? 'missing'}`;
  return { times, cpu, fullPlanMs, check, snapshotJsonMs, snapshotBytes };
}

interface PlanResult {
  times: number[];
  /** process CPU time (user + system, all threads) of each change, ms: unaffected by waiting for a core */
  cpu: number[];
  fullPlanMs: number;
  check: string;
  /** what the zone store's persist does synchronously on globaldns's event loop ~200 ms after every change: content() + JSON.stringify (median of 5) */
  snapshotJsonMs: number;
  snapshotBytes: number;
}

/**
 * Runs planInProcess in a child node process: its heap holds only what the planning needs,
 * as globaldns's would, not this process's 20 fake API servers (whose garbage collections
 * would otherwise land in the measurement).
 */
async function planInChild(configText: string, dir: string, model: Model): Promise<PlanResult> {
  const input = path.join(dir, 'plan-input.json');
  await writeFile(input, JSON.stringify({ configText, baseDir: dir, ips: model.ips }));
  const child = spawn(process.execPath, ['--import=tsx', fileURLToPath(import.meta.url), PLAN_CHILD, input], { stdio: ['ignore', 'pipe', 'inherit'] });
  let out = '';
  child.stdout.on('data', (d) => (out += d));
  const guard = setTimeout(() => child.kill('SIGKILL'), 90_000);
  const code = await new Promise<number | null>((resolve) => child.on('exit', (c) => resolve(c)));
  clearTimeout(guard);
  if (code !== 0) throw new Error(`planning child exited with ${code}: ${out}`);
  return JSON.parse(out) as PlanResult;
}

async function planChildMain(inputFile: string): Promise<void> {
  const input = JSON.parse(await readFile(inputFile, 'utf8')) as { configText: string; baseDir: string; ips: string[][] };
  const model = new Model();
  input.ips.forEach((row, c) => row.forEach((ip, j) => (model.ips[c][j] = ip)));
  const result = await planInProcess(input.configText, input.baseDir, model, prng(7));
  process.stdout.write(JSON.stringify(result) + '\n');
}

async function main(): Promise<void> {
  const tStart = Date.now();
  // Other work on the machine shows in every number here; the load average is reported with them.
  const load0 = os.loadavg()[0];
  const fakes: FakeKube[] = [];
  let g: Globaldns | undefined;
  let client: DnsClient | undefined;
  try {
    const model = new Model();
    const names = model.names();
    log(`${CLUSTERS} clusters × ${PER_CLUSTER} Ingresses, ${sharedCount} shared hostnames per cluster: ${names.length} names`);

    const tSeed = performance.now();
    for (let c = 0; c < CLUSTERS; c++) {
      const fake = await startFakeKube();
      fakes.push(fake);
      for (let n = 0; n < NAMESPACES; n++) fake.apply({ apiVersion: 'v1', kind: 'Namespace', metadata: { name: `team-${n}` } });
      for (let j = 0; j < PER_CLUSTER; j++) fake.apply(ingress(c, j, model.ips[c][j]));
    }
    log(`fakes seeded in ${Math.round(performance.now() - tSeed)} ms; this process RSS ${memoryMb(process.pid).rss} MiB`);

    const clusters = Array.from({ length: CLUSTERS }, (_, c) => clusterName(c));
    const files: Record<string, string> = {};
    for (let c = 0; c < CLUSTERS; c++) files[`kube/${clusters[c]}.yaml`] = fakes[c].kubeconfig(clusters[c]);
    const configText = YAML.stringify({
      zones: [{ apex: APEX, records: ['ns1 3600 IN A 127.0.0.1'] }],
      clusters: kubeClusters(clusters),
      entries: [{ fqdn: `*.${APEX}`, ttl: 60, targets: clusters.map((cluster) => ({ cluster })) }],
    });
    const profDir = CPU_PROF ? await mkdtemp(path.join(os.tmpdir(), 'globaldns-scale-prof-')) : undefined;
    const port = await freePort({ ipv6: false });

    const wallStart = Date.now();
    const t0 = performance.now();
    g = await startGlobaldns({
      configYaml: configText,
      files,
      port,
      ipv6: false,
      args: ['--log-level', 'debug'],
      nodeArgs: profDir ? ['--cpu-prof', '--cpu-prof-dir', profDir] : [],
      startTimeoutMs: 30_000,
    });
    const tUp = performance.now();
    log(`globaldns answering SOA after ${Math.round(tUp - t0)} ms (pid ${g.pid})`);
    client = await DnsClient.open(port);

    const sync = await waitComplete(client, model, names, t0);
    const mem = memoryMb(g.pid);
    const fullSyncS = (sync.lastFirstOk - t0) / 1000;
    log(`complete: every name right ${round(fullSyncS, 2)} s after start (last wrong answer at ${sync.lastWrong > 0 ? `${round((sync.lastWrong - t0) / 1000, 2)} s` : 'none: only timeouts'}; ${sync.sweeps} sweeps, ${sync.queries} queries, slowest reply ${round(sync.maxRtt, 1)} ms, ${sync.timeouts} unanswered within ${SYNC_QUERY_TIMEOUT_MS} ms); RSS ${mem.rss} MiB`);
    const synced = logLines(g.logs(), /^sources synced$/)[0];
    const clusterSynced = logLines(g.logs(), /: synced/).map((l) => l.time - wallStart);
    if (synced) log(`globaldns logged 'sources synced' at ${round((synced.time - wallStart) / 1000, 2)} s; clusters synced between ${round(Math.min(...clusterSynced) / 1000, 2)} and ${round(Math.max(...clusterSynced) / 1000, 2)} s`);

    const tVerify = performance.now();
    const bad = await verifyAll(client, model, names);
    if (bad.length > 0) throw new Error(`${bad.length} names wrong after sync, e.g. ${bad.slice(0, 5).join('; ')}`);
    const nx = await client.query(`nobody.${APEX}`, 1, 500);
    if (!nx || nx.rcode !== 3) throw new Error(`nobody.${APEX}: expected NXDOMAIN, got ${nx ? `rcode ${nx.rcode}` : 'TIMEOUT'}`);
    log(`all ${names.length} names verified again in ${Math.round(performance.now() - tVerify)} ms; nobody.${APEX} NXDOMAIN`);
    const snap = await checkSnapshot(g.stateDir, model, sync.lastWrong > 0 ? wallStart + (sync.lastWrong - t0) : wallStart);
    if (snap.problems.length > 0) throw new Error(`zone snapshot differs from the expected zone (${snap.problems.length}), e.g. ${snap.problems.slice(0, 5).join('; ')}`);
    log(`zone snapshot: exactly the ${snap.names} expected names with the expected addresses`);

    // Single changes after sync, end to end.
    const rnd = prng(42);
    const e2e: number[] = [];
    const walls: { wall: number; ms: number }[] = [];
    let timeouts = 0;
    const logMark = g.logs().length;
    const tChanges = performance.now();
    for (let i = 0; i < CHANGES; i++) {
      if (performance.now() - tChanges > CHANGES_BUDGET_MS) {
        log(`time budget spent after ${i} changes`);
        break;
      }
      const c = Math.floor(rnd() * CLUSTERS);
      const j = Math.floor(rnd() * PER_CLUSTER);
      const ip = changedIp(c, i);
      model.ips[c][j] = ip;
      const name = hostOf(c, j);
      const wall = Date.now();
      const t = performance.now();
      fakes[c].apply(ingress(c, j, ip));
      const r = await pollUntil(client, name, model.want(name), t, { intervalMs: 1, timeoutMs: CHANGE_TIMEOUT_MS });
      if (r.ms === undefined) {
        timeouts++;
        e2e.push(CHANGE_TIMEOUT_MS);
        log(`change ${i} (${name}) timed out; last answer ${r.last}`);
      } else {
        e2e.push(r.ms);
        walls.push({ wall, ms: r.ms });
      }
    }
    const memAfter = memoryMb(g.pid);
    const patched = logLines(g.logs().slice(logMark), /^zone patched$/).map((l) => l.time);
    const toPatch: number[] = [];
    let pi = 0;
    for (const w of walls) {
      while (pi < patched.length && patched[pi] < w.wall) pi++;
      if (pi >= patched.length) break;
      const dt = patched[pi] - w.wall;
      if (dt > w.ms + 1) continue;
      toPatch.push(dt);
      pi++;
    }
    const es = summary(e2e);
    const tp = summary(toPatch);
    log(`${e2e.length} single changes end to end: p50 ${es.p50} p90 ${es.p90} p99 ${es.p99} max ${es.max} ms (${timeouts} timeouts)`);
    log(`  apply → 'zone patched' (log ms): p50 ${tp.p50} p99 ${tp.p99} max ${tp.max} (${toPatch.length} matched)`);
    log(`globaldns RSS after the changes ${memAfter.rss} MiB, peak ${memAfter.hwm} MiB`);

    const cliPid = g.pid;
    await g.stop();
    if (profDir) log(`CPU profile of globaldns (pid ${cliPid}) in ${profDir}`);
    for (const f of fakes.splice(0)) await f.stop();

    // Planning of one change, in a fresh node process (see the header).
    const plan = await planInChild(configText, g.dir, model);
    const ps = summary(plan.times);
    const pc = summary(plan.cpu);
    log(`in-process: full plan of ${names.length} names ${Math.round(plan.fullPlanMs)} ms; single change upsert+plan+patch p50 ${ps.p50} p99 ${ps.p99} max ${ps.max} ms (CPU time p50 ${pc.p50} p99 ${pc.p99} max ${pc.max}); last change served: ${plan.check}`);
    log(`zone snapshot serialisation (sync, on the event loop, ~200 ms after each change): ${round(plan.snapshotJsonMs, 1)} ms for ${round(plan.snapshotBytes / 1048576, 1)} MB`);
    if (plan.check !== 'ok') throw new Error(`in-process planning: ${plan.check}`);

    const line = {
      bench: 'scale',
      objects: CLUSTERS * PER_CLUSTER,
      full_sync_s: round(fullSyncS, 2),
      rss_mb: mem.rss,
      plan_p99_ms: round(ps.p99, 3),
      clusters: CLUSTERS,
      per_cluster: PER_CLUSTER,
      names: names.length,
      shared_names: sharedCount,
      sync_lower_bound_s: sync.lastWrong > 0 ? round((sync.lastWrong - t0) / 1000, 2) : null,
      sync_dns_max_rtt_ms: round(sync.maxRtt, 1),
      sync_dns_timeouts: sync.timeouts,
      soa_up_s: round((tUp - t0) / 1000, 2),
      sources_synced_log_s: synced ? round((synced.time - wallStart) / 1000, 2) : null,
      rss_hwm_mb: memAfter.hwm,
      rss_after_changes_mb: memAfter.rss,
      plan_p50_ms: round(ps.p50, 3),
      plan_max_ms: round(ps.max, 3),
      plan_cpu_p50_ms: pc.p50,
      plan_cpu_p99_ms: pc.p99,
      plan_full_ms: Math.round(plan.fullPlanMs),
      plan_changes: plan.times.length,
      snapshot_json_ms: round(plan.snapshotJsonMs, 1),
      snapshot_mb: round(plan.snapshotBytes / 1048576, 1),
      changes: e2e.length,
      e2e_p50_ms: es.p50,
      e2e_p99_ms: es.p99,
      e2e_max_ms: es.max,
      e2e_timeouts: timeouts,
      apply_to_patch_p50_ms: tp.p50,
      apply_to_patch_p99_ms: tp.p99,
      targets: { full_sync_s: 30, rss_mb: 500, plan_p99_ms: 5 },
      ...machineFields(load0, tStart),
    };
    process.stdout.write(JSON.stringify(line) + '\n');
  } finally {
    client?.close();
    if (g) {
      if (!g.alive() && g.proc.exitCode !== 0 && g.proc.signalCode === null && g.proc.exitCode !== null) {
        log('globaldns exited unexpectedly:\n' + g.logs().split('\n').slice(-30).join('\n'));
      }
      await g.cleanup().catch((e: unknown) => log('globaldns cleanup:', e));
    }
    for (const f of fakes) await f.stop().catch((e: unknown) => log('fake stop:', e));
  }
}

const PLAN_CHILD = 'plan-child';
const entry = process.argv[2] === PLAN_CHILD ? planChildMain(process.argv[3] ?? '') : main();
entry.then(
  () => process.exit(0),
  (err: unknown) => {
    log('failed:', err instanceof Error ? (err.stack ?? err.message) : err);
    process.exit(1);
  },
);
