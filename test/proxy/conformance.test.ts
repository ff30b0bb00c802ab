// HTTP/1.1 behaviour clients and upstreams rely on, end to end through the CLI: keep-alive
// and pipelining, HTTP/1.0, Connection: close, HEAD/204/304 framing, chunked and
// close-delimited responses, request bodies (Content-Length, chunked, 100-continue),
// hop-by-hop headers both ways, stale upstream connections, broken upstream answers, cut
// bodies, clients leaving mid-response, slow readers, exact request targets, repeated
// headers, and HTTP/1.1 over TLS. Clients are raw sockets with a strict response parser, so
// what is asserted is the bytes on the wire, not what a forgiving client makes of them.
//
// Upstreams: `conf.example.test` is a node:http server (127.0.0.2) that records what it
// receives; `raw.example.test` is a scripted `net` server (127.0.0.3, raw-upstream.ts) for
// answers node:http cannot produce; `brief.example.test` is node:http with a 100 ms
// keep-alive timeout. They stand beside the world's shop.example.test (the "good host").
import { createHash, randomBytes } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import http from 'node:http';
import net from 'node:net';
import type { Socket } from 'node:net';
import tls from 'node:tls';
import type { Duplex } from 'node:stream';
import test from 'ava';
import type { ExecutionContext } from 'ava';
import { ingressYaml } from '../support/globaldns.js';
import { freePort } from '../support/ports.js';
import { seededRandom } from '../support/random.js';
import { rawUpstream } from './raw-upstream.js';
import type { RawUpstream } from './raw-upstream.js';
import { curl, selfSigned, sleep, startWorld } from './world.js';
import type { ProxyWorld } from './world.js';
import { killServer, listenOn } from '../support/tcp-server.js';

const MiB = 1024 * 1024;

// ---------------------------------------------------------------------------------------------
// A raw HTTP/1.1 client connection with a strict response parser.

interface HttpResponse {
  version: string;
  status: number;
  reason: string;
  /** Header fields in order, names as received. */
  headers: [string, string][];
  body: Buffer;
  /** How the body was delimited. */
  framing: 'none' | 'length' | 'chunked' | 'close';
  /** false: the connection ended before the message did. */
  complete: boolean;
}

function header(r: HttpResponse, name: string): string | undefined {
  return r.headers.find(([n]) => n.toLowerCase() === name)?.[1];
}

function headerValues(r: HttpResponse, name: string): string[] {
  return r.headers.filter(([n]) => n.toLowerCase() === name).map(([, v]) => v);
}

const sha256 = (b: Buffer): string => createHash('sha256').update(b).digest('hex');

class Conn {
  private chunks: Buffer[] = [];
  private length = 0;
  closed = false;
  /** Bytes received in all. */
  received = 0;
  private wake: (() => void) | undefined;
  /** Slow reader: pause this long after every `every` bytes. */
  throttle: { every: number; pauseMs: number } | undefined;
  private sinceThrottle = 0;

  constructor(readonly sock: Duplex) {
    sock.on('data', (d: Buffer) => {
      this.chunks.push(d);
      this.length += d.length;
      this.received += d.length;
      if (this.throttle) {
        this.sinceThrottle += d.length;
        if (this.sinceThrottle >= this.throttle.every) {
          this.sinceThrottle = 0;
          sock.pause();
          setTimeout(() => sock.resume(), this.throttle.pauseMs);
        }
      }
      this.wake?.();
    });
    sock.on('close', () => {
      this.closed = true;
      this.wake?.();
    });
    sock.on('error', () => {});
  }

  static open(port: number): Promise<Conn> {
    return new Promise((resolve, reject) => {
      const s = net.connect(port, '127.0.0.1');
      s.once('connect', () => resolve(new Conn(s)));
      s.once('error', reject);
    });
  }

  static openTls(port: number, servername: string, ca: string): Promise<Conn> {
    return new Promise((resolve, reject) => {
      const s = tls.connect({ host: '127.0.0.1', port, servername, ca, ALPNProtocols: ['http/1.1'] });
      s.once('secureConnect', () => resolve(new Conn(s)));
      s.once('error', reject);
    });
  }

  write(bytes: string | Buffer): void {
    this.sock.write(typeof bytes === 'string' ? Buffer.from(bytes, 'latin1') : bytes);
  }

  destroy(): void {
    this.sock.destroy();
  }

  /** The buffered bytes as one Buffer (joined lazily: large bodies arrive in many chunks). */
  private flat(): Buffer {
    if (this.chunks.length !== 1) this.chunks = [Buffer.concat(this.chunks)];
    return this.chunks[0];
  }

  private take(n: number): Buffer {
    const all = this.flat();
    const out = Buffer.from(all.subarray(0, n));
    this.chunks = [all.subarray(n)];
    this.length -= n;
    return out;
  }

