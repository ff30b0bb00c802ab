// Mutated HTTP/1.1 requests against the proxy's plain listener (seeded, bounded in count and
// time): flipped and inserted bytes, CR/LF/NUL/colon injections, duplicated and conflicting
// framing headers, truncations, bogus chunk sizes. What users rely on:
// - the process stays up and keeps answering;
// - every answer is a well-formed status line with a status the proxy may give;
// - nothing malformed or ambiguous reaches the upstream: the upstream's own HTTP parser
//   (node:http) never rejects a request we forwarded, never sees Content-Length and
//   Transfer-Encoding together, and every body it gets is the length it was announced with.
import http from 'node:http';
import net from 'node:net';
import type { Socket } from 'node:net';
import test from 'ava';
import { ingressYaml } from '../support/globaldns.js';
import { freePort } from '../support/ports.js';
import { seededRandom } from '../support/random.js';
import { killServer, listenOn, trackSockets } from '../support/tcp-server.js';
import { sleep, startWorld } from './world.js';
import type { ProxyWorld } from './world.js';

const HOST = 'fuzz.example.test';
const SEED = Number(process.env.FUZZ_SEED ?? 0xf022);
const CASES = 1200;
const CONCURRENCY = 8;
/** The whole run stops here even if cases are left (a bound, not a target). */
const BUDGET_MS = 60_000;
/** How long one case waits for the proxy's answer before moving on. */
const CASE_WAIT_MS = 400;

/** Statuses the proxy may answer a request with, valid or not (the upstream answers 200). */
const ALLOWED = new Set([200, 308, 400, 404, 405, 408, 413, 421, 431, 500, 502]);

interface Received {
  method: string;
  url: string;
  headers: http.IncomingHttpHeaders;
  bodyBytes: number;
}

let world: ProxyWorld;
let upstream: http.Server;
const upstreamSockets = new Set<Socket>();
const received: Received[] = [];
const upstreamClientErrors: string[] = [];

test.before(async () => {
  const port = await freePort({ ipv6: false });
  upstream = http.createServer((req, res) => {
    let bodyBytes = 0;
    req.on('data', (d: Buffer) => (bodyBytes += d.length));
    req.on('end', () => {
      received.push({ method: req.method ?? '', url: req.url ?? '', headers: req.headers, bodyBytes });
      res.writeHead(200, { 'content-type': 'text/plain', 'content-length': 2 });
      res.end('ok');
    });
    req.on('error', () => {});
  });
  // Node's server answers a request it cannot parse with 400 and emits this: for us, a sign
  // that the proxy forwarded something malformed.
  upstream.on('clientError', (err: NodeJS.ErrnoException, socket: Socket) => {
    // A connection closed in the middle of a request is an upload the client abandoned (the
    // proxy cuts the upstream side too), not a malformed request.
    if (err.code !== 'ECONNRESET' && err.code !== 'HPE_INVALID_EOF_STATE') upstreamClientErrors.push(`${err.code}: ${err.message}`);
    socket.destroy();
  });
  trackSockets(upstream, upstreamSockets);
  await listenOn(upstream, port, '127.0.0.4');
  world = await startWorld({
    entries: [{ fqdn: HOST, targets: [{ cluster: 'east' }], proxy: { upstreamPort: port } }],
    files: { 'clusters/east/fuzz.yaml': ingressYaml({ name: 'fuzz', hostname: HOST, ips: ['127.0.0.4'] }) },
    proxy: { timeouts: { clientHeaders: '1s', headers: '2s', body: '2s' }, limits: { bodyBytes: '64k' } },
  });
  const deadline = Date.now() + 15_000;
  while ((await exchange(valid()[0])).status !== 200) {
    if (Date.now() > deadline) throw new Error(`${HOST} never routed\n${world.gd.logs()}`);
    await sleep(100);
  }
});

test.after.always(async () => {
  await world?.stop();
  if (upstream) await killServer(upstream, upstreamSockets);
});

/** Well-formed requests the mutations start from. */
function valid(): Buffer[] {
  const body = 'a=1&b=2&c=' + 'x'.repeat(100);
  return [
    `GET /path?q=1 HTTP/1.1\r\nHost: ${HOST}\r\nUser-Agent: fuzz\r\nAccept: */*\r\n\r\n`,
    `POST /form HTTP/1.1\r\nHost: ${HOST}\r\nContent-Type: application/x-www-form-urlencoded\r\nContent-Length: ${body.length}\r\n\r\n${body}`,
    `POST /upload HTTP/1.1\r\nHost: ${HOST}\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhello\r\n6\r\n world\r\n0\r\n\r\n`,
    `GET /one HTTP/1.1\r\nHost: ${HOST}\r\n\r\nGET /two HTTP/1.1\r\nHost: ${HOST}\r\nConnection: close\r\n\r\n`,
    `GET /old HTTP/1.0\r\nHost: ${HOST}\r\n\r\n`,
  ].map((s) => Buffer.from(s, 'latin1'));
}

const INSERTS = ['\r', '\n', '\r\n', '\0', ' ', ':', '\t', 'Transfer-Encoding: chunked\r\n', 'Content-Length: 7\r\n', 'Content-Length: -1\r\n', 'Transfer-Encoding: gzip, chunked\r\n', 'Host: other.example.test\r\n', 'ffffffffffffffff\r\n', 'Expect: 100-continue\r\n', 'Connection: upgrade\r\nUpgrade: websocket\r\n'];

