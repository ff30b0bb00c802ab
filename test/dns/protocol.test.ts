// Header-level protocol handling with crafted packets (node:dgram / node:net) and dig:
// NOTIMP for opcodes other than QUERY, FORMERR for QDCOUNT ≠ 1, QR=1 dropped,
// RFC 7766 pipelining and idle timeout.
import net from 'node:net';
import test from 'ava';
import dnsPacket from 'dns-packet';
import { startGlobaldns, type Globaldns } from '../support/globaldns.js';
import { query } from '../support/dig.js';
import { buildQuery, decode, headerOf, tcpExchange, tcpFrame, tcpUnframe, udpExchange } from '../support/wire.js';
import { APEX, SHOP_IPS, baseConfig, manifests, waitForAnswers, sleep } from './fixture.js';

const IDLE_MS = 500;
let g: Globaldns;

test.before(async () => {
  g = await startGlobaldns({ configYaml: baseConfig({ tcpIdleTimeoutMs: IDLE_MS }), files: manifests() });
  await waitForAnswers(g, `shop.${APEX}`, SHOP_IPS.length);
});

test.after.always(async () => {
  await g?.cleanup();
});

const HOSTS = ['127.0.0.1', '::1'];

function withOpcode(msg: Buffer, opcode: number): Buffer {
  const b = Buffer.from(msg);
  b[2] = (b[2] & 0x87) | (opcode << 3);
  return b;
}

/** One exchange over UDP or TCP; null when nothing came back within timeoutMs. */
async function exchange(transport: 'udp' | 'tcp', host: string, msg: Buffer, timeoutMs = 1000): Promise<Buffer | null> {
  if (transport === 'udp') return (await udpExchange(g.port, msg, { host, timeoutMs }))?.reply ?? null;
  const r = await tcpExchange(g.port, tcpFrame(msg), { host, timeoutMs, expect: 1 });
  return r.replies[0] ?? null;
}

for (const transport of ['udp', 'tcp'] as const) {
  for (const host of HOSTS) {
    const label = `${transport} ${host}`;

    test(`NOTIMP for every opcode other than QUERY (${label})`, async (t) => {
      for (let opcode = 1; opcode < 16; opcode++) {
        const id = 0x4000 + opcode;
        const reply = await exchange(transport, host, withOpcode(buildQuery(`shop.${APEX}`, { id }), opcode));
        t.truthy(reply, `opcode ${opcode}: no reply`);
        if (!reply) continue;
        const h = headerOf(reply);
        t.is(h.id, id);
        t.true(h.qr);
        t.is(h.opcode, opcode, `opcode ${opcode} echoed`);
        t.is(h.rcode, 4, `opcode ${opcode}: rcode ${h.rcode}, want NOTIMP(4)`);
        t.is(h.an, 0);
      }
    });

    test(`FORMERR for QDCOUNT=2 and QDCOUNT=0 (${label})`, async (t) => {
      const two = dnsPacket.encode({
        type: 'query',
        id: 0x1234,
        flags: 0,
        questions: [
          { type: 'A', name: `shop.${APEX}`, class: 'IN' },
          { type: 'A', name: `www.${APEX}`, class: 'IN' },
        ],
      });
      const r2 = await exchange(transport, host, two);
      t.truthy(r2, 'QDCOUNT=2: no reply');
      if (r2) {
        const h = headerOf(r2);
        t.is(h.id, 0x1234);
        t.true(h.qr);
        t.is(h.rcode, 1, `QDCOUNT=2: rcode ${h.rcode}, want FORMERR(1)`);
        t.is(h.an, 0);
      }
      const zero = Buffer.alloc(12);
      zero.writeUInt16BE(0x2345, 0);
      const r0 = await exchange(transport, host, zero);
      t.truthy(r0, 'QDCOUNT=0: no reply');
      if (r0) {
        t.is(headerOf(r0).id, 0x2345);
        t.is(headerOf(r0).rcode, 1, `QDCOUNT=0: rcode ${headerOf(r0).rcode}, want FORMERR(1)`);
      }
    });

    test(`FORMERR for a readable header with a broken question (${label})`, async (t) => {
      const q = buildQuery(`shop.${APEX}`, { id: 0x3456 });
      // header says one question, the question is cut in the middle of the name
      const cut = q.subarray(0, 12 + 5);
      const r = await exchange(transport, host, cut);
      t.truthy(r, 'no reply');
      if (r) {
        t.is(headerOf(r).id, 0x3456);
        t.is(headerOf(r).rcode, 1, `rcode ${headerOf(r).rcode}, want FORMERR(1)`);
      }
    });

    test(`packets with QR=1 get no reply (${label})`, async (t) => {
      const q = buildQuery(`shop.${APEX}`, { id: 0x5678 });
      q[2] |= 0x80;
      if (transport === 'udp') {
        const r = await udpExchange(g.port, q, { host, timeoutMs: 300 });
        t.is(r, null, 'a QR=1 packet was answered');
      } else {
        // a response frame then a real query on the same connection: only the query is answered
        const ok = buildQuery(`shop.${APEX}`, { id: 0x5679 });
        const r = await tcpExchange(g.port, Buffer.concat([tcpFrame(q), tcpFrame(ok)]), { host, expect: 2, timeoutMs: 300 });
        t.deepEqual(r.replies.map((m) => headerOf(m).id), [0x5679]);
      }
      // still serving
      const after = await exchange(transport, host, buildQuery(`shop.${APEX}`, { id: 0x567a }));
      t.is(after && headerOf(after).rcode, 0);
    });
  }
}

