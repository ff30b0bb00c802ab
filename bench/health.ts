// Health benchmark (issue 13): 2,000 endpoints probed over HTTP at a 1 s interval, 5 % of them
// failing. What probing costs globaldns in CPU, how fast a dead endpoint leaves the DNS answer,
// and what probing does to DNS throughput.
//
// The endpoints: 200 names (n0…n199.health.test) × 10 load-balancer addresses each, 2,000
// distinct loopback addresses 127.77.x.y, one Ingress per name in a manifests-folder cluster,
// claimed through one wildcard entry `*.health.test`. Several addresses per name because a
// name whose every endpoint is down is answered with all of them (serve-all): each failing
// endpoint is the only failing one of its name, so its leaving the answer is observable.
// The upstreams are raw node:net listeners, one per address, in a child process of this one
// (bench/health-upstream.ts): their CPU is never counted as globaldns's.
//
// Two runs of `globaldns serve`, same manifests, same upstreams:
//   1. without healthCheck (baseline): settle, a CPU window of --seconds, then dnsperf
//      (2 s warm-up + --seconds);
//   2. with `healthCheck: {type: http, port, path: /healthz, interval: 1s, timeout: 500ms,
//      failureThreshold: 2, successThreshold: 2}`: wait until every endpoint is judged healthy
//      (globaldns_health_transitions_total on /metrics), then kill 5 % of the endpoints one by
//      one (every 150 ms, so deaths fall on every phase of the probe schedule); for each, the
//      time from the flip (just before the IPC message to the upstream process) to the first
//      embedded-DNS answer without that address (raw UDP, polled every 20 ms, bounded 10 s).
//      Once all of them are judged down: the same CPU window and dnsperf as the baseline.
//
//   probe_cpu_share = (CPU s of globaldns in run 2 − in run 1) / window wall s (of one core),
//                     from /proc/<pid>/stat utime+stime of globaldns and its descendants;
//   detect_p99_ms   = p99 over the failing endpoints (target failureThreshold × interval +
//                     timeout + 500 ms);
//   dns_qps_ratio   = dnsperf UDP qps with probing / without (the mean of a baseline run
//                     before and a third run, again without health checks, after).
//
// Prints exactly one JSON line on stdout; progress goes to stderr.
//
//   npm run bench:health
//   npm run bench:health -- --endpoints 200 --seconds 5          (a quick check of the harness)
//   BENCH_ENDPOINTS=200 BENCH_SECONDS=5 npm run bench:health     (the same)
//   BENCH_FAIL_MODE=503|hang|refuse npm run bench:health         (how endpoints die; default hang)
//
// Failing modes: `hang` (accepted, never answered: the probe's timeout decides, the case the
// target's `+ timeout` is written for), `503` (a canned 503), `refuse` (the listener closes).
// Everything shares the machine's cores (dnsperf, globaldns, the upstreams): compare runs
// started at a 1-minute load average below 1. The upstream process answers ~2,000 connections a
// second during the probing run only; on 2 cores its CPU (`upstream_cpu_share`) is taken from
// what dnsperf and globaldns share, so dns_qps_ratio carries that cost too, which a real
// deployment (upstreams on other machines) would not. Traffic goes to 127.0.0.0/8 only.
import { execFileSync, fork, spawn, type ChildProcess } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import { fileURLToPath } from 'node:url';
import { startGlobaldns, ingressYaml, type Globaldns } from '../test/support/globaldns.js';
import { freePorts } from '../test/support/ports.js';
import { DnsClient, logLines, makeLog, round, sameSet, sleep, summary } from './kube-bench.js';
import { machineFields, processTree } from './proc.js';

function arg(flag: string, env: string): string | undefined {
  const i = process.argv.indexOf(`--${flag}`);
  if (i >= 0 && i + 1 < process.argv.length) return process.argv[i + 1];
  return process.env[env];
}

