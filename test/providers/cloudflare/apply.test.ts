// CloudflareProvider writing through the batch endpoint: one record per value, multi-value
// updates that keep unchanged records, proxied settings, TXT quoting and the other types.
import test from 'ava';
import { EMPTY, provider, rr, simSets, withSim, ZONE } from './fixture.js';

const zone = (id: string) => ({ id, name: ZONE });
const lines = (sets: { name: string; type: string; ttl: number; values: string[] }[]) => sets.map((s) => `${s.name} ${s.ttl} ${s.type} ${[...s.values].sort().join(' ')}`).sort();

test('500 creates go out as batch requests of at most 200 operations, no per-record calls', async (t) => {
  await withSim({}, async (sim, id) => {
    const many = Array.from({ length: 500 }, (_, i) => rr(`n${i}.example.org 600 A 10.1.${i >> 8}.${i & 255}`));
    const r = await provider(sim).apply(zone(id), { ...EMPTY, creates: many });
    t.is(r.failed, 0);
    const batches = sim.calls.filter((c) => c.op === 'Batch');
    t.deepEqual(batches.map((c) => c.batch?.posts), [200, 200, 100]);
    t.true(batches.every((c) => c.status === 200));
    t.false(sim.calls.some((c) => ['CreateRecord', 'PatchRecord', 'PutRecord', 'DeleteRecord'].includes(c.op)));
    t.is(sim.calls.filter((c) => c.op === 'ListRecords').length, 1, 'one read for the record ids');
    t.is(sim.records(id).length, 500);
  });
});

test('a paid plan batch size carries 500 changes in one request', async (t) => {
  await withSim({ batchLimit: 3500 }, async (sim, id) => {
    const many = Array.from({ length: 500 }, (_, i) => rr(`n${i}.example.org 600 A 10.1.${i >> 8}.${i & 255}`));
    const r = await provider(sim, { batchSize: 3500 }).apply(zone(id), { ...EMPTY, creates: many });
    t.is(r.failed, 0);
    t.is(sim.calls.filter((c) => c.op === 'Batch').length, 1);
  });
});

test('a multi-value update keeps the records of unchanged values and moves the others in one batch', async (t) => {
  await withSim({}, async (sim, id) => {
    const p = provider(sim);
    const from = rr('www.example.org 600 A 192.0.2.1 192.0.2.2 192.0.2.3');
    await p.apply(zone(id), { ...EMPTY, creates: [from] });
    const before = new Map(sim.records(id).map((r) => [r.content, r.id]));
    const to = rr('www.example.org 600 A 192.0.2.1 192.0.2.3 198.51.100.9');
    const calls = sim.calls.length;
    const r = await p.apply(zone(id), { ...EMPTY, updates: [{ from, to }] });
    t.is(r.failed, 0);
    const after = new Map(sim.records(id).map((x) => [x.content, x.id]));
    t.deepEqual([...after.keys()].sort(), ['192.0.2.1', '192.0.2.3', '198.51.100.9']);
    t.is(after.get('192.0.2.1'), before.get('192.0.2.1'), 'unchanged value keeps its record');
    t.is(after.get('192.0.2.3'), before.get('192.0.2.3'), 'unchanged value keeps its record');
    t.is(after.get('198.51.100.9'), before.get('192.0.2.2'), "the removed value's record now carries the new one");
    const batches = sim.calls.slice(calls).filter((c) => c.op === 'Batch');
    t.is(batches.length, 1);
    t.deepEqual(batches[0].batch, { deletes: 0, patches: 1, puts: 0, posts: 0 });
  });
});

test('an update growing and shrinking sets, and a TTL change, in one batch', async (t) => {
  await withSim({}, async (sim, id) => {
    const p = provider(sim);
    const a = rr('a.example.org 600 A 192.0.2.1');
    const b = rr('b.example.org 600 AAAA 2001:db8::1 2001:db8::2 2001:db8::3');
    await p.apply(zone(id), { ...EMPTY, creates: [a, b] });
    const a2 = rr('a.example.org 900 A 192.0.2.1 192.0.2.2');
    const b2 = rr('b.example.org 600 AAAA 2001:db8::2');
    const r = await p.apply(zone(id), { ...EMPTY, updates: [{ from: a, to: a2 }, { from: b, to: b2 }] });
    t.is(r.failed, 0);
    t.deepEqual(lines(simSets(sim, id)), lines([a2, b2]));
    t.deepEqual(sim.calls.filter((c) => c.op === 'Batch').at(-1)?.batch, { deletes: 2, patches: 1, puts: 0, posts: 1 });
  });
});

