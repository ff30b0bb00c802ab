// A server that never answers over UDP: the reply timeout runs on the provider's clock (a
// manual one here), so the request fails at exactly `timeoutMs` on it and no test waits for it.
import dgram from 'node:dgram';
import test from 'ava';
import { Rfc2136Provider } from '../../../providers/index.js';
import { ManualClock } from '../../support/clock.js';
import { freePort } from '../../support/ports.js';

/** Real-time wait for what depends on socket I/O (the datagram sent, the timer armed), bounded generously. */
async function until(pred: () => boolean, what: string, ms = 5000): Promise<void> {
  const end = Date.now() + ms;
  while (!pred()) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 5));
  }
}

test('no reply over UDP: the update fails after timeoutMs on the provider clock, not before', async (t) => {
  const port = await freePort({ ipv6: false });
  let received = 0;
  const silent = dgram.createSocket('udp4');
  silent.on('message', () => received++);
  await new Promise<void>((r) => silent.bind(port, '127.0.0.1', () => r()));
  t.teardown(() => new Promise<void>((r) => silent.close(() => r())));
  const clock = new ManualClock();
  const p = new Rfc2136Provider({ name: 'mute', zones: ['example.org'], servers: [`127.0.0.1:${port}`], transfer: false, timeoutMs: 3000, clock });
  const [zone] = await p.zones();
  let done = false;
  const applied = p.apply(zone, { creates: [{ name: 'www.example.org', type: 'A', ttl: 600, values: ['192.0.2.1'] }], updates: [], deletes: [] }).finally(() => (done = true));
  await until(() => received === 1 && clock.pending().length === 1, 'the UPDATE sent and its timeout armed');
  t.deepEqual(clock.pending(), [3000]);
  await clock.advance(2999);
  t.false(done, 'still waiting at 2999 ms');
  await clock.advance(1);
  const result = await applied;
  t.is(result.failed, 1);
  t.regex(result.results[0].error ?? '', /no reply over UDP within 3000 ms/);
});
