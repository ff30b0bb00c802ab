// A cluster's API server down for a minute with the production defaults for grace
// (5 min), watchdog (120 s) and backoff (1 s doubling to 30 s), on the manual clock: the
// endpoints are served every second of the outage, a change made while nobody could watch
// arrives once the server is back, within one backoff step (the 30 s cap: jitter only ever
// shortens a delay), and the cluster is never declared lost. test/integration/kube-outage
// runs the same outage through the CLI and a real API server, scaled down in time.
import test from 'ava';
import { ClusterFleet, EndpointStore, KubeClusterSource } from '../../../src/sources/index.js';
import { FakeApi, ManualClock, RecordingLogger, ingress } from './fakes.js';

const SHOP = 'shop.example.test';
const refused = Object.assign(new Error('request to https://127.0.0.1:1/apis failed, reason: connect ECONNREFUSED 127.0.0.1:1'), { code: 'ECONNREFUSED' });

// Back 60 s in, without and with jitter; and back just after a retry at the cap failed, the
// longest wait there is (retries at 1, 3, 7, 15, 31, 61, 91 s without jitter).
const cases = [
  { title: 'down for 60 s, no jitter', outageMs: 60_000, random: () => 0 },
  { title: 'down for 60 s, full jitter', outageMs: 60_000, random: () => 0.999 },
  { title: 'down for 61.1 s, back just after a failed retry', outageMs: 61_100, random: () => 0 },
];

for (const { title, outageMs, random } of cases) {
  test(`server ${title}, production defaults: served throughout, exact again within one backoff step`, async (t) => {
    const clock = new ManualClock();
    const store = new EndpointStore();
    const fleet = new ClusterFleet(store);
    const log = new RecordingLogger();
    const start = (cluster: string, api: FakeApi) => {
      const source = new KubeClusterSource({ cluster, api, store, fleet, gracePeriodMs: 300_000, watchdogMs: 120_000, backoff: { initialMs: 1000, maxMs: 30_000 }, clock, random, logger: log });
      source.start();
      return source;
    };
    const east = new FakeApi();
    const west = new FakeApi();
    east.objects.Ingress.push(ingress({ name: 'web', hosts: SHOP, ips: ['192.0.2.1'] }));
    west.objects.Ingress.push(ingress({ name: 'web', hosts: SHOP, ips: ['198.51.100.1'] }));
    const sources = [start('east', east), start('west', west)];
    t.teardown(() => sources.forEach((s) => s.stop()));
    const targets = () => store.byName(SHOP).flatMap((e) => e.targets).sort();
    await clock.advance(0);
    t.deepEqual(targets(), ['192.0.2.1', '198.51.100.1']);

    east.down = true;
    for (const kind of ['Namespace', 'Ingress', 'Service'] as const) east.open(kind)?.end(refused);
    // A change made while nobody can watch: it must arrive after the outage.
    east.put('Ingress', ingress({ name: 'web', hosts: SHOP, ips: ['192.0.2.2'] }));
    for (let down = 0; down < outageMs;) {
      const step = Math.min(1000, outageMs - down);
      await clock.advance(step);
      down += step;
      t.deepEqual(targets(), ['192.0.2.1', '198.51.100.1'], `served ${down} ms into the outage`);
    }
    t.is(sources[0].phase, 'Degraded');
    const listsDuringOutage = east.listCount('Ingress');
    t.true(listsDuringOutage >= 6 && listsDuringOutage <= 12, `retried with backoff, not in a loop: ${listsDuringOutage} lists of ingresses`);

    east.down = false;
    let ms = 0;
    while (targets().join() !== '192.0.2.2,198.51.100.1' && ms <= 60_000) {
      await clock.advance(100);
      ms += 100;
    }
    t.log(`exact again ${ms} ms after the server came back`);
    t.deepEqual(targets(), ['192.0.2.2', '198.51.100.1']);
    t.true(ms <= 30_000, `within one backoff step (the 30 s cap): ${ms} ms`);
    t.is(sources[0].phase, 'Synced');
    t.deepEqual(log.messages().filter((m) => /^cluster east: lost/.test(m)), [], 'never declared lost within the grace period');
  });
}
