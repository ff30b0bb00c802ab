// Rfc2136Provider under an AbortSignal (shutdown, a provider replaced): a server that never
// answers, over UDP (UPDATE) and TCP (AXFR): the exchange in flight is closed at the abort, no
// other server is tried, and no later message is sent.
import dgram from 'node:dgram';
import net from 'node:net';
import test from 'ava';
import { Rfc2136Provider } from '../../../providers/index.js';
import { freePort } from '../../support/ports.js';
import { waitFor } from '../../support/wait.js';

async function silentUdp(t: { teardown(f: () => Promise<void>): void }): Promise<{ port: number; received: () => number }> {
  const port = await freePort({ ipv6: false });
  let received = 0;
  const sock = dgram.createSocket('udp4');
  sock.on('message', () => received++);
  await new Promise<void>((r) => sock.bind(port, '127.0.0.1', () => r()));
  t.teardown(() => new Promise<void>((r) => sock.close(() => r())));
  return { port, received: () => received };
}

const plan = {
  creates: [{ name: 'www.example.org', type: 'A' as const, ttl: 600, values: ['192.0.2.1'] }],
  updates: [],
  deletes: [{ name: 'old.example.org', type: 'A' as const, ttl: 600, values: ['192.0.2.9'] }],
};

test('UPDATE over UDP to a server that never answers: apply ends at the abort, the second server and later messages never sent', async (t) => {
  const a = await silentUdp(t);
  const b = await silentUdp(t);
  const p = new Rfc2136Provider({ name: 'mute', zones: ['example.org'], servers: [`127.0.0.1:${a.port}`, `127.0.0.1:${b.port}`], transfer: false, timeoutMs: 60_000 });
  const [zone] = await p.zones();
  // Aborted once the first message has arrived (not after a fixed delay, which a loaded machine may outrun).
  const abort = new AbortController();
  const applying = p.apply(zone, plan, abort.signal);
  await waitFor(() => (a.received() > 0 ? true : undefined), 10_000, 'the first UPDATE reaches the server');
  const t0 = Date.now();
  abort.abort();
  const r = await applying;
  t.true(Date.now() - t0 < 1000, `apply returned ${Date.now() - t0} ms after the abort`);
  t.is(r.failed, 2);
  t.true(r.results.every((x) => !x.ok && /aborted: the controller stopped/.test(x.error ?? '')), JSON.stringify(r.results));
  t.is(a.received(), 1, 'one message: the delete (its own phase); the create not sent after the abort');
  t.is(b.received(), 0, 'the next server is not tried after an abort');
});

test('AXFR over TCP to a server that accepts and never answers: records rejects at the abort and the connection is closed', async (t) => {
  const sockets = new Set<net.Socket>();
  let closed = 0;
  const server = net.createServer((s) => {
    sockets.add(s);
    s.on('close', () => closed++);
    s.resume();
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
  t.teardown(() =>
    new Promise<void>((r) => {
      for (const s of sockets) s.destroy();
      server.close(() => r());
    })
  );
  const port = (server.address() as net.AddressInfo).port;
  const p = new Rfc2136Provider({ name: 'mute', zones: ['example.org'], servers: [`127.0.0.1:${port}`], timeoutMs: 60_000 });
  const [zone] = await p.zones();
  const t0 = Date.now();
  await t.throwsAsync(p.records(zone, AbortSignal.timeout(100)), { message: /AXFR example\.org: aborted: the controller stopped/ });
  t.true(Date.now() - t0 < 1000, `records rejected in ${Date.now() - t0} ms`);
  const end = Date.now() + 2000;
  while (closed === 0 && Date.now() < end) await new Promise((r) => setTimeout(r, 10));
  t.is(closed, 1, 'the connection was closed');
});
