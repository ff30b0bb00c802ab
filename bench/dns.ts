// DNS throughput benchmark: globaldns's embedded server against knotd serving the same
// 100,000-name zone, measured with dnsperf over UDP then TCP, in one run.
// Prints exactly one JSON line on stdout; progress and tool output go to stderr.
//
//   npm run bench:dns
//   BENCH_SECONDS=5 npm run bench:dns            (shorter runs)
//   BENCH_SKIP_GLOBALDNS=1 npm run bench:dns     (knot only: checks the harness itself)
import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { mkdtemp, writeFile, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { startGlobaldns, type Globaldns } from '../test/support/globaldns.js';
import { startKnot, type Knot } from '../test/support/knot.js';
import { freePorts } from '../test/support/ports.js';
import { seededRandom } from '../test/support/random.js';
import { processTree } from './proc.js';

const NAMES = Number(process.env.BENCH_NAMES ?? 100_000);
const SECONDS = Number(process.env.BENCH_SECONDS ?? 10);
const WARMUP_SECONDS = 2;
const QUERY_NAMES = 5000;
// 2 cores shared by server and dnsperf: one dnsperf thread, a few sockets, enough
// outstanding queries to keep the server busy without making loss the bottleneck.
const CLIENTS = 4;
const OUTSTANDING = 100;
const APEX = 'bench.test';
const skipGlobaldns = process.env.BENCH_SKIP_GLOBALDNS === '1';

const log = (...a: unknown[]) => console.error('[bench:dns]', ...a);

function addressOf(i: number): string {
  // document/private ranges as record DATA only; no traffic is ever sent there
  return `10.${(i >> 16) & 255}.${(i >> 8) & 255}.${i & 255}`;
}

function records(): string[] {
  const out: string[] = [];
  for (let i = 0; i < NAMES; i++) out.push(`h${i} 300 IN A ${addressOf(i)}`);
  return out;
}

/** Deterministic pseudo-random sample of existing names (mulberry32). */
function queryFile(): string {
  const rnd = seededRandom(0x9e3779b9);
  const lines: string[] = [];
  for (let i = 0; i < QUERY_NAMES; i++) lines.push(`h${Math.floor(rnd() * NAMES)}.${APEX} A`);
  return lines.join('\n') + '\n';
}

interface PerfResult {
  qps: number;
  sent: number;
  completed: number;
  lost: number;
  avgLatencyMs: number | null;
  rcodes: string;
}

function dnsperf(port: number, queries: string, mode: 'udp' | 'tcp', seconds: number): Promise<PerfResult> {
  const args = ['-s', '127.0.0.1', '-p', String(port), '-d', queries, '-m', mode, '-l', String(seconds), '-c', String(CLIENTS), '-T', '1', '-q', String(OUTSTANDING), '-t', '2'];
  return new Promise((resolve, reject) => {
    const p = spawn('dnsperf', args, { stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    p.stdout.on('data', (d) => (out += d));
    p.stderr.on('data', (d) => (out += d));
    // dnsperf stops itself after -l seconds; this guard bounds a stuck run
    const guard = setTimeout(() => p.kill('SIGKILL'), (seconds + 15) * 1000);
    p.on('error', reject);
    p.on('exit', (code) => {
      clearTimeout(guard);
      const num = (re: RegExp) => {
        const m = re.exec(out);
        return m ? Number(m[1]) : NaN;
      };
      const qps = num(/Queries per second:\s+([\d.]+)/);
      if (!Number.isFinite(qps)) {
        reject(new Error(`dnsperf ${mode} on port ${port} failed (exit ${code}):\n${out}`));
        return;
      }
      const lat = num(/Average Latency \(s\):\s+([\d.]+)/);
      resolve({
        qps,
        sent: num(/Queries sent:\s+(\d+)/),
        completed: num(/Queries completed:\s+(\d+)/),
        lost: num(/Queries lost:\s+(\d+)/),
        avgLatencyMs: Number.isFinite(lat) ? +(lat * 1000).toFixed(3) : null,
        rcodes: (/Response codes:\s+(.*)/.exec(out)?.[1] ?? '').trim(),
      });
      log(`dnsperf ${mode} :${port} →`, out.split('\n').filter((l) => /Queries|Response codes|Latency/.test(l)).map((l) => l.trim()).join(' | '));
    });
  });
}

/** Resident memory of a process and all its descendants, in MiB. */
function rssMb(pid: number): number {
  const pids = processTree(pid);
  let kb = 0;
  for (const p of pids) {
    try {
      const m = /VmRSS:\s+(\d+)\s+kB/.exec(readFileSync(`/proc/${p}/status`, 'utf8'));
      if (m) kb += Number(m[1]);
    } catch {
      /* process gone */
    }
  }
  return +(kb / 1024).toFixed(1);
}

const ratio = (a: number, b: number) => (b > 0 ? +(a / b).toFixed(3) : null);
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

async function main() {
  const t0 = Date.now();
  const work = await mkdtemp(path.join(os.tmpdir(), 'bench-dns-'));
  const queries = path.join(work, 'queries.txt');
  await writeFile(queries, queryFile());
  const recs = records();
  const [gPort, kPort] = await freePorts(2, { ipv6: false });

  let g: Globaldns | undefined;
  let k: Knot | undefined;
  try {
    const zoneText = ['@ 3600 IN SOA ns1 hostmaster 1 3600 600 86400 60', '@ 3600 IN NS ns1', 'ns1 3600 IN A 127.0.0.1', ...recs].join('\n');
    const tk = Date.now();
    k = await startKnot({ zones: [{ apex: APEX, zoneText }], port: kPort, ipv6: false, startTimeoutMs: 30_000 });
    log(`knotd up with ${NAMES} names in ${Date.now() - tk} ms (pid ${k.pid})`);

    let rssLoaded: number | null = null;
    if (!skipGlobaldns) {
      const tg = Date.now();
      g = await startGlobaldns({
        // The very zone file knotd serves: both servers load the same bytes.
        configYaml: {
          dns: { listen: [`127.0.0.1:${gPort}`] },
          zones: [{ apex: APEX, file: 'bench.test.zone' }],
        },
        files: { 'bench.test.zone': `$ORIGIN ${APEX}.\n${zoneText}\n` },
        port: gPort,
        ipv6: false,
        startTimeoutMs: 45_000,
        readyName: APEX,
      });
      log(`globaldns up with ${NAMES} names in ${Date.now() - tg} ms (pid ${g.pid})`);
      await sleep(1000);
      rssLoaded = rssMb(g.pid);
      log(`globaldns RSS after load: ${rssLoaded} MiB`);
    }

    // warm-up (JIT, caches), not measured
    if (g) await dnsperf(gPort, queries, 'udp', WARMUP_SECONDS);
    await dnsperf(kPort, queries, 'udp', WARMUP_SECONDS);

    const gUdp = g ? await dnsperf(gPort, queries, 'udp', SECONDS) : null;
    const kUdp = await dnsperf(kPort, queries, 'udp', SECONDS);
    const gTcp = g ? await dnsperf(gPort, queries, 'tcp', SECONDS) : null;
    const kTcp = await dnsperf(kPort, queries, 'tcp', SECONDS);
    const rssAfter = g ? rssMb(g.pid) : null;
    if (g) log(`globaldns RSS after run: ${rssAfter} MiB; alive: ${g.alive()}`);

    const line = {
      bench: 'dns',
      udp_qps: gUdp ? Math.round(gUdp.qps) : null,
      knot_udp_qps: Math.round(kUdp.qps),
      udp_ratio: gUdp ? ratio(gUdp.qps, kUdp.qps) : null,
      tcp_qps: gTcp ? Math.round(gTcp.qps) : null,
      knot_tcp_qps: Math.round(kTcp.qps),
      tcp_ratio: gTcp ? ratio(gTcp.qps, kTcp.qps) : null,
      rss_mb_100k: rssLoaded === null ? null : Math.max(rssLoaded, rssAfter ?? 0),
      rss_mb_loaded: rssLoaded,
      rss_mb_after_run: rssAfter,
      udp_lost: gUdp?.lost ?? null,
      knot_udp_lost: kUdp.lost,
      tcp_lost: gTcp?.lost ?? null,
      knot_tcp_lost: kTcp.lost,
      udp_latency_ms: gUdp?.avgLatencyMs ?? null,
      knot_udp_latency_ms: kUdp.avgLatencyMs,
      names: NAMES,
      seconds: SECONDS,
      clients: CLIENTS,
      outstanding: OUTSTANDING,
      cpus: os.cpus().length,
      elapsed_s: Math.round((Date.now() - t0) / 1000),
    };
    process.stdout.write(JSON.stringify(line) + '\n');
  } finally {
    if (g) {
      await g.cleanup().catch((e) => log('globaldns cleanup:', e));
    }
    if (k) await k.stop().catch((e) => log('knot stop:', e));
    await rm(work, { recursive: true, force: true });
  }
}

main().then(
  () => process.exit(0),
  (err) => {
    log('failed:', err instanceof Error ? err.stack ?? err.message : err);
    process.exit(1);
  },
);
