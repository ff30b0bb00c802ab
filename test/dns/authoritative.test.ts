// The embedded server's answers, seen through the real dig and kdig, over UDP and TCP,
// on 127.0.0.1 and ::1: authority, negative answers, CNAME chains, wildcards (RFC 4592),
// ANY (RFC 8482), letter case, A/AAAA rotation.
import test from 'ava';
import { startGlobaldns, type Globaldns } from '../support/globaldns.js';
import { query, soaFields, variants, type DigResult, type QueryOptions, type Variant } from '../support/dig.js';
import { buildQuery, decode, tcpExchange, tcpFrame, udpExchange } from '../support/wire.js';
import { APEX, APEX2, ROT_IPS, SHOP_IPS, baseConfig, manifests, waitForAnswers } from './fixture.js';

let g: Globaldns;

test.before(async () => {
  g = await startGlobaldns({ configYaml: baseConfig(), files: manifests() });
  // the apex SOA answers as soon as the zone exists; wait for the entries too
  await waitForAnswers(g, `rot.${APEX}`, ROT_IPS.length);
});

test.after.always(async () => {
  await g?.cleanup();
});

const ALL = variants();

function ask(v: Variant, name: string, type = 'A', o: Partial<QueryOptions> = {}): Promise<DigResult> {
  return query({ tool: v.tool, server: v.server, tcp: v.tcp, port: g.port, name, type, ...o });
}

const names = (rrs: { data: string }[]) => rrs.map((r) => r.data).sort();
const lc = (s: string) => s.toLowerCase();

function describe(r: DigResult): string {
  return `${r.tool} ${r.args.join(' ')}\n${r.raw}${r.stderr}`;
}

// ---------- authority ----------

