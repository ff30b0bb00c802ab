// TSIG (RFC 8945) as the provider computes it, checked against real implementations: the
// bytes dig signs, and what named and knotd accept, reject and sign back.
import test from 'ava';
import { execFile } from 'node:child_process';
import dgram from 'node:dgram';
import { randomBytes } from 'node:crypto';
import { parseTsigSecret, tsigSignMessage, TsigError, TsigReplyVerifier, TSIG_ALGORITHMS, type TsigKey, type TsigAlgorithm } from '../../../providers/index.js';
import { findTsig } from '../../../providers/rfc2136/tsig.js';
import { CLASS, encodeMessage, encodeRR, OPCODE, rcodeName, TYPE, walkMessage } from '../../../providers/rfc2136/wire.js';
import { udpExchange } from '../../../providers/rfc2136/transport.js';
import { encodeRdata } from '../../../providers/rfc2136/rdata.js';
import { startRfc2136World, type Daemon } from './backend.js';

/** The first datagram dig sends to a socket that never answers. */
async function digRequest(args: string[]): Promise<Buffer> {
  const sock = dgram.createSocket('udp4');
  await new Promise<void>((r) => sock.bind(0, '127.0.0.1', () => r()));
  const port = sock.address().port;
  const got = new Promise<Buffer>((r) => sock.once('message', (m) => r(m)));
  const child = execFile('dig', ['@127.0.0.1', '-p', String(port), '+time=1', '+tries=1', '+retry=0', ...args], () => {});
  try {
    return await got;
  } finally {
    child.kill();
    sock.close();
  }
}

for (const algorithm of TSIG_ALGORITHMS) {
  test(`known answer: our ${algorithm} signature of dig's request is byte for byte dig's own`, async (t) => {
    const secret = randomBytes(32).toString('base64');
    const signedByDig = await digRequest(['-y', `${algorithm}:Test-Key.Example:${secret}`, 'www.example.org', 'TXT']);
    const tsig = findTsig(signedByDig);
    if (!tsig) return t.fail('dig sent no TSIG record');
    t.is(tsig.keyName, 'test-key.example');
    // The message as dig had it before signing: without the TSIG RR and with ARCOUNT - 1.
    const unsigned = Buffer.from(signedByDig.subarray(0, tsig.start));
    unsigned.writeUInt16BE(unsigned.readUInt16BE(10) - 1, 10);
    const key: TsigKey = { name: 'Test-Key.Example', algorithm, secret: parseTsigSecret(secret) };
    const ours = tsigSignMessage(unsigned, key, tsig.timeSigned, tsig.fudge);
    t.is(ours.mac.toString('hex'), tsig.mac.toString('hex'), 'same MAC');
    // dig writes names as given (case kept); ours are canonical lower case. Same bytes otherwise.
    t.is(ours.message.toString('hex'), Buffer.concat([signedByDig.subarray(0, tsig.start), canonicalTsig(signedByDig.subarray(tsig.start))]).toString('hex'));
  });
}

/** The TSIG RR with its owner name lower-cased (dig keeps the case the key was given in). */
function canonicalTsig(rr: Buffer): Buffer {
  const out = Buffer.from(rr);
  let i = 0;
  while (out[i] !== 0) {
    const len = out[i];
    for (let j = i + 1; j <= i + len; j++) if (out[j] >= 0x41 && out[j] <= 0x5a) out[j] += 0x20;
    i += len + 1;
  }
  return out;
}

test('a secret that is not base64 is refused without being echoed', (t) => {
  const e = t.throws(() => parseTsigSecret('not base64 at all!'));
  t.regex(e?.message ?? '', /not base64/);
  t.notRegex(e?.message ?? '', /at all/);
});

/** An UPDATE adding one A record, unsigned. */
function updateMessage(id: number, name: string): Buffer {
  return encodeMessage({
    id,
    opcode: OPCODE.UPDATE,
    question: [{ name: 'example.org', type: TYPE.SOA, class: CLASS.IN }],
    authority: [encodeRR({ name, type: TYPE.A, class: CLASS.IN, ttl: 600, rdata: encodeRdata('A', '192.0.2.77') })],
  });
}

const now = () => Math.floor(Date.now() / 1000);

