// What the contract does not cover, against real named and knotd: upsert-only writing when
// the zone cannot be transferred, key and zone errors, server selection, UDP/TCP, other
// algorithms, foreign changes between read and apply, and the wire form of every type.
import test from 'ava';
import type { ExecutionContext } from 'ava';
import type { Plan, RecordSet, RRType } from '../../../src/model/index.js';
import { Rfc2136Error, ZoneNotListableError, type ProviderCall, type Zone } from '../../../providers/index.js';
import { freePort } from '../../support/ports.js';
import { startRfc2136World, type Daemon, type Rfc2136World, type Rfc2136WorldOptions } from './backend.js';
import { startSilentServer, startTruncatingFront } from './servers.js';

const ZONE: Zone = { id: 'example.org', name: 'example.org' };
const EMPTY: Plan = { creates: [], updates: [], deletes: [] };

function rs(name: string, type: RRType, values: string[], ttl = 600): RecordSet {
  return { name: name === '@' ? 'example.org' : `${name}.example.org`, type, ttl, values };
}
const OWNER = 'heritage=globaldns,globaldns/owner=test,globaldns/resource=ingress/default/web';
const find = (records: RecordSet[], name: string, type: RRType) => records.find((r) => r.name === (name === '@' ? 'example.org' : `${name}.example.org`) && r.type === type);
const sorted = (r: RecordSet | undefined) => (r ? { ...r, values: [...r.values].sort() } : r);
const errorsOf = (r: { results: { ok: boolean; error?: string }[] }) => r.results.map((x) => (x.ok ? 'ok' : x.error ?? 'failed'));

async function withWorld(t: ExecutionContext, daemon: Daemon, opts: Rfc2136WorldOptions, f: (w: Rfc2136World) => Promise<void>): Promise<void> {
  const w = await startRfc2136World(daemon, opts);
  try {
    await f(w);
  } catch (e) {
    t.log(w.logs().split('\n').slice(-15).join('\n'));
    throw e;
  } finally {
    await w.stop();
  }
}

