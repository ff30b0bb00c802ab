// The active health probers against real servers on loopback: what a probe sends (request
// line, Host, User-Agent, SNI), what counts as success (status ranges, bodyMatch within the
// first 5,120 de-chunked bytes), the exact reasons users read in status, and garbage from the
// server (silence, non-HTTP bytes, endless headers, huge bodies, a slow drip, TLS noise, a
// close right after accept): every failure is a { ok: false, reason }, never a throw.
import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import net from 'node:net';
import path from 'node:path';
import tls from 'node:tls';
import { promisify } from 'node:util';
import test from 'ava';
import type { ExecutionContext } from 'ava';
import { formatDuration, probe } from '../../src/health/index.js';
import type { ProbeSpec } from '../../src/health/index.js';
import { makeTestCa, type TestCa } from '../proxy/tls/test-ca.js';

const run = promisify(execFile);

let ca: TestCa;
/** issued by `ca` for shop.example.test */
let leaf: { key: string; cert: string };
/** self-signed for shop.example.test */
let selfSigned: { key: string; cert: string };

test.before(async () => {
  ca = await makeTestCa();
  const l = await ca.issue(['shop.example.test']);
  leaf = { key: l.keyPem, cert: l.certPem };
  const key = path.join(ca.dir, 'self.key');
  const cert = path.join(ca.dir, 'self.pem');
  await run('openssl', ['req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256', '-nodes', '-keyout', key, '-out', cert, '-days', '1', '-subj', '/CN=shop.example.test', '-addext', 'subjectAltName=DNS:shop.example.test']);
  selfSigned = { key: await readFile(key, 'utf8'), cert: await readFile(cert, 'utf8') };
});
test.after.always(async () => {
  await ca?.close();
});

function spec(port: number, over: Partial<ProbeSpec> = {}): ProbeSpec {
  return { type: 'http', address: '127.0.0.1', port, path: '/healthz', host: 'shop.example.test', expectStatus: [[200, 399]], timeoutMs: 5000, verifyCertificate: false, ...over };
}

interface Seen {
  head: string;
  remoteAddress: string | undefined;
  servername: string | false | null | undefined;
}

interface TestServer {
  port: number;
  /** the request heads read, in order */
  seen: Seen[];
  /** connections accepted, and still open */
  accepted: number;
  open: number;
  /** resolves when no connection is open */
  allClosed(): Promise<void>;
}

interface ServerOptions {
  host?: string;
  tls?: { key: string; cert: string };
  /** called on accept, instead of reading a request */
  accept?: (sock: net.Socket) => void;
  /** called with the request head once it is in */
  respond?: (sock: net.Socket, head: string) => void;
}

/** A loopback server (raw TCP, or TLS) on a free port, closed at the end of the test. */
async function startServer(t: ExecutionContext, opts: ServerOptions): Promise<TestServer> {
  const sockets = new Set<net.Socket>();
  let waiters: (() => void)[] = [];
  const state: TestServer = {
    port: 0,
    seen: [],
    accepted: 0,
    open: 0,
    allClosed: () => (state.open === 0 ? Promise.resolve() : new Promise((resolve) => waiters.push(resolve))),
  };
  const onSocket = (sock: net.Socket) => {
    state.accepted++;
    state.open++;
    sockets.add(sock);
    sock.on('error', () => {});
    sock.on('close', () => {
      sockets.delete(sock);
      if (--state.open === 0) {
        const w = waiters;
        waiters = [];
        for (const f of w) f();
      }
    });
    if (opts.accept) {
      // read (and drop) whatever comes, so the probe's close is seen
      sock.resume();
      return opts.accept(sock);
    }
    let head = '';
    const onData = (d: Buffer) => {
      head += d.toString('latin1');
      const end = head.indexOf('\r\n\r\n');
      if (end < 0) return;
      sock.off('data', onData);
      const request = head.slice(0, end + 4);
      state.seen.push({ head: request, remoteAddress: sock.remoteAddress, servername: (sock as tls.TLSSocket).servername });
      opts.respond?.(sock, request);
    };
    sock.on('data', onData);
  };
  const server = opts.tls ? tls.createServer({ key: opts.tls.key, cert: opts.tls.cert }, onSocket) : net.createServer(onSocket);
  server.on('tlsClientError', () => {});
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, opts.host ?? '127.0.0.1', () => resolve());
  });
  state.port = (server.address() as net.AddressInfo).port;
  t.teardown(() => {
    for (const s of sockets) s.destroy();
    return new Promise<void>((resolve) => server.close(() => resolve()));
  });
  return state;
}