for (const daemon of ['bind', 'knot'] as Daemon[]) {
  for (const algorithm of ['hmac-sha256', 'hmac-sha512'] as TsigAlgorithm[]) {
    test.serial(`${daemon} ${algorithm}: accepts our signed UPDATE, signs its reply so that it verifies; rejects a wrong secret (BADSIG) and an unknown key (BADKEY)`, async (t) => {
      const w = await startRfc2136World(daemon, { algorithm });
      try {
        const server = { host: '127.0.0.1', port: w.port, label: `127.0.0.1:${w.port}` };
        const key: TsigKey = { name: w.key.name, algorithm, secret: parseTsigSecret(w.key.secret) };
        const send = async (k: TsigKey, name: string) => {
          const { message, mac } = tsigSignMessage(updateMessage(4242, name), k, now());
          const reply = await udpExchange(server, message, 3000, () => true);
          return { reply, mac, rcode: rcodeName(walkMessage(reply).rcode) };
        };

        const good = await send(key, 'signed.example.org');
        t.is(good.rcode, 'NOERROR');
        t.true(new TsigReplyVerifier(key, good.mac, now).verify(good.reply), 'the reply verifies with the request MAC');
        t.deepEqual((await w.read()).find((r) => r.name === 'signed.example.org')?.values, ['192.0.2.77'], 'dig sees the record');

        // Tampered reply: one flipped bit in the header breaks the MAC.
        const tampered = Buffer.from(good.reply);
        tampered[3] ^= 0x10;
        t.throws(() => new TsigReplyVerifier(key, good.mac, now).verify(tampered), { instanceOf: TsigError, message: /BADSIG/ });
        // Our clock ten minutes off: outside the fudge.
        t.throws(() => new TsigReplyVerifier(key, good.mac, () => now() + 600).verify(good.reply), { instanceOf: TsigError, message: /BADTIME/ });

        const badSecret = await send({ ...key, secret: randomBytes(32) }, 'badsig.example.org');
        t.is(badSecret.rcode, 'NOTAUTH');
        t.is(rcodeName(findTsig(badSecret.reply)?.error ?? 0), 'BADSIG');
        t.throws(() => new TsigReplyVerifier(key, badSecret.mac, now).verify(badSecret.reply), { instanceOf: TsigError, message: /BADSIG/ });

        const unknown = await send({ ...key, name: 'nobody-knows-me' }, 'badkey.example.org');
        t.is(unknown.rcode, 'NOTAUTH');
        t.is(rcodeName(findTsig(unknown.reply)?.error ?? 0), 'BADKEY');

        const read = await w.read();
        t.falsy(read.find((r) => r.name === 'badsig.example.org' || r.name === 'badkey.example.org'), 'nothing written with a bad key');
      } finally {
        await w.stop();
      }
    });
  }

  test.serial(`${daemon}: a zone transfer of several messages verifies message by message`, async (t) => {
    const w = await startRfc2136World(daemon);
    try {
      // About 120 KB of zone: several AXFR messages, later ones MAC'd over the prior MAC and timers only.
      const lines: string[] = [];
      for (let i = 0; i < 3000; i++) lines.push(`update add host-${i}.example.org. 600 TXT "${'x'.repeat(20)} ${i}"`);
      for (let i = 0; i < lines.length; i += 500) await w.nsupdate(lines.slice(i, i + 500));
      const calls: string[] = [];
      const records = await w.makeProvider({ observe: (c) => calls.push(`${c.operation} ${c.outcome}`) }).records({ id: 'example.org', name: 'example.org' });
      t.is(records.filter((r) => r.name.startsWith('host-')).length, 3000);
      t.deepEqual(records.find((r) => r.name === 'host-2999.example.org')?.values, [`${'x'.repeat(20)} 2999`]);
      t.deepEqual(calls, ['AXFR ok'], 'one request');
      const digOut = await new Promise<string>((r) => execFile('dig', ['@127.0.0.1', '-p', String(w.port), 'example.org', 'AXFR', '-y', `${w.key.algorithm}:${w.key.name}:${w.key.secret}`, '+noall', '+stats'], (_e, out) => r(String(out))));
      t.true(Number(/messages (\d+)/.exec(digOut)?.[1] ?? 0) > 1, `the server sent several messages: ${digOut.trim()}`);
    } finally {
      await w.stop();
    }
  });
}