const PER_NAME = 10;
const ENDPOINTS = Math.max(PER_NAME * 2, Math.round(Number(arg('endpoints', 'BENCH_ENDPOINTS') ?? 2000) / PER_NAME) * PER_NAME);
const NAMES = ENDPOINTS / PER_NAME;
/** The CPU window and the dnsperf run, each. */
const SECONDS = Number(arg('seconds', 'BENCH_SECONDS') ?? 20);
const FAIL_MODE = (arg('fail-mode', 'BENCH_FAIL_MODE') ?? 'hang') as 'hang' | '503' | 'refuse';
if (!['hang', '503', 'refuse'].includes(FAIL_MODE)) throw new Error(`BENCH_FAIL_MODE: hang, 503 or refuse, not ${FAIL_MODE}`);
/** 5 %, at most one per name (every other name has one). */
const FAILING = Math.min(Math.round(ENDPOINTS * 0.05), Math.floor(NAMES / 2));

const INTERVAL_MS = 1000;
const TIMEOUT_MS = 500;
const FAILURE_THRESHOLD = 2;
const SUCCESS_THRESHOLD = 2;
const DETECT_TARGET_MS = FAILURE_THRESHOLD * INTERVAL_MS + TIMEOUT_MS + 500;

const FLIP_SPACING_MS = 150;
const POLL_INTERVAL_MS = 20;
/** A death not seen in the answer by then counts as this long. */
const DETECT_TIMEOUT_MS = 10_000;
const JUDGED_TIMEOUT_MS = 60_000;
const DNSPERF_WARMUP_S = 2;
const SETTLE_MS = 2000;

const APEX = 'health.test';
const CLUSTER = 'east';
const log = makeLog('bench:health');
const here = path.dirname(fileURLToPath(import.meta.url));

const nameOf = (n: number) => `n${n}.${APEX}`;
/** The `k`th address of name `n`: 127.77.0.1 … 127.77.7.250 for 2,000 endpoints. */
function addressOf(n: number, k: number): string {
  const i = n * PER_NAME + k;
  return `127.77.${Math.floor(i / 250)}.${1 + (i % 250)}`;
}
const addressesOf = (n: number) => Array.from({ length: PER_NAME }, (_, k) => addressOf(n, k));

// ---------------------------------------------------------------------------------------------
// The upstream process

interface Upstream {
  proc: ChildProcess;
  fail(address: string): Promise<void>;
  stats(): Promise<Record<string, number>>;
  stop(): Promise<void>;
}

/**
 * Pinning (BENCH_PIN, default on with 2 CPUs or more): globaldns on CPU 0, dnsperf and the
 * upstream process on CPU 1. Unpinned, the scheduler's placement of dnsperf and the DNS
 * thread alone moved the baseline between 165k and 250k qps within one run on the 2-core
 * machine; pinned, the ratio measures what probing takes from the DNS thread's own CPU.
 */
const PIN = process.env.BENCH_PIN !== '0' && os.cpus().length >= 2;

/** Moves every thread of `pid` (and the threads it starts later) to `cpu`. */
function pin(pid: number, cpu: number): void {
  if (PIN) execFileSync('taskset', ['-a', '-p', '-c', String(cpu), String(pid)], { stdio: 'ignore' });
}