test('an update of a set changed under us fails and leaves it alone', async (t) => {
  await withSim({}, async (sim, id) => {
    const p = provider(sim);
    const from = rr('www.example.org 600 A 192.0.2.1');
    sim.seed(id, { name: 'www.example.org', type: 'A', ttl: 600, content: '203.0.113.7' });
    const r = await p.apply(zone(id), { ...EMPTY, updates: [{ from, to: rr('www.example.org 600 A 192.0.2.9') }] });
    t.is(r.failed, 1);
    t.regex(r.results[0].error ?? '', /changed since it was read.*203\.0\.113\.7/);
    t.deepEqual(sim.records(id).map((x) => x.content), ['203.0.113.7']);
  });
});

test("a create over someone else's set of the same name and type fails; a repeated create is a no-op", async (t) => {
  await withSim({}, async (sim, id) => {
    const p = provider(sim);
    sim.seed(id, { name: 'taken.example.org', type: 'A', ttl: 600, content: '203.0.113.7' });
    const mine = rr('mine.example.org 600 A 192.0.2.1');
    const r = await p.apply(zone(id), { ...EMPTY, creates: [rr('taken.example.org 600 A 192.0.2.1'), mine] });
    t.deepEqual(r.results.map((x) => x.ok), [false, true]);
    t.regex(r.results[0].error ?? '', /already exists/);
    const again = await p.apply(zone(id), { ...EMPTY, creates: [mine] });
    t.is(again.failed, 0, 'applying the same create twice converges');
    t.is(sim.records(id).filter((x) => x.name === 'mine.example.org').length, 1);
  });
});

test('proxied per provider and per name; TXT and MX never proxied; proxied records read back with their real values', async (t) => {
  await withSim({}, async (sim, id) => {
    const p = provider(sim, { proxiedNames: ['shop.example.org', '*.cdn.example.org'], unproxiedNames: [] });
    const sets = [
      rr('shop.example.org 600 A 192.0.2.1'),
      rr('img.cdn.example.org 600 CNAME lb.example.net'),
      rr('api.example.org 600 A 192.0.2.2'),
      rr('shop.example.org 600 TXT heritage=globaldns,globaldns/owner=x'),
    ];
    t.is((await p.apply(zone(id), { ...EMPTY, creates: sets })).failed, 0);
    const byName = (n: string, ty: string) => sim.records(id).find((r) => r.name === n && r.type === ty);
    t.is(byName('shop.example.org', 'A')?.proxied, true);
    t.is(byName('shop.example.org', 'A')?.ttl, 1, 'a proxied record has the automatic TTL');
    t.is(byName('img.cdn.example.org', 'CNAME')?.proxied, true);
    t.is(byName('api.example.org', 'A')?.proxied, false);
    t.is(byName('api.example.org', 'A')?.ttl, 600);
    t.is(byName('shop.example.org', 'TXT')?.proxied, false);
    const read = await p.records(zone(id));
    t.deepEqual(lines(read), lines([{ ...sets[0], ttl: 300 }, { ...sets[1], ttl: 300 }, sets[2], sets[3]]), 'real values; automatic TTL as 300');

    // Provider-wide proxying, with a name kept out.
    const all = provider(sim, { proxied: true, unproxiedNames: ['direct.example.org'] });
    await all.apply(zone(id), { ...EMPTY, creates: [rr('web.example.org 600 AAAA 2001:db8::5'), rr('direct.example.org 600 A 192.0.2.3'), rr('mail.example.org 600 MX 10 mx.example.org')] });
    t.is(byName('web.example.org', 'AAAA')?.proxied, true);
    t.is(byName('direct.example.org', 'A')?.proxied, false);
    t.is(byName('mail.example.org', 'MX')?.proxied, false);
  });
});

test('a TTL-only change of a proxied set sends nothing (its TTL is automatic)', async (t) => {
  await withSim({}, async (sim, id) => {
    const p = provider(sim, { proxied: true });
    await p.apply(zone(id), { ...EMPTY, creates: [rr('shop.example.org 600 A 192.0.2.1')] });
    const [read] = await p.records(zone(id));
    t.is(read.ttl, 300);
    const calls = sim.calls.length;
    const r = await p.apply(zone(id), { ...EMPTY, updates: [{ from: read, to: { ...read, ttl: 600 } }] });
    t.is(r.failed, 0);
    t.false(sim.calls.slice(calls).some((c) => c.op === 'Batch'));
  });
});

