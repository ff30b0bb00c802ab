// A cluster's API server down through the CLI and a real (fake-kube) API server: its endpoints
// are served all along, and once the server is back the answer is exact again within one
// backoff step. The production defaults for grace (5 min), watchdog (120 s) and backoff (1 s
// doubling to 30 s) with a 60 s outage run on the manual clock in
// test/sources/kubernetes/outage.test.ts; here the same outage is scaled down five times in
// time (grace 60 s, watchdog 24 s, backoff 200 ms doubling to 6 s, down 12 s, so the backoff
// reaches its cap during the outage as it does at full scale), with the same margin over
// the cap (1/6 of it) for the reconnect, the relist and the DNS poll.
import test from 'ava';
import { APEX, ingress, startWorld } from './kube-world.js';

const SHOP = `shop.${APEX}`;
const SCALE = 5;

test('server down for 60 s / 5 then back: served throughout, exact again within the backoff', async (t) => {
  t.timeout(150_000 / SCALE);
  const w = await startWorld({
    clusters: [{ name: 'east' }, { name: 'west' }],
    entries: [{ fqdn: SHOP, targets: [{ cluster: 'east' }, { cluster: 'west' }] }],
    sources: { gracePeriod: `${300 / SCALE}s`, watchdogSeconds: 120 / SCALE, backoff: { initial: `${1000 / SCALE}ms`, max: `${30_000 / SCALE}ms` } },
    seed: {
      east: [ingress({ name: 'web', hosts: SHOP, ips: ['192.0.2.1'] })],
      west: [ingress({ name: 'web', hosts: SHOP, ips: ['198.51.100.1'] })],
    },
  });
  t.teardown(() => w.close());
  await w.until(SHOP, ['192.0.2.1', '198.51.100.1']);

  await w.fakes.east.goDown();
  // A change made while nobody can watch: it must arrive after the outage.
  w.fakes.east.apply(ingress({ name: 'web', hosts: SHOP, ips: ['192.0.2.2'] }));
  await w.holds(SHOP, ['192.0.2.1', '198.51.100.1'], 60_000 / SCALE);
  await w.fakes.east.comeUp();
  const ms = await w.until(SHOP, ['192.0.2.2', '198.51.100.1'], 40_000 / SCALE);
  t.log(`exact again ${ms} ms after the server came back`);
  t.true(ms <= 35_000 / SCALE, `within one backoff step (${30_000 / SCALE} ms cap plus ${5000 / SCALE} ms)`);
  t.is(w.logLines(/^cluster east: lost/).length, 0, 'never declared lost within the grace period');
});