  /** Waits until `ready()` holds (true) or the connection closed first (false). */
  private async until(ready: () => boolean, deadline: number): Promise<boolean> {
    for (;;) {
      if (ready()) return true;
      if (this.closed) return false;
      const left = deadline - Date.now();
      if (left <= 0) throw new Error(`timed out waiting for the response; buffered ${JSON.stringify(this.flat().subarray(0, 200).toString('latin1'))}`);
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, left);
        this.wake = () => {
          clearTimeout(timer);
          this.wake = undefined;
          resolve();
        };
      });
    }
  }

  /** Waits for at least `n` bytes received in all (or the close). */
  async receivedAtLeast(n: number, timeoutMs = 10_000): Promise<void> {
    await this.until(() => this.received >= n, Date.now() + timeoutMs);
  }

  /** Whether the peer closed the connection within `ms`. */
  async closesWithin(ms: number): Promise<boolean> {
    try {
      await this.until(() => false, Date.now() + ms);
    } catch {
      return false;
    }
    return true;
  }

  /** Reads one response; `method` is the request's (HEAD responses have no body). */
  async response(method = 'GET', timeoutMs = 15_000): Promise<HttpResponse> {
    const deadline = Date.now() + timeoutMs;
    if (!(await this.until(() => this.flat().includes('\r\n\r\n'), deadline))) {
      throw new Error(`connection closed before a response head (buffered ${JSON.stringify(this.flat().toString('latin1').slice(0, 200))})`);
    }
    const headText = this.take(this.flat().indexOf('\r\n\r\n') + 4).toString('latin1');
    const lines = headText.slice(0, -4).split('\r\n');
    const m = /^(HTTP\/1\.[01]) (\d{3}) ?(.*)$/.exec(lines[0]);
    if (!m) throw new Error(`not a status line: ${JSON.stringify(lines[0])}`);
    const headers: [string, string][] = [];
    for (const line of lines.slice(1)) {
      const colon = line.indexOf(':');
      if (colon <= 0) throw new Error(`not a header field: ${JSON.stringify(line)}`);
      headers.push([line.slice(0, colon), line.slice(colon + 1).trim()]);
    }
    const r: HttpResponse = { version: m[1], status: Number(m[2]), reason: m[3], headers, body: Buffer.alloc(0), framing: 'none', complete: true };
    if (r.status < 200 || r.status === 204 || r.status === 304 || method === 'HEAD') return r;
    const te = header(r, 'transfer-encoding');
    const cl = header(r, 'content-length');
    if (te !== undefined) {
      if (!/^chunked$/i.test(te)) throw new Error(`unexpected transfer-encoding ${te}`);
      if (cl !== undefined) throw new Error('both content-length and transfer-encoding in a response');
      r.framing = 'chunked';
      const pieces: Buffer[] = [];
      for (;;) {
        if (!(await this.until(() => this.flat().includes('\r\n'), deadline))) {
          r.complete = false;
          break;
        }
        const sizeLine = this.take(this.flat().indexOf('\r\n') + 2).toString('latin1').trim();
        if (!/^[0-9a-fA-F]+(;.*)?$/.test(sizeLine)) throw new Error(`bad chunk size line ${JSON.stringify(sizeLine)}`);
        const size = parseInt(sizeLine, 16);
        if (size === 0) {
          // Trailer section: lines until an empty one.
          for (;;) {
            if (!(await this.until(() => this.flat().includes('\r\n'), deadline))) {
              r.complete = false;
              break;
            }
            const line = this.take(this.flat().indexOf('\r\n') + 2);
            if (line.length === 2) break;
          }
          break;
        }
        if (!(await this.until(() => this.length >= size + 2, deadline))) {
          pieces.push(this.take(Math.min(size, this.length)));
          r.complete = false;
          break;
        }
        pieces.push(this.take(size));
        if (this.take(2).toString('latin1') !== '\r\n') throw new Error('chunk not followed by CRLF');
      }
      r.body = Buffer.concat(pieces);
      return r;
    }
    if (cl !== undefined) {
      if (!/^\d+$/.test(cl)) throw new Error(`bad content-length ${cl}`);
      const n = Number(cl);
      r.framing = 'length';
      if (!(await this.until(() => this.length >= n, deadline))) {
        r.complete = false;
        r.body = this.take(this.length);
        return r;
      }
      r.body = this.take(n);
      return r;
    }
    r.framing = 'close';
    await this.until(() => false, deadline);
    r.body = this.take(this.length);
    return r;
  }

  /** Writes one request and reads its response. */
  async exchange(method: string, target: string, host: string, fields: [string, string][] = [], body?: Buffer, version = 'HTTP/1.1'): Promise<HttpResponse> {
    this.write(requestBytes(method, target, host, fields, body, version));
    return this.response(method);
  }
}

function requestBytes(method: string, target: string, host: string, fields: [string, string][] = [], body?: Buffer, version = 'HTTP/1.1'): Buffer {
  let head = `${method} ${target} ${version}\r\nHost: ${host}\r\n`;
  for (const [n, v] of fields) head += `${n}: ${v}\r\n`;
  if (body !== undefined) head += `Content-Length: ${body.length}\r\n`;
  head += '\r\n';
  return Buffer.concat([Buffer.from(head, 'latin1'), body ?? Buffer.alloc(0)]);
}

// ---------------------------------------------------------------------------------------------
// The node:http upstream that records what it receives.

interface Seen {
  method: string;
  /** The request target exactly as received. */
  url: string;
  /** Which accepted connection (1, 2, ...) carried it. */
  connection: number;
  rawHeaders: string[];
  body: Buffer;
  /** Resolves when the connection that carried it closes. */
  socketClosed: Promise<void>;
}

interface ConfUpstream {
  seen: Seen[];
  accepted: number;
  start(): Promise<void>;
  stop(): Promise<void>;
}

/** 20 MiB of random bytes served by `/big`, 10 MiB streamed by `/stream`. */
const BIG = randomBytes(20 * MiB);

