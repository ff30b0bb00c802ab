// A cluster's API server down for a full minute, with the production defaults for grace
// (5 min) and backoff (1 s doubling to 30 s): its endpoints are served all along, and once
// the server is back the answer is exact again within one backoff step.
import test from 'ava';
import { APEX, ingress, startWorld } from './kube-world.js';

const SHOP = `shop.${APEX}`;

test('server down for 60 s then back: served throughout, exact again within the backoff', async (t) => {
  t.timeout(150_000);
  const w = await startWorld({
    clusters: [{ name: 'east' }, { name: 'west' }],
    entries: [{ fqdn: SHOP, targets: [{ cluster: 'east' }, { cluster: 'west' }] }],
    sources: { gracePeriod: '5m', watchdogSeconds: 120, backoff: { initial: '1s', max: '30s' } },
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
  await w.holds(SHOP, ['192.0.2.1', '198.51.100.1'], 60_000);
  await w.fakes.east.comeUp();
  const ms = await w.until(SHOP, ['192.0.2.2', '198.51.100.1'], 40_000);
  t.log(`exact again ${ms} ms after the server came back`);
  t.true(ms <= 35_000, 'within one backoff step (30 s cap plus jitter)');
  t.is(w.logLines(/^cluster east: lost/).length, 0, 'never declared lost within the grace period');
});