test('dig +opcode=status gets NOTIMP (udp and tcp, v4 and v6)', async (t) => {
  for (const server of HOSTS) {
    for (const tcp of [false, true]) {
      const r = await query({ tool: 'dig', server, tcp, port: g.port, name: `shop.${APEX}`, opcode: 'status' });
      t.is(r.status, 'NOTIMP', `${server} ${tcp ? 'tcp' : 'udp'}\n${r.raw}`);
      t.is(r.opcode, 'STATUS');
    }
  }
});

test('dig +opcode=update gets NOTIMP', async (t) => {
  const r = await query({ tool: 'dig', port: g.port, name: APEX, type: 'SOA', opcode: 'update' });
  t.is(r.status, 'NOTIMP', r.raw);
});

for (const host of HOSTS) {
  test(`TCP pipelining: 3 queries in one write, 3 answers with matching ids (${host})`, async (t) => {
    const qs = [
      buildQuery(`shop.${APEX}`, { id: 101 }),
      buildQuery(`nope.${APEX}`, { id: 102 }),
      buildQuery(APEX, { id: 103, type: 'SOA' }),
    ];
    const r = await tcpExchange(g.port, Buffer.concat(qs.map(tcpFrame)), { host, expect: 3, timeoutMs: 2000 });
    t.is(r.replies.length, 3);
    const byId = new Map(r.replies.map((m) => [headerOf(m).id, m]));
    t.deepEqual([...byId.keys()].sort(), [101, 102, 103]);
    const shop = decode(byId.get(101)!);
    t.deepEqual((shop.answers ?? []).map((a) => String((a as { data?: unknown }).data)).sort(), [...SHOP_IPS].sort());
    t.is(headerOf(byId.get(102)!).rcode, 3);
    t.is(decode(byId.get(103)!).answers?.[0]?.type, 'SOA');
  });

  test(`TCP: a query split across writes and byte-by-byte is answered (${host})`, async (t) => {
    const frame = tcpFrame(buildQuery(`shop.${APEX}`, { id: 201 }));
    const replies = await new Promise<Buffer[]>((resolve) => {
      const sock = net.connect({ port: g.port, host });
      let buf: Buffer = Buffer.alloc(0);
      const timer = setTimeout(() => (sock.destroy(), resolve([])), 3000);
      sock.setNoDelay(true);
      sock.on('connect', async () => {
        for (let i = 0; i < frame.length; i++) {
          sock.write(frame.subarray(i, i + 1));
          await sleep(2);
        }
      });
      sock.on('data', (d) => {
        buf = Buffer.concat([buf, d]);
        const { messages } = tcpUnframe(buf);
        if (messages.length) {
          clearTimeout(timer);
          sock.destroy();
          resolve(messages);
        }
      });
      sock.on('error', () => {});
    });
    t.is(replies.length, 1);
    t.is(headerOf(replies[0]).id, 201);
  });

  test(`TCP idle timeout (${IDLE_MS} ms) closes an idle connection (${host})`, async (t) => {
    const closedAfter = await new Promise<number>((resolve) => {
      const t0 = Date.now();
      const sock = net.connect({ port: g.port, host });
      const guard = setTimeout(() => (sock.destroy(), resolve(-1)), IDLE_MS * 6);
      sock.on('close', () => (clearTimeout(guard), resolve(Date.now() - t0)));
      sock.on('error', () => {});
    });
    t.not(closedAfter, -1, `still open after ${IDLE_MS * 6} ms`);
    t.true(closedAfter >= IDLE_MS * 0.8, `closed after ${closedAfter} ms, before the idle timeout`);
    t.true(closedAfter <= IDLE_MS * 4, `closed after ${closedAfter} ms`);
  });

  test(`TCP idle timeout also closes a connection after its last answer (${host})`, async (t) => {
    const res = await new Promise<{ answered: boolean; idleMs: number }>((resolve) => {
      const sock = net.connect({ port: g.port, host });
      let answeredAt = 0;
      const guard = setTimeout(() => (sock.destroy(), resolve({ answered: answeredAt > 0, idleMs: -1 })), IDLE_MS * 6);
      sock.on('connect', () => sock.write(tcpFrame(buildQuery(`shop.${APEX}`, { id: 301 }))));
      sock.on('data', () => (answeredAt = Date.now()));
      sock.on('close', () => (clearTimeout(guard), resolve({ answered: answeredAt > 0, idleMs: answeredAt ? Date.now() - answeredAt : -1 })));
      sock.on('error', () => {});
    });
    t.true(res.answered);
    t.not(res.idleMs, -1, 'still open');
    t.true(res.idleMs >= IDLE_MS * 0.8 && res.idleMs <= IDLE_MS * 4, `closed ${res.idleMs} ms after the answer`);
  });
}
