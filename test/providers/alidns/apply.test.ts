// How plans become Alidns calls: TTL per edition, value diffs for updates, the record mapping,
// records that are not ours (other lines, disabled), paging, and the settings factory.
import test from 'ava';
import { alidnsFactory, type AlidnsProvider } from '../../../providers/index.js';
import type { Zone } from '../../../providers/index.js';
import { countCalls, EMPTY, lines, provider, readSets, rr, seedSets, SIM_KEY, withSim, ZONE } from './fixture.js';
import type { AlidnsSim } from '../../support/alidns-sim/index.js';

async function zoneOf(p: AlidnsProvider): Promise<Zone> {
  const [zone] = await p.zones();
  return zone;
}

const writes = (sim: AlidnsSim) => sim.calls.filter((c) => /^(Add|Update|Delete)DomainRecord$/.test(c.action)).map((c) => c.action);

test('a TTL below the free edition minimum fails alone, without a call, naming the edition and minimum', async (t) => {
  await withSim({}, async (sim) => {
    const p = provider(sim);
    const zone = await zoneOf(p);
    const low = rr('fast.example.org 60 A 192.0.2.1');
    const ok = rr('slow.example.org 600 A 192.0.2.2');
    const seeded = rr('old.example.org 600 A 192.0.2.3');
    seedSets(sim, [seeded]);
    await p.records(zone);
    const r = await p.apply(zone, { creates: [low, ok], updates: [{ from: seeded, to: { ...seeded, ttl: 300 } }], deletes: [] });
    t.deepEqual(r.results.map((x) => x.ok), [false, true, false]);
    t.is(r.results[0].error, `TTL 60 is below the minimum of 600 s of the Alibaba Cloud DNS Free Edition (edition: free); use a TTL of at least 600 or set the provider's edition`);
    t.regex(r.results[2].error ?? '', /^TTL 300 is below the minimum of 600 s/);
    t.deepEqual(writes(sim), ['AddDomainRecord'], 'only the valid change was sent');
    t.deepEqual(lines(readSets(sim)), ['old.example.org 600 A 192.0.2.3', 'slow.example.org 600 A 192.0.2.2']);
  });
});

test('enterprise editions: 60 s is fine on Enterprise Standard, 30 s is not; 1 s on Enterprise Ultimate', async (t) => {
  await withSim({ edition: 'enterprise-standard' }, async (sim) => {
    const p = provider(sim, { edition: 'enterprise-standard' });
    const r = await p.apply(await zoneOf(p), { ...EMPTY, creates: [rr('a.example.org 60 A 192.0.2.1'), rr('b.example.org 30 A 192.0.2.2')] });
    t.deepEqual(r.results.map((x) => x.ok), [true, false]);
    t.regex(r.results[1].error ?? '', /minimum of 60 s of the Alibaba Cloud DNS Enterprise Standard Edition \(edition: enterprise-standard\)/);
  });
  await withSim({ edition: 'enterprise-ultimate' }, async (sim) => {
    const p = provider(sim, { edition: 'enterprise-ultimate' });
    const r = await p.apply(await zoneOf(p), { ...EMPTY, creates: [rr('a.example.org 1 A 192.0.2.1'), rr('b.example.org 86401 A 192.0.2.2')] });
    t.deepEqual(r.results.map((x) => x.ok), [true, false]);
    t.regex(r.results[1].error ?? '', /above the maximum of 86400 s/);
  });
});

test('an edition set higher than the domain has: Alidns answers QuotaExceeded.TTL and the change says so', async (t) => {
  await withSim({ edition: 'free' }, async (sim) => {
    const p = provider(sim, { edition: 'enterprise-ultimate' });
    const r = await p.apply(await zoneOf(p), { ...EMPTY, creates: [rr('a.example.org 5 A 192.0.2.1')] });
    t.regex(r.results[0].error ?? '', /^AddDomainRecord a A 192\.0\.2\.1: QuotaExceeded\.TTL: The TTL 5 is below the minimum TTL 600/);
  });
});

