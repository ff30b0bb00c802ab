// An entry's `proxied` through the real path: ExternalController → planner → CloudflareProvider
// → the Cloudflare simulator. The entry's flag wins over the provider's default either way, an
// entry without one gets the default, toggling one entry touches only its records, and a resync
// afterwards writes nothing (proxied sets read back with TTL 300 and proxied: true do not churn).
import test from 'ava';
import { ExternalController } from '../../../src/controller/index.js';
import type { Endpoint, GlobalDnsEntry } from '../../../src/model/index.js';
import { EndpointStore } from '../../../src/sources/index.js';
import type { CloudflareSim, SimRecord } from '../../support/cloudflare-sim/index.js';
import { provider, rr, withSim } from './fixture.js';
import { desiredFor } from '../../support/desired.js';

const silent = { debug() {}, info() {}, warn() {}, error() {} };
const ingress = (fqdn: string, ip: string): Endpoint => ({ cluster: 'east', namespace: 'default', kind: 'Ingress', name: fqdn.split('.')[0] ?? fqdn, hostnames: [fqdn], targets: [ip] });
const entry = (fqdn: string, provider: string, proxied?: boolean): GlobalDnsEntry => ({ fqdn, ttl: 60, provider, targets: [{ cluster: 'east' }], ...(proxied === undefined ? {} : { proxied }) });

/** example.org under provider `cf` (default: DNS only), example.net under `cf-all` (default: proxied). */
const entries = [
  entry('a.example.org', 'cf', true), // A: proxied by its entry
  entry('b.example.org', 'cf'), // B: nothing said, provider default false
  entry('c.example.net', 'cf-all', false), // C: DNS only by its entry under a proxied default
  entry('d.example.net', 'cf-all'), // D: nothing said, provider default true
];
const addresses: Record<string, string> = { 'a.example.org': '192.0.2.1', 'b.example.org': '192.0.2.2', 'c.example.net': '192.0.2.3', 'd.example.net': '192.0.2.4' };

const WRITES = new Set(['Batch', 'CreateRecord', 'PatchRecord', 'PutRecord', 'DeleteRecord']);

/** `name proxied|dns-only ttl` of each A record of both zones. */
function flags(sim: CloudflareSim, zones: string[]): string[] {
  return zones
    .flatMap((z) => sim.records(z))
    .filter((r) => r.type === 'A')
    .map((r) => `${r.name} ${r.proxied ? 'proxied' : 'dns-only'} ttl=${r.ttl}`)
    .sort();
}

function aRecord(sim: CloudflareSim, zones: string[], name: string): SimRecord | undefined {
  return zones.flatMap((z) => sim.records(z)).find((r) => r.name === name && r.type === 'A');
}

test('entry proxied wins over the provider default both ways; toggling one entry updates only it; a resync writes nothing', async (t) => {
  await withSim({}, async (sim, org) => {
    const net = sim.createZone('example.net');
    const zones = [org, net];
    const store = new EndpointStore();
    for (const [fqdn, ip] of Object.entries(addresses)) store.upsert(ingress(fqdn, ip));
    const desired = desiredFor({ entries, store });
    const controller = new ExternalController({
      desired,
      bindings: [
        { name: 'cf', provider: provider(sim, { name: 'cf', zones: ['example.org'] }), ownerId: 'gdns', policy: 'sync' },
        { name: 'cf-all', provider: provider(sim, { name: 'cf-all', zones: ['example.net'], proxied: true }), ownerId: 'gdns', policy: 'sync' },
      ],
      logger: silent,
      resync: false,
      debounceMs: 10,
      maxDelayMs: 50,
    });
    try {
      await controller.start();
      t.deepEqual(flags(sim, zones), [
        'a.example.org proxied ttl=1',
        'b.example.org dns-only ttl=60',
        'c.example.net dns-only ttl=60',
        'd.example.net proxied ttl=1',
      ]);
      t.true(
        zones.flatMap((z) => sim.records(z)).filter((r) => r.type === 'TXT').every((r) => !r.proxied),
        'ownership TXT records are never proxied',
      );

      // Settled: a resync reads each zone once and writes nothing.
      let mark = sim.calls.length;
      await controller.resync();
      t.deepEqual(sim.calls.slice(mark).filter((c) => WRITES.has(c.op)).map((c) => c.op), [], 'nothing written on a resync after the first sync');
      t.is(sim.calls.slice(mark).filter((c) => c.op === 'ListRecords').length, 2, 'one read per zone, no apply');

      // Toggle A's flag: one batch patching A's one record, nothing else touched.
      const before = { b: aRecord(sim, zones, 'b.example.org'), c: aRecord(sim, zones, 'c.example.net'), d: aRecord(sim, zones, 'd.example.net') };
      mark = sim.calls.length;
      // The entries belong to the desired-state stage; the controller follows its re-plan.
      desired.setEntries(entries.map((e) => (e.fqdn === 'a.example.org' ? { ...e, proxied: false } : e)));
      await controller.settle();
      await controller.flush();
      const writes = sim.calls.slice(mark).filter((c) => WRITES.has(c.op));
      t.deepEqual(writes.map((c) => [c.op, c.batch]), [['Batch', { deletes: 0, patches: 1, puts: 0, posts: 0 }]]);
      t.like(aRecord(sim, zones, 'a.example.org'), { proxied: false, ttl: 60, content: '192.0.2.1' });
      t.deepEqual({ b: aRecord(sim, zones, 'b.example.org'), c: aRecord(sim, zones, 'c.example.net'), d: aRecord(sim, zones, 'd.example.net') }, before, 'B, C and D untouched');

      mark = sim.calls.length;
      await controller.resync();
      t.deepEqual(sim.calls.slice(mark).filter((c) => WRITES.has(c.op)).map((c) => c.op), [], 'nothing written on the resync after the toggle');
    } finally {
      await controller.stop();
    }
  });
});