async function startUpstream(addresses: string[], port: number): Promise<Upstream> {
  const proc = fork(path.join(here, 'health-upstream.ts'), [], { execArgv: ['--import=tsx'], stdio: ['ignore', 2, 2, 'ipc'] });
  pin(proc.pid!, 1);
  const waiters = new Map<number, () => void>();
  let statsWaiter: ((s: Record<string, number>) => void) | undefined;
  let nextId = 1;
  const ready = new Promise<void>((resolve, reject) => {
    const t = setTimeout(() => reject(new Error('upstreams not listening after 60 s')), 60_000);
    proc.on('message', (m: { op: string; id?: number; message?: string } & Record<string, number>) => {
      if (m.op === 'ready') {
        clearTimeout(t);
        resolve();
      } else if (m.op === 'error') {
        clearTimeout(t);
        reject(new Error(`upstreams: ${m.message}`));
      } else if (m.op === 'ack' && m.id !== undefined) {
        waiters.get(m.id)?.();
        waiters.delete(m.id);
      } else if (m.op === 'stats') {
        statsWaiter?.(m);
        statsWaiter = undefined;
      }
    });
    proc.once('exit', (code) => reject(new Error(`upstream process exited (${code})`)));
  });
  proc.send({ op: 'start', addresses, port });
  await ready;
  return {
    proc,
    fail: (address) =>
      new Promise<void>((resolve) => {
        const id = nextId++;
        waiters.set(id, resolve);
        proc.send({ op: 'fail', address, mode: FAIL_MODE, id });
      }),
    stats: () =>
      new Promise((resolve) => {
        statsWaiter = resolve;
        proc.send({ op: 'stats' });
        setTimeout(() => resolve({}), 2000);
      }),
    stop: async () => {
      if (proc.exitCode !== null || proc.signalCode !== null) return;
      const gone = new Promise<void>((r) => proc.once('exit', () => r()));
      proc.kill('SIGTERM');
      const t = setTimeout(() => proc.kill('SIGKILL'), 3000);
      await gone;
      clearTimeout(t);
    },
  };
}

// ---------------------------------------------------------------------------------------------
// CPU of a process tree, metrics, dnsperf

const CLK_TCK = (() => {
  try {
    return Number(execFileSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).trim()) || 100;
  } catch {
    return 100;
  }
})();

/** utime and stime of `pid` and its live descendants, in seconds. */
function cpuSeconds(pid: number): { user: number; sys: number } {
  const pids = processTree(pid);
  let user = 0;
  let sys = 0;
  for (const p of pids) {
    try {
      const stat = readFileSync(`/proc/${p}/stat`, 'utf8');
      // after "(comm)", which may hold spaces: state is field 3, utime 14, stime 15
      const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
      user += Number(f[11]);
      sys += Number(f[12]);
    } catch {
      /* process gone */
    }
  }
  return { user: user / CLK_TCK, sys: sys / CLK_TCK };
}

/** utime + stime of one thread (`tid` of `pid`; the main thread's tid is the pid), in seconds. */
function threadSeconds(pid: number, tid: number): number {
  try {
    const stat = readFileSync(`/proc/${pid}/task/${tid}/stat`, 'utf8');
    const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return (Number(f[11]) + Number(f[12])) / CLK_TCK;
  } catch {
    return 0;
  }
}

/** The sum of every sample of a metric family whose line starts with `prefix`. */
async function metric(g: Globaldns, prefix: string): Promise<number> {
  const res = await fetch(`${g.adminUrl}/metrics`, { signal: AbortSignal.timeout(5000) });
  const text = await res.text();
  let sum = 0;
  for (const line of text.split('\n')) {
    if (!line.startsWith(prefix)) continue;
    const v = Number(line.slice(line.lastIndexOf(' ') + 1));
    if (Number.isFinite(v)) sum += v;
  }
  return sum;
}

const probesCount = (g: Globaldns) => metric(g, 'globaldns_probe_duration_seconds_count');
const transitions = (g: Globaldns, to: 'healthy' | 'unhealthy') => metric(g, `globaldns_health_transitions_total{to="${to}"}`);

interface Window {
  /** globaldns, user + system, of one core */
  cpuShare: number;
  userShare: number;
  sysShare: number;
  /** the upstream process in the same window (its cost is the machine's, not globaldns's) */
  upstreamShare: number;
  /** globaldns's main thread (DNS answers, planning) alone */
  mainThreadShare: number;
  probesPerS: number;
}