test('a multi-value update diffs values: kept untouched, one rewritten in place, the rest added or deleted', async (t) => {
  await withSim({}, async (sim) => {
    const p = provider(sim);
    const zone = await zoneOf(p);
    const from = rr('www.example.org 600 A 192.0.2.1 192.0.2.2 192.0.2.3');
    await p.apply(zone, { ...EMPTY, creates: [from] });
    const idOf = (v: string) => sim.records(ZONE).find((r) => r.Value === v)?.RecordId;
    const kept = idOf('192.0.2.2');
    const rewritten = idOf('192.0.2.1');
    sim.calls.length = 0;

    // 1 and 3 go, 4 comes: one UpdateDomainRecord (1 → 4) and one DeleteDomainRecord (3).
    const to = rr('www.example.org 600 A 192.0.2.2 192.0.2.4');
    let r = await p.apply(zone, { ...EMPTY, updates: [{ from, to }] });
    t.is(r.failed, 0, r.results[0].error);
    t.deepEqual(writes(sim), ['UpdateDomainRecord', 'DeleteDomainRecord']);
    t.is(countCalls(sim, 'DescribeDomainRecords'), 1, 'one read of the zone for the ids');
    t.is(idOf('192.0.2.2'), kept, 'a value that stays keeps its record');
    t.is(idOf('192.0.2.4'), rewritten, 'a value that goes is rewritten into one that comes');
    t.deepEqual(lines(readSets(sim)), ['www.example.org 600 A 192.0.2.2 192.0.2.4']);

    // Grows and changes TTL: each kept value gets its TTL, the new one is added.
    sim.calls.length = 0;
    const bigger = rr('www.example.org 900 A 192.0.2.2 192.0.2.4 192.0.2.5');
    r = await p.apply(zone, { ...EMPTY, updates: [{ from: to, to: bigger }] });
    t.is(r.failed, 0, r.results[0].error);
    t.deepEqual(writes(sim).sort(), ['AddDomainRecord', 'UpdateDomainRecord', 'UpdateDomainRecord']);
    t.deepEqual(lines(readSets(sim)), ['www.example.org 900 A 192.0.2.2 192.0.2.4 192.0.2.5']);
    t.true(sim.records(ZONE).every((x) => x.TTL === 900));
    t.is(countCalls(sim, 'DescribeDomainRecords'), 0, 'then ids from what the provider knows');
  });
});

test('updates and deletes with no read before: the zone is read once, not once per set', async (t) => {
  await withSim({}, async (sim) => {
    const sets = [1, 2, 3].map((i) => rr(`s${i}.example.org 600 A 192.0.2.${i}`));
    seedSets(sim, sets);
    const p = provider(sim);
    const zone = await zoneOf(p);
    const r = await p.apply(zone, { ...EMPTY, updates: sets.slice(0, 2).map((from) => ({ from, to: { ...from, values: ['192.0.2.99'] } })), deletes: [sets[2]] });
    t.is(r.failed, 0, JSON.stringify(r.results));
    t.is(countCalls(sim, 'DescribeDomainRecords'), 1);
    t.deepEqual(lines(readSets(sim)), ['s1.example.org 600 A 192.0.2.99', 's2.example.org 600 A 192.0.2.99']);
  });
});