function response(status: number, body = '', headers: string[] = []): string {
  return [`HTTP/1.1 ${status} Whatever`, `Content-Length: ${Buffer.byteLength(body)}`, ...headers, '', body].join('\r\n');
}

/** Answers by path: /ok 200, /moved 302, /missing 404, /down 503, else 200 with the path as body. */
function byPath(sock: net.Socket, head: string): void {
  const target = head.split(' ')[1];
  const status = ({ '/ok': 200, '/moved': 302, '/missing': 404, '/down': 503 } as Record<string, number>)[target] ?? 200;
  sock.end(response(status, `you asked for ${target}`, status === 302 ? ['Location: /ok'] : []));
}

/** Writes `piece` until `total` bytes are handed to the socket or it closes; the bytes handed over. */
async function stream(sock: net.Socket, piece: Buffer, total: number): Promise<number> {
  let sent = 0;
  while (sent < total && !sock.destroyed) {
    const more = sock.write(piece);
    sent += piece.length;
    if (!more) {
      await new Promise<void>((resolve) => {
        const done = () => {
          sock.off('drain', done);
          sock.off('close', done);
          resolve();
        };
        sock.on('drain', done);
        sock.on('close', done);
      });
    }
  }
  return sent;
}

/** A bound on an await that must happen, so a failure reports instead of hanging. */
function within<T>(ms: number, what: string, p: Promise<T>): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  return Promise.race([p, new Promise<never>((_, reject) => (timer = setTimeout(() => reject(new Error(`${what}: not within ${ms} ms`)), ms)))]).finally(() => clearTimeout(timer));
}

// ---- what counts as success ----

test('http: status range 200-399: 200 and 302 ok, 404 fails with "status 404"', async (t) => {
  const s = await startServer(t, { respond: byPath });
  t.like(await probe(spec(s.port, { path: '/ok' })), { ok: true, reason: 'status 200' });
  t.like(await probe(spec(s.port, { path: '/moved' })), { ok: true, reason: 'status 302' });
  t.like(await probe(spec(s.port, { path: '/missing' })), { ok: false, reason: 'status 404' });
  t.like(await probe(spec(s.port, { path: '/down' })), { ok: false, reason: 'status 503' });
});

test('http: several ranges, the status ok when in any; the result carries a duration', async (t) => {
  const s = await startServer(t, { respond: byPath });
  const ranges = [[200, 200], [404, 404]] as const;
  const r = await probe(spec(s.port, { path: '/missing', expectStatus: ranges }));
  t.like(r, { ok: true, reason: 'status 404' });
  t.true(r.durationMs >= 0 && r.durationMs < 5000);
  t.like(await probe(spec(s.port, { path: '/ok', expectStatus: ranges })), { ok: true, reason: 'status 200' });
  t.like(await probe(spec(s.port, { path: '/moved', expectStatus: ranges })), { ok: false, reason: 'status 302' });
  t.like(await probe(spec(s.port, { path: '/ok', expectStatus: [] })), { ok: false, reason: 'status 200' });
});

