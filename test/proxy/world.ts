// Shared pieces of the proxy's end-to-end tests: upstream HTTP servers standing for the
// clusters' ingress endpoints (127.0.0.2, 127.0.0.3, ... on one port), globaldns launched
// through the real CLI with a `proxy:` section, and curl.
import { createHash } from 'node:crypto';
import { execFile, spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import http from 'node:http';
import type { Socket } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { ingressYaml, startGlobaldns } from '../support/globaldns.js';
import type { Globaldns } from '../support/globaldns.js';
import { freePort } from '../support/ports.js';
import { killServer, listenOn, trackSockets } from '../support/tcp-server.js';

/** One upstream: answers with its name, and serves a few test paths. */
export interface Upstream {
  name: string;
  host: string;
  port: number;
  /** Requests it answered. */
  hits: number;
  /** Headers of the last request. */
  lastHeaders: http.IncomingHttpHeaders;
  /** Method and target of every request, in order. */
  requests: string[];
  start(): Promise<void>;
  stop(): Promise<void>;
}

/**
 * Paths: `/` (its name), `/headers` (the request headers as JSON), `/slow-headers?ms=` (head
 * after a delay), `/stall-body` (head, some body, then silence), `/echo` (POST body back);
 * WebSocket upgrades on any path are echoed.
 */
export function upstream(name: string, host: string, port: number): Upstream {
  let server: http.Server | undefined;
  const sockets = new Set<Socket>();
  const u: Upstream = {
    name,
    host,
    port,
    hits: 0,
    lastHeaders: {},
    requests: [],
    async start() {
      server = http.createServer((req, res) => {
        u.hits++;
        u.lastHeaders = req.headers;
        u.requests.push(`${req.method} ${req.url}`);
        const url = new URL(req.url ?? '/', 'http://x');
        if (url.pathname === '/headers') {
          res.writeHead(200, { 'content-type': 'application/json', 'x-upstream': name });
          res.end(JSON.stringify(req.headers));
        } else if (url.pathname === '/slow-headers') {
          setTimeout(() => res.end(name), Number(url.searchParams.get('ms') ?? 1000)).unref();
        } else if (url.pathname === '/stall-body') {
          res.writeHead(200, { 'content-type': 'text/plain', 'content-length': 1000 });
          res.write('x'.repeat(100));
        } else if (url.pathname === '/echo') {
          const chunks: Buffer[] = [];
          req.on('data', (c: Buffer) => chunks.push(c));
          req.on('end', () => res.end(Buffer.concat(chunks)));
        } else {
          res.writeHead(200, { 'content-type': 'text/plain', 'x-upstream': name });
          res.end(name);
        }
      });
      trackSockets(server, sockets);
      server.on('upgrade', (req: http.IncomingMessage, socket: Socket) => websocketEcho(req, socket, name));
      await listenOn(server, port, host);
    },
    async stop() {
      if (!server) return;
      const s = server;
      server = undefined;
      // A killed upstream: connections cut, nothing drained.
      await killServer(s, sockets);
    },
  };
  return u;
}

/** Minimal RFC 6455 echo: handshake, then each (small, unfragmented) text frame back with the upstream's name. */
function websocketEcho(req: http.IncomingMessage, socket: Socket, name: string): void {
  const key = req.headers['sec-websocket-key'];
  if (typeof key !== 'string') {
    socket.end('HTTP/1.1 400 Bad Request\r\n\r\n');
    return;
  }
  const accept = createHash('sha1').update(`${key}258EAFA5-E914-47DA-95CA-C5AB0DC85B11`).digest('base64');
  socket.write(`HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Accept: ${accept}\r\n\r\n`);
  let buf = Buffer.alloc(0);
  socket.on('data', (d: Buffer) => {
    buf = Buffer.concat([buf, d]);
    for (;;) {
      if (buf.length < 2) return;
      const opcode = buf[0] & 0x0f;
      let len = buf[1] & 0x7f;
      let off = 2;
      if (len === 126) {
        if (buf.length < 4) return;
        len = buf.readUInt16BE(2);
        off = 4;
      }
      const masked = (buf[1] & 0x80) !== 0;
      const need = off + (masked ? 4 : 0) + len;
      if (buf.length < need) return;
      const mask = masked ? buf.subarray(off, off + 4) : undefined;
      const payload = Buffer.from(buf.subarray(off + (masked ? 4 : 0), need));
      if (mask) { for (let i = 0; i < payload.length; i++) payload[i] ^= mask[i & 3]; }
      buf = buf.subarray(need);
      if (opcode === 0x8) {
        socket.end(Buffer.from([0x88, 0]));
        return;
      }
      if (opcode !== 0x1) continue;
      const out = Buffer.from(`${name}: ${payload.toString()}`);
      const head = out.length < 126 ? Buffer.from([0x81, out.length]) : Buffer.from([0x81, 126, out.length >> 8, out.length & 255]);
      socket.write(Buffer.concat([head, out]));
    }
  });
  socket.on('error', () => socket.destroy());
}

export interface CurlResult {
  code: number;
  status: number;
  body: string;
  stderr: string;
}

/** curl, with the status code on the last line of stdout. */
export function curl(args: string[], timeoutMs = 15_000): Promise<CurlResult> {
  return new Promise((resolve) => {
    execFile('curl', ['-sS', '-w', '\n%{http_code}', ...args], { timeout: timeoutMs, encoding: 'utf8' }, (err, stdout, stderr) => {
      const nl = stdout.lastIndexOf('\n');
      const status = Number(stdout.slice(nl + 1)) || 0;
      const code = err ? (typeof (err as { code?: unknown }).code === 'number' ? ((err as { code: number }).code) : -1) : 0;
      resolve({ code, status, body: stdout.slice(0, Math.max(0, nl)), stderr });
    });
  });
}

export interface ProxyWorld {
  gd: Globaldns;
  httpPort: number;
  httpsPort: number;
  upstreamPort: number;
  east: Upstream;
  west: Upstream;
  /** `http://127.0.0.1:<port><path>` with Host shop.example.test */
  get(pathname: string, extra?: string[]): Promise<CurlResult>;
  stop(): Promise<void>;
}

export interface WorldOptions {
  /** merged into the `proxy:` section */
  proxy?: Record<string, unknown>;
  /** merged into the shop entry's `proxy:` */
  entryProxy?: Record<string, unknown>;
  /** extra files for the launcher (certificates, manifests) */
  files?: Record<string, string>;
  /** more entries */
  entries?: Record<string, unknown>[];
  /** default warn */
  logLevel?: string;
  /** node flags for the globaldns process */
  nodeArgs?: string[];
  /** extra `globaldns serve` flags */
  args?: string[];
}

/**
 * Two demo clusters (folders) whose Ingress for shop.example.test has the load-balancer IP
 * 127.0.0.2 (east) and 127.0.0.3 (west); an upstream server on each, same port; globaldns
 * serving DNS and proxying shop.example.test to them.
 */
export async function startWorld(o: WorldOptions = {}): Promise<ProxyWorld> {
  const upstreamPort = await freePort({ ipv6: false });
  const east = upstream('east', '127.0.0.2', upstreamPort);
  const west = upstream('west', '127.0.0.3', upstreamPort);
  await east.start();
  await west.start();
  const httpPort = await freePort({ ipv6: false });
  const httpsPort = await freePort({ ipv6: false });
  const config = {
    zones: [{ apex: 'example.test' }],
    clusters: [
      { name: 'east', manifests: 'clusters/east' },
      { name: 'west', manifests: 'clusters/west' },
    ],
    entries: [{ fqdn: 'shop.example.test', ttl: 60, targets: [{ cluster: 'east' }, { cluster: 'west' }], proxy: { upstreamPort, ...o.entryProxy } }, ...(o.entries ?? [])],
    logLevel: o.logLevel ?? 'warn',
    proxy: {
      http: `127.0.0.1:${httpPort}`,
      https: `127.0.0.1:${httpsPort}`,
      workers: 0,
      healthCheck: { ejectAfter: 2, interval: '200ms', timeout: '500ms' },
      // Any proxy test can run against the node:http engine: GLOBALDNS_TEST_PROXY_ENGINE=node npx ava test/proxy/x.test.ts
      ...(process.env.GLOBALDNS_TEST_PROXY_ENGINE ? { engine: process.env.GLOBALDNS_TEST_PROXY_ENGINE } : {}),
      ...o.proxy,
    },
  };
  const gd = await startGlobaldns({
    configYaml: config,
    ipv6: false,
    nodeArgs: o.nodeArgs,
    args: o.args,
    files: {
      'clusters/east/shop.yaml': ingressYaml({ name: 'shop', hostname: 'shop.example.test', ips: ['127.0.0.2'] }),
      'clusters/west/shop.yaml': ingressYaml({ name: 'shop', hostname: 'shop.example.test', ips: ['127.0.0.3'] }),
      ...o.files,
    },
  });
  const get = (pathname: string, extra: string[] = []) => curl(['-H', 'host: shop.example.test', ...extra, `http://127.0.0.1:${httpPort}${pathname}`]);
  // Routes appear once the folders have been read.
  const deadline = Date.now() + 15_000;
  for (;;) {
    const r = await get('/');
    if (r.status === 200) break;
    if (Date.now() > deadline) {
      await gd.cleanup();
      throw new Error(`proxy never routed shop.example.test (last: ${r.status} ${r.body} ${r.stderr})\n${gd.logs()}`);
    }
    await sleep(100);
  }
  return {
    gd,
    httpPort,
    httpsPort,
    upstreamPort,
    east,
    west,
    get,
    async stop() {
      await gd.cleanup();
      await east.stop();
      await west.stop();
    },
  };
}

export function sleep(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}

/** A self-signed certificate for the names, made by openssl. */
export function selfSigned(names: string[]): { certPem: string; keyPem: string } {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'gdns-cert-'));
  try {
    const san = names.map((n) => `DNS:${n}`).join(',');
    const args = ['req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes', '-days', '2', '-subj', `/CN=${names[0]}`, '-addext', `subjectAltName=${san}`, '-keyout', path.join(dir, 'key.pem'), '-out', path.join(dir, 'cert.pem')];
    const r = execFileSyncQuiet('openssl', args);
    if (r !== 0) throw new Error('openssl failed');
    return { certPem: readFileSync(path.join(dir, 'cert.pem'), 'utf8'), keyPem: readFileSync(path.join(dir, 'key.pem'), 'utf8') };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

function execFileSyncQuiet(cmd: string, args: string[]): number {
  return spawnSync(cmd, args, { stdio: 'ignore' }).status ?? 1;
}