function mutate(rnd: () => number, input: Buffer): Buffer {
  let b = Buffer.from(input);
  const edits = 1 + Math.floor(rnd() * 3);
  for (let e = 0; e < edits; e++) {
    const at = Math.floor(rnd() * (b.length + 1));
    const kind = Math.floor(rnd() * 5);
    if (kind === 0 && b.length > 0) b[Math.min(at, b.length - 1)] = Math.floor(rnd() * 256);
    else if (kind === 1) b = Buffer.concat([b.subarray(0, at), Buffer.from(INSERTS[Math.floor(rnd() * INSERTS.length)], 'latin1'), b.subarray(at)]);
    else if (kind === 2) b = b.subarray(0, at);
    else if (kind === 3) {
      // Duplicate one line (header repetition, conflicting framing).
      const text = b.toString('latin1');
      const lines = text.split('\r\n');
      const i = 1 + Math.floor(rnd() * Math.max(1, lines.length - 2));
      lines.splice(i, 0, lines[i] ?? '');
      b = Buffer.from(lines.join('\r\n'), 'latin1');
    } else if (b.length > 0) b = Buffer.concat([b.subarray(0, at), b.subarray(Math.min(b.length, at + 1 + Math.floor(rnd() * 8)))]);
  }
  return b;
}

/** Writes `bytes` on a new connection and collects what comes back for a while. */
function exchange(bytes: Buffer): Promise<{ status: number; text: string }> {
  return new Promise((resolve) => {
    const chunks: Buffer[] = [];
    const s = net.connect(world.httpPort, '127.0.0.1');
    const done = (): void => {
      clearTimeout(timer);
      s.destroy();
      const text = Buffer.concat(chunks).toString('latin1');
      const m = /^HTTP\/1\.[01] (\d{3}) /.exec(text);
      resolve({ status: m ? Number(m[1]) : 0, text });
    };
    const timer = setTimeout(done, CASE_WAIT_MS);
    s.on('data', (d: Buffer) => chunks.push(d));
    s.on('error', () => {});
    s.on('close', done);
    s.write(bytes);
  });
}

test.serial('1,200 mutated requests: the proxy stays up, answers well-formed statuses, and forwards nothing malformed', async (t) => {
  const rnd = seededRandom(SEED);
  const bases = valid();
  const cases = Array.from({ length: CASES }, () => mutate(rnd, bases[Math.floor(rnd() * bases.length)]));
  const statuses = new Map<number, number>();
  const bad: string[] = [];
  const started = Date.now();
  let next = 0;
  let ran = 0;
  const worker = async (): Promise<void> => {
    while (next < cases.length && Date.now() - started < BUDGET_MS) {
      const bytes = cases[next++];
      const r = await exchange(bytes);
      ran++;
      // Every status line in the reply (pipelined requests get several).
      for (const m of r.text.matchAll(/HTTP\/1\.[01] (\d{3}) /g)) {
        const status = Number(m[1]);
        statuses.set(status, (statuses.get(status) ?? 0) + 1);
        if (!ALLOWED.has(status)) bad.push(`${status} for ${JSON.stringify(bytes.toString('latin1').slice(0, 200))}`);
      }
      if (r.text.length > 0 && r.status === 0) bad.push(`not a status line: ${JSON.stringify(r.text.slice(0, 80))} for ${JSON.stringify(bytes.toString('latin1').slice(0, 200))}`);
    }
  };
  await Promise.all(Array.from({ length: CONCURRENCY }, worker));
  t.log(`${ran} cases in ${Date.now() - started} ms; statuses ${JSON.stringify(Object.fromEntries([...statuses].sort((a, b) => a[0] - b[0])))}; upstream got ${received.length}`);
  t.true(ran >= 200, `only ${ran} cases ran within the budget`);
  t.deepEqual(bad, []);
  t.true(world.gd.alive(), `globaldns died\n${world.gd.logs()}`);
  t.deepEqual(upstreamClientErrors, [], 'the upstream never had to reject what the proxy forwarded');
  for (const r of received) {
    t.false(r.headers['content-length'] !== undefined && r.headers['transfer-encoding'] !== undefined, `both framings forwarded: ${JSON.stringify(r)}`);
    if (r.headers['content-length'] !== undefined) t.is(r.bodyBytes, Number(r.headers['content-length']));
    t.is(r.headers.host, HOST, 'the Host routed on is the Host forwarded');
  }
  const after = await exchange(valid()[0]);
  t.is(after.status, 200, `a clean request after the run: ${after.text.slice(0, 200)}`);
});

test.serial('two Host headers: 400, and nothing reaches the upstream', async (t) => {
  const before = received.length;
  for (const second of [HOST, 'shop.example.test']) {
    const r = await exchange(Buffer.from(`GET /dup HTTP/1.1\r\nHost: ${HOST}\r\nHost: ${second}\r\n\r\n`, 'latin1'));
    t.is(r.status, 400);
    t.regex(r.text, /two Host headers/);
  }
  t.is(received.length, before);
});
