// A server that answers RFC 2136 messages with garbage (random bytes over UDP, a TCP frame of
// junk, a DNS header with impossible counts): the provider reports a clear error for the read
// and fails each change of an apply, never throws out of apply, and the process goes on.
import dgram from 'node:dgram';
import net from 'node:net';
import test from 'ava';
import { Rfc2136Provider } from '../../../providers/index.js';
import { freePort } from '../../support/ports.js';

/** Answers every UDP datagram and TCP frame with `reply(query)`. */
async function junkServer(reply: (q: Buffer) => Buffer) {
  const port = await freePort({ ipv6: false });
  const udp = dgram.createSocket('udp4');
  udp.on('message', (msg, rinfo) => udp.send(reply(msg), rinfo.port, rinfo.address));
  await new Promise<void>((r) => udp.bind(port, '127.0.0.1', () => r()));
  const tcp = net.createServer((sock) => {
    sock.on('error', () => {});
    sock.once('data', (d) => {
      const body = reply(d.subarray(2));
      const len = Buffer.alloc(2);
      len.writeUInt16BE(body.length);
      sock.end(Buffer.concat([len, body]));
    });
  });
  await new Promise<void>((r) => tcp.listen(port, '127.0.0.1', () => r()));
  return { port, stop: () => Promise.all([new Promise((r) => udp.close(() => r(null))), new Promise((r) => tcp.close(() => r(null)))]) };
}

const replies: [string, (q: Buffer) => Buffer][] = [
  ['random bytes', () => Buffer.from(Array.from({ length: 300 }, (_, i) => (i * 89 + 3) % 256))],
  ['a header with the query id and 0xFFFF answers', (q) => Buffer.concat([q.subarray(0, 2), Buffer.from([0x84, 0x00, 0, 1, 0xff, 0xff, 0, 0, 0, 0])])],
  ['a truncated 5-byte reply', (q) => q.subarray(0, 5)],
];

for (const [what, reply] of replies) {
  test(`garbage reply (${what}): clear errors, apply never throws`, async (t) => {
    const server = await junkServer(reply);
    t.teardown(() => server.stop());
    const p = new Rfc2136Provider({ name: 'junk', zones: ['example.org'], servers: [`127.0.0.1:${server.port}`], tsig: { name: 'k', algorithm: 'hmac-sha256', secret: Buffer.alloc(32, 1).toString('base64') }, timeoutMs: 1500 });
    const [zone] = await p.zones();
    const e = await t.throwsAsync(() => p.records(zone));
    t.regex(e?.message ?? '', /junk .*127\.0\.0\.1/, `names the provider and server: ${e?.message}`);
    const result = await p.apply(zone, { creates: [{ name: 'www.example.org', type: 'A', ttl: 600, values: ['192.0.2.1'] }], updates: [], deletes: [] });
    t.is(result.failed, 1);
    t.true((result.results[0].error ?? '').length > 0);
  });
}
