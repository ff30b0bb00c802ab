// Abusive clients: headers over the limit (431), slowloris (closed after the header timeout),
// request smuggling with both Content-Length and Transfer-Encoding (rejected, never
// forwarded), bodies over the limit (413). Another client keeps getting 200s throughout.
import net from 'node:net';
import test from 'ava';
import { sleep, startWorld } from './world.js';
import type { ProxyWorld } from './world.js';

let world: ProxyWorld;
const good = { ok: 0, bad: [] as string[] };
let stopGood = false;
let goodLoop: Promise<void>;

test.before(async () => {
  world = await startWorld({
    proxy: { timeouts: { clientHeaders: '1s', clientRequest: '5s' }, limits: { bodyBytes: '64k', headerBytes: '8k' } },
  });
  goodLoop = (async () => {
    for (let i = 0; i < 5000 && !stopGood; i++) {
      const r = await world.get('/');
      if (r.status === 200) good.ok++;
      else good.bad.push(`${r.status} ${r.stderr}`);
    }
  })();
});

test.after.always(async () => {
  stopGood = true;
  await goodLoop;
  await world?.stop();
});

/** Sends raw bytes, returns what came back until the server closed (or the timeout). */
function raw(bytes: string, timeoutMs = 5000): Promise<{ text: string; closed: boolean }> {
  return new Promise((resolve) => {
    const sock = net.connect(world.httpPort, '127.0.0.1');
    let text = '';
    const timer = setTimeout(() => {
      sock.destroy();
      resolve({ text, closed: false });
    }, timeoutMs);
    sock.on('data', (d) => (text += d.toString('latin1')));
    sock.on('close', () => {
      clearTimeout(timer);
      resolve({ text, closed: true });
    });
    sock.on('error', () => {});
    sock.write(bytes);
  });
}

test.serial('headers over the limit: 431', async (t) => {
  const r = await world.get('/', ['-H', `x-big: ${'a'.repeat(10_000)}`]);
  t.is(r.status, 431);
});

test.serial('slowloris: a head trickled byte by byte is closed after the header timeout', async (t) => {
  const sock = net.connect(world.httpPort, '127.0.0.1');
  const started = Date.now();
  let closedAt = 0;
  let answer = '';
  sock.on('data', (d) => (answer += d.toString('latin1')));
  sock.on('error', () => {});
  const closed = new Promise<void>((resolve) => sock.on('close', () => ((closedAt = Date.now()), resolve())));
  const head = 'GET / HTTP/1.1\r\nHost: shop.example.test\r\nX-Slow: ';
  const trickle = setInterval(() => {
    if (!sock.destroyed) sock.write('a');
  }, 100);
  sock.write(head);
  await Promise.race([closed, sleep(6000)]);
  clearInterval(trickle);
  sock.destroy();
  t.true(closedAt > 0, 'the server closed the connection');
  const after = closedAt - started;
  t.true(after >= 900 && after < 3500, `closed after ${after} ms (header timeout 1 s)`);
  t.regex(answer, /^(HTTP\/1\.1 408 |$)/);
});

test.serial('Content-Length with Transfer-Encoding: rejected with 400 and never forwarded', async (t) => {
  const before = [world.east.requests.length, world.west.requests.length];
  const smuggle = 'POST /echo HTTP/1.1\r\nHost: shop.example.test\r\nContent-Length: 44\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\nGET /headers HTTP/1.1\r\nHost: shop.example.test\r\n\r\n';
  const r = await raw(smuggle);
  t.regex(r.text, /^HTTP\/1\.1 400 /);
  t.true(r.closed);
  t.false(r.text.includes('HTTP/1.1 200'), 'neither the request nor the smuggled one was answered');
  // The good client's GET / may land meanwhile; neither of ours ever arrives.
  await sleep(200);
  const arrived = [...world.east.requests.slice(before[0]), ...world.west.requests.slice(before[1])];
  t.deepEqual(arrived.filter((r) => r !== 'GET /'), []);
});

test.serial('a body over the limit: 413, by Content-Length or once a chunked body passes it', async (t) => {
  const big = 'x'.repeat(100 * 1024);
  const byLength = await world.get('/echo', ['--data-binary', big]);
  t.is(byLength.status, 413);
  t.regex(byLength.body, /over the limit of 65536/);
  const chunked = await world.get('/echo', ['-H', 'transfer-encoding: chunked', '--data-binary', big]);
  t.is(chunked.status, 413);
  const small = await world.get('/echo', ['--data-binary', 'x'.repeat(1000)]);
  t.is(small.status, 200);
  t.is(small.body.length, 1000);
});

test.serial('garbage bytes on the HTTP and HTTPS listeners: refused and closed; the next request is answered', async (t) => {
  // Random binary, a broken request line and a bogus chunk size, each on its own connection.
  const junk = Buffer.from(Array.from({ length: 2048 }, (_, i) => (i * 131 + 7) % 256)).toString('latin1');
  for (const bytes of [junk, 'GET\x00/ HTTP/9.9\r\n\r\n', 'POST / HTTP/1.1\r\nHost: shop.example.test\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n']) {
    const r = await raw(bytes);
    t.true(r.closed, 'the connection is closed');
    t.true(r.text === '' || /^HTTP\/1\.1 400/.test(r.text), `a 400 or nothing: ${r.text.slice(0, 40)}`);
  }
  // Not a TLS ClientHello: the handshake fails and the socket closes, nothing else happens.
  const tlsJunk = await new Promise<boolean>((resolve) => {
    const sock = net.connect(world.httpsPort, '127.0.0.1');
    const timer = setTimeout(() => (sock.destroy(), resolve(false)), 5000);
    sock.on('close', () => (clearTimeout(timer), resolve(true)));
    sock.on('error', () => {});
    sock.write(junk);
  });
  t.true(tlsJunk, 'the TLS listener closes a connection that sends garbage');
  const next = await world.get('/');
  t.is(next.status, 200, 'and answers the next good request');
});

test.serial('the other client kept getting 200s throughout', async (t) => {
  await sleep(300);
  t.true(good.ok > 10, `answered ${good.ok}`);
  t.deepEqual(good.bad, []);
});
