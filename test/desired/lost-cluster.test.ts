// The lost-cluster rule ("a lost cluster's endpoints are kept where no other live cluster
// serves the name") counts only claims an entry accepts: a claim the entry rejects serves
// nothing, so it must not make the last allowed cluster's addresses go (issue 12, bug 4).
import test from 'ava';
import type { GlobalDnsEntry } from '../../src/model/index.js';
import { ClusterFleet, EndpointStore, KubeClusterSource } from '../../src/sources/index.js';
import { FakeApi, ManualClock, RecordingLogger, ingress } from '../sources/kubernetes/fakes.js';
import { desiredFor } from '../support/desired.js';

const GRACE = 60_000;
const refused = Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:1'), { code: 'ECONNREFUSED' });
const eastOnly: GlobalDnsEntry[] = [{ fqdn: 'shop.example.test', ttl: 60, provider: 'embedded', targets: [{ cluster: 'east' }] }];

function world(entries: GlobalDnsEntry[]) {
  const clock = new ManualClock();
  const store = new EndpointStore();
  const fleet = new ClusterFleet(store);
  const desired = desiredFor({ entries, store, clock });
  // As serve wires it.
  fleet.setClaimFilter((e, hostname) => desired.accepts(e, hostname));
  const sources: KubeClusterSource[] = [];
  const cluster = (name: string) => {
    const api = new FakeApi();
    const source = new KubeClusterSource({ cluster: name, api, store, fleet, gracePeriodMs: GRACE, watchdogMs: 600_000, backoff: { initialMs: 1000, maxMs: 4000 }, clock, random: () => 0, logger: new RecordingLogger() });
    sources.push(source);
    return { api, source };
  };
  const published = async () => {
    await desired.flush();
    return desired.get('shop.example.test')?.records.flatMap((r) => r.values) ?? [];
  };
  return { clock, store, fleet, desired, cluster, published, stop: () => sources.forEach((s) => s.stop()) };
}

test('the only allowed cluster, lost, keeps its addresses although a rejected claim of another cluster is live', async (t) => {
  const w = world(eastOnly);
  const east = w.cluster('east');
  const west = w.cluster('west');
  east.api.objects.Ingress.push(ingress({ name: 'web', hosts: 'shop.example.test', ips: ['192.0.2.1'] }));
  west.api.objects.Ingress.push(ingress({ name: 'stray', hosts: 'shop.example.test', ips: ['198.51.100.9'] }));
  east.source.start();
  west.source.start();
  await w.clock.advance(0);
  t.deepEqual(await w.published(), ['192.0.2.1']);
  t.deepEqual(w.desired.get('shop.example.test')?.rejected.map((r) => r.key), ['west/default/Ingress/stray'], 'west claims it, rejected');

  east.api.down = true;
  for (const kind of ['Ingress', 'Service', 'Namespace'] as const) east.api.open(kind)?.end(refused);
  await w.clock.advance(GRACE);
  t.is(east.source.phase, 'Lost');
  t.deepEqual(await w.published(), ['192.0.2.1'], 'past the grace, the lost cluster still serves the name: the live claim is rejected');
  t.deepEqual(east.source.state().keptStale, ['shop.example.test']);

  // The entry now accepts west: its claim counts, so the lost cluster's stale endpoint goes.
  w.desired.setEntries([{ ...eastOnly[0], targets: [{ cluster: 'east' }, { cluster: 'west' }] }]);
  await w.desired.flush();
  w.fleet.healthChanged();
  await w.clock.advance(0);
  t.deepEqual(await w.published(), ['198.51.100.9']);
  t.deepEqual(east.source.state().keptStale, []);
  w.stop();
});
