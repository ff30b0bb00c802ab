// Lookup semantics on RFC 4592 §2.2.1's example zone, through the Responder (no sockets):
// wildcards, empty non-terminals, zone cuts, CNAME chains. Records are written as zone-file text.
import test from 'ava';
import dnsPacket, { type Answer, type DecodedPacket } from 'dns-packet';
import { groupRecordLines, parseRecordLine } from '../../src/config/index.js';
import { Responder, ZoneStore, TCP_MAX } from '../../src/dns/index.js';
import type { ZoneContent } from '../../src/model/index.js';

function zone(apex: string, lines: string[]): ZoneContent {
  return {
    apex,
    soa: { mname: `ns.${apex}`, rname: `hostmaster.${apex}`, serial: 1, refresh: 3600, retry: 600, expire: 86400, minimum: 60, ttl: 3600 },
    ns: [`ns.${apex}`],
    nsTtl: 3600,
    records: groupRecordLines(lines.map((l) => parseRecordLine(l, apex))),
  };
}

const rfc4592 = zone('example', [
  '*.example.               3600 TXT "this is a wildcard"',
  '*.example.               3600 MX  10 host1.example.',
  'host1.example.           3600 A   192.0.2.1',
  '_ssh._tcp.host1.example. 3600 SRV 0 5 22 host1.example.',
  '_ssh._tcp.host2.example. 3600 SRV 0 5 22 host2.example.',
  'subdel.example.          3600 NS  ns.example.com.',
  'subdel.example.          3600 NS  ns.example.net.',
  'www.example.             300  CNAME host1.example.',
  'chain.example.           300  CNAME www.example.',
  'out.example.             300  CNAME elsewhere.test.',
  'loop1.example.           300  CNAME loop2.example.',
  'loop2.example.           300  CNAME loop1.example.',
]);

// The config refuses '*' inside a name (a user almost never means it), but the server must serve it.
rfc4592.records.push({ name: 'sub.*.example', type: 'TXT', ttl: 3600, values: ['this is not a wildcard'] });

const store = new ZoneStore();
store.setZone(rfc4592);
const responder = new Responder(store);

/** dns-packet decodes the rcode but its types do not declare it. */
type Reply = DecodedPacket & { rcode: string };

function ask(name: string, type: string): Reply {
  const q = dnsPacket.encode({ type: 'query', id: 7, flags: dnsPacket.RECURSION_DESIRED, questions: [{ name, type: type as 'A', class: 'IN' }] });
  const out = responder.respond(q, TCP_MAX);
  if (!out) throw new Error('no response');
  return dnsPacket.decode(out) as Reply;
}

const show = (rrs: Answer[] | undefined) =>
  (rrs ?? []).map((r) => {
    if (!('data' in r)) return `${r.name} ${r.type}`;
    const d: unknown = r.data;
    return `${r.name} ${r.type} ${typeof d === 'object' && d !== null && !Buffer.isBuffer(d) && !Array.isArray(d) ? JSON.stringify(d) : String(d)}`;
  });

test('a wildcard synthesises records under the query name (host3.example MX)', (t) => {
  const r = ask('host3.example', 'MX');
  t.is(r.rcode, 'NOERROR');
  t.true(r.flag_aa);
  t.deepEqual(show(r.answers), ['host3.example MX {"preference":10,"exchange":"host1.example"}']);
});

test('a wildcard without the asked type gives NODATA (host3.example A)', (t) => {
  const r = ask('host3.example', 'A');
  t.is(r.rcode, 'NOERROR');
  t.is(r.answers?.length, 0);
  t.is(r.authorities?.[0]?.type, 'SOA');
});

test('a wildcard matches more than one label (foo.bar.example TXT)', (t) => {
  const r = ask('foo.bar.example', 'TXT');
  t.deepEqual(show(r.answers), ['foo.bar.example TXT this is a wildcard']);
});

test('an existing name never takes wildcard data (host1.example MX is NODATA)', (t) => {
  const r = ask('host1.example', 'MX');
  t.is(r.rcode, 'NOERROR');
  t.is(r.answers?.length, 0);
});

