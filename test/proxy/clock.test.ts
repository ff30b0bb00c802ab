// The proxy's timers on a manual clock, in process: the deadline sweep, a client that sends
// its head too slowly (408), an upstream that never answers (the head timeout), and an
// upstream's ejection and its recovery after an active check. The sockets are real (on
// 127.0.0.1); only the time is the test's, so no test here waits for a timeout to pass.
// The same behaviours through the CLI, on the wall clock: abuse.test.ts (slowloris),
// gateway.test.ts (502/504), metrics.test.ts (ejections).
import net from 'node:net';
import test from 'ava';
import { parseConfig } from '../../src/config/index.js';
import { ConnectionPool, Deadlines, H1Connections, HEADERS_TIMEOUT } from '../../src/proxy/h1/index.js';
import type { HasDeadline } from '../../src/proxy/h1/deadlines.js';
import type { ResponseHandler } from '../../src/proxy/h1/index.js';
import type { Upstream } from '../../src/proxy/upstreams.js';
import { UpstreamSet } from '../../src/proxy/upstreams.js';
import { ManualClock } from '../support/clock.js';
import { freePort } from '../support/ports.js';

/** Real-time wait for what depends on socket I/O (not on our timers), bounded generously. */
async function until(pred: () => boolean, what: string, ms = 5000): Promise<void> {
  const end = Date.now() + ms;
  while (!pred()) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 5));
  }
}

function listen(server: net.Server, port = 0): Promise<number> {
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen({ port, host: '127.0.0.1' }, () => resolve((server.address() as net.AddressInfo).port));
  });
}

test('Deadlines: expired members fire on the sweep after their deadline; no sweep is pending once none is left', async (t) => {
  const clock = new ManualClock();
  const d = new Deadlines(250, clock);
  const fired: number[] = [];
  const m: HasDeadline = {
    deadline: 0,
    onDeadline(now) {
      fired.push(now);
      d.delete(m);
    },
  };
  m.deadline = clock.now() + 1000;
  d.add(m);
  t.deepEqual(clock.pending(), [250]);
  await clock.advance(999);
  t.deepEqual(fired, []);
  await clock.advance(1);
  t.deepEqual(fired, [1000], 'the sweep at 1000 ms sees the deadline of 1000 ms');
  t.deepEqual(clock.pending(), [], 'the last member left: the sweep stopped');
});

test('a client whose request head does not arrive within clientHeaders gets 408 on the clock, not before', async (t) => {
  const clock = new ManualClock();
  const refused: number[] = [];
  const connections = new H1Connections({
    maxHeaderSize: 16384,
    headersMs: 1000,
    requestMs: 0,
    idleMs: 5000,
    maxBodyBytes: 1 << 20,
    deadlines: new Deadlines(250, clock),
    onRequest: () => t.fail('no request is complete'),
    onUpgrade: () => t.fail('no upgrade'),
    onRefused: (status) => refused.push(status),
  });
  let accepted: net.Socket | undefined;
  const server = net.createServer((s) => {
    accepted = s;
    connections.handle(s);
  });
  const port = await listen(server);
  const client = net.connect({ port, host: '127.0.0.1' });
  let answer = '';
  let closed = false;
  client.on('data', (d: Buffer) => (answer += d.toString('latin1')));
  client.on('close', () => (closed = true));
  try {
    await until(() => accepted !== undefined, 'the connection');
    client.write('GET / HTTP/1.1\r\nhost: shop.example.test\r\nx-slow: ');
    await until(() => accepted!.bytesRead > 0, 'the partial head to be read');
    await clock.advance(999);
    t.false(closed, 'still waiting for the head at 999 ms');
    t.deepEqual(refused, []);
    await clock.advance(1);
    await until(() => closed, 'the 408 and the close');
    t.regex(answer, /^HTTP\/1\.1 408 /);
    t.deepEqual(refused, [408]);
  } finally {
    client.destroy();
    connections.closeAll();
    server.close();
  }
});

test('an upstream that never sends its response head: the exchange fails with the head timeout, on the clock', async (t) => {
  const clock = new ManualClock();
  let requested = false;
  const silent = net.createServer((s) => s.once('data', () => (requested = true)));
  const port = await listen(silent);
  const deadlines = new Deadlines(250, clock);
  const pool = new ConnectionPool({ host: '127.0.0.1', port, secure: false, servername: undefined, connections: 1, connectMs: 1000, headersMs: 2000, bodyMs: 2000, idleMs: 4000, maxHeaderSize: 16384 }, deadlines);
  let error: (Error & { code?: string }) | undefined;
  const handler: ResponseHandler = {
    onConnect() {},
    onHeaders: () => t.fail('no head'),
    onData: () => true,
    onComplete: () => t.fail('no response'),
    onError: (e) => (error = e),
  };
  try {
    pool.dispatch({ method: 'GET', target: '/', headers: ['host', 'shop.example.test'], bodyLength: 0, body: null, idempotent: true }, handler);
    // Connected and the request written: the head's deadline is 2000 ms from now on the clock.
    await until(() => requested, 'the request at the upstream');
    await clock.advance(1999);
    t.is(error, undefined, 'no timeout before 2000 ms');
    await clock.advance(1);
    t.is(error?.code, HEADERS_TIMEOUT);
  } finally {
    await pool.destroy();
    silent.close();
  }
});

test('ejection and recovery: checks every interval on the clock until one succeeds', async (t) => {
  const clock = new ManualClock();
  const config = parseConfig('proxy: { workers: 0, healthCheck: { ejectAfter: 2, interval: 5s, timeout: 1s } }', { baseDir: '/' }).proxy!;
  const health: boolean[] = [];
  const set = new UpstreamSet(config, (_u, healthy) => health.push(healthy), 'llhttp', clock);
  // Nothing listens on the port yet: the checks are refused.
  const port = await freePort({ ipv6: false });
  const u: Upstream = set.get({ key: 'east', origin: `http://127.0.0.1:${port}` });
  const server = net.createServer((s) => s.destroy());
  try {
    u.failed();
    t.false(u.ejected);
    u.failed();
    t.true(u.ejected);
    t.deepEqual(health, [false]);
    t.deepEqual(clock.pending(), [5000], 'the first check is due after the interval');
    await clock.advance(4999);
    t.deepEqual(clock.pending(), [1], 'no check before the interval');
    await clock.advance(1);
    // The check is under way (its 1 s timeout pending), refused, then the next one is due.
    await until(() => clock.pending().length === 1 && clock.pending()[0] === 5000, 'the refused check and the next one');
    t.true(u.ejected);
    t.deepEqual(health, [false]);
    await listen(server, port);
    await clock.advance(5000);
    await until(() => health.length === 2, 'the successful check');
    t.deepEqual(health, [false, true]);
    t.false(u.ejected);
    t.is(u.failures, 0);
    t.deepEqual(clock.pending(), [], 'no more checks once it is back');
  } finally {
    await set.close();
    server.close();
  }
});
