// Proxy throughput benchmark: wrk through globaldns's proxy (default workers) and through
// nginx (worker_processes auto) configured the same way, in one run, plain HTTP and TLS
// keep-alive. Both forward to the same upstream: a separate nginx answering a static 200.
// Prints exactly one JSON line on stdout; progress and tool output go to stderr.
//
//   npm run bench:proxy
//   BENCH_SECONDS=5 npm run bench:proxy      (shorter runs)
//   BENCH_ROUNDS=1 npm run bench:proxy       (one measurement per side)
import { execFileSync, spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { ingressYaml, startGlobaldns, type Globaldns } from '../test/support/globaldns.js';
import { startNginx, type Nginx } from '../test/support/nginx.js';
import { freePort } from '../test/support/ports.js';

const SECONDS = Number(process.env.BENCH_SECONDS ?? 10);
/**
 * Rounds of (globaldns, nginx), in alternating order, averaged: the machine is shared, and a
 * burst of someone else's load must not land on one side only.
 */
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 2);
const WARMUP_SECONDS = 2;
const CONNECTIONS = 64;
const THREADS = 2;
const HOST = 'bench.example.test';
/** The upstream's load-balancer address, as the demo clusters' would be. */
const UPSTREAM_IP = '127.0.0.2';
const BODY = 'x'.repeat(256);

const log = (...a: unknown[]) => console.error('[bench:proxy]', ...a);

interface WrkResult {
  rps: number;
  p99Ms: number;
  errors: number;
}