for (const daemon of ['bind', 'knot'] as Daemon[]) {
  const title = (s: string) => `${daemon}: ${s}`;

  test.serial(title('AXFR refused: records() throws ZoneNotListableError saying why; apply is upsert-only and never overwrites a set it does not own'), async (t) => {
    await withWorld(t, daemon, { transfer: false }, async (w) => {
      const calls: string[] = [];
      const p = w.makeProvider({ observe: (c) => calls.push(`${c.operation} ${c.outcome}`) });
      const e = await t.throwsAsync(() => p.records(ZONE), { instanceOf: ZoneNotListableError });
      t.regex(e?.message ?? '', daemon === 'bind' ? /AXFR example\.org: REFUSED \(the server does not allow this key or address to transfer the zone\); written upsert-only/ : /AXFR example\.org: NOTAUTH \(BADKEY for a key the server accepts on queries: the key may not transfer the zone\); written upsert-only/);
      t.is(e.fallbackPolicy, 'upsert-only');

      await w.seed([rs('api', 'A', ['203.0.113.1']), rs('blog', 'TXT', ['v=spf1 -all'])]);
      const shop = rs('shop', 'A', ['192.0.2.1']);
      const shopOwner = rs('_globaldns-a.shop', 'TXT', [OWNER]);
      const api = rs('api', 'A', ['192.0.2.2']);
      const apiOwner = rs('_globaldns-a.api', 'TXT', [OWNER]);
      // The controller's upsert-only plan against an empty view: every desired set is a create.
      const first = await p.apply(ZONE, { ...EMPTY, creates: [shop, api, shopOwner, apiOwner] });
      t.deepEqual(first.results.map((r) => r.ok), [true, false, true, false]);
      t.regex(first.results[1].error ?? '', /create api\.example\.org A: not overwritten: it exists and is not ours: its ownership record _globaldns-a\.api\.example\.org TXT does not hold our value \(NXRRSET\)/);
      let read = await w.read();
      t.deepEqual(find(read, 'api', 'A')?.values, ['203.0.113.1'], 'the foreign set is untouched');
      t.is(find(read, '_globaldns-a.api', 'TXT'), undefined, 'and no ownership record was put beside it');
      t.deepEqual(find(read, 'shop', 'A')?.values, ['192.0.2.1']);
      t.deepEqual(find(read, '_globaldns-a.shop', 'TXT')?.values, [OWNER]);

      // The next sync: the same plan with new addresses. Ours (the companion proves it) is replaced.
      const shop2 = { ...shop, ttl: 900, values: ['192.0.2.10', '192.0.2.11'] };
      const blog = rs('blog', 'TXT', ['v=spf1 -all']);
      const blogOther = rs('blog', 'TXT', ['v=spf1 include:example.net -all']);
      const second = await p.apply(ZONE, { ...EMPTY, creates: [shop2, shopOwner, blog, blogOther] });
      t.deepEqual(errorsOf(second).slice(0, 3), ['ok', 'ok', 'ok'], 'replaced ours; a set already exactly as planned is fine');
      t.regex(second.results[3].error ?? '', /not overwritten/);
      read = await w.read();
      t.deepEqual(sorted(find(read, 'shop', 'A')), sorted(shop2));
      t.deepEqual(find(read, 'blog', 'TXT')?.values, ['v=spf1 -all'], 'a set without our ownership record is never overwritten');
      t.false(calls.includes('AXFR ok'));
    });
  });

  test.serial(title('transfer: false never tries AXFR and writes upsert-only'), async (t) => {
    await withWorld(t, daemon, {}, async (w) => {
      const calls: ProviderCall[] = [];
      const p = w.makeProvider({ transfer: false, observe: (c) => calls.push(c) });
      await t.throwsAsync(() => p.records(ZONE), { instanceOf: ZoneNotListableError, message: /transfer: false/ });
      t.is(calls.length, 0, 'no request sent');
      await w.seed([rs('www', 'A', ['203.0.113.9'])]);
      const r = await p.apply(ZONE, { ...EMPTY, creates: [rs('www', 'A', ['192.0.2.9']), rs('_globaldns-a.www', 'TXT', [OWNER])] });
      t.is(r.failed, 2);
      t.deepEqual(find(await w.read(), 'www', 'A')?.values, ['203.0.113.9']);
    });
  });

  test.serial(title('a bad TSIG secret: records() and apply() say bad TSIG key (BADSIG), never the secret; nothing written'), async (t) => {
    await withWorld(t, daemon, {}, async (w) => {
      const secret = 'c2VjcmV0LXRoYXQtbXVzdC1uZXZlci1iZS1sb2dnZWQ=';
      const p = w.makeProvider({ tsig: { name: w.key.name, secret } });
      const e = await t.throwsAsync(() => p.records(ZONE), { instanceOf: Rfc2136Error });
      t.regex(e?.message ?? '', new RegExp(`^rfc2136 test-${daemon} 127\\.0\\.0\\.1:${w.port}: AXFR example\\.org: NOTAUTH \\(bad TSIG key: BADSIG: authentication failed`));
      const r = await p.apply(ZONE, { ...EMPTY, creates: [rs('a', 'A', ['192.0.2.1']), rs('b', 'A', ['192.0.2.2'])] });
      t.is(r.failed, 2);
      t.regex(r.results[0].error ?? '', /UPDATE example\.org.*NOTAUTH \(bad TSIG key: BADSIG/);
      for (const m of [e?.message ?? '', ...r.results.map((x) => x.error ?? '')]) t.false(m.includes(secret) || m.includes(secret.slice(0, 12)), 'no secret in errors');
      t.is(find(await w.read(), 'a', 'A'), undefined);
    });
  });

  test.serial(title('an unknown key name: BADKEY'), async (t) => {
    await withWorld(t, daemon, {}, async (w) => {
      const p = w.makeProvider({ tsig: { name: 'no-such-key', secret: w.key.secret } });
      await t.throwsAsync(() => p.records(ZONE), { message: /NOTAUTH \(bad TSIG key: BADKEY/ });
      const r = await p.apply(ZONE, { ...EMPTY, creates: [rs('a', 'A', ['192.0.2.1'])] });
      t.regex(r.results[0].error ?? '', /BADKEY/);
    });
  });

  test.serial(title('a zone the key may not update: REFUSED; a zone the server does not serve: NOTAUTH'), async (t) => {
    await withWorld(t, daemon, { extraZones: [{ apex: 'readonly.test', update: false }] }, async (w) => {
      const p = w.makeProvider({ zones: ['example.org', 'readonly.test', 'nothere.test'] });
      t.deepEqual((await p.zones()).map((z) => z.name), ['example.org', 'nothere.test', 'readonly.test']);
      const readonly: Zone = { id: 'readonly.test', name: 'readonly.test' };
      const refused = await p.apply(readonly, { ...EMPTY, creates: [{ name: 'www.readonly.test', type: 'A', ttl: 600, values: ['192.0.2.1'] }, { name: 'api.readonly.test', type: 'A', ttl: 600, values: ['192.0.2.2'] }] });
      t.is(refused.failed, 2);
      t.log(refused.results[0].error);
      t.regex(refused.results[0].error ?? '', daemon === 'bind' ? /UPDATE readonly\.test.*REFUSED \(the server does not allow this key or address to update the zone\)/ : /UPDATE readonly\.test: NOTAUTH \(BADKEY for a key the server accepts on queries: the key may not update the zone\)/);
      t.true((await p.records(readonly)).length >= 0, 'the zone is still transferable');

      const nothere: Zone = { id: 'nothere.test', name: 'nothere.test' };
      const notauth = await p.apply(nothere, { ...EMPTY, creates: [{ name: 'www.nothere.test', type: 'A', ttl: 600, values: ['192.0.2.1'] }] });
      t.log(notauth.results[0].error);
      t.regex(notauth.results[0].error ?? '', /UPDATE nothere\.test.*(NOTAUTH|REFUSED) \(/);
      const e = await t.throwsAsync(() => p.records(nothere));
      t.log(e?.message);
      t.regex(e?.message ?? '', /AXFR nothere\.test: (NOTAUTH|REFUSED) \(/);
      // example.org on the same provider is unaffected.
      t.is((await p.apply(ZONE, { ...EMPTY, creates: [rs('fine', 'A', ['192.0.2.3'])] })).failed, 0);
    });
  });

  test.serial(title('servers: the next one on ECONNREFUSED or timeout, never after a DNS error; all down names each'), async (t) => {
    await withWorld(t, daemon, {}, async (w) => {
      const closed = await freePort({ ipv6: false });
      const silent = await startSilentServer();
      try {
        const calls: string[] = [];
        const observe = (c: ProviderCall) => calls.push(`${c.operation} ${c.outcome}`);
        const real = `127.0.0.1:${w.port}`;
        const p = w.makeProvider({ servers: [`127.0.0.1:${closed}`, `127.0.0.1:${silent.port}`, real], timeoutMs: 1500, observe });
        const r = await p.apply(ZONE, { ...EMPTY, creates: [rs('www', 'A', ['192.0.2.1'])] });
        t.is(r.failed, 0);
        t.deepEqual(calls, ['UPDATE error', 'UPDATE error', 'UPDATE ok']);
        t.is(silent.udp, 1, 'the silent server got the datagram');
        t.true((await p.records(ZONE)).some((x) => x.name === 'www.example.org'));

        // A DNS error (here a failed prerequisite) is the server's answer: no other server is asked.
        const asked = silent.udp + silent.tcp;
        const first = w.makeProvider({ servers: [real, `127.0.0.1:${silent.port}`], timeoutMs: 500 });
        const dup = await first.apply(ZONE, { ...EMPTY, creates: [rs('www', 'A', ['192.0.2.2'])] });
        t.regex(dup.results[0].error ?? '', /YXRRSET/);
        t.is(silent.udp + silent.tcp, asked, 'the second server was not asked');

        const down = w.makeProvider({ servers: [`127.0.0.1:${closed}`, `127.0.0.1:${silent.port}`], timeoutMs: 300 });
        const e = await t.throwsAsync(() => down.records(ZONE));
        t.regex(e?.message ?? '', new RegExp(`AXFR example\\.org: no server answered: 127\\.0\\.0\\.1:${closed}: TCP ECONNREFUSED; 127\\.0\\.0\\.1:${silent.port}: no reply over TCP within 300 ms \\(timed out\\)`));
        const d = await down.apply(ZONE, { ...EMPTY, creates: [rs('x', 'A', ['192.0.2.5']), rs('y', 'A', ['192.0.2.6'])] });
        t.deepEqual(d.results.map((x) => x.ok), [false, false]);
        t.regex(d.results[1].error ?? '', /ECONNREFUSED/);
      } finally {
        await silent.close();
      }
    });
  });

  test.serial(title('UDP for a small message, TCP for one over 512 octets and after a truncated reply'), async (t) => {
    await withWorld(t, daemon, {}, async (w) => {
      const silent = await startSilentServer();
      const front = await startTruncatingFront(w.port);
      try {
        const p = w.makeProvider({ servers: [`127.0.0.1:${silent.port}`, `127.0.0.1:${w.port}`], timeoutMs: 1500 });
        t.is((await p.apply(ZONE, { ...EMPTY, creates: [rs('small', 'A', ['192.0.2.1'])] })).failed, 0);
        t.deepEqual([silent.udp, silent.tcp], [1, 0]);
        const many = Array.from({ length: 60 }, (_, i) => `10.1.0.${i + 1}`);
        const large = await p.apply(ZONE, { ...EMPTY, creates: [rs('large', 'A', many)] });
        t.deepEqual(errorsOf(large), ['ok']);
        t.deepEqual([silent.udp, silent.tcp], [1, 1], 'the large message went over TCP');
        t.is(find(await w.read(), 'large', 'A')?.values.length, 60);

        const viaFront = w.makeProvider({ servers: [`127.0.0.1:${front.port}`] });
        t.is((await viaFront.apply(ZONE, { ...EMPTY, creates: [rs('tc', 'A', ['192.0.2.7'])] })).failed, 0);
        t.deepEqual([front.truncated, front.passed], [1, 1], 'TC=1 over UDP, then the same change over TCP');
        t.deepEqual(find(await w.read(), 'tc', 'A')?.values, ['192.0.2.7']);
      } finally {
        await silent.close();
        await front.close();
      }
    });
  });

  test.serial(title('an hmac-sha512 key reads and writes'), async (t) => {
    await withWorld(t, daemon, { algorithm: 'hmac-sha512' }, async (w) => {
      const www = rs('www', 'A', ['192.0.2.1']);
      t.is((await w.provider.apply(ZONE, { ...EMPTY, creates: [www] })).failed, 0);
      const www2 = { ...www, values: ['192.0.2.2'] };
      t.is((await w.provider.apply(ZONE, { ...EMPTY, updates: [{ from: www, to: www2 }] })).failed, 0);
      t.deepEqual(find(await w.provider.records(ZONE), 'www', 'A'), www2);
      t.deepEqual(find(await w.read(), 'www', 'A'), www2);
      await t.throwsAsync(() => w.makeProvider({ tsig: { ...w.key, algorithm: 'hmac-sha256' } }).records(ZONE), { message: /bad TSIG key: BAD(SIG|KEY)/ });
    });
  });

  test.serial(title('a foreign change between read and apply: that change fails, nothing foreign is overwritten, the rest applies'), async (t) => {
    await withWorld(t, daemon, {}, async (w) => {
      const www = rs('www', 'A', ['192.0.2.1', '192.0.2.2']);
      const old = rs('old', 'CNAME', ['lb.example.net']);
      const keep = rs('keep', 'AAAA', ['2001:db8::1']);
      t.is((await w.provider.apply(ZONE, { ...EMPTY, creates: [www, old, keep] })).failed, 0);
      const read = await w.provider.records(ZONE);
      t.deepEqual(sorted(find(read, 'www', 'A')), sorted(www));

      // Someone else edits the zone after our read.
      await w.nsupdate([
        'update delete www.example.org. A 192.0.2.2',
        'update add www.example.org. 600 A 203.0.113.5',
        'update delete old.example.org. CNAME',
        'update add old.example.org. 600 CNAME someone-elses.example.net.',
        'update add new.example.org. 600 A 203.0.113.6',
        'update add new2.example.org. 600 TXT "foreign"',
      ]);
      const plan: Plan = {
        creates: [rs('new', 'A', ['192.0.2.3']), rs('new2', 'CNAME', ['lb.example.net']), rs('fresh', 'A', ['192.0.2.4'])],
        updates: [
          { from: www, to: { ...www, values: ['192.0.2.9'] } },
          { from: keep, to: { ...keep, values: ['2001:db8::2'] } },
        ],
        deletes: [old],
      };
      const r = await w.provider.apply(ZONE, plan);
      t.deepEqual(r.results.map((x) => x.ok), [false, false, true, false, true, false]);
      for (const i of [0, 1, 3, 5]) t.regex(r.results[i].error ?? '', /changed by someone else since it was read/, r.results[i].error);
      t.regex(r.results[0].error ?? '', /create new\.example\.org A: YXRRSET/);
      t.regex(r.results[1].error ?? '', /create new2\.example\.org CNAME: YXDOMAIN/);
      t.regex(r.results[3].error ?? '', /update www\.example\.org A: NXRRSET/);
      t.regex(r.results[5].error ?? '', /delete old\.example\.org CNAME: NXRRSET/);
      const after = await w.read();
      t.deepEqual(sorted(find(after, 'www', 'A'))?.values, ['192.0.2.1', '203.0.113.5'], 'the foreign edit stands');
      t.deepEqual(find(after, 'old', 'CNAME')?.values, ['someone-elses.example.net']);
      t.deepEqual(find(after, 'new', 'A')?.values, ['203.0.113.6']);
      t.deepEqual(find(after, 'new2', 'TXT')?.values, ['foreign']);
      t.is(find(after, 'new2', 'CNAME'), undefined);
      t.deepEqual(find(after, 'fresh', 'A')?.values, ['192.0.2.4'], 'the rest applied');
      t.deepEqual(find(after, 'keep', 'AAAA')?.values, ['2001:db8::2']);
    });
  });

  test.serial(title('every type and awkward TXT text read back by dig as written, and by records()'), async (t) => {
    await withWorld(t, daemon, {}, async (w) => {
      const sets = [
        rs('@', 'MX', ['10 mx1.example.org', '20 mx2.example.net']),
        rs('@', 'CAA', ['0 issue "letsencrypt.org"']),
        rs('_https._tcp', 'SRV', ['10 5 443 web.example.org']),
        rs('v6', 'AAAA', ['2001:db8::1', '2001:db8::2']),
        rs('*.apps', 'A', ['192.0.2.20']),
        rs('_globaldns-a-wildcard.apps', 'TXT', [OWNER]),
        rs('alias', 'CNAME', ['target.example.net']),
        rs('7.2.0.192', 'PTR', ['host.example.org']),
        rs('sub', 'NS', ['ns.sub.example.net']),
        rs('txt', 'TXT', ['say "hi" \\ back=slash/x', 'x'.repeat(300), 'café ☕', '']),
      ];
      const r = await w.provider.apply(ZONE, { ...EMPTY, creates: sets });
      t.deepEqual(errorsOf(r), sets.map(() => 'ok'));
      const byDig = await w.read();
      const byUs = await w.provider.records(ZONE);
      for (const s of sets) {
        const [name, type] = [s.name, s.type];
        t.deepEqual(sorted(byDig.find((x) => x.name === name && x.type === type)), sorted(s), `dig ${name} ${type}`);
        t.deepEqual(sorted(byUs.find((x) => x.name === name && x.type === type)), sorted(s), `records() ${name} ${type}`);
      }
      t.truthy(byUs.find((x) => x.name === 'example.org' && x.type === 'NS'), 'records() keeps the apex NS');
      t.falsy(byUs.find((x) => (x.type as string) === 'SOA'), 'and leaves the SOA out');
    });
  });

  test.serial(title('a value that cannot be written fails alone, before anything is sent'), async (t) => {
    await withWorld(t, daemon, {}, async (w) => {
      const calls: string[] = [];
      const p = w.makeProvider({ observe: (c) => calls.push(c.operation) });
      const r = await p.apply(ZONE, {
        ...EMPTY,
        creates: [rs('bad', 'A', ['not-an-ip']), rs('good', 'A', ['192.0.2.1']), { name: 'www.elsewhere.net', type: 'A', ttl: 600, values: ['192.0.2.2'] }, { ...rs('w', 'A', ['192.0.2.3']), setIdentifier: 'east', weight: 1 }],
      });
      t.deepEqual(r.results.map((x) => x.ok), [false, true, false, false]);
      t.regex(r.results[0].error ?? '', /A value "not-an-ip": not an IPv4 address/);
      t.regex(r.results[2].error ?? '', /not in zone example\.org/);
      t.regex(r.results[3].error ?? '', /weighted/);
      t.deepEqual(calls, ['UPDATE']);
    });
  });
}