test('a record switched by hand against its entry is switched back by the next resync; the default-governed one is left as it is', async (t) => {
  await withSim({}, async (sim, org) => {
    const store = new EndpointStore();
    store.upsert(ingress('a.example.org', '192.0.2.1'));
    store.upsert(ingress('b.example.org', '192.0.2.2'));
    const controller = new ExternalController({
      desired: desiredFor({ entries: [entry('a.example.org', 'cf', true), entry('b.example.org', 'cf')], store, lookup: async () => ({ v4: [], v6: [] }) }),
      bindings: [{ name: 'cf', provider: provider(sim, { name: 'cf', zones: ['example.org'] }), ownerId: 'gdns', policy: 'sync' }],
      logger: silent,
      resync: false,
      debounceMs: 10,
      maxDelayMs: 50,
    });
    try {
      await controller.start();
      // Someone turns the orange cloud off for A (origin address in the open) and on for B, in the dashboard.
      for (const [name, proxied] of [['a.example.org', false], ['b.example.org', true]] as const) {
        const id = aRecord(sim, [org], name)?.id;
        const res = await fetch(`${sim.url}/zones/${org}/dns_records/${id}`, { method: 'PATCH', headers: { authorization: `Bearer ${sim.token}`, 'content-type': 'application/json' }, body: JSON.stringify({ proxied }) });
        t.is(res.status, 200);
      }
      await controller.resync();
      t.deepEqual(flags(sim, [org]), ['a.example.org proxied ttl=1', 'b.example.org proxied ttl=1'], "A follows its entry again; B's entry says nothing, so the hand-made change stays");
    } finally {
      await controller.stop();
    }
  });
});

test("the provider: a set's own proxied beats proxiedNames, unproxiedNames and the default; records() reports the flag on A/AAAA/CNAME only", async (t) => {
  await withSim({}, async (sim, id) => {
    const zone = { id, name: 'example.org' };
    const p = provider(sim, { proxied: true, proxiedNames: ['on.example.org'], unproxiedNames: ['off.example.org'] });
    const r = await p.apply(zone, {
      creates: [
        { ...rr('off.example.org 600 A 192.0.2.1'), proxied: true },
        { ...rr('on.example.org 600 A 192.0.2.2'), proxied: false },
        { ...rr('www.example.org 600 CNAME lb.example.net'), proxied: false },
        rr('dflt.example.org 600 AAAA 2001:db8::1'),
        rr('txt.example.org 600 TXT hello'),
      ],
      updates: [],
      deletes: [],
    });
    t.is(r.failed, 0);
    const read = await p.records(zone);
    t.deepEqual(
      read.map((s) => `${s.name} ${s.type} ${s.proxied ?? '-'} ${s.ttl}`).sort(),
      ['dflt.example.org AAAA true 300', 'off.example.org A true 300', 'on.example.org A false 600', 'txt.example.org TXT - 600', 'www.example.org CNAME false 600'],
    );
  });
});

test('a set whose records disagree (one switched by hand) reads as not proxied', async (t) => {
  await withSim({}, async (sim, id) => {
    const zone = { id, name: 'example.org' };
    const p = provider(sim);
    await p.apply(zone, { creates: [{ ...rr('shop.example.org 600 A 192.0.2.1 192.0.2.2'), proxied: true }], updates: [], deletes: [] });
    t.is((await p.records(zone))[0]?.proxied, true);
    const one = sim.records(id)[0];
    await fetch(`${sim.url}/zones/${id}/dns_records/${one?.id}`, { method: 'PATCH', headers: { authorization: `Bearer ${sim.token}`, 'content-type': 'application/json' }, body: JSON.stringify({ proxied: false, ttl: 600 }) });
    t.is((await p.records(zone))[0]?.proxied, false);
  });
});