function wrk(url: string, seconds: number): Promise<WrkResult> {
  const args = [`-t${THREADS}`, `-c${CONNECTIONS}`, `-d${seconds}s`, '--latency', '-H', `Host: ${HOST}`, url];
  return new Promise((resolve, reject) => {
    const p = spawn('wrk', args, { stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    p.stdout.on('data', (d) => (out += d));
    p.stderr.on('data', (d) => (out += d));
    const killer = setTimeout(() => p.kill('SIGKILL'), (seconds + 30) * 1000);
    p.once('exit', (code) => {
      clearTimeout(killer);
      const rps = /Requests\/sec:\s+([\d.]+)/.exec(out);
      const p99 = /\s99%\s+([\d.]+)(us|ms|s)\b/.exec(out);
      if (code !== 0 || !rps || !p99) {
        reject(new Error(`wrk ${args.join(' ')} failed (exit ${code}):\n${out}`));
        return;
      }
      const scale = { us: 0.001, ms: 1, s: 1000 }[p99[2] as 'us' | 'ms' | 's'];
      const non2xx = /Non-2xx or 3xx responses:\s+(\d+)/.exec(out);
      const sockErr = /Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)/.exec(out);
      const errors = (non2xx ? Number(non2xx[1]) : 0) + (sockErr ? sockErr.slice(1).reduce((a, b) => a + Number(b), 0) : 0);
      log(url, `${rps[1]} req/s, p99 ${p99[1]}${p99[2]}, errors ${errors}`);
      resolve({ rps: Number(rps[1]), p99Ms: Math.round(Number(p99[1]) * scale * 100) / 100, errors });
    });
  });
}

/** A certificate for the bench name and `localhost` (wrk sends the URL's host as SNI). */
function certificate(): { certPem: string; keyPem: string } {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'gdns-bench-cert-'));
  try {
    execFileSync('openssl', ['req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes', '-days', '2', '-subj', `/CN=${HOST}`, '-addext', `subjectAltName=DNS:${HOST},DNS:localhost`, '-keyout', path.join(dir, 'key.pem'), '-out', path.join(dir, 'cert.pem')], { stdio: 'ignore' });
    return { certPem: readFileSync(path.join(dir, 'cert.pem'), 'utf8'), keyPem: readFileSync(path.join(dir, 'key.pem'), 'utf8') };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

async function main(): Promise<void> {
  const cert = certificate();
  const upstreamPort = await freePort({ ipv6: false });
  const [nginxHttp, nginxHttps, gdHttp, gdHttps] = [await freePort({ ipv6: false }), await freePort({ ipv6: false }), await freePort({ ipv6: false }), await freePort({ ipv6: false })];
  let upstream: Nginx | undefined;
  let nginx: Nginx | undefined;
  let gd: Globaldns | undefined;
  try {
    // The upstream both proxies forward to: a static 200 with a small body.
    upstream = await startNginx({
      workers: 1,
      http: `server { listen ${UPSTREAM_IP}:${upstreamPort} reuseport; keepalive_requests 1000000; location / { default_type text/plain; return 200 "${BODY}"; } }`,
      waitFor: [{ host: UPSTREAM_IP, port: upstreamPort }],
    });
    // nginx as the reference proxy: keep-alive upstream pool, the same forwarding headers.
    nginx = await startNginx({
      files: { 'cert.pem': cert.certPem, 'key.pem': cert.keyPem },
      http: `
  upstream cluster { server ${UPSTREAM_IP}:${upstreamPort}; keepalive 128; }
  server {
    listen 127.0.0.1:${nginxHttp} reuseport;
    listen 127.0.0.1:${nginxHttps} ssl http2 reuseport;
    ssl_certificate cert.pem;
    ssl_certificate_key key.pem;
    keepalive_requests 1000000;
    location / {
      proxy_pass http://cluster;
      proxy_http_version 1.1;
      proxy_set_header Connection "";
      proxy_set_header Host $host;
      proxy_set_header X-Forwarded-For $proxy_add_x_forwarded_for;
      proxy_set_header X-Forwarded-Proto $scheme;
      proxy_set_header X-Forwarded-Host $host;
      proxy_set_header Forwarded "for=$remote_addr;host=$host;proto=$scheme";
    }
  }`,
      waitFor: [
        { host: '127.0.0.1', port: nginxHttp },
        { host: '127.0.0.1', port: nginxHttps },
      ],
    });
    gd = await startGlobaldns({
      ipv6: false,
      configYaml: {
        logLevel: 'warn',
        zones: [{ apex: 'example.test' }],
        clusters: [{ name: 'east', manifests: 'clusters/east' }],
        entries: [{ fqdn: HOST, targets: [{ cluster: 'east' }], proxy: { upstreamPort, tls: { certFile: 'cert.pem', keyFile: 'key.pem' } } }],
        // Default workers (one per core), as shipped.
        proxy: { http: `127.0.0.1:${gdHttp}`, https: `127.0.0.1:${gdHttps}` },
      },
      files: {
        'cert.pem': cert.certPem,
        'key.pem': cert.keyPem,
        'clusters/east/bench.yaml': ingressYaml({ name: 'bench', hostname: HOST, ips: [UPSTREAM_IP] }),
      },
    });
    await waitForRoute(`http://127.0.0.1:${gdHttp}/`);
    log('globaldns, nginx and the upstream are up; warming up');
    for (const url of [`http://127.0.0.1:${gdHttp}/`, `http://127.0.0.1:${nginxHttp}/`, `https://localhost:${gdHttps}/`, `https://localhost:${nginxHttps}/`]) await wrk(url, WARMUP_SECONDS);

    const http = await rounds(`http://127.0.0.1:${gdHttp}/`, `http://127.0.0.1:${nginxHttp}/`);
    const tlsBoth = await rounds(`https://localhost:${gdHttps}/`, `https://localhost:${nginxHttps}/`);
    const [gdHttpR, nginxHttpR] = http;
    const [tls, nginxTls] = tlsBoth;
    const errors = gdHttpR.errors + nginxHttpR.errors + tls.errors + nginxTls.errors;
    const round = (x: number) => Math.round(x * 1000) / 1000;
    console.log(
      JSON.stringify({
        bench: 'proxy',
        seconds: SECONDS,
        connections: CONNECTIONS,
        rounds: ROUNDS,
        http_rps: Math.round(gdHttpR.rps),
        nginx_http_rps: Math.round(nginxHttpR.rps),
        http_ratio: round(gdHttpR.rps / nginxHttpR.rps),
        http_p99_ms: gdHttpR.p99Ms,
        nginx_http_p99_ms: nginxHttpR.p99Ms,
        tls_rps: Math.round(tls.rps),
        nginx_tls_rps: Math.round(nginxTls.rps),
        tls_ratio: round(tls.rps / nginxTls.rps),
        tls_p99_ms: tls.p99Ms,
        nginx_tls_p99_ms: nginxTls.p99Ms,
        errors,
      }),
    );
  } finally {
    await gd?.cleanup();
    await nginx?.stop();
    await upstream?.stop();
  }
}

/** globaldns and nginx measured ROUNDS times each, alternating who goes first; means of req/s and p99. */
async function rounds(globaldnsUrl: string, nginxUrl: string): Promise<[WrkResult, WrkResult]> {
  const gd: WrkResult[] = [];
  const ng: WrkResult[] = [];
  for (let i = 0; i < ROUNDS; i++) {
    if (i % 2 === 0) {
      gd.push(await wrk(globaldnsUrl, SECONDS));
      ng.push(await wrk(nginxUrl, SECONDS));
    } else {
      ng.push(await wrk(nginxUrl, SECONDS));
      gd.push(await wrk(globaldnsUrl, SECONDS));
    }
  }
  return [mean(gd), mean(ng)];
}

function mean(rs: WrkResult[]): WrkResult {
  const avg = (f: (r: WrkResult) => number) => rs.reduce((a, r) => a + f(r), 0) / rs.length;
  return { rps: avg((r) => r.rps), p99Ms: Math.round(avg((r) => r.p99Ms) * 100) / 100, errors: rs.reduce((a, r) => a + r.errors, 0) };
}

/** The proxy routes once the folder has been read. */
async function waitForRoute(url: string): Promise<void> {
  const deadline = Date.now() + 20_000;
  for (;;) {
    try {
      const out = execFileSync('curl', ['-s', '-o', '/dev/null', '-w', '%{http_code}', '-H', `Host: ${HOST}`, url], { encoding: 'utf8' });
      if (out === '200') return;
    } catch {
      /* not yet */
    }
    if (Date.now() > deadline) throw new Error(`globaldns never routed ${HOST} at ${url}`);
    await new Promise((r) => setTimeout(r, 200));
  }
}

main().catch((e: Error) => {
  console.error(e.message);
  process.exit(1);
});
