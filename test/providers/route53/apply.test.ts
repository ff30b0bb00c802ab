// Route53Provider.apply(): plans become ChangeResourceRecordSets requests within Route53's
// limits, deletes carry the exact current values, a bad change is isolated from the others,
// load-balancer hostnames become aliases and TXT values are quoted on the wire.
import test from 'ava';
import type { Plan, RecordSet } from '../../../src/model/index.js';
import { countOps, EMPTY, provider, rr, withSim, zoneLines } from './fixture.js';

const ZONE = { name: 'example.org' };

function changeCalls(sim: { calls: { op: string; status: number; changes?: number; records?: number; valueChars?: number }[] }) {
  return sim.calls.filter((c) => c.op === 'ChangeResourceRecordSets');
}

test('create, update and delete in one request; results in plan order', async (t) => {
  await withSim({}, async (sim) => {
    const id = sim.createZone('example.org');
    sim.seed(id, { name: 'old.example.org', type: 'A', ttl: 300, values: ['192.0.2.9'] });
    sim.seed(id, { name: 'app.example.org', type: 'A', ttl: 300, values: ['192.0.2.1'] });
    const p = provider(sim);
    const zone = { id, ...ZONE };
    const current = await p.records(zone);
    const app = current.find((r) => r.name === 'app.example.org');
    const old = current.find((r) => r.name === 'old.example.org');
    if (!app || !old) throw new Error('seeded records missing');
    const plan: Plan = {
      creates: [rr('new.example.org. 60 A 192.0.2.5 192.0.2.6'), rr('new.example.org. 60 AAAA 2001:db8::5')],
      updates: [{ from: app, to: rr('app.example.org. 120 A 192.0.2.1 192.0.2.2') }],
      deletes: [old],
    };
    const result = await p.apply(zone, plan);
    t.deepEqual(
      result.results.map((r) => `${r.change.action} ${r.ok}`),
      ['create true', 'create true', 'update true', 'delete true'],
    );
    t.like(result, { applied: 4, failed: 0 });
    t.deepEqual(zoneLines(sim, id), [
      'app.example.org. 120 A 192.0.2.1 192.0.2.2',
      'new.example.org. 60 A 192.0.2.5 192.0.2.6',
      'new.example.org. 60 AAAA 2001:db8::5',
    ]);
    t.deepEqual(changeCalls(sim).map((c) => c.changes), [5], 'one request: 2 creates, DELETE+CREATE for the update, 1 delete');
  });
});

test('deletes and updates carry the exact current values; stale ones fail and change nothing', async (t) => {
  await withSim({}, async (sim) => {
    const id = sim.createZone('example.org');
    sim.seed(id, { name: 'app.example.org', type: 'A', ttl: 300, values: ['192.0.2.1', '192.0.2.2'] });
    sim.seed(id, { name: 'api.example.org', type: 'A', ttl: 300, values: ['192.0.2.3'] });
    const p = provider(sim);
    const zone = { id, ...ZONE };
    const result = await p.apply(zone, {
      creates: [],
      updates: [{ from: rr('api.example.org. 60 A 192.0.2.3'), to: rr('api.example.org. 60 A 192.0.2.4') }],
      deletes: [rr('app.example.org. 300 A 192.0.2.1')],
    });
    t.like(result, { applied: 0, failed: 2 });
    t.true(
      result.results[0].error?.startsWith(
        "InvalidChangeBatch: Tried to delete resource record set [name='api.example.org.', type='A'] but the values provided do not match the current values",
      ),
      result.results[0].error,
    );
    t.regex(result.results[1].error ?? '', /app\.example\.org\..*do not match the current values/);
    t.deepEqual(zoneLines(sim, id), ['api.example.org. 300 A 192.0.2.3', 'app.example.org. 300 A 192.0.2.1 192.0.2.2']);
    // the values as read (any order) delete it
    const ok = await p.apply(zone, { ...EMPTY, deletes: [rr('app.example.org. 300 A 192.0.2.2 192.0.2.1')] });
    t.like(ok, { applied: 1, failed: 0 });
  });
});