test('http: the request is one GET with the spec path, Host, User-Agent, Accept and Connection: close', async (t) => {
  const s = await startServer(t, { respond: byPath });
  t.like(await probe(spec(s.port, { path: '/healthz?deep=1', host: 'shop.example.test' })), { ok: true });
  t.is(s.seen.length, 1);
  t.is(s.seen[0].head, 'GET /healthz?deep=1 HTTP/1.1\r\nHost: shop.example.test\r\nUser-Agent: globaldns-health\r\nAccept: */*\r\nConnection: close\r\n\r\n');
});

test('http: bodyMatch hit and miss (Content-Length body); a failing status is reported before the body', async (t) => {
  const s = await startServer(t, { respond: byPath });
  t.like(await probe(spec(s.port, { path: '/ok', bodyMatch: 'for /ok' })), { ok: true, reason: 'status 200' });
  t.like(await probe(spec(s.port, { path: '/ok', bodyMatch: 'all good' })), { ok: false, reason: 'body did not match' });
  t.like(await probe(spec(s.port, { path: '/down', bodyMatch: 'for /down' })), { ok: false, reason: 'status 503' });
});

test('http: bodyMatch across chunk boundaries of a chunked body (de-chunked first)', async (t) => {
  const s = await startServer(t, {
    respond: (sock) => {
      sock.write('HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n');
      // "status: all good" cut inside the needle, with a chunk extension on one size line
      for (const part of ['stat', 'us: al', 'l go', 'od\n']) sock.write(`${part.length.toString(16)};ext=1\r\n${part}\r\n`);
      sock.end('0\r\n\r\n');
    },
  });
  t.like(await probe(spec(s.port, { bodyMatch: 'status: all good' })), { ok: true, reason: 'status 200' });
  // the chunk framing is not body: "al" CRLF "4" ... never matches across it
  t.like(await probe(spec(s.port, { bodyMatch: 'al\r\n' })), { ok: false, reason: 'body did not match' });
});

test('http: bodyMatch sees the first 5,120 body bytes only', async (t) => {
  const needle = 'all good';
  const s = await startServer(t, {
    respond: (sock, head) => {
      const pad = head.startsWith('GET /inside ') ? 5120 - needle.length : 5120;
      sock.end(response(200, 'a'.repeat(pad) + needle + 'b'.repeat(100)));
    },
  });
  t.like(await probe(spec(s.port, { path: '/inside', bodyMatch: needle })), { ok: true, reason: 'status 200' });
  t.like(await probe(spec(s.port, { path: '/beyond', bodyMatch: needle })), { ok: false, reason: 'body did not match' });
});

test('http: body until close (no Content-Length, not chunked); an interim 1xx is skipped', async (t) => {
  const s = await startServer(t, {
    respond: (sock, head) => {
      if (head.startsWith('GET /interim ')) sock.write('HTTP/1.1 103 Early Hints\r\nLink: </a.css>\r\n\r\n');
      sock.write('HTTP/1.1 200 OK\r\n\r\nhello ');
      sock.end('world');
    },
  });
  t.like(await probe(spec(s.port, { bodyMatch: 'hello world' })), { ok: true, reason: 'status 200' });
  t.like(await probe(spec(s.port, { bodyMatch: 'goodbye' })), { ok: false, reason: 'body did not match' });
  t.like(await probe(spec(s.port, { path: '/interim', expectStatus: [[200, 200]] })), { ok: true, reason: 'status 200' });
});

test('http: IPv6 ::1', async (t) => {
  const s = await startServer(t, { host: '::1', respond: byPath });
  t.like(await probe(spec(s.port, { address: '::1', path: '/ok' })), { ok: true, reason: 'status 200' });
  t.like(await probe(spec(s.port, { address: '::1', host: '::1', path: '/ok' })), { ok: true, reason: 'status 200' });
  t.regex(s.seen[1].head, /\r\nHost: \[::1\]\r\n/, 'an IPv6 literal Host is bracketed');
});

// ---- https ----

