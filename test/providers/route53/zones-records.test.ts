// Route53Provider.zones() and records(): which hosted zones it finds, and what record sets
// it reads back (pagination, names, TXT, aliases), all through the real SDK.
import test from 'ava';
import { countOps, provider, withSim } from './fixture.js';

test('zones by domain filter keep public and private zones of one name apart', async (t) => {
  await withSim({}, async (sim) => {
    const pub = sim.createZone('example.org');
    const priv = sim.createZone('example.org', { private: true });
    const sub = sim.createZone('team.example.org');
    sim.createZone('example.com');
    t.deepEqual(await provider(sim, { domainFilters: ['example.org'] }).zones(), [
      { id: pub, name: 'example.org', private: false },
      { id: priv, name: 'example.org', private: true },
      { id: sub, name: 'team.example.org', private: false },
    ]);
    t.deepEqual(await provider(sim, { domainFilters: ['example.org.'], zoneType: 'private' }).zones(), [{ id: priv, name: 'example.org', private: true }]);
    t.deepEqual(
      (await provider(sim, { domainFilters: ['www.team.example.org'], zoneType: 'public' }).zones()).map((z) => z.name),
      ['example.org', 'team.example.org'],
      'a filter below a zone selects the zones that hold it',
    );
    t.is((await provider(sim).zones()).length, 4);
  });
});

test('zones by id, with or without the /hostedzone/ prefix; a missing zone is an error with context', async (t) => {
  await withSim({}, async (sim) => {
    sim.createZone('example.org');
    const priv = sim.createZone('example.org', { private: true });
    t.deepEqual(await provider(sim, { zoneIds: [`/hostedzone/${priv}`] }).zones(), [{ id: priv, name: 'example.org', private: true }]);
    t.deepEqual(await provider(sim, { zoneIds: [priv], zoneType: 'public' }).zones(), []);
    const err = await t.throwsAsync(provider(sim, { zoneIds: ['ZNOPE'] }).zones());
    t.is(err?.message, 'route53: get hosted zone ZNOPE: NoSuchHostedZone: No hosted zone found with ID: ZNOPE');
    t.is((err as { code?: string } | undefined)?.code, 'NoSuchHostedZone');
  });
});

test('zones page through more than 100 hosted zones', async (t) => {
  await withSim({}, async (sim) => {
    for (let i = 0; i < 130; i++) sim.createZone(`z${i}.example.org`);
    const zones = await provider(sim, { domainFilters: ['example.org'] }).zones();
    t.is(zones.length, 130);
    t.is(countOps(sim, 'ListHostedZones'), 2);
  });
});

for (const n of [350, 1200]) {
  test(`records page through ${n} record sets (300 a page)`, async (t) => {
    await withSim({}, async (sim) => {
      const id = sim.createZone('example.org');
      for (let i = 0; i < n; i++) {
        sim.seed(id, { name: `h${i}.example.org`, type: 'A', ttl: 60, values: [`10.0.${i >> 8}.${i & 255}`] });
        // weighted sets of one name and type continue across pages by set identifier
        if (i % 100 === 0) sim.seed(id, { name: 'w.example.org', type: 'A', ttl: 60, values: [`192.0.2.${i / 100}`], setIdentifier: `s${i}`, weight: 1 });
      }
      const p = provider(sim);
      const records = await p.records({ id, name: 'example.org' });
      const weighted = Math.ceil(n / 100);
      // + the apex NS (the SOA is not modelled)
      t.is(records.length, n + weighted + 1);
      t.is(new Set(records.map((r) => `${r.name} ${r.type} ${r.setIdentifier ?? ''}`)).size, records.length, 'nothing read twice');
      t.is(countOps(sim, 'ListResourceRecordSets'), Math.ceil((n + weighted + 2) / 300));
      t.deepEqual(records.find((r) => r.name === 'h5.example.org'), { name: 'h5.example.org', type: 'A', ttl: 60, values: ['10.0.0.5'] });
    });
  });
}

test('records map names, TXT, MX, CNAME and aliases to the model', async (t) => {
  await withSim({}, async (sim) => {
    const id = sim.createZone('example.org');
    sim.seed(id, { name: '*.example.org', type: 'TXT', ttl: 60, values: ['"say \\"hi\\" \\\\ ok"', '"part one" "part two"', '"caf\\303\\251"'] });
    sim.seed(id, { name: 'example.org', type: 'MX', ttl: 300, values: ['10 Mail.Example.org.'] });
    sim.seed(id, { name: 'docs.example.org', type: 'CNAME', ttl: 300, values: ['pages.example.net.'] });
    sim.seed(id, {
      name: 'lb.example.org',
      type: 'A',
      alias: { hostedZoneId: 'Z35SXDOTRQ7X7K', dnsName: 'k8s-web-1234.us-east-1.elb.amazonaws.com.', evaluateTargetHealth: true },
    });
    const records = await provider(sim).records({ id, name: 'example.org' });
    t.deepEqual(records.find((r) => r.type === 'TXT'), { name: '*.example.org', type: 'TXT', ttl: 60, values: ['say "hi" \\ ok', 'part onepart two', 'café'] });
    t.deepEqual(records.find((r) => r.type === 'MX')?.values, ['10 mail.example.org']);
    t.deepEqual(records.find((r) => r.type === 'CNAME')?.values, ['pages.example.net']);
    t.deepEqual(records.find((r) => r.name === 'lb.example.org'), {
      name: 'lb.example.org',
      type: 'A',
      ttl: 0,
      values: ['k8s-web-1234.us-east-1.elb.amazonaws.com'],
      alias: { hostedZoneId: 'Z35SXDOTRQ7X7K', dnsName: 'k8s-web-1234.us-east-1.elb.amazonaws.com', evaluateTargetHealth: true },
    });
    t.false(records.some((r) => (r.type as string) === 'SOA'));
  });
});