function confUpstream(host: string, port: number): ConfUpstream {
  let server: http.Server | undefined;
  const sockets = new Set<Socket>();
  const ids = new WeakMap<Socket, { id: number; closed: Promise<void> }>();
  const u: ConfUpstream = {
    seen: [],
    accepted: 0,
    async start() {
      server = http.createServer((req, res) => {
        const chunks: Buffer[] = [];
        req.on('data', (c: Buffer) => chunks.push(c));
        req.on('end', () => {
          const conn = ids.get(req.socket)!;
          const body = Buffer.concat(chunks);
          u.seen.push({ method: req.method ?? '', url: req.url ?? '', connection: conn.id, rawHeaders: req.rawHeaders, body, socketClosed: conn.closed });
          serve(req, res, body);
        });
      });
      // Idle upstream connections stay open unless the proxy closes them (see the abandoned response).
      server.keepAliveTimeout = 30_000;
      server.on('connection', (s: Socket) => {
        sockets.add(s);
        const closed = new Promise<void>((resolve) => s.once('close', () => (sockets.delete(s), resolve())));
        ids.set(s, { id: ++u.accepted, closed });
      });
      await listenOn(server, port, host);
    },
    async stop() {
      if (!server) return;
      const s = server;
      server = undefined;
      await killServer(s, sockets);
    },
  };
  return u;
}

function serve(req: http.IncomingMessage, res: http.ServerResponse, body: Buffer): void {
  const url = new URL(req.url ?? '/', 'http://x');
  const p = url.pathname;
  if (p === '/echo') {
    res.writeHead(200, { 'content-type': 'application/octet-stream', 'content-length': body.length });
    res.end(body);
  } else if (p === '/fixed') {
    res.writeHead(200, { 'content-type': 'text/plain', 'content-length': 1234 });
    res.end('x'.repeat(1234));
  } else if (p === '/status/204') {
    res.writeHead(204, { 'x-status': '204' });
    res.end();
  } else if (p === '/status/304') {
    res.writeHead(304, { etag: '"v1"' });
    res.end();
  } else if (p === '/chunked') {
    // No Content-Length: node:http sends it chunked, one chunk per write.
    res.writeHead(200, { 'content-type': 'text/plain' });
    res.write('part1-');
    setTimeout(() => {
      res.write('part2-');
      setTimeout(() => res.end('part3'), 100);
    }, 100);
  } else if (p === '/slow') {
    setTimeout(() => res.end(`slow ${req.url}`), Number(url.searchParams.get('ms') ?? 300));
  } else if (p === '/cookies') {
    res.setHeader('set-cookie', ['a=1; Path=/', 'b=2; Path=/']);
    res.setHeader('content-length', 2);
    res.end('ok');
  } else if (p === '/many-headers') {
    // 60 response fields: more than llhttp hands to JavaScript in one piece (32).
    const fields: string[] = [];
    for (let i = 0; i < 60; i++) fields.push(`X-Field-${i}`, `value ${i}`);
    fields.push('content-length', '2');
    res.writeHead(200, fields);
    res.end('ok');
  } else if (p === '/raw-headers') {
    const text = JSON.stringify(req.rawHeaders);
    res.writeHead(200, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(text) });
    res.end(text);
  } else if (p === '/big') {
    res.writeHead(200, { 'content-type': 'application/octet-stream', 'content-length': BIG.length });
    res.end(BIG);
  } else if (p === '/stream') {
    // 10 MiB in 64 KiB writes that wait for 'drain': the upstream only gets ahead of the
    // client by what the buffers on the way hold.
    const total = 10 * MiB;
    res.writeHead(200, { 'content-type': 'application/octet-stream', 'content-length': total });
    let sent = 0;
    const pump = (): void => {
      while (sent < total) {
        const piece = BIG.subarray(sent, sent + 64 * 1024);
        sent += piece.length;
        if (sent >= total) {
          res.end(piece);
          return;
        }
        if (!res.write(piece)) {
          res.once('drain', pump);
          return;
        }
      }
    };
    pump();
  } else {
    const text = `conf ${req.method} ${req.url}`;
    res.writeHead(200, { 'content-type': 'text/plain', 'content-length': Buffer.byteLength(text) });
    res.end(text);
  }
}

// ---------------------------------------------------------------------------------------------
// The scripted raw upstream, by path.

const garbage = (() => {
  const rnd = seededRandom(20240611);
  return Buffer.from(Array.from({ length: 600 }, () => Math.floor(rnd() * 256)));
})();
const CLOSE_DELIMITED = Buffer.concat([Buffer.from('begin:'), BIG.subarray(0, 200_000), Buffer.from(':end')]);

/** Requests seen per raw connection, for /idle-race. */
const racedConnections = new Map<number, number>();