test('a record deleted behind our back: the update fails clearly; the set is then looked up by RRKeyWord, exact name only', async (t) => {
  await withSim({}, async (sim) => {
    const p = provider(sim);
    const zone = await zoneOf(p);
    const [id] = seedSets(sim, [rr('www.example.org 600 A 192.0.2.1'), rr('www2.example.org 600 A 192.0.2.5'), rr('a.www.example.org 600 A 192.0.2.5')]);
    const from = (await p.records(zone)).find((s) => s.name === 'www.example.org');
    if (!from) return t.fail('www not read');
    // Someone else replaces the record with another value.
    await provider(sim).apply(zone, { ...EMPTY, deletes: [from] });
    t.false(sim.records(ZONE).some((r) => r.RecordId === id));
    seedSets(sim, [rr('www.example.org 600 A 192.0.2.5')]);

    let r = await p.apply(zone, { ...EMPTY, updates: [{ from, to: rr('www.example.org 600 A 192.0.2.9') }] });
    t.regex(r.results[0].error ?? '', /^UpdateDomainRecord www A 192\.0\.2\.1 → 192\.0\.2\.9 \(\d+\): DomainRecordNotBelongToUser: /);
    sim.calls.length = 0;
    r = await p.apply(zone, { ...EMPTY, updates: [{ from: rr('www.example.org 600 A 192.0.2.5'), to: rr('www.example.org 600 A 192.0.2.9') }] });
    t.is(r.failed, 0, r.results[0].error);
    t.deepEqual(sim.calls.map((c) => c.action), ['DescribeDomainRecords', 'UpdateDomainRecord'], 'the unsure set alone is looked up');
    t.deepEqual(lines(readSets(sim)), ['a.www.example.org 600 A 192.0.2.5', 'www.example.org 600 A 192.0.2.9', 'www2.example.org 600 A 192.0.2.5']);
  });
});

test('a create that fails half-way takes back the values it added', async (t) => {
  await withSim({}, async (sim) => {
    const p = provider(sim);
    const zone = await zoneOf(p);
    const r = await p.apply(zone, { ...EMPTY, creates: [rr('www.example.org 600 A 192.0.2.1 192.0.2.2 not-an-address')] });
    t.false(r.results[0].ok);
    t.regex(r.results[0].error ?? '', /^AddDomainRecord www A not-an-address: InvalidParameter: .*\(2 of 2 values added before it taken back\)$/);
    t.deepEqual(sim.records(ZONE), []);
  });
});

test('mapping: apex as @, MX priority apart, CNAME/SRV targets canonical, TXT text exact, wildcard', async (t) => {
  await withSim({}, async (sim) => {
    const p = provider(sim);
    const zone = await zoneOf(p);
    const sets = [
      rr('example.org 600 A 192.0.2.1'),
      rr('example.org 600 MX 10 mx.example.org'),
      rr('*.example.org 600 AAAA 2001:db8::1'),
      rr('shop.example.org 600 CNAME lb-1.elb.example.net'),
      rr('_sip._tcp.example.org 600 SRV 0 5 5060 sip.example.org'),
      rr('_globaldns-a.www.example.org 600 TXT heritage=globaldns,globaldns/owner=x "q" a=b'),
    ];
    const r = await p.apply(zone, { ...EMPTY, creates: sets });
    t.is(r.failed, 0, JSON.stringify(r.results.filter((x) => !x.ok)));
    const stored = sim.records(ZONE).map((x) => `${x.RR} ${x.Type} ${x.Priority ?? '-'} ${x.Value} ${x.Line}`);
    t.deepEqual(
      stored.sort(),
      [
        '@ A - 192.0.2.1 default',
        '@ MX 10 mx.example.org default',
        '* AAAA - 2001:db8::1 default',
        'shop CNAME - lb-1.elb.example.net default',
        '_sip._tcp SRV - 0 5 5060 sip.example.org default',
        '_globaldns-a.www TXT - heritage=globaldns,globaldns/owner=x "q" a=b default',
      ].sort(),
    );
    t.deepEqual(lines(await p.records(zone)), lines(sets), 'read back as written');
  });
});

