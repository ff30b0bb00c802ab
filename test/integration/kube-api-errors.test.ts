// What an API server says when it refuses a watch reaches the log (issue 12): the RBAC detail
// of a 403 and the reason of a 500 are in the Status body, and an operator reading the log
// should not have to open the status page (or guess) to learn which permission is missing.
import test from 'ava';
import { APEX, ingress, startWorld, type World } from './kube-world.js';

const SHOP = `shop.${APEX}`;
const INGRESSES = '/apis/networking.k8s.io/v1/ingresses';
const FORBIDDEN = 'ingresses.networking.k8s.io is forbidden: User "system:serviceaccount:globaldns:globaldns" cannot watch resource "ingresses" in API group "networking.k8s.io" at the cluster scope';

async function logged(w: World, re: RegExp, timeoutMs = 8000): Promise<{ level: string; msg: string }[]> {
  const t0 = Date.now();
  for (;;) {
    const lines = w.logLines(re);
    if (lines.length > 0 || Date.now() - t0 > timeoutMs) return lines;
    await new Promise((r) => setTimeout(r, 25));
  }
}

const escape = (s: string) => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');

test("a 403 and a 500 on a watch are logged with the API server's Status message, and no token", async (t) => {
  const w = await startWorld({
    clusters: [{ name: 'east' }],
    entries: [{ fqdn: SHOP, targets: [{ cluster: 'east' }] }],
    seed: { east: [ingress({ name: 'web', hosts: SHOP, ips: ['192.0.2.1'] })] },
  });
  t.teardown(() => w.close());
  const east = w.fakes.east;
  await w.until(SHOP, ['192.0.2.1']);

  // End the watches so that they resume: the ingresses' resumption meets the 403, and so
  // does the re-list after it.
  east.failNext(403, 2, { path: INGRESSES }, FORBIDDEN);
  east.closeWatches();
  const denied = await logged(w, new RegExp(`^cluster east: watch ingresses: 403 Forbidden: ${escape(FORBIDDEN)}$`));
  t.is(denied.length, 1, w.g.logs().split('\n').slice(-20).join('\n'));
  t.is(denied[0]?.level, 'warn');
  // the retry, at debug while the cluster is Degraded already
  const listDenied = await logged(w, new RegExp(`^cluster east: list ingresses: 403 Forbidden: ${escape(FORBIDDEN)}$`));
  t.is(listDenied.length, 1, w.g.logs().split('\n').slice(-20).join('\n'));

  // Recovered: the re-list after the backoff succeeds and changes flow again.
  east.apply(ingress({ name: 'web', hosts: SHOP, ips: ['192.0.2.2'] }));
  await w.until(SHOP, ['192.0.2.2']);
  await logged(w, /^cluster east: synced again/);

  east.failNext(500, 1, { path: INGRESSES, watch: true }, 'etcdserver: request timed out');
  east.closeWatches();
  const failed = await logged(w, /^cluster east: watch ingresses: 500 Internal Server Error: etcdserver: request timed out$/);
  t.is(failed.length, 1, w.g.logs().split('\n').slice(-20).join('\n'));

  east.apply(ingress({ name: 'web', hosts: SHOP, ips: ['192.0.2.3'] }));
  await w.until(SHOP, ['192.0.2.3']);
  t.false(w.g.logs().includes(east.token), 'the bearer token is never logged');
});