test('https: SNI = host and the Host header; any certificate accepted when verifyCertificate is false', async (t) => {
  const s = await startServer(t, { tls: selfSigned, respond: byPath });
  t.like(await probe(spec(s.port, { type: 'https', path: '/ok' })), { ok: true, reason: 'status 200' });
  t.is(s.seen[0].servername, 'shop.example.test');
  t.regex(s.seen[0].head, /\r\nHost: shop\.example\.test\r\n/);
  // an IP literal host: no SNI at all
  t.like(await probe(spec(s.port, { type: 'https', path: '/ok', host: '127.0.0.1' })), { ok: true, reason: 'status 200' });
  t.false(s.seen[1].servername);
  t.regex(s.seen[1].head, /\r\nHost: 127\.0\.0\.1\r\n/);
});

test('https: verifyCertificate true rejects a self-signed and an unknown issuer with a "tls" reason, accepts with the CA given', async (t) => {
  const self = await startServer(t, { tls: selfSigned, respond: byPath });
  t.like(await probe(spec(self.port, { type: 'https', path: '/ok', verifyCertificate: true })), { ok: false, reason: 'tls DEPTH_ZERO_SELF_SIGNED_CERT' });
  t.is(self.seen.length, 0, 'no request after a rejected certificate');

  const issued = await startServer(t, { tls: leaf, respond: byPath });
  t.like(await probe(spec(issued.port, { type: 'https', path: '/ok', verifyCertificate: true })), { ok: false, reason: 'tls UNABLE_TO_VERIFY_LEAF_SIGNATURE' });
  t.like(await probe(spec(issued.port, { type: 'https', path: '/ok', verifyCertificate: true }), { ca: ca.caPem }), { ok: true, reason: 'status 200' });
  t.like(await probe(spec(issued.port, { type: 'https', path: '/ok', verifyCertificate: true }), { ca: Buffer.from(ca.caPem) }), { ok: true, reason: 'status 200' });
  // the chain is good but the name is not the host
  t.like(await probe(spec(issued.port, { type: 'https', path: '/ok', host: 'other.example.test', verifyCertificate: true }), { ca: ca.caPem }), { ok: false, reason: 'tls ERR_TLS_CERT_ALTNAME_INVALID' });
  t.like(await probe(spec(issued.port, { type: 'https', path: '/ok', host: 'other.example.test', verifyCertificate: false })), { ok: true, reason: 'status 200' });
});

// ---- tcp ----

test('tcp: "connected", and "connect ECONNREFUSED" on a closed port', async (t) => {
  const s = await startServer(t, { accept: () => {} });
  t.like(await probe(spec(s.port, { type: 'tcp' })), { ok: true, reason: 'connected' });
  const free = net.createServer();
  await new Promise<void>((resolve) => free.listen(0, '127.0.0.1', resolve));
  const port = (free.address() as net.AddressInfo).port;
  await new Promise<void>((resolve) => free.close(() => resolve()));
  t.like(await probe(spec(port, { type: 'tcp' })), { ok: false, reason: 'connect ECONNREFUSED' });
  t.like(await probe(spec(port)), { ok: false, reason: 'connect ECONNREFUSED' });
  t.like(await probe(spec(port, { type: 'https' })), { ok: false, reason: 'connect ECONNREFUSED' });
});

test('sourceAddress: the server sees the probe from 127.0.0.2; a source of the other family cannot reach', async (t) => {
  const s = await startServer(t, { respond: byPath });
  t.like(await probe(spec(s.port, { path: '/ok' }), { sourceAddress: '127.0.0.2' }), { ok: true, reason: 'status 200' });
  t.is(s.seen[0].remoteAddress, '127.0.0.2');
  t.like(await probe(spec(s.port, { address: '::1' }), { sourceAddress: '127.0.0.2' }), { ok: false, reason: 'source address 127.0.0.2 cannot reach IPv6' });
  t.like(await probe(spec(s.port), { sourceAddress: '::1' }), { ok: false, reason: 'source address ::1 cannot reach IPv4' });
});