/** globaldns's CPU over `seconds`, as a share of one core; probes run in the same window. */
async function cpuWindow(g: Globaldns, upstream: Upstream, seconds: number): Promise<Window> {
  const p0 = await probesCount(g);
  const m0 = threadSeconds(g.pid, g.pid);
  const c0 = cpuSeconds(g.pid);
  const u0 = cpuSeconds(upstream.proc.pid!);
  const t0 = performance.now();
  await sleep(seconds * 1000);
  const c1 = cpuSeconds(g.pid);
  const m1 = threadSeconds(g.pid, g.pid);
  const u1 = cpuSeconds(upstream.proc.pid!);
  const t1 = performance.now();
  const p1 = await probesCount(g);
  const wall = (t1 - t0) / 1000;
  const user = (c1.user - c0.user) / wall;
  const sys = (c1.sys - c0.sys) / wall;
  return { cpuShare: user + sys, userShare: user, sysShare: sys, mainThreadShare: (m1 - m0) / wall, upstreamShare: (u1.user + u1.sys - u0.user - u0.sys) / wall, probesPerS: (p1 - p0) / wall };
}

interface PerfResult {
  qps: number;
  lost: number;
  rcodes: string;
}

/** dnsperf, and how busy globaldns's DNS thread was meanwhile (1: saturated, so qps is its limit). */
async function measuredDnsperf(g: Globaldns, port: number, queries: string, seconds: number): Promise<PerfResult & { dnsThreadBusy: number }> {
  const c0 = threadSeconds(g.pid, g.pid);
  const t0 = performance.now();
  const r = await dnsperf(port, queries, seconds);
  return { ...r, dnsThreadBusy: round((threadSeconds(g.pid, g.pid) - c0) / ((performance.now() - t0) / 1000), 3) };
}

