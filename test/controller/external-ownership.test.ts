// Ownership through the real provider path (ExternalController → Route53Provider → the Route53
// simulator): records seeded by others are never changed under any policy; adoption takes over
// the records Rancher's Global DNS (external-dns, owner "rancher") wrote, and nothing else.
import test from 'ava';
import { ExternalController } from '../../src/controller/index.js';
import type { Endpoint, GlobalDnsEntry } from '../../src/model/index.js';
import type { Policy } from '../../src/planner/index.js';
import { EndpointStore } from '../../src/sources/index.js';
import { Route53Provider } from '../../providers/route53/index.js';
import { startRoute53Sim, type Route53Sim, type SimRecordSet } from '../support/route53-sim/index.js';
import { desiredFor } from '../support/desired.js';
import { ManualClock } from '../support/clock.js';

// The SDK warns once per process about Node 20; the tests run on 20 on purpose.
process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';

const names = ['shop', 'api', 'blog', 'mail', 'old'].map((n) => `${n}.example.org`);
const entries: GlobalDnsEntry[] = names.map((fqdn) => ({ fqdn, ttl: 60, provider: 'r53', targets: [{ cluster: 'east' }] }));
const ingress = (fqdn: string, ip: string): Endpoint => ({ cluster: 'east', namespace: 'default', kind: 'Ingress', name: fqdn.split('.')[0], hostnames: [fqdn], targets: [ip] });
const silent = { debug() {}, info() {}, warn() {}, error() {} };

/** Someone else's records: other types at our names, our names and types under other owners, other names. */
const foreign: SimRecordSet[] = [
  { name: 'shop.example.org.', type: 'MX', ttl: 300, values: ['10 mx.example.org.'] },
  { name: 'shop.example.org.', type: 'TXT', ttl: 300, values: ['"v=spf1 -all"'] },
  { name: 'api.example.org.', type: 'A', ttl: 300, values: ['203.0.113.1'] }, // no owner at all, different values
  { name: 'blog.example.org.', type: 'A', ttl: 300, values: ['203.0.113.2'] }, // owned by another external-dns
  { name: 'blog.example.org.', type: 'TXT', ttl: 300, values: ['"heritage=external-dns,external-dns/owner=someone-else,external-dns/resource=ingress/default/blog"'] },
  { name: 'mail.example.org.', type: 'CNAME', ttl: 300, values: ['mail.provider.example.'] },
  { name: 'other.example.org.', type: 'A', ttl: 300, values: ['203.0.113.3'] },
];
/** What Rancher's Global DNS left behind: external-dns records of owner "rancher". */
const rancher: SimRecordSet[] = [
  { name: 'old.example.org.', type: 'A', ttl: 300, values: ['203.0.113.9'] },
  { name: 'old.example.org.', type: 'TXT', ttl: 300, values: ['"heritage=external-dns,external-dns/owner=rancher,external-dns/resource=globaldns/default/old"'] },
];

async function run(policy: Policy, adoptFrom: string[] = []) {
  const sim = await startRoute53Sim({ seed: 3 });
  const zoneId = sim.createZone('example.org');
  for (const r of [...foreign, ...rancher]) sim.seed(zoneId, r);
  const provider = new Route53Provider({ endpoint: sim.url, region: 'us-east-1', credentials: { accessKeyId: 'AKIDEXAMPLE', secretAccessKey: 'secret' }, zoneIds: [zoneId], rateLimitPerSecond: 1000 });
  const store = new EndpointStore();
  for (const [i, fqdn] of names.entries()) store.upsert(ingress(fqdn, `192.0.2.${i + 1}`));
  const clock = new ManualClock();
  const controller = new ExternalController({
    desired: desiredFor({ entries, store, lookup: async () => ({ v4: [], v6: [] }), clock }),
    bindings: [{ name: 'r53', provider, ownerId: 'gdns', policy, adoptFrom }],
    logger: silent,
    resync: false,
    debounceMs: 10,
    maxDelayMs: 50,
    clock,
  });
  await controller.start();
  // A change and a removal after the first sync, so updates and deletes are exercised too.
  store.upsert(ingress('shop.example.org', '192.0.2.100'));
  store.remove('east/default/Ingress/api');
  await clock.advance(100);
  await controller.flush();
  await controller.resync();
  await controller.stop();
  await sim.stop();
  return { sim, zoneId };
}

const find = (sim: Route53Sim, zoneId: string, name: string, type: string) => sim.records(zoneId).find((r) => r.name === name && r.type === type);

for (const policy of ['sync', 'upsert-only', 'create-only'] as const) {
  test(`policy ${policy}: records of others are never changed`, async (t) => {
    const { sim, zoneId } = await run(policy);
    for (const r of [...foreign, ...rancher]) {
      t.deepEqual(find(sim, zoneId, r.name, r.type), r, `${r.name} ${r.type} untouched`);
    }
    t.truthy(find(sim, zoneId, 'shop.example.org.', 'A'), 'our own record is written beside the foreign MX and TXT');
  });
}

test('adoption takes over the records of external-dns owner "rancher" and nothing else', async (t) => {
  const { sim, zoneId } = await run('sync', ['rancher']);
  t.deepEqual(find(sim, zoneId, 'old.example.org.', 'A')?.values, ['192.0.2.5'], 'the adopted record now holds what we want');
  t.regex(find(sim, zoneId, '_globaldns-a.old.example.org.', 'TXT')?.values?.[0] ?? '', /globaldns\/owner=gdns/, 're-stamped with our ownership');
  t.is(find(sim, zoneId, 'old.example.org.', 'TXT'), undefined, "external-dns's old TXT is retired once ours is in place");
  for (const r of foreign) t.deepEqual(find(sim, zoneId, r.name, r.type), r, `${r.name} ${r.type} (not rancher's) untouched`);
});