test('switching a name from DNS-only to proxied patches the flag on its records', async (t) => {
  await withSim({}, async (sim, id) => {
    const set = rr('shop.example.org 600 A 192.0.2.1 192.0.2.2');
    await provider(sim).apply(zone(id), { ...EMPTY, creates: [set] });
    const p = provider(sim, { proxiedNames: ['shop.example.org'] });
    const r = await p.apply(zone(id), { ...EMPTY, updates: [{ from: set, to: set }] });
    t.is(r.failed, 0);
    t.true(sim.records(id).every((x) => x.proxied && x.ttl === 1));
    t.deepEqual(sim.calls.filter((c) => c.op === 'Batch').at(-1)?.batch, { deletes: 0, patches: 2, puts: 0, posts: 0 });
  });
});

test('TXT is written as quoted strings and read back exactly; plain-text TXT of others is read as it is', async (t) => {
  await withSim({}, async (sim, id) => {
    const p = provider(sim);
    const texts = ['heritage=globaldns,globaldns/owner=a,globaldns/resource=ingress/default/www "quoted" text', 'back\\slash and  two spaces', 'x'.repeat(300), 'ünïcode ✓'];
    const sets = texts.map((v, i) => ({ name: `t${i}.example.org`, type: 'TXT' as const, ttl: 600, values: [v] }));
    t.is((await p.apply(zone(id), { ...EMPTY, creates: sets })).failed, 0);
    t.true(sim.records(id).every((r) => r.content.startsWith('"')), 'content goes out quoted');
    t.deepEqual(lines(simSets(sim, id)), lines(sets), 'the simulator serves the same texts');
    sim.seed(id, { name: 'plain.example.org', type: 'TXT', ttl: 600, content: 'v=spf1 include:_spf.example.net -all' });
    const read = await p.records(zone(id));
    t.deepEqual(lines(read), lines([...sets, rr('plain.example.org 600 TXT v=spf1 include:_spf.example.net -all')]));
  });
});

test('MX, SRV, CAA, NS and a wildcard round-trip', async (t) => {
  await withSim({}, async (sim, id) => {
    const p = provider(sim);
    const sets = [
      rr('example.org 600 MX 10 mx1.example.org'),
      rr('_sip._tcp.example.org 600 SRV 10 20 5060 sip.example.org'),
      rr('example.org 600 CAA 0 issue "letsencrypt.org"'),
      rr('sub.example.org 600 NS ns1.example.net'),
      rr('*.apps.example.org 600 A 192.0.2.50'),
    ];
    const r = await p.apply(zone(id), { ...EMPTY, creates: sets });
    t.is(r.failed, 0, JSON.stringify(r.results.filter((x) => !x.ok)));
    t.deepEqual(lines(await p.records(zone(id))), lines(sets));
  });
});

test('CNAME beside other data is refused with 81053 and only that change fails; a changed type goes through in one batch', async (t) => {
  await withSim({}, async (sim, id) => {
    const p = provider(sim);
    const a = rr('x.example.org 600 A 192.0.2.1');
    await p.apply(zone(id), { ...EMPTY, creates: [a] });
    const bad = await p.apply(zone(id), { ...EMPTY, creates: [rr('ok.example.org 600 A 192.0.2.2'), rr('x.example.org 600 CNAME y.example.org')] });
    t.deepEqual(bad.results.map((r) => r.ok), [true, false]);
    t.regex(bad.results[1].error ?? '', /81053 .*An A, AAAA, or CNAME record with that host already exists/);
    // Delete A and create CNAME at the same name: deletes run first in a batch.
    const batches = sim.calls.filter((c) => c.op === 'Batch').length;
    const swap = await p.apply(zone(id), { ...EMPTY, creates: [rr('x.example.org 600 CNAME y.example.org')], deletes: [a] });
    t.is(swap.failed, 0);
    t.is(sim.calls.filter((c) => c.op === 'Batch').length, batches + 1);
    t.deepEqual(sim.records(id).filter((r) => r.name === 'x.example.org').map((r) => r.type), ['CNAME']);
  });
});

test('a delete removes only the values it names', async (t) => {
  await withSim({}, async (sim, id) => {
    const p = provider(sim);
    const mine = rr('www.example.org 600 A 192.0.2.1');
    await p.apply(zone(id), { ...EMPTY, creates: [mine] });
    sim.seed(id, { name: 'www.example.org', type: 'A', ttl: 600, content: '203.0.113.9' });
    const r = await p.apply(zone(id), { ...EMPTY, deletes: [mine] });
    t.is(r.failed, 0);
    t.deepEqual(sim.records(id).map((x) => x.content), ['203.0.113.9']);
  });
});