test('"*" inside a name is an ordinary label (sub.*.example MX is NODATA)', (t) => {
  const r = ask('sub.*.example', 'MX');
  t.is(r.rcode, 'NOERROR');
  t.is(r.answers?.length, 0);
});

test('an empty non-terminal blocks the wildcard above it (_telnet._tcp.host1.example is NXDOMAIN)', (t) => {
  const r = ask('_telnet._tcp.host1.example', 'SRV');
  t.is(r.rcode, 'NXDOMAIN');
  t.is(r.authorities?.[0]?.type, 'SOA');
});

test('an empty non-terminal itself exists (_tcp.host1.example is NODATA)', (t) => {
  const r = ask('_tcp.host1.example', 'A');
  t.is(r.rcode, 'NOERROR');
  t.is(r.answers?.length, 0);
});

test('a wildcard below a wildcard owner does not exist (ghost.*.example is NXDOMAIN)', (t) => {
  t.is(ask('ghost.*.example', 'MX').rcode, 'NXDOMAIN');
});

test('names at and below a zone cut get a referral, not an authoritative answer', (t) => {
  for (const name of ['subdel.example', 'host.subdel.example']) {
    const r = ask(name, 'A');
    t.is(r.rcode, 'NOERROR');
    t.false(r.flag_aa);
    t.is(r.answers?.length, 0);
    t.deepEqual(show(r.authorities).sort(), ['subdel.example NS ns.example.com', 'subdel.example NS ns.example.net']);
  }
});

test('CNAME chains are followed inside the zone, in order', (t) => {
  const r = ask('chain.example', 'A');
  t.deepEqual(show(r.answers), ['chain.example CNAME www.example', 'www.example CNAME host1.example', 'host1.example A 192.0.2.1']);
});

test('a CNAME out of the zone ends the answer there', (t) => {
  const r = ask('out.example', 'A');
  t.is(r.rcode, 'NOERROR');
  t.deepEqual(show(r.answers), ['out.example CNAME elsewhere.test']);
});

test('a CNAME loop terminates', (t) => {
  const r = ask('loop1.example', 'A');
  t.deepEqual(show(r.answers), ['loop1.example CNAME loop2.example', 'loop2.example CNAME loop1.example']);
});

test('asking for the CNAME itself returns it without following', (t) => {
  t.deepEqual(show(ask('www.example', 'CNAME').answers), ['www.example CNAME host1.example']);
});

test('MX answers carry in-zone exchange addresses in the additional section', (t) => {
  const r = ask('host3.example', 'MX');
  t.deepEqual(show(r.additionals), ['host1.example A 192.0.2.1']);
});

test('the negative answer SOA TTL is min(SOA TTL, MINIMUM) (RFC 2308)', (t) => {
  const r = ask('_telnet._tcp.host1.example', 'SRV');
  const soa = r.authorities?.[0];
  t.is(soa && 'ttl' in soa ? soa.ttl : undefined, 60);
});

test('a zone swap is seen by the next query and the serial grows', (t) => {
  const s = new ZoneStore();
  const rsp = new Responder(s);
  s.setZone(zone('swap.test', ['a 60 A 192.0.2.1']));
  const serialOf = () => {
    const q = dnsPacket.encode({ type: 'query', id: 1, questions: [{ name: 'swap.test', type: 'SOA' }] });
    const out = rsp.respond(q, TCP_MAX);
    const a = out ? dnsPacket.decode(out).answers?.[0] : undefined;
    return a && a.type === 'SOA' ? (a.data.serial ?? -1) : -1;
  };
  const first = serialOf();
  t.false(s.setZone(zone('swap.test', ['a 60 A 192.0.2.1'])), 'identical content is no change');
  t.is(serialOf(), first);
  t.true(s.setZone(zone('swap.test', ['a 60 A 192.0.2.2'])));
  t.true(serialOf() > first);
});