function rawScript(req: { target: string; connection: number }, socket: Socket): void {
  switch (req.target) {
    case '/garbage':
      socket.end(garbage);
      return;
    case '/cl-and-te':
      socket.write('HTTP/1.1 200 OK\r\nContent-Length: 5\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhello\r\n0\r\n\r\n');
      return;
    case '/bad-status-code':
      socket.write('HTTP/1.1 2x0 OK\r\nContent-Length: 2\r\n\r\nok');
      return;
    case '/bad-status-protocol':
      socket.write('HTTX/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok');
      return;
    case '/close-delimited': {
      // Neither Content-Length nor chunked: the body ends when the connection does.
      socket.write('HTTP/1.1 200 OK\r\nContent-Type: application/octet-stream\r\n\r\n');
      const third = Math.ceil(CLOSE_DELIMITED.length / 3);
      socket.write(CLOSE_DELIMITED.subarray(0, third));
      setTimeout(() => {
        socket.write(CLOSE_DELIMITED.subarray(third, 2 * third));
        setTimeout(() => socket.end(CLOSE_DELIMITED.subarray(2 * third)), 50);
      }, 50);
      return;
    }
    case '/reset-mid-body':
      socket.write(`HTTP/1.1 200 OK\r\nContent-Type: application/octet-stream\r\nContent-Length: 100000\r\n\r\n`);
      socket.write(BIG.subarray(0, 40_000));
      setTimeout(() => socket.resetAndDestroy(), 50);
      return;
    case '/hop':
      socket.end('HTTP/1.1 200 OK\r\nConnection: close, x-internal\r\nX-Internal: 1\r\nX-Visible: 1\r\nContent-Length: 2\r\n\r\nok');
      return;
    case '/silent-close':
      // Keep-alive as far as the headers say, then the connection goes away while idle.
      socket.write('HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\nfresh');
      setTimeout(() => socket.end(), 30);
      return;
    case '/idle-race': {
      // The idle-close race: the upstream's idle timer fires just as a request arrives on a
      // connection it already used, so that request gets a FIN and no answer.
      const served = racedConnections.get(req.connection) ?? 0;
      racedConnections.set(req.connection, served + 1);
      if (served === 0) socket.write('HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\nfresh');
      else socket.end();
      return;
    }
    default:
      socket.write(`HTTP/1.1 200 OK\r\nContent-Length: 3\r\n\r\nraw`);
  }
}

// ---------------------------------------------------------------------------------------------

const CONF = 'conf.example.test';
const RAW = 'raw.example.test';
const BRIEF = 'brief.example.test';
const SHOP = 'shop.example.test';

/**
 * The suite runs once per HTTP/1 engine (`proxy.engine`, src/proxy/engine.ts): llhttp, the
 * default where Node has the binding, and node, the node:http fallback. Each engine has its
 * own globaldns process; the upstreams are shared (the tests are serial).
 */
const ENGINES = ['llhttp', 'node'] as const;
type Engine = (typeof ENGINES)[number];
const worlds = new Map<Engine, ProxyWorld>();
let conf: ConfUpstream;
let raw: RawUpstream;
let brief: { server: http.Server; accepted: number };
let confCert: { certPem: string; keyPem: string };

test.before(async () => {
  const [confPort, rawPort, briefPort] = [await freePort({ ipv6: false }), await freePort({ ipv6: false }), await freePort({ ipv6: false })];
  conf = confUpstream('127.0.0.2', confPort);
  await conf.start();
  raw = rawUpstream('127.0.0.3', rawPort, rawScript);
  await raw.start();
  const briefServer = http.createServer((_req, res) => {
    res.writeHead(200, { 'content-length': 5 });
    res.end('brief');
  });
  briefServer.keepAliveTimeout = 100;
  brief = { server: briefServer, accepted: 0 };
  briefServer.on('connection', () => brief.accepted++);
  await new Promise<void>((resolve) => briefServer.listen(briefPort, '127.0.0.2', () => resolve()));
  confCert = selfSigned([CONF]);
  for (const engine of ENGINES) {
    const world = await startWorld({
      proxy: { engine, timeouts: { headers: '10s', body: '10s' } },
      // info: the line naming the engine that runs is checked below.
      logLevel: 'info',
      entries: [
        { fqdn: CONF, targets: [{ cluster: 'east' }], proxy: { upstreamPort: confPort, tls: { certFile: 'certs/conf.pem', keyFile: 'certs/conf-key.pem' } } },
        { fqdn: RAW, targets: [{ cluster: 'west' }], proxy: { upstreamPort: rawPort } },
        { fqdn: BRIEF, targets: [{ cluster: 'east' }], proxy: { upstreamPort: briefPort } },
      ],
      files: {
        'certs/conf.pem': confCert.certPem,
        'certs/conf-key.pem': confCert.keyPem,
        'clusters/east/conf.yaml': ingressYaml({ name: 'conf', hostname: CONF, ips: ['127.0.0.2'] }),
        'clusters/west/raw.yaml': ingressYaml({ name: 'raw', hostname: RAW, ips: ['127.0.0.3'] }),
        'clusters/east/brief.yaml': ingressYaml({ name: 'brief', hostname: BRIEF, ips: ['127.0.0.2'] }),
      },
    });
    worlds.set(engine, world);
    if (!world.gd.logs().includes(`HTTP/1 engine ${engine} (proxy.engine: ${engine})`)) throw new Error(`the ${engine} engine is not the one running:\n${world.gd.logs()}`);
    // The world waited for shop.example.test; the others come from the same folder reads.
    for (const host of [CONF, RAW, BRIEF]) {
      const deadline = Date.now() + 15_000;
      for (;;) {
        const r = await curl(['-H', `host: ${host}`, `http://127.0.0.1:${world.httpPort}/`]);
        if (r.status === 200) break;
        if (Date.now() > deadline) throw new Error(`${host} never routed by the ${engine} engine (last ${r.status} ${r.body})\n${world.gd.logs()}`);
        await sleep(100);
      }
    }
  }
});

test.after.always(async () => {
  for (const world of worlds.values()) await world.stop();
  await conf?.stop();
  await raw?.stop();
  await new Promise<void>((resolve) => (brief ? (brief.server.closeAllConnections(), brief.server.close(() => resolve())) : resolve()));
});

/** Requests `conf` received since `from` (an index into `conf.seen`). */
const seenSince = (from: number): Seen[] => conf.seen.slice(from);

