// Route53 alias records end to end, in process: ExternalController → Route53Provider (real AWS
// SDK) → the Route53 simulator. An Ingress behind an AWS load balancer becomes an alias (not
// flattened addresses), a resync changes nothing, an IP target replaces the alias; several
// clusters behind several balancers become weighted aliases.
import test from 'ava';
import { ExternalController } from '../../src/controller/index.js';
import type { Endpoint, GlobalDnsEntry } from '../../src/model/index.js';
import { ownershipRecord } from '../../src/planner/index.js';
import { EndpointStore } from '../../src/sources/index.js';
import { Route53Provider } from '../../providers/route53/index.js';
import { startRoute53Sim, type Route53Sim } from '../support/route53-sim/index.js';
import { desiredFor } from '../support/desired.js';
import { ManualClock } from '../support/clock.js';

const LB = 'my-lb-123.us-east-1.elb.amazonaws.com';
const LB_WEST = 'net-lb-456.elb.us-west-2.amazonaws.com';
const entries: GlobalDnsEntry[] = [{ fqdn: 'shop.example.org', ttl: 60, provider: 'r53', targets: [{ cluster: 'east' }, { cluster: 'west' }] }];
const ingress = (cluster: string, targets: string[]): Endpoint => ({ cluster, namespace: 'default', kind: 'Ingress', name: 'web', hostnames: ['shop.example.org'], targets });
const silent = { debug() {}, info() {}, warn() {}, error() {} };

async function setup(t: { teardown(f: () => Promise<void>): void }) {
  const sim = await startRoute53Sim({ seed: 1 });
  const zoneId = sim.createZone('example.org');
  const provider = new Route53Provider({
    endpoint: sim.url,
    region: 'us-east-1',
    credentials: { accessKeyId: 'AKIDEXAMPLE', secretAccessKey: 'secret' },
    zoneIds: [zoneId],
  });
  const store = new EndpointStore();
  const clock = new ManualClock();
  const controller = new ExternalController({
    desired: desiredFor({ entries, store, lookup: async () => ({ v4: ['192.0.2.50'], v6: [] }), clock }),
    // No aliasHostnames on the binding: the provider's own capability is used.
    bindings: [{ name: 'r53', provider, ownerId: 'gdns-test', policy: 'sync' }],
    logger: silent,
    resync: false,
    debounceMs: 10,
    maxDelayMs: 50,
    clock,
  });
  t.teardown(async () => {
    await controller.stop();
    await sim.stop();
  });
  return { sim, zoneId, store, controller, clock };
}

const changeCalls = (sim: Route53Sim) => sim.calls.filter((c) => c.op === 'ChangeResourceRecordSets').length;
const at = (sim: Route53Sim, zoneId: string, type: string) => sim.records(zoneId).filter((r) => r.name === 'shop.example.org.' && r.type === type);

test('a load-balancer hostname becomes an alias; a resync changes nothing; an IP target replaces it', async (t) => {
  const { sim, zoneId, store, controller, clock } = await setup(t);
  store.upsert(ingress('east', [LB]));
  await controller.start();
  t.deepEqual(at(sim, zoneId, 'A'), [
    { name: 'shop.example.org.', type: 'A', alias: { hostedZoneId: 'Z35SXDOTRQ7X7K', dnsName: `${LB}.`, evaluateTargetHealth: true } },
  ]);
  t.is(sim.records(zoneId).filter((r) => r.name === '_globaldns-a.shop.example.org.' && r.type === 'TXT').length, 1, 'ownership companion');
  const before = changeCalls(sim);
  t.true(before >= 1);

  await controller.resync();
  await controller.resync();
  t.is(changeCalls(sim), before, 'the alias read back (TTL 0) is what we want: no change calls');

  store.upsert(ingress('east', ['192.0.2.9']));
  await clock.advance(100);
  await controller.flush();
  t.deepEqual(at(sim, zoneId, 'A'), [{ name: 'shop.example.org.', type: 'A', ttl: 60, values: ['192.0.2.9'] }]);
  const after = changeCalls(sim);
  await controller.resync();
  t.is(changeCalls(sim), after);
});

test('an alias Route53 spells with dualstack. and a trailing dot is not churned', async (t) => {
  const { sim, zoneId, store, controller } = await setup(t);
  const companion = ownershipRecord({ name: 'shop.example.org', type: 'A', ttl: 60, values: [LB] }, 'gdns-test', () => 'shop.example.org');
  sim.seed(zoneId, { name: 'shop.example.org', type: 'A', alias: { hostedZoneId: 'Z35SXDOTRQ7X7K', dnsName: `dualstack.${LB.toUpperCase()}.`, evaluateTargetHealth: true } });
  sim.seed(zoneId, { name: companion.name, type: 'TXT', ttl: companion.ttl, values: companion.values.map((v) => `"${v}"`) });
  store.upsert(ingress('east', [LB]));
  await controller.start();
  await controller.resync();
  t.is(changeCalls(sim), 0);
});

test('two clusters behind two balancers: weighted aliases with companions, stable on resync', async (t) => {
  const { sim, zoneId, store, controller, clock } = await setup(t);
  store.upsert(ingress('east', [LB]));
  store.upsert(ingress('west', [LB_WEST]));
  await controller.start();
  t.deepEqual(at(sim, zoneId, 'A').map((r) => [r.setIdentifier, r.weight, r.alias?.hostedZoneId, r.alias?.dnsName]), [
    ['east', 1, 'Z35SXDOTRQ7X7K', `${LB}.`],
    ['west', 1, 'Z18D5FSROUN65G', `${LB_WEST}.`],
  ]);
  t.deepEqual(
    sim.records(zoneId).filter((r) => r.name === '_globaldns-a.shop.example.org.').map((r) => [r.setIdentifier, r.weight]),
    [['east', 1], ['west', 1]],
  );
  const before = changeCalls(sim);
  await controller.resync();
  t.is(changeCalls(sim), before);

  // West goes away: back to one unweighted alias.
  store.remove('west/default/Ingress/web');
  await clock.advance(100);
  await controller.flush();
  t.deepEqual(at(sim, zoneId, 'A').map((r) => [r.setIdentifier, r.alias?.dnsName]), [[undefined, `${LB}.`]]);
});