test('records that cannot be served are skipped, the rest of the zone is served', (t) => {
  const s = new ZoneStore();
  const rsp = new Responder(s);
  const content = zone('bad.test', ['a 60 A 192.0.2.1']);
  content.records.push({ name: 'b.bad.test', type: 'A', ttl: 60, values: ['not-an-ip'] });
  content.records.push({ name: 'c.other.test', type: 'A', ttl: 60, values: ['192.0.2.9'] });
  s.setZone(content);
  t.deepEqual(s.get('bad.test')?.problems.length, 2);
  const q = dnsPacket.encode({ type: 'query', id: 1, questions: [{ name: 'a.bad.test', type: 'A' }] });
  const out = rsp.respond(q, TCP_MAX);
  t.truthy(out);
  t.deepEqual(show(dnsPacket.decode(out as Buffer).answers), ['a.bad.test A 192.0.2.1']);
});

test('patches add and remove names, and empty non-terminals come and go with them', (t) => {
  const s = new ZoneStore();
  const rsp = new Responder(s);
  s.setZone(zone('patch.test', ['keep 60 A 192.0.2.1', '*.wild 60 A 192.0.2.9']));
  const rcode = (name: string) => {
    const out = rsp.respond(dnsPacket.encode({ type: 'query', id: 1, questions: [{ name, type: 'A' }] }), TCP_MAX);
    return out ? (dnsPacket.decode(out) as Reply).rcode : 'none';
  };
  const set = (name: string, values: string[]) => s.patchZone('patch.test', new Map([[name, values.length ? [{ name, type: 'A' as const, ttl: 60, values }] : []]]));

  t.true(set('a.b.c.patch.test', ['192.0.2.2']));
  t.is(rcode('a.b.c.patch.test'), 'NOERROR');
  t.is(rcode('b.c.patch.test'), 'NOERROR', 'an empty non-terminal exists');
  t.true(set('x.c.patch.test', ['192.0.2.3']));
  t.true(set('a.b.c.patch.test', []));
  t.is(rcode('a.b.c.patch.test'), 'NXDOMAIN');
  t.is(rcode('b.c.patch.test'), 'NXDOMAIN', 'the empty non-terminal went with its last descendant');
  t.is(rcode('c.patch.test'), 'NOERROR', 'c still has x below it');
  t.true(set('x.c.patch.test', []));
  t.is(rcode('c.patch.test'), 'NXDOMAIN');
  t.false(set('x.c.patch.test', []), 'removing what is not there changes nothing');
  t.is(rcode('keep.patch.test'), 'NOERROR');
  t.true(set('q.wild.patch.test', ['192.0.2.4']));
  t.deepEqual(show(ask2(rsp, 'q.wild.patch.test')), ['q.wild.patch.test A 192.0.2.4'], 'an explicit name wins over the wildcard');
  t.true(set('q.wild.patch.test', []));
  t.deepEqual(show(ask2(rsp, 'q.wild.patch.test')), ['q.wild.patch.test A 192.0.2.9'], 'and the wildcard answers again once it is gone');
});

test('many patches fold into the base and the zone stays exact', (t) => {
  const s = new ZoneStore();
  s.setZone(zone('fold.test', []));
  for (let i = 0; i < 3000; i++) {
    const name = `n${i % 1500}.fold.test`;
    s.patchZone('fold.test', new Map([[name, i < 1500 ? [{ name, type: 'A' as const, ttl: 60, values: [`192.0.2.${i % 250}`] }] : []]]));
  }
  s.patchZone('fold.test', new Map([['last.fold.test', [{ name: 'last.fold.test', type: 'A' as const, ttl: 60, values: ['192.0.2.1'] }]]]));
  t.deepEqual(s.get('fold.test')?.content().records.map((r) => r.name), ['last.fold.test']);
  t.is(s.get('fold.test')?.size, 2);
});

function ask2(rsp: Responder, name: string): Answer[] {
  const out = rsp.respond(dnsPacket.encode({ type: 'query', id: 1, questions: [{ name, type: 'A' }] }), TCP_MAX);
  return out ? dnsPacket.decode(out).answers ?? [] : [];
}