for (const engine of ENGINES) {
  const world = {
    get httpPort(): number {
      return worlds.get(engine)!.httpPort;
    },
    get httpsPort(): number {
      return worlds.get(engine)!.httpsPort;
    },
    get gd(): ProxyWorld['gd'] {
      return worlds.get(engine)!.gd;
    },
  };
  /** Every test of the suite, titled with the engine it runs against. */
  const serial = (title: string, fn: (t: ExecutionContext) => Promise<void>): void => test.serial(`${engine}: ${title}`, fn);

  serial('keep-alive: 50 sequential requests on one client connection, few upstream connections', async (t) => {
    const from = conf.seen.length;
    const c = await Conn.open(world.httpPort);
    for (let i = 0; i < 50; i++) {
      const r = await c.exchange('GET', `/ka/${i}`, CONF);
      t.is(r.status, 200);
      t.is(r.body.toString(), `conf GET /ka/${i}`);
      t.is(r.framing, 'length');
    }
    t.false(c.closed, 'the client connection stayed open');
    c.destroy();
    const seen = seenSince(from);
    t.deepEqual(
      seen.map((s) => s.url),
      Array.from({ length: 50 }, (_, i) => `/ka/${i}`),
    );
    const connections = new Set(seen.map((s) => s.connection));
    t.true(connections.size <= 3, `upstream connections used: ${connections.size}`);
    t.log(`upstream connections used for 50 requests: ${connections.size}`);
  });

  serial('pipelining: 3 requests in one write get 3 complete responses in order', async (t) => {
    const c = await Conn.open(world.httpPort);
    // The first is the slowest: responses must still come back in request order.
    c.write(Buffer.concat([requestBytes('GET', '/slow?ms=300', CONF), requestBytes('GET', '/p2', CONF), requestBytes('GET', '/fixed', CONF)]));
    const r1 = await c.response();
    const r2 = await c.response();
    const r3 = await c.response();
    t.deepEqual([r1.status, r2.status, r3.status], [200, 200, 200]);
    t.is(r1.body.toString(), 'slow /slow?ms=300');
    t.is(r2.body.toString(), 'conf GET /p2');
    t.is(r3.body.toString(), 'x'.repeat(1234));
    t.true(r1.complete && r2.complete && r3.complete);
    const next = await c.exchange('GET', '/after-pipeline', CONF);
    t.is(next.body.toString(), 'conf GET /after-pipeline');
    c.destroy();
  });

  serial('HTTP/1.0 without keep-alive: answered, then the proxy closes the connection', async (t) => {
    const c = await Conn.open(world.httpPort);
    const r = await c.exchange('GET', '/h10', CONF, [], undefined, 'HTTP/1.0');
    t.is(r.status, 200);
    t.is(r.body.toString(), 'conf GET /h10');
    t.true(await c.closesWithin(3000), 'the proxy closed the HTTP/1.0 connection');
  });

  serial('HTTP/1.0 with Connection: keep-alive: two requests on one connection both answered', async (t) => {
    const c = await Conn.open(world.httpPort);
    const r1 = await c.exchange('GET', '/h10-ka/1', CONF, [['Connection', 'keep-alive']], undefined, 'HTTP/1.0');
    t.is(r1.status, 200);
    t.is(r1.body.toString(), 'conf GET /h10-ka/1');
    t.regex(header(r1, 'connection') ?? '', /keep-alive/i, 'an HTTP/1.0 client needs to be told the connection stays');
    t.is(r1.framing, 'length');
    const r2 = await c.exchange('GET', '/h10-ka/2', CONF, [['Connection', 'keep-alive']], undefined, 'HTTP/1.0');
    t.is(r2.status, 200);
    t.is(r2.body.toString(), 'conf GET /h10-ka/2');
    c.destroy();
  });

  serial('Connection: close from an HTTP/1.1 client: answered with connection: close, then closed', async (t) => {
    const c = await Conn.open(world.httpPort);
    const r = await c.exchange('GET', '/close-me', CONF, [['Connection', 'close']]);
    t.is(r.status, 200);
    t.is(r.body.toString(), 'conf GET /close-me');
    t.regex(header(r, 'connection') ?? '', /^close$/i);
    t.true(await c.closesWithin(3000), 'the proxy closed the connection');
  });

  serial("HEAD: the upstream's Content-Length, no body bytes, and the connection goes on", async (t) => {
    const c = await Conn.open(world.httpPort);
    const r = await c.exchange('HEAD', '/fixed', CONF);
    t.is(r.status, 200);
    t.is(header(r, 'content-length'), '1234');
    t.is(header(r, 'transfer-encoding'), undefined);
    // Any body byte sent after the HEAD head would be read as the next status line.
    const next = await c.exchange('GET', '/after-head', CONF);
    t.is(next.status, 200);
    t.is(next.body.toString(), 'conf GET /after-head');
    c.destroy();
  });

  serial('204 and 304 from the upstream: no body, no framing headers, the connection stays usable', async (t) => {
    const c = await Conn.open(world.httpPort);
    const r204 = await c.exchange('GET', '/status/204', CONF);
    t.is(r204.status, 204);
    t.is(header(r204, 'x-status'), '204');
    t.is(header(r204, 'transfer-encoding'), undefined);
    const r304 = await c.exchange('GET', '/status/304', CONF, [['If-None-Match', '"v1"']]);
    t.is(r304.status, 304);
    t.is(header(r304, 'etag'), '"v1"');
    t.is(header(r304, 'transfer-encoding'), undefined);
    const next = await c.exchange('GET', '/after-204-304', CONF);
    t.is(next.status, 200);
    t.is(next.body.toString(), 'conf GET /after-204-304');
    c.destroy();
  });

  serial('chunked response from the upstream (3 chunks with pauses): intact, connection reusable', async (t) => {
    const c = await Conn.open(world.httpPort);
    const r = await c.exchange('GET', '/chunked', CONF);
    t.is(r.status, 200);
    t.is(r.framing, 'chunked');
    t.true(r.complete);
    t.is(r.body.toString(), 'part1-part2-part3');
    const next = await c.exchange('GET', '/after-chunked', CONF);
    t.is(next.body.toString(), 'conf GET /after-chunked');
    c.destroy();
  });

  serial('close-delimited response from a raw upstream: the whole body, correctly framed', async (t) => {
    const c = await Conn.open(world.httpPort);
    const r = await c.exchange('GET', '/close-delimited', RAW);
    t.is(r.status, 200);
    t.true(r.complete, `framing ${r.framing}`);
    t.true(r.framing === 'chunked' || r.framing === 'close', `framing ${r.framing}`);
    t.is(r.body.length, CLOSE_DELIMITED.length);
    t.is(sha256(r.body), sha256(CLOSE_DELIMITED));
    t.log(`close-delimited upstream body reached the client ${r.framing === 'chunked' ? 'chunked' : 'close-delimited'}`);
    if (r.framing === 'chunked') {
      // Chunked towards the client: the connection is still good for another request.
      const next = await c.exchange('GET', '/', SHOP);
      t.is(next.status, 200);
    }
    c.destroy();
  });

  serial('POST of 1 MiB with Content-Length to /echo: identical bytes back', async (t) => {
    const body = randomBytes(MiB);
    const from = conf.seen.length;
    const c = await Conn.open(world.httpPort);
    const r = await c.exchange('POST', '/echo', CONF, [['Content-Type', 'application/octet-stream']], body);
    t.is(r.status, 200);
    t.is(r.body.length, MiB);
    t.is(sha256(r.body), sha256(body));
    t.is(sha256(seenSince(from)[0].body), sha256(body));
    c.destroy();
  });

  serial('POST with a chunked body sent in several pieces to /echo: identical bytes back', async (t) => {
    const body = randomBytes(MiB);
    const c = await Conn.open(world.httpPort);
    c.write(`POST /echo HTTP/1.1\r\nHost: ${CONF}\r\nTransfer-Encoding: chunked\r\nContent-Type: application/octet-stream\r\n\r\n`);
    const piece = MiB / 4;
    for (let off = 0; off < body.length; off += piece) {
      c.write(Buffer.concat([Buffer.from(`${piece.toString(16)}\r\n`), body.subarray(off, off + piece), Buffer.from('\r\n')]));
      await sleep(50);
    }
    c.write('0\r\n\r\n');
    const r = await c.response('POST');
    t.is(r.status, 200);
    t.is(r.body.length, MiB);
    t.is(sha256(r.body), sha256(body));
    const next = await c.exchange('GET', '/after-chunked-post', CONF);
    t.is(next.body.toString(), 'conf GET /after-chunked-post');
    c.destroy();
  });

  serial('Expect: 100-continue: 100 Continue first, then the body reaches the upstream intact', async (t) => {
    const body = randomBytes(256 * 1024);
    const from = conf.seen.length;
    const c = await Conn.open(world.httpPort);
    c.write(`POST /echo HTTP/1.1\r\nHost: ${CONF}\r\nExpect: 100-continue\r\nContent-Length: ${body.length}\r\n\r\n`);
    const first = await c.response('POST', 5000);
    t.is(first.status, 100, 'the client is told to go on before it sends the body');
    c.write(body);
    const r = await c.response('POST');
    t.is(r.status, 200);
    t.is(sha256(r.body), sha256(body));
    const seen = seenSince(from);
    t.is(seen.length, 1);
    t.is(seen[0].body.length, body.length);
    t.is(sha256(seen[0].body), sha256(body));
    c.destroy();
  });

  serial('hop-by-hop request headers (Connection-named, Keep-Alive) never reach the upstream', async (t) => {
    const c = await Conn.open(world.httpPort);
    const r = await c.exchange('GET', '/raw-headers', CONF, [
      ['Connection', 'x-secret'],
      ['X-Secret', '1'],
      ['Keep-Alive', 'timeout=5'],
      ['X-Kept', 'yes'],
    ]);
    t.is(r.status, 200);
    const raw = JSON.parse(r.body.toString()) as string[];
    const names = raw.filter((_, i) => i % 2 === 0).map((n) => n.toLowerCase());
    t.false(names.includes('x-secret'), `upstream saw ${names.join(', ')}`);
    t.false(names.includes('keep-alive'));
    for (let i = 0; i < raw.length; i += 2) if (raw[i].toLowerCase() === 'connection') t.notRegex(raw[i + 1], /x-secret/i);
    t.true(names.includes('x-kept'), 'end-to-end headers pass');
    c.destroy();
  });

  serial("hop-by-hop response headers: Connection-named ones dropped; the upstream's close does not close the client", async (t) => {
    const c = await Conn.open(world.httpPort);
    const r = await c.exchange('GET', '/hop', RAW);
    t.is(r.status, 200);
    t.is(r.body.toString(), 'ok');
    t.is(header(r, 'x-internal'), undefined);
    t.is(header(r, 'x-visible'), '1');
    t.notRegex(header(r, 'connection') ?? '', /close|x-internal/i);
    const next = await c.exchange('GET', '/', RAW);
    t.is(next.status, 200, 'the client connection is still open');
    t.is(next.body.toString(), 'raw');
    c.destroy();
  });

  serial('upstream closing idle keep-alive connections silently: 20 GETs with 150 ms pauses all succeed', async (t) => {
    const acceptedBefore = raw.stats.accepted;
    const c = await Conn.open(world.httpPort);
    for (let i = 0; i < 20; i++) {
      const r = await c.exchange('GET', '/silent-close', RAW);
      t.is(r.status, 200, `request ${i}`);
      t.is(r.body.toString(), 'fresh');
      await sleep(150);
    }
    c.destroy();
    // Each exchange needed a new upstream connection: the stale one was never used.
    t.true(raw.stats.accepted - acceptedBefore >= 19, `upstream connections: ${raw.stats.accepted - acceptedBefore}`);
  });

  serial('upstream closing a reused connection as a GET arrives (idle-close race): retried on a new connection, 10 GETs all succeed', async (t) => {
    const acceptedBefore = raw.stats.accepted;
    const c = await Conn.open(world.httpPort);
    const statuses: number[] = [];
    for (let i = 0; i < 10; i++) {
      const r = await c.exchange('GET', '/idle-race', RAW);
      statuses.push(r.status);
      if (r.status === 200) t.is(r.body.toString(), 'fresh');
      else if (statuses.length === 2) t.log(`${r.status}: ${r.body.toString().trim()}`);
      await sleep(20);
    }
    c.destroy();
    t.log(`statuses ${statuses.join(' ')}; upstream connections ${raw.stats.accepted - acceptedBefore}`);
    // Every second request lands on a used connection and is dropped: a client of ours must not see that.
    t.deepEqual(statuses, Array.from({ length: 10 }, () => 200));
  });

  serial('upstream with a 100 ms keep-alive timeout (node:http): 20 GETs with 150 ms pauses all succeed', async (t) => {
    const c = await Conn.open(world.httpPort);
    for (let i = 0; i < 20; i++) {
      const r = await c.exchange('GET', '/', BRIEF);
      t.is(r.status, 200, `request ${i}`);
      t.is(r.body.toString(), 'brief');
      await sleep(150);
    }
    c.destroy();
  });

  for (
    const [path, what] of [
      ['/garbage', 'random bytes instead of a response'],
      ['/cl-and-te', 'a response with both Content-Length and Transfer-Encoding'],
      ['/bad-status-code', 'a status code that is not a number'],
      ['/bad-status-protocol', 'a status line that is not HTTP'],
    ] as const
  ) {
    serial(`upstream sends ${what}: 502, and the next request to a good host is answered`, async (t) => {
      const c = await Conn.open(world.httpPort);
      const r = await c.exchange('GET', path, RAW);
      t.is(r.status, 502, `got ${r.status} ${r.body.toString('latin1').slice(0, 200)}`);
      t.regex(r.body.toString(), /raw\.example\.test: http:\/\/127\.0\.0\.3:\d+: /);
      t.log(r.body.toString().trim());
      t.false(c.closed, 'the client connection survives a broken upstream answer');
      const good = await c.exchange('GET', '/', SHOP);
      t.is(good.status, 200);
      t.regex(good.body.toString(), /^(east|west)$/);
      t.true(world.gd.alive(), 'the globaldns process is still running');
      c.destroy();
    });
  }

  serial('upstream resets in the middle of a Content-Length body: the client never sees a complete response', async (t) => {
    const c = await Conn.open(world.httpPort);
    const r = await c.exchange('GET', '/reset-mid-body', RAW);
    t.is(r.status, 200);
    t.false(r.complete, `framing ${r.framing}, ${r.body.length} body bytes`);
    t.true(r.body.length < 100_000);
    t.true(c.closed);
    const next = await (await Conn.open(world.httpPort)).exchange('GET', '/', SHOP);
    t.is(next.status, 200);
  });

  serial('client leaving in the middle of a 10 MiB response: the proxy stays up and closes that upstream connection', async (t) => {
    const from = conf.seen.length;
    const c = await Conn.open(world.httpPort);
    c.write(requestBytes('GET', '/stream', CONF));
    await c.receivedAtLeast(MiB);
    c.destroy();
    const seen = seenSince(from);
    t.is(seen.length, 1);
    // conf's keep-alive timeout is 30 s: a close within 3 s is the proxy's doing.
    const closed = await Promise.race([seen[0].socketClosed.then(() => true), sleep(3000).then(() => false)]);
    t.true(closed, 'the upstream connection of the abandoned response was closed, not pooled half-read');
    const next = await (await Conn.open(world.httpPort)).exchange('GET', '/after-abandon', CONF);
    t.is(next.status, 200);
    t.is(next.body.toString(), 'conf GET /after-abandon');
    t.true(world.gd.alive(), 'the globaldns process is still running');
  });

  serial('20 MiB response to a slow-reading client: intact', async (t) => {
    const c = await Conn.open(world.httpPort);
    c.throttle = { every: 2 * MiB, pauseMs: 150 };
    const started = Date.now();
    const r = await c.exchange('GET', '/big', CONF);
    t.is(r.status, 200);
    t.true(r.complete);
    t.is(r.body.length, BIG.length);
    t.is(sha256(r.body), sha256(BIG));
    t.log(`20 MiB with pauses in ${Date.now() - started} ms`);
    c.destroy();
  });

  serial('request targets reach the upstream byte for byte, a 6 KB query too', async (t) => {
    let longQuery = '/long?k0=%2F0';
    for (let i = 1; longQuery.length < 6 * 1024; i++) longQuery += `&k${i % 10}=%2F${i}`;
    const c = await Conn.open(world.httpPort);
    for (const target of ['/a%20b?x=1&y=%2F', '/p;param/%7Euser/./x/../y?q=a+b&empty=&=v#no', longQuery]) {
      // A fragment is not part of a request target; a client never sends '#'.
      const sent = target.split('#')[0];
      const from = conf.seen.length;
      const r = await c.exchange('GET', sent, CONF);
      t.is(r.status, 200);
      t.is(seenSince(from)[0]?.url, sent);
      t.is(r.body.toString(), `conf GET ${sent}`);
    }
    c.destroy();
  });

  serial('repeated headers: two X-Multi request fields and two Set-Cookie response fields stay separate, in order', async (t) => {
    const c = await Conn.open(world.httpPort);
    const r = await c.exchange('GET', '/raw-headers', CONF, [
      ['X-Multi', 'first'],
      ['X-Other', 'between'],
      ['X-Multi', 'second'],
    ]);
    const raw = JSON.parse(r.body.toString()) as string[];
    const multi: string[] = [];
    for (let i = 0; i < raw.length; i += 2) if (raw[i].toLowerCase() === 'x-multi') multi.push(raw[i + 1]);
    t.deepEqual(multi, ['first', 'second']);
    const cookies = await c.exchange('GET', '/cookies', CONF);
    t.is(cookies.status, 200);
    t.deepEqual(headerValues(cookies, 'set-cookie'), ['a=1; Path=/', 'b=2; Path=/']);
    c.destroy();
  });

  serial('HTTP/1.1 over TLS: keep-alive for 20 requests and a 1 MiB POST echo on one connection', async (t) => {
    const from = conf.seen.length;
    const c = await Conn.openTls(world.httpsPort, CONF, confCert.certPem);
    t.is((c.sock as tls.TLSSocket).alpnProtocol, 'http/1.1');
    for (let i = 0; i < 20; i++) {
      const r = await c.exchange('GET', `/tls/${i}`, CONF);
      t.is(r.status, 200);
      t.is(r.body.toString(), `conf GET /tls/${i}`);
    }
    const body = randomBytes(MiB);
    const r = await c.exchange('POST', '/echo', CONF, [], body);
    t.is(r.status, 200);
    t.is(sha256(r.body), sha256(body));
    t.false(c.closed);
    c.destroy();
    const connections = new Set(seenSince(from).map((s) => s.connection));
    t.true(connections.size <= 3, `upstream connections used: ${connections.size}`);
  });

  serial('60 request fields and 60 response fields pass intact and in order, also with the head sent one byte at a time', async (t) => {
    const fields: [string, string][] = [];
    for (let i = 0; i < 60; i++) fields.push([`X-Field-${i}`, `value ${i}`]);
    const c = await Conn.open(world.httpPort);
    const r = await c.exchange('GET', '/raw-headers', CONF, fields);
    t.is(r.status, 200);
    const received = JSON.parse(r.body.toString()) as string[];
    const got: [string, string][] = [];
    for (let i = 0; i < received.length; i += 2) if (received[i].startsWith('X-Field-')) got.push([received[i], received[i + 1]]);
    t.deepEqual(got, fields);
    // The same head in 1-byte writes: the parser sees it across many reads.
    const bytes = requestBytes('GET', '/raw-headers', CONF, fields);
    for (let i = 0; i < bytes.length; i += 1) {
      c.write(bytes.subarray(i, i + 1));
      if (i % 64 === 0) await sleep(1);
    }
    const split = await c.response('GET');
    t.is(split.status, 200);
    t.is(split.body.toString(), r.body.toString(), 'the upstream saw the same head');
    const many = await c.exchange('GET', '/many-headers', CONF);
    t.is(many.status, 200);
    const out = many.headers.filter(([n]) => n.startsWith('X-Field-'));
    t.is(out.length, 60);
    t.deepEqual(out[59], ['X-Field-59', 'value 59']);
    t.is(many.body.toString(), 'ok');
    c.destroy();
  });

  serial('HTTP/2: a 1 MiB POST echoed intact, and a chunked-length (no Content-Length) upload too', async (t) => {
    const body = randomBytes(MiB);
    const dir = mkdtempSync(path.join(os.tmpdir(), 'gdns-h2-'));
    try {
      writeFileSync(path.join(dir, 'body'), body);
      writeFileSync(path.join(dir, 'ca.pem'), confCert.certPem);
      const base = ['--http2', '--cacert', path.join(dir, 'ca.pem'), '--resolve', `${CONF}:${world.httpsPort}:127.0.0.1`, '-o', path.join(dir, 'out'), '-H', 'content-type: application/octet-stream'];
      const url = `https://${CONF}:${world.httpsPort}/echo`;
      const r = await curl([...base, '--data-binary', `@${path.join(dir, 'body')}`, url]);
      t.is(r.status, 200, r.stderr);
      t.is(sha256(readFileSync(path.join(dir, 'out'))), sha256(body));
      // Without Content-Length the HTTP/2 body has no announced length: forwarded chunked.
      const r2 = await curl([...base, '-H', 'content-length:', '-H', 'transfer-encoding: chunked', '--data-binary', `@${path.join(dir, 'body')}`, url]);
      t.is(r2.status, 200, r2.stderr);
      t.is(sha256(readFileSync(path.join(dir, 'out'))), sha256(body));
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
}