test('one bad change never blocks the others: rejected batches are bisected', async (t) => {
  await withSim({}, async (sim) => {
    const id = sim.createZone('example.org');
    sim.seed(id, { name: 'taken.example.org', type: 'A', ttl: 300, values: ['192.0.2.1'] });
    const creates: RecordSet[] = [];
    for (let i = 0; i < 64; i++) creates.push(rr(`h${i}.example.org. 60 A 10.0.0.${i}`));
    creates[10] = rr('h10.example.org. 60 A 300.1.1.1');
    creates[40] = rr('taken.example.org. 60 A 192.0.2.2');
    creates[63] = rr('h63.example.net. 60 A 10.0.0.63');
    const result = await provider(sim).apply({ id, ...ZONE }, { ...EMPTY, creates });
    t.like(result, { applied: 61, failed: 3 });
    const failed = result.results.flatMap((r, i) => (r.ok ? [] : [`${i} ${r.error}`]));
    t.deepEqual(failed, [
      "10 InvalidChangeBatch: Invalid Resource Record: 'FATAL problem: ARRDATAIllegalIPv4Address (Value is not a valid IPv4 address) encountered with '300.1.1.1''",
      "40 InvalidChangeBatch: Tried to create resource record set [name='taken.example.org.', type='A'] but it already exists",
      '63 InvalidChangeBatch: RRSet with DNS name h63.example.net. is not permitted in zone example.org.',
    ]);
    t.is(zoneLines(sim, id).length, 62);
    const calls = changeCalls(sim);
    t.is(calls.filter((c) => c.status === 200).reduce((n, c) => n + (c.changes ?? 0), 0), 61, 'each good change applied once');
    t.true(calls.length <= 1 + 2 * 3 * Math.log2(64), `${calls.length} requests`);
  });
});

test('batches stay within 1,000 changes and 1,000 records a request', async (t) => {
  await withSim({}, async (sim) => {
    const id = sim.createZone('example.org');
    const creates: RecordSet[] = [];
    for (let i = 0; i < 2500; i++) creates.push(rr(`h${i}.example.org. 60 A 10.${i >> 16}.${(i >> 8) & 255}.${i & 255}`));
    const result = await provider(sim).apply({ id, ...ZONE }, { ...EMPTY, creates });
    t.like(result, { applied: 2500, failed: 0 });
    t.deepEqual(changeCalls(sim).map((c) => c.changes), [1000, 1000, 500]);
    // a set of 4 values counts 4 records
    const wide = Array.from({ length: 300 }, (_, i) => rr(`w${i}.example.org. 60 A 10.1.${i & 255}.1 10.1.${i & 255}.2 10.1.${i & 255}.3 10.1.${i & 255}.4`));
    await provider(sim).apply({ id, ...ZONE }, { ...EMPTY, creates: wide });
    t.deepEqual(changeCalls(sim).slice(3).map((c) => c.records), [1000, 200]);
  });
});

test('batches stay within 32,000 characters of values a request', async (t) => {
  await withSim({}, async (sim) => {
    const id = sim.createZone('example.org');
    // 1,000 characters of text → two quoted strings on the wire (255-octet limit)
    const creates = Array.from({ length: 100 }, (_, i) => ({ name: `t${i}.example.org`, type: 'TXT' as const, ttl: 60, values: ['x'.repeat(1000)] }));
    const result = await provider(sim).apply({ id, ...ZONE }, { ...EMPTY, creates });
    t.like(result, { applied: 100, failed: 0 });
    const calls = changeCalls(sim);
    const chars = calls.map((c) => c.valueChars ?? 0);
    t.true(chars.every((n) => n <= 32_000), chars.join(','));
    t.is(calls.length, Math.ceil((100 * 1000 * 1.02) / 32_000));
    t.true(calls.every((c) => c.status === 200));
  });
});

