// A restart with one cluster's API server down (issue 12). The endpoint store is kept in the
// state directory beside the zones, so the unreachable cluster keeps its last endpoints under
// the same rule as a cluster lost while running, and the zones follow the live cluster at once
// instead of being held until the unreachable one's grace period ends. The grace period is
// shortened to 6 s (the CLI runs on the real clock; the rule itself is tested on a manual
// clock in test/sources/store-snapshot.test.ts).
import test from 'ava';
import { APEX, ingress, startWorld } from './kube-world.js';

const SHOP = `shop.${APEX}`;
const ONLY_EAST = `only.${APEX}`;
const ONLY_WEST = `b.${APEX}`;
const GRACE_MS = 6000;

test('restart with a cluster down: live changes served at once; its last endpoints kept where nothing else serves the name', async (t) => {
  t.timeout(60_000);
  const both = [{ cluster: 'east' }, { cluster: 'west' }];
  const w = await startWorld({
    clusters: [{ name: 'east' }, { name: 'west' }],
    entries: [
      { fqdn: SHOP, targets: both },
      { fqdn: ONLY_EAST, targets: both },
      { fqdn: ONLY_WEST, targets: both },
    ],
    sources: { gracePeriod: `${GRACE_MS / 1000}s` },
    seed: {
      east: [ingress({ name: 'web', hosts: SHOP, ips: ['192.0.2.1'] }), ingress({ name: 'only', hosts: ONLY_EAST, ips: ['192.0.2.5'] })],
      west: [ingress({ name: 'web', hosts: SHOP, ips: ['198.51.100.1'] }), ingress({ name: 'b', hosts: ONLY_WEST, ips: ['198.51.100.7'] })],
    },
  });
  t.teardown(() => w.close());
  await w.until(SHOP, ['192.0.2.1', '198.51.100.1']);
  await w.until(ONLY_EAST, ['192.0.2.5']);
  await w.until(ONLY_WEST, ['198.51.100.7']);

  await w.fakes.east.goDown();
  await w.restart();
  const t0 = Date.now();
  t.true(w.logLines(/^endpoints restored from the state directory$/).length === 1, w.g.logs());

  // (a) changes on the live cluster are served at once, well inside east's grace period
  w.fakes.west.remove('Ingress', 'default', 'b');
  w.fakes.west.apply(ingress({ name: 'web', hosts: SHOP, ips: ['198.51.100.2'] }));
  await w.until(ONLY_WEST, 'NXDOMAIN', GRACE_MS / 2);
  // east's last address for the shared name stays while east is within its grace
  await w.until(SHOP, ['192.0.2.1', '198.51.100.2'], GRACE_MS / 2 - (Date.now() - t0));
  t.true(Date.now() - t0 < GRACE_MS / 2, `live changes took ${Date.now() - t0} ms`);

  // (c) after east's grace, a name west still serves drops east's address...
  await w.until(SHOP, ['198.51.100.2'], GRACE_MS + 6000);
  t.true(Date.now() - t0 >= GRACE_MS - 1000, `east's address went after ${Date.now() - t0} ms, before its grace period of ${GRACE_MS} ms`);
  t.is(w.logLines(/^cluster east: lost/).length, 1);
  // (b) ...and the name only east served keeps east's last address
  await w.holds(ONLY_EAST, ['192.0.2.5'], 1500);
  t.is(w.logLines(new RegExp(`^cluster east: still serving its last endpoints for ${ONLY_EAST.replace(/\./g, '\\.')}`)).length, 1);
  t.true(w.g.alive());
});