test('records on other lines, disabled records and types the model lacks are not read and never touched', async (t) => {
  await withSim({}, async (sim) => {
    const ours = rr('www.example.org 600 A 192.0.2.1');
    seedSets(sim, [ours]);
    const [telecom] = seedSets(sim, [rr('www.example.org 600 A 198.51.100.1')], { Line: 'telecom' });
    const [disabled] = seedSets(sim, [rr('www.example.org 600 A 198.51.100.2')], { Status: 'DISABLE' });
    sim.seed(ZONE, { RR: 'go', Type: 'REDIRECT_URL', Value: 'https://example.net/' });
    const p = provider(sim);
    const zone = await zoneOf(p);
    t.deepEqual(lines(await p.records(zone)), ['www.example.org 600 A 192.0.2.1']);
    let r = await p.apply(zone, { ...EMPTY, updates: [{ from: ours, to: rr('www.example.org 600 A 192.0.2.9') }] });
    t.is(r.failed, 0, r.results[0].error);
    r = await p.apply(zone, { ...EMPTY, deletes: [rr('www.example.org 600 A 192.0.2.9')] });
    t.is(r.failed, 0, r.results[0].error);
    const left = sim.records(ZONE).map((x) => x.RecordId);
    t.true(left.includes(telecom) && left.includes(disabled), 'the other line and the disabled record stay');
    t.is(left.length, 3);
  });
});

test('paging: 1,234 records read in three pages of 500; 150 domains in two pages of 100, narrowed by zones and domainFilters', async (t) => {
  await withSim({}, async (sim) => {
    for (let i = 0; i < 1234; i++) sim.seed(ZONE, { RR: `h${i}`, Type: 'A', Value: `10.0.${i >> 8}.${i & 255}` });
    for (let i = 0; i < 149; i++) sim.createDomain(`d${String(i).padStart(3, '0')}.example.net`);
    const p = provider(sim);
    const all = await p.zones();
    t.is(all.length, 150);
    t.is(countCalls(sim, 'DescribeDomains'), 2);
    const zone = all.find((z) => z.name === ZONE) as Zone;
    const sets = await p.records(zone);
    t.is(sets.length, 1234);
    t.deepEqual(sim.calls.filter((c) => c.action === 'DescribeDomainRecords').map((c) => c.status), [200, 200, 200]);
    t.deepEqual((await provider(sim, { zones: ['Example.org.', 'd007.example.net'] }).zones()).map((z) => z.name), ['d007.example.net', ZONE]);
    t.deepEqual((await provider(sim, { domainFilters: ['www.example.org'] }).zones()).map((z) => z.name), [ZONE]);
  });
});

test('factory: settings defaults and checks, secrets from secret(), a clear error for a missing one', async (t) => {
  const parsed = alidnsFactory.settings.safeParse({ zones: [ZONE] });
  t.true(parsed.success);
  if (parsed.success) t.like(parsed.data, { endpoint: 'https://alidns.aliyuncs.com', edition: 'free', rateLimitPerSecond: 60 });
  const bad = alidnsFactory.settings.safeParse({ edition: 'gold', rateLimitPerSecond: 0, token: 'x' });
  t.false(bad.success);
  if (!bad.success) t.deepEqual(bad.error.issues.map((i) => i.path.join('.') || i.message).sort(), ["Unrecognized key(s) in object: 'token'", 'edition', 'rateLimitPerSecond']);
  t.deepEqual([...alidnsFactory.secretKeys], ['access-key-id', 'access-key-secret']);
  t.throws(() => alidnsFactory.create({ name: 'ali', settings: { endpoint: 'http://127.0.0.1:1', edition: 'free', rateLimitPerSecond: 60 }, secret: (k) => (k === 'access-key-id' ? 'id' : undefined) }), {
    message: 'alidns provider ali: secret access-key-secret is missing',
  });
  await withSim({}, async (sim) => {
    const secrets: Record<string, string> = { 'access-key-id': SIM_KEY.accessKeyId, 'access-key-secret': SIM_KEY.accessKeySecret };
    const ops: string[] = [];
    const p = alidnsFactory.create({
      name: 'ali',
      settings: { endpoint: sim.url, edition: 'free', rateLimitPerSecond: 1000, zones: [ZONE] },
      secret: (k) => secrets[k],
      observe: (c) => ops.push(`${c.provider} ${c.operation} ${c.outcome}`),
    });
    t.is(p.name, 'ali');
    t.deepEqual((await p.zones()).map((z) => z.name), [ZONE]);
    t.deepEqual(ops, ['ali DescribeDomains ok']);
  });
});