test('a spec that cannot be probed fails with "bad spec", it does not throw', async (t) => {
  t.like(await probe(spec(80, { address: 'shop.example.test' })), { ok: false, reason: 'bad spec: address shop.example.test' });
  t.like(await probe(spec(0)), { ok: false, reason: 'bad spec: port 0' });
  t.like(await probe(spec(80, { path: '/x\r\nX-Injected: 1' })), { ok: false, reason: 'bad spec: path "/x\\r\\nX-Injected: 1"' });
  t.like(await probe(spec(80, { host: 'a b' })), { ok: false, reason: 'bad spec: host "a b"' });
});

test('formatDuration', (t) => {
  t.is(formatDuration(2000), '2s');
  t.is(formatDuration(250), '250ms');
  t.is(formatDuration(1500), '1.5s');
  t.is(formatDuration(300), '300ms');
  t.is(formatDuration(60000), '60s');
});

// ---- garbage from the server ----

test('garbage: a server that accepts and never answers: "timeout after 300ms"', async (t) => {
  const s = await startServer(t, { accept: () => {} });
  const r = await probe(spec(s.port, { timeoutMs: 300 }));
  t.like(r, { ok: false, reason: 'timeout after 300ms' });
  t.true(r.durationMs >= 290 && r.durationMs < 3000, `${r.durationMs} ms`);
  await within(5000, 'the server sees the probe close', s.allClosed());
});

test('garbage: non-HTTP bytes: "bad response: ..."', async (t) => {
  const answers: Record<string, Buffer | string> = {
    '/ssh': 'SSH-2.0-OpenSSH_9.6\r\n',
    '/random': randomBytes(4096),
    '/status': 'HTTP/1.1 2OO OK\r\n\r\n',
    '/header': 'HTTP/1.1 200 OK\r\nno colon here\r\n\r\n',
    '/chunk': 'HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\nhello\r\n0\r\n\r\n',
    '/length': 'HTTP/1.1 200 OK\r\nContent-Length: -5\r\n\r\nhello',
  };
  const s = await startServer(t, { respond: (sock, head) => sock.end(answers[head.split(' ')[1]]) });
  t.like(await probe(spec(s.port, { path: '/ssh' })), { ok: false, reason: 'bad response: not HTTP' });
  const random = await probe(spec(s.port, { path: '/random' }));
  t.false(random.ok);
  t.regex(random.reason, /^bad response: /);
  t.like(await probe(spec(s.port, { path: '/status' })), { ok: false, reason: 'bad response: malformed status line' });
  t.like(await probe(spec(s.port, { path: '/header' })), { ok: false, reason: 'bad response: malformed header' });
  t.like(await probe(spec(s.port, { path: '/chunk', bodyMatch: 'hello' })), { ok: false, reason: 'bad response: bad chunk size' });
  t.like(await probe(spec(s.port, { path: '/length', bodyMatch: 'hello' })), { ok: false, reason: 'bad response: bad content-length' });
});

test('garbage: a 10 MB body is decided on the headers without bodyMatch, and read to 5,120 bytes at most with one', async (t) => {
  const total = 10 * 1024 * 1024;
  const piece = Buffer.alloc(64 * 1024, 'a');
  const sent: Promise<number>[] = [];
  const s = await startServer(t, {
    respond: (sock) => {
      sock.write(`HTTP/1.1 200 OK\r\nContent-Length: ${total}\r\n\r\n`);
      sent.push(stream(sock, piece, total));
    },
  });
  const plain = await probe(spec(s.port));
  t.like(plain, { ok: true, reason: 'status 200' });
  const matched = await probe(spec(s.port, { bodyMatch: 'all good' }));
  t.like(matched, { ok: false, reason: 'body did not match' });
  const [a, b] = await within(10_000, 'the server sees both probes close', Promise.all(sent));
  t.true(a < total && b < total, `the server handed over ${a} and ${b} of ${total} bytes before the probes closed`);
  t.true(plain.durationMs < 3000 && matched.durationMs < 3000, `${plain.durationMs} ms, ${matched.durationMs} ms`);
});