test('AWS load-balancer hostnames become aliases; they read back and delete', async (t) => {
  await withSim({}, async (sim) => {
    const id = sim.createZone('example.org');
    const p = provider(sim);
    const zone = { id, ...ZONE };
    const result = await p.apply(zone, {
      ...EMPTY,
      creates: [
        rr('web.example.org. 60 A k8s-web-0123456789.us-east-1.elb.amazonaws.com'),
        rr('api.example.org. 60 A dualstack.k8s-api-42.eu-west-1.elb.amazonaws.com'),
        rr('nlb.example.org. 60 AAAA k8s-tcp-abcdef.elb.ap-southeast-2.amazonaws.com'),
        rr('two.example.org. 60 A a-1.us-east-1.elb.amazonaws.com b-2.us-east-1.elb.amazonaws.com'),
        rr('far.example.org. 60 A lb-1.xx-nowhere-9.elb.amazonaws.com'),
      ],
    });
    t.deepEqual(zoneLines(sim, id), [
      'api.example.org. - A ALIAS Z32O12XQLNTSW2 dualstack.k8s-api-42.eu-west-1.elb.amazonaws.com.',
      'nlb.example.org. - AAAA ALIAS ZCT6FZBF4DROD k8s-tcp-abcdef.elb.ap-southeast-2.amazonaws.com.',
      'web.example.org. - A ALIAS Z35SXDOTRQ7X7K k8s-web-0123456789.us-east-1.elb.amazonaws.com.',
    ]);
    t.regex(result.results[3].error ?? '', /an alias has one target/);
    t.regex(result.results[4].error ?? '', /no alias hosted zone id known for alb-clb load balancers in xx-nowhere-9/);
    t.is(countOps(sim, 'ChangeResourceRecordSets'), 1, 'changes that cannot be written are not sent');
    const current = await p.records(zone);
    const web = current.find((r) => r.name === 'web.example.org');
    t.deepEqual(web?.alias, { hostedZoneId: 'Z35SXDOTRQ7X7K', dnsName: 'k8s-web-0123456789.us-east-1.elb.amazonaws.com', evaluateTargetHealth: true });
    // the alias as read back deletes; so does the plain record form (the ELB table gives the same target)
    const del = await p.apply(zone, { ...EMPTY, deletes: current.filter((r) => r.name !== 'example.org' && r.name !== 'api.example.org').concat(rr('api.example.org. 60 A dualstack.k8s-api-42.eu-west-1.elb.amazonaws.com')) });
    t.like(del, { applied: 3, failed: 0 });
    t.deepEqual(zoneLines(sim, id), []);
  });
});

test('TXT values are quoted and escaped on the wire and read back unchanged; wildcard names', async (t) => {
  await withSim({}, async (sim) => {
    const id = sim.createZone('example.org');
    const p = provider(sim);
    const zone = { id, ...ZONE };
    const owner = 'heritage=globaldns,globaldns/owner=prod,globaldns/resource=ingress/shop/web';
    const tricky = 'say "hi" \\ and ; semicolon';
    const long = 'k='.padEnd(300, 'v');
    const result = await p.apply(zone, {
      ...EMPTY,
      creates: [
        { name: 'txt.example.org', type: 'TXT', ttl: 300, values: [owner, tricky, long, 'café'] },
        rr('*.example.org. 60 A 192.0.2.7'),
      ],
    });
    t.like(result, { applied: 2, failed: 0 });
    const stored = sim.records(id).find((r) => r.type === 'TXT')?.values ?? [];
    t.true(stored.includes(`"${owner}"`));
    t.true(stored.includes('"say \\"hi\\" \\\\ and ; semicolon"'));
    t.true(stored.includes(`"${long.slice(0, 255)}" "${long.slice(255)}"`));
    t.true(stored.includes('"caf\\303\\251"'));
    t.true(sim.records(id).some((r) => r.name === '\\052.example.org.' && r.type === 'A'));
    const back = await p.records(zone);
    t.deepEqual(back.find((r) => r.type === 'TXT')?.values.sort(), [owner, tricky, long, 'café'].sort());
    const wildcard = back.find((r) => r.name === '*.example.org');
    t.deepEqual(wildcard, rr('*.example.org. 60 A 192.0.2.7'));
    t.like(await p.apply(zone, { ...EMPTY, deletes: back.filter((r) => r.type === 'TXT' || r.name === '*.example.org') }), { applied: 2 });
  });
});

test('a zone that does not exist fails every change with the reason', async (t) => {
  await withSim({}, async (sim) => {
    const result = await provider(sim).apply({ id: 'ZGONE', name: 'example.org' }, { ...EMPTY, creates: [rr('a.example.org. 60 A 192.0.2.1'), rr('b.example.org. 60 A 192.0.2.2')] });
    t.like(result, { applied: 0, failed: 2 });
    t.is(result.results[0].error, 'NoSuchHostedZone: No hosted zone found with ID: ZGONE');
    t.is(countOps(sim, 'ChangeResourceRecordSets'), 1);
  });
});