function dnsperf(port: number, queries: string, seconds: number): Promise<PerfResult> {
  // as bench/dns.ts: one thread, 4 sockets, 100 outstanding
  const args = ['-s', '127.0.0.1', '-p', String(port), '-d', queries, '-m', 'udp', '-l', String(seconds), '-c', '4', '-T', '1', '-q', '100', '-t', '2'];
  return new Promise((resolve, reject) => {
    const p = PIN ? spawn('taskset', ['-c', '1', 'dnsperf', ...args], { stdio: ['ignore', 'pipe', 'pipe'] }) : spawn('dnsperf', args, { stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    p.stdout.on('data', (d) => (out += d));
    p.stderr.on('data', (d) => (out += d));
    const guard = setTimeout(() => p.kill('SIGKILL'), (seconds + 15) * 1000);
    p.on('error', reject);
    p.on('exit', (code) => {
      clearTimeout(guard);
      const qps = Number(/Queries per second:\s+([\d.]+)/.exec(out)?.[1]);
      if (!Number.isFinite(qps)) {
        reject(new Error(`dnsperf on port ${port} failed (exit ${code}):\n${out}`));
        return;
      }
      log(`dnsperf :${port} →`, out.split('\n').filter((l) => /Queries|Response codes/.test(l)).map((l) => l.trim()).join(' | '));
      resolve({ qps, lost: Number(/Queries lost:\s+(\d+)/.exec(out)?.[1] ?? NaN), rcodes: (/Response codes:\s+(.*)/.exec(out)?.[1] ?? '').trim() });
    });
  });
}

// ---------------------------------------------------------------------------------------------
// globaldns

function manifests(): string {
  return Array.from({ length: NAMES }, (_, n) => ingressYaml({ name: `n${n}`, namespace: 'default', hostname: nameOf(n), ips: addressesOf(n), ttl: 30 })).join('---\n');
}

function config(dnsPort: number, upstreamPort: number, withHealth: boolean): object {
  const healthCheck = {
    type: 'http',
    port: upstreamPort,
    path: '/healthz',
    interval: `${INTERVAL_MS}ms`,
    timeout: `${TIMEOUT_MS}ms`,
    failureThreshold: FAILURE_THRESHOLD,
    successThreshold: SUCCESS_THRESHOLD,
  };
  return {
    dns: { listen: [`127.0.0.1:${dnsPort}`] },
    zones: [{ apex: APEX, records: ['ns1 3600 IN A 127.0.0.1'] }],
    clusters: [{ name: CLUSTER, manifests: `clusters/${CLUSTER}` }],
    entries: [{ fqdn: `*.${APEX}`, ttl: 30, targets: [{ cluster: CLUSTER }], ...(withHealth ? { healthCheck } : {}) }],
  };
}

async function start(dnsPort: number, upstreamPort: number, withHealth: boolean): Promise<Globaldns> {
  const g = await startGlobaldns({
    configYaml: config(dnsPort, upstreamPort, withHealth),
    files: { [`clusters/${CLUSTER}/ingresses.yaml`]: manifests() },
    port: dnsPort,
    ipv6: false,
    readyName: APEX,
    startTimeoutMs: 30_000,
  });
  pin(g.pid, 0);
  log(`globaldns up (pid ${g.pid}, ${withHealth ? 'with' : 'without'} health checks) on 127.0.0.1:${dnsPort}${PIN ? ', pinned to CPU 0' : ''}`);
  return g;
}

/** Every name answers its whole address set (or the deadline passes: an error). */
async function waitAllAnswered(client: DnsClient, timeoutMs: number): Promise<void> {
  const deadline = performance.now() + timeoutMs;
  let missing = NAMES;
  while (performance.now() < deadline) {
    const replies = await Promise.all(Array.from({ length: NAMES }, (_, n) => client.query(nameOf(n), 1, 1000)));
    missing = replies.filter((r, n) => !r || r.rcode !== 0 || !sameSet(r.a, addressesOf(n))).length;
    if (missing === 0) return;
    await sleep(250);
  }
  throw new Error(`${missing} of ${NAMES} names never answered all ${PER_NAME} addresses`);
}

async function waitTransitions(g: Globaldns, to: 'healthy' | 'unhealthy', want: number, timeoutMs: number): Promise<number> {
  const t0 = performance.now();
  let seen = 0;
  while (performance.now() - t0 < timeoutMs) {
    seen = await transitions(g, to);
    if (seen >= want) return performance.now() - t0;
    await sleep(250);
  }
  throw new Error(`only ${seen} of ${want} endpoints judged ${to} after ${timeoutMs} ms`);
}

interface Detection {
  ms: number;
  timedOut: boolean;
  wall: number;
  address: string;
}

/** Kills `address` (of name `n`) now and polls the answer until it no longer holds it. */
async function detect(client: DnsClient, upstream: Upstream, n: number, address: string): Promise<Detection> {
  const wall = Date.now();
  const t0 = performance.now();
  await upstream.fail(address);
  const name = nameOf(n);
  const want = addressesOf(n).filter((a) => a !== address);
  while (performance.now() - t0 < DETECT_TIMEOUT_MS) {
    const r = await client.query(name, 1, 500);
    if (r && r.rcode === 0 && !r.a.includes(address)) {
      if (!sameSet(r.a, want)) log(`${name}: answer without ${address} is ${r.a.join(',')} (want the other ${want.length})`);
      return { ms: r.at - t0, timedOut: false, wall, address };
    }
    await sleep(POLL_INTERVAL_MS);
  }
  return { ms: DETECT_TIMEOUT_MS, timedOut: true, wall, address };
}

// ---------------------------------------------------------------------------------------------

async function main(): Promise<void> {
  const tStart = Date.now();
  try {
    execFileSync('dnsperf', ['-h'], { stdio: 'ignore' });
  } catch (e) {
    // dnsperf -h exits 1 after printing its usage; only a missing binary is an error
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') throw new Error('dnsperf not found: bash test/support/install-deps.sh installs it');
  }
  const load0 = os.loadavg()[0];
  const work = await mkdtemp(path.join(os.tmpdir(), 'bench-health-'));
  const queries = path.join(work, 'queries.txt');
  await writeFile(queries, Array.from({ length: NAMES }, (_, n) => `${nameOf(n)} A`).join('\n') + '\n');
  const addresses = Array.from({ length: NAMES }, (_, n) => addressesOf(n)).flat();
  const [dnsPort, upstreamPort] = await freePorts(2, { ipv6: false });

  let upstream: Upstream | undefined;
  let g: Globaldns | undefined;
  let client: DnsClient | undefined;
  try {
    const tu = performance.now();
    upstream = await startUpstream(addresses, upstreamPort);
    log(`${addresses.length} upstreams listening on 127.77.x.y:${upstreamPort} in ${Math.round(performance.now() - tu)} ms; ${NAMES} names × ${PER_NAME}, ${FAILING} to fail (${FAIL_MODE})`);
    client = await DnsClient.open(dnsPort);

    // 1. Baseline: the same zone and endpoints, no health checks.
    g = await start(dnsPort, upstreamPort, false);
    await waitAllAnswered(client, 30_000);
    await sleep(SETTLE_MS);
    const base = await cpuWindow(g, upstream, SECONDS);
    log(`without health: globaldns CPU ${round(base.cpuShare, 3)} of a core over ${SECONDS} s`);
    await dnsperf(dnsPort, queries, DNSPERF_WARMUP_S);
    const baseQps = await measuredDnsperf(g, dnsPort, queries, SECONDS);
    await g.cleanup();
    g = undefined;

    // 2. With health checks.
    g = await start(dnsPort, upstreamPort, true);
    await waitAllAnswered(client, 30_000);
    const judgedMs = await waitTransitions(g, 'healthy', ENDPOINTS, JUDGED_TIMEOUT_MS);
    log(`all ${ENDPOINTS} endpoints judged healthy ${Math.round(judgedMs)} ms after the zone was complete`);
    await sleep(SETTLE_MS);

    const logMark = g.logs().length;
    const runs: Promise<Detection>[] = [];
    for (let j = 0; j < FAILING; j++) {
      const n = (2 * j) % NAMES;
      runs.push(detect(client, upstream, n, addressOf(n, (3 * j) % PER_NAME)));
      await sleep(FLIP_SPACING_MS);
    }
    const detections = await Promise.all(runs);
    const ds = summary(detections.map((d) => d.ms));
    const detectTimeouts = detections.filter((d) => d.timedOut).length;
    log(`death → answer without it: p50 ${ds.p50} p99 ${ds.p99} max ${ds.max} ms (${detectTimeouts} timed out)`);
    await waitTransitions(g, 'unhealthy', FAILING, 15_000);

    // Split at globaldns's "endpoint down" line (ISO ms): death → verdict.
    const down = new Map<string, number>();
    for (const l of logLines(g.logs().slice(logMark), /^endpoint down$/)) {
      const a = l.raw.address;
      if (typeof a === 'string' && !down.has(a)) down.set(a, l.time);
    }
    const toVerdict = detections.filter((d) => down.has(d.address)).map((d) => down.get(d.address)! - d.wall);
    const vs = summary(toVerdict);
    log(`death → "endpoint down": p50 ${vs.p50} p99 ${vs.p99} ms (${toVerdict.length} matched)`);

    await sleep(SETTLE_MS);
    const withHealth = await cpuWindow(g, upstream, SECONDS);
    log(`with health: globaldns CPU ${round(withHealth.cpuShare, 3)} of a core (user ${round(withHealth.userShare, 3)}, system ${round(withHealth.sysShare, 3)}) over ${SECONDS} s, ${round(withHealth.probesPerS, 0)} probes/s; upstreams ${round(withHealth.upstreamShare, 3)}`);
    await dnsperf(dnsPort, queries, DNSPERF_WARMUP_S);
    const healthQps = await measuredDnsperf(g, dnsPort, queries, SECONDS);
    const upStats = await upstream.stats();
    log('upstreams:', JSON.stringify(upStats));
    await g.cleanup();
    g = undefined;

    // 3. The baseline again: the machine's throughput drifts between runs (other tenants,
    // frequency), so probing is compared with the mean of a baseline before and one after.
    g = await start(dnsPort, upstreamPort, false);
    await waitAllAnswered(client, 30_000);
    await sleep(SETTLE_MS);
    await dnsperf(dnsPort, queries, DNSPERF_WARMUP_S);
    const baseQpsAfter = await measuredDnsperf(g, dnsPort, queries, SECONDS);
    const baseQpsMean = (baseQps.qps + baseQpsAfter.qps) / 2;

    const probeCpuShare = round(withHealth.cpuShare - base.cpuShare, 3);
    const qpsRatio = baseQpsMean > 0 ? round(healthQps.qps / baseQpsMean, 3) : NaN;
    const targets = { probe_cpu_share: 0.15, detect_p99_ms: DETECT_TARGET_MS, dns_qps_ratio: 0.9 };
    const line = {
      bench: 'health',
      endpoints: ENDPOINTS,
      probe_cpu_share: probeCpuShare,
      detect_p99_ms: ds.p99,
      dns_qps_ratio: qpsRatio,
      targets,
      pass: {
        probe_cpu_share: probeCpuShare < targets.probe_cpu_share,
        detect_p99_ms: ds.p99 < targets.detect_p99_ms && detectTimeouts === 0,
        dns_qps_ratio: qpsRatio >= targets.dns_qps_ratio,
      },
      names: NAMES,
      addresses_per_name: PER_NAME,
      failing: FAILING,
      fail_mode: FAIL_MODE,
      cpu_share_with_health: round(withHealth.cpuShare, 3),
      cpu_share_without: round(base.cpuShare, 3),
      probe_cpu_user_share: round(withHealth.userShare - base.userShare, 3),
      probe_cpu_sys_share: round(withHealth.sysShare - base.sysShare, 3),
      upstream_cpu_share: round(withHealth.upstreamShare, 3),
      // The thread that answers DNS: probing runs in a thread of its own.
      main_thread_cpu_share_with_health: round(withHealth.mainThreadShare, 3),
      main_thread_cpu_share_without: round(base.mainThreadShare, 3),
      probes_per_s: round(withHealth.probesPerS, 0),
      detect_p50_ms: ds.p50,
      detect_max_ms: ds.max,
      detect_timeouts: detectTimeouts,
      death_to_verdict_p50_ms: vs.p50,
      death_to_verdict_p99_ms: vs.p99,
      dns_qps_with_health: Math.round(healthQps.qps),
      dns_qps_without: Math.round(baseQpsMean),
      dns_qps_without_before: Math.round(baseQps.qps),
      dns_qps_without_after: Math.round(baseQpsAfter.qps),
      dns_thread_busy_with_health: healthQps.dnsThreadBusy,
      dns_thread_busy_without: round((baseQps.dnsThreadBusy + baseQpsAfter.dnsThreadBusy) / 2, 3),
      dns_lost_with_health: healthQps.lost,
      dns_lost_without: baseQps.lost,
      interval_ms: INTERVAL_MS,
      timeout_ms: TIMEOUT_MS,
      failure_threshold: FAILURE_THRESHOLD,
      success_threshold: SUCCESS_THRESHOLD,
      seconds: SECONDS,
      pinned: PIN,
      poll_interval_ms: POLL_INTERVAL_MS,
      flip_spacing_ms: FLIP_SPACING_MS,
      ...machineFields(load0, tStart),
    };
    process.stdout.write(JSON.stringify(line) + '\n');
  } finally {
    client?.close();
    if (g) {
      if (!g.alive()) log('globaldns died during the run:\n' + g.logs().split('\n').slice(-30).join('\n'));
      await g.cleanup().catch((e: unknown) => log('globaldns cleanup:', e));
    }
    await upstream?.stop().catch((e: unknown) => log('upstream stop:', e));
    await rm(work, { recursive: true, force: true });
  }
}

main().then(
  () => process.exit(0),
  (err: unknown) => {
    log('failed:', err instanceof Error ? (err.stack ?? err.message) : err);
    process.exit(1);
  },
);