test('garbage: an endless header: "header too large"', async (t) => {
  const s = await startServer(t, {
    respond: (sock) => {
      sock.write('HTTP/1.1 200 OK\r\n');
      void stream(sock, Buffer.from(`X-Filler: ${'f'.repeat(1000)}\r\n`), 1 << 30);
    },
  });
  t.like(await probe(spec(s.port)), { ok: false, reason: 'header too large' });
  await within(5000, 'the server sees the probe close', s.allClosed());
  // one line longer than the limit, with no line end at all
  const s2 = await startServer(t, { respond: (sock) => void stream(sock, Buffer.from(`HTTP/1.1 200 ${'O'.repeat(20_000)}`), 1 << 30) });
  t.like(await probe(spec(s2.port)), { ok: false, reason: 'header too large' });
});

test('garbage: a head of exactly the limit passes, one byte more does not', async (t) => {
  const limit = 16 * 1024;
  const s = await startServer(t, {
    respond: (sock, head) => {
      const extra = head.startsWith('GET /over ') ? 1 : 0;
      const start = 'HTTP/1.1 200 OK\r\nX-Pad: ';
      const end = '\r\n\r\n';
      const pad = 'p'.repeat(limit - start.length - end.length + extra);
      // in small writes, so the head is put together over many reads
      for (let i = 0; i < pad.length; i += 1000) sock.write((i === 0 ? start : '') + pad.slice(i, i + 1000));
      sock.end(end);
    },
  });
  t.like(await probe(spec(s.port, { path: '/exact' })), { ok: true, reason: 'status 200' });
  t.like(await probe(spec(s.port, { path: '/over' })), { ok: false, reason: 'header too large' });
});

test('garbage: TLS noise (a plain TCP server sending random bytes) to an https probe', async (t) => {
  const s = await startServer(t, { accept: (sock) => sock.end(randomBytes(2048)) });
  const r = await probe(spec(s.port, { type: 'https' }));
  t.false(r.ok);
  t.regex(r.reason, /^(tls |bad response)./);
});

test('garbage: a slow drip (one byte per 100 ms) times out', async (t) => {
  const text = response(200, 'all good');
  const s = await startServer(t, {
    respond: (sock) => {
      let i = 0;
      const timer = setInterval(() => sock.write(text[i++ % text.length]), 100);
      sock.on('close', () => clearInterval(timer));
    },
  });
  t.like(await probe(spec(s.port, { timeoutMs: 300 })), { ok: false, reason: 'timeout after 300ms' });
  await within(5000, 'the server sees the probe close', s.allClosed());
});

test('garbage: the server closes right after accept: "closed before response"', async (t) => {
  const s = await startServer(t, { accept: (sock) => sock.destroy() });
  t.like(await probe(spec(s.port)), { ok: false, reason: 'closed before response' });
  const half = await startServer(t, { respond: (sock) => sock.end('HTTP/1.1 200 OK\r\nContent-') });
  t.like(await probe(spec(half.port)), { ok: false, reason: 'closed before response' });
  t.like(await probe(spec(s.port, { type: 'https' })), { ok: false, reason: 'closed before response' }, 'also before the TLS handshake');
});

// ---- many at once ----

test('200 probes at once against one server all succeed, and every connection is closed after', async (t) => {
  const s = await startServer(t, { respond: byPath });
  const results = await Promise.all(Array.from({ length: 200 }, (_, i) => probe(spec(s.port, { path: i % 2 ? '/ok' : '/moved', bodyMatch: i % 4 === 1 ? 'for /ok' : undefined }))));
  t.deepEqual(results.filter((r) => !r.ok), []);
  t.is(s.accepted, 200);
  await within(5000, 'every connection closed', s.allClosed());
  t.is(s.open, 0);
});