for (const v of ALL) {
  test(`AA set for a name in a served zone (${v.label})`, async (t) => {
    const r = await ask(v, `shop.${APEX}`);
    t.is(r.status, 'NOERROR', describe(r));
    t.true(r.flags.includes('aa'), describe(r));
    t.true(r.flags.includes('qr'));
    t.deepEqual(names(r.answer), [...SHOP_IPS].sort(), describe(r));
    for (const rr of r.answer) {
      t.is(rr.name, `shop.${APEX}.`);
      t.is(rr.type, 'A');
      t.is(rr.class, 'IN');
      t.is(rr.ttl, 300);
    }
  });

  test(`SOA at the apex (${v.label})`, async (t) => {
    const r = await ask(v, APEX, 'SOA');
    t.is(r.status, 'NOERROR', describe(r));
    t.true(r.flags.includes('aa'));
    t.is(r.answer.length, 1, describe(r));
    const soa = r.answer[0];
    t.is(soa.type, 'SOA');
    t.is(soa.name, `${APEX}.`);
    const f = soaFields(soa.data);
    t.is(f.mname, `ns1.${APEX}.`);
    t.true(f.serial > 0);
    t.is(f.minimum, 60);
  });

  test(`NS at the apex (${v.label})`, async (t) => {
    const r = await ask(v, APEX, 'NS');
    t.is(r.status, 'NOERROR', describe(r));
    t.true(r.flags.includes('aa'));
    t.deepEqual(
      r.answer.map((a) => [a.name, a.type, a.data]),
      [[`${APEX}.`, 'NS', `ns1.${APEX}.`]],
      describe(r),
    );
  });

  test(`static records are served as configured (${v.label})`, async (t) => {
    const r = await ask(v, APEX, 'TXT');
    t.is(r.status, 'NOERROR', describe(r));
    t.deepEqual(r.answer.map((a) => a.data), ['"hello"'], describe(r));
    const ns1 = await ask(v, `ns1.${APEX}`);
    t.deepEqual(ns1.answer.map((a) => [a.ttl, a.data]), [[3600, '127.0.0.1']], describe(ns1));
  });

  // ---------- negative answers (RFC 2308) ----------

  test(`NXDOMAIN with the SOA in authority, TTL = min(SOA TTL, minimum) (${v.label})`, async (t) => {
    const r = await ask(v, `nope.${APEX}`);
    t.is(r.status, 'NXDOMAIN', describe(r));
    t.true(r.flags.includes('aa'));
    t.is(r.answer.length, 0);
    const soa = r.authority.find((a) => a.type === 'SOA');
    t.truthy(soa, describe(r));
    t.is(soa!.name, `${APEX}.`);
    t.is(soa!.ttl, 60, 'SOA TTL 3600, minimum 60 → 60');
    // the second zone has TTL 30 < minimum 120
    const r2 = await ask(v, `nope.${APEX2}`);
    t.is(r2.status, 'NXDOMAIN', describe(r2));
    const soa2 = r2.authority.find((a) => a.type === 'SOA');
    t.truthy(soa2, describe(r2));
    t.is(soa2!.name, `${APEX2}.`);
    t.is(soa2!.ttl, 30, 'SOA TTL 30, minimum 120 → 30');
  });

  test(`NODATA with the SOA in authority (${v.label})`, async (t) => {
    const r = await ask(v, `ns1.${APEX}`, 'AAAA');
    t.is(r.status, 'NOERROR', describe(r));
    t.true(r.flags.includes('aa'));
    t.is(r.answer.length, 0, describe(r));
    const soa = r.authority.find((a) => a.type === 'SOA');
    t.truthy(soa, describe(r));
    t.is(soa!.name, `${APEX}.`);
    t.is(soa!.ttl, 60);
    const r2 = await ask(v, `a.${APEX2}`, 'TXT');
    t.is(r2.status, 'NOERROR', describe(r2));
    t.is(r2.answer.length, 0);
    t.is(r2.authority.find((a) => a.type === 'SOA')?.ttl, 30, describe(r2));
  });

  test(`REFUSED outside served zones, without AA (${v.label})`, async (t) => {
    for (const name of ['www.example.org', 'test', 'example.test.evil', 'notexample.test']) {
      const r = await ask(v, name);
      t.is(r.status, 'REFUSED', `${name}: ${describe(r)}`);
      t.false(r.flags.includes('aa'), name);
      t.is(r.answer.length, 0);
    }
  });

  test(`RA never set, even with RD (${v.label})`, async (t) => {
    for (const rd of [true, false]) {
      for (const name of [`shop.${APEX}`, `nope.${APEX}`, 'www.example.org']) {
        const r = await ask(v, name, 'A', { rd });
        t.false(r.noReply, describe(r));
        t.false(r.flags.includes('ra'), `rd=${rd} ${name}: ${describe(r)}`);
      }
    }
  });

  test(`RD is copied into the response (${v.label})`, async (t) => {
    const on = await ask(v, `shop.${APEX}`, 'A', { rd: true });
    t.true(on.flags.includes('rd'), describe(on));
    const off = await ask(v, `shop.${APEX}`, 'A', { rd: false });
    t.false(off.flags.includes('rd'), describe(off));
  });

  // ---------- CNAME ----------

  test(`in-zone CNAME chain: CNAME then the target's A records (${v.label})`, async (t) => {
    const r = await ask(v, `www.${APEX}`);
    t.is(r.status, 'NOERROR', describe(r));
    t.true(r.flags.includes('aa'));
    t.true(r.answer.length >= 3, describe(r));
    t.deepEqual([r.answer[0].name, r.answer[0].type, r.answer[0].data], [`www.${APEX}.`, 'CNAME', `shop.${APEX}.`]);
    const rest = r.answer.slice(1);
    t.true(rest.every((a) => a.type === 'A' && a.name === `shop.${APEX}.`), describe(r));
    t.deepEqual(names(rest), [...SHOP_IPS].sort());
  });

  test(`CNAME answered for its own type and for a type the target lacks (${v.label})`, async (t) => {
    const r = await ask(v, `www.${APEX}`, 'CNAME');
    t.is(r.status, 'NOERROR', describe(r));
    t.deepEqual(r.answer.map((a) => [a.name, a.type, a.data]), [[`www.${APEX}.`, 'CNAME', `shop.${APEX}.`]], describe(r));
    const txt = await ask(v, `www.${APEX}`, 'TXT');
    t.is(txt.status, 'NOERROR', describe(txt));
    t.is(txt.answer[0]?.type, 'CNAME', describe(txt));
    t.is(txt.answer.filter((a) => a.type === 'TXT').length, 0);
  });

  // ---------- wildcards (RFC 4592) ----------

  test(`wildcard synthesises an answer owned by the query name (${v.label})`, async (t) => {
    for (const name of [`x.apps.${APEX}`, `a.b.apps.${APEX}`]) {
      const r = await ask(v, name);
      t.is(r.status, 'NOERROR', `${name}: ${describe(r)}`);
      t.true(r.flags.includes('aa'));
      t.deepEqual(r.answer.map((a) => [a.name, a.type, a.data]), [[`${name}.`, 'A', '192.0.2.10']], describe(r));
    }
  });

  // kdig lower-cases the name it sends, so letter case is checked with dig and a raw client
  if (v.tool === 'dig') {
    test(`wildcard owner name keeps the query's letter case (${v.label})`, async (t) => {
      const r = await ask(v, `X.ApPs.ExAmPlE.tEsT`);
      t.is(r.status, 'NOERROR', describe(r));
      t.deepEqual(r.answer.map((a) => a.name), ['X.ApPs.ExAmPlE.tEsT.'], describe(r));
    });
  }

  test(`wildcard for a type it lacks is NODATA (${v.label})`, async (t) => {
    const r = await ask(v, `x.apps.${APEX}`, 'MX');
    t.is(r.status, 'NOERROR', describe(r));
    t.is(r.answer.length, 0);
    t.is(r.authority.find((a) => a.type === 'SOA')?.name, `${APEX}.`, describe(r));
  });

  test(`the wildcard's parent is an empty non-terminal: NODATA, no synthesis (${v.label})`, async (t) => {
    const r = await ask(v, `apps.${APEX}`);
    t.is(r.status, 'NOERROR', describe(r));
    t.is(r.answer.length, 0, describe(r));
    t.truthy(r.authority.find((a) => a.type === 'SOA'), describe(r));
  });

  test(`an explicit name blocks the wildcard for itself and names below it (${v.label})`, async (t) => {
    const self = await ask(v, `host.apps.${APEX}`);
    t.is(self.status, 'NOERROR', describe(self));
    t.is(self.answer.length, 0, `host.apps exists (TXT only): NODATA, not the wildcard A\n${describe(self)}`);
    const txt = await ask(v, `host.apps.${APEX}`, 'TXT');
    t.deepEqual(txt.answer.map((a) => a.data), ['"explicit"'], describe(txt));
    const below = await ask(v, `sub.host.apps.${APEX}`);
    t.is(below.status, 'NXDOMAIN', `closest encloser host.apps has no *: NXDOMAIN\n${describe(below)}`);
    t.is(below.answer.length, 0);
  });

  test(`the wildcard name itself can be queried (${v.label})`, async (t) => {
    const r = await ask(v, `*.apps.${APEX}`);
    t.is(r.status, 'NOERROR', describe(r));
    t.deepEqual(r.answer.map((a) => [a.name, a.data]), [[`*.apps.${APEX}.`, '192.0.2.10']], describe(r));
  });

  // ---------- ANY (RFC 8482) ----------

  test(`ANY gets a small answer, not every RRset (${v.label})`, async (t) => {
    const r = await ask(v, APEX, 'ANY');
    t.is(r.status, 'NOERROR', describe(r));
    t.true(r.flags.includes('aa'));
    t.true(r.answer.length > 0, describe(r));
    const types = new Set(r.answer.map((a) => a.type));
    const hinfo = r.answer.length === 1 && r.answer[0].type === 'HINFO' && /RFC8482/.test(r.answer[0].data);
    t.true(hinfo || types.size === 1, `one RRset or HINFO "RFC8482", got ${[...types].join(',')}\n${describe(r)}`);
    for (const a of r.answer) t.is(lc(a.name), `${APEX}.`);
  });

  test(`ANY for a missing name is NXDOMAIN (${v.label})`, async (t) => {
    const r = await ask(v, `nope.${APEX}`, 'ANY');
    t.is(r.status, 'NXDOMAIN', describe(r));
  });

  // ---------- 0x20 ----------

  if (v.tool === 'dig') {
    test(`question letter case preserved (${v.label})`, async (t) => {
      const r = await ask(v, 'ShOp.ExAmPlE.TeSt');
      t.is(r.status, 'NOERROR', describe(r));
      t.deepEqual(r.question.map((q) => q.name), ['ShOp.ExAmPlE.TeSt.'], describe(r));
      t.true(r.answer.length === SHOP_IPS.length, describe(r));
      for (const a of r.answer) t.is(a.name, 'ShOp.ExAmPlE.TeSt.');
      const n = await ask(v, 'NoPe.ExAmPlE.TeSt');
      t.is(n.status, 'NXDOMAIN');
      t.deepEqual(n.question.map((q) => q.name), ['NoPe.ExAmPlE.TeSt.'], describe(n));
      const w = await ask(v, 'WwW.ExAmPlE.TeSt');
      t.is(w.answer[0]?.name, 'WwW.ExAmPlE.TeSt.', describe(w));
    });
  }

  // ---------- rotation ----------

  // serial: a shared rotation counter advanced by concurrent queries could hide the rotation
  test.serial(`A record order rotates between answers (${v.label})`, async (t) => {
    const firsts = new Set<string>();
    for (let i = 0; i < 8; i++) {
      const r = await ask(v, `rot.${APEX}`);
      t.deepEqual(names(r.answer), [...ROT_IPS].sort(), describe(r));
      firsts.add(r.answer[0]?.data);
    }
    t.true(firsts.size > 1, `first address was always ${[...firsts].join(',')}`);
  });
}

for (const transport of ['udp', 'tcp'] as const) {
  for (const host of ['127.0.0.1', '::1']) {
    test(`question letter case preserved, raw client (${transport} ${host})`, async (t) => {
      for (
        const [name, owner] of [
          ['ShOp.ExAmPlE.TeSt', 'ShOp.ExAmPlE.TeSt'],
          ['X.ApPs.ExAmPlE.tEsT', 'X.ApPs.ExAmPlE.tEsT'],
          ['WwW.eXaMpLe.TEST', 'WwW.eXaMpLe.TEST'],
        ]
      ) {
        const q = buildQuery(name, { id: 0x2020 });
        t.true(q.includes(Buffer.from(name.split('.')[0], 'latin1')), 'dns-packet kept the case on the wire');
        const reply = transport === 'udp'
          ? (await udpExchange(g.port, q, { host, timeoutMs: 1000 }))?.reply
          : (await tcpExchange(g.port, tcpFrame(q), { host, expect: 1, timeoutMs: 1000 })).replies[0];
        t.truthy(reply, name);
        if (!reply) continue;
        const p = decode(reply);
        t.is(p.questions?.[0]?.name, name);
        t.is(p.answers?.[0]?.name, owner, `${name}: first answer owner`);
      }
    });
  }
}
