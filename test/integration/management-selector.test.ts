// Management mode: a GlobalDNS target's namespaceSelector is enforced — claims from namespaces
// whose labels do not match are rejected (in status, naming the selector) and never published;
// relabelling a namespace moves its claims in or out.
import test from 'ava';
import { ingress, namespace } from './kube-world.js';
import { cond, EMBEDDED_APEX, embeddedProvider, startMgmtWorld, statusOf, waitFor } from './management-world.js';

test('namespaceSelector: only matching namespaces publish; rejected claims name the selector; relabelling follows', async (t) => {
  const w = await startMgmtWorld();
  t.teardown(() => w.close());
  const { mgmt, east, west } = w;
  const fqdn = `shop.${EMBEDDED_APEX}`;
  east.apply(namespace('shop', { labels: { tier: 'web' } }));
  east.apply(namespace('sandbox', { labels: { tier: 'test' } }));
  west.apply(namespace('shop', { labels: { tier: 'web' } }));
  east.apply(ingress({ name: 'web', namespace: 'shop', hosts: fqdn, ips: ['10.0.1.1'] }));
  east.apply(ingress({ name: 'try', namespace: 'sandbox', hosts: fqdn, ips: ['10.0.1.66'] }));
  west.apply(ingress({ name: 'web', namespace: 'shop', hosts: fqdn, ips: ['10.0.2.1'] }));
  mgmt.apply(embeddedProvider('emb'));
  mgmt.apply({
    apiVersion: 'globaldns.io/v1alpha1',
    kind: 'GlobalDNS',
    metadata: { name: 'shop', namespace: 'shop' },
    spec: { fqdn, ttl: 60, providerRef: 'emb', targets: [{ cluster: 'east', namespaceSelector: { matchLabels: { tier: 'web' } } }, { cluster: 'west' }] },
  });
  const g = await w.replica('replica-0');
  const logTail = () => g.logs().split('\n').slice(-30).join('\n');
  const st = () => statusOf(mgmt, 'GlobalDNS', 'shop', 'shop');

  const ready = await waitFor(() => (cond(st(), 'Ready')?.status === 'True' && st().rejectedClaims?.length === 1 ? st() : undefined), 10_000, () => `status: ${JSON.stringify(st())}\n${logTail()}`);
  t.deepEqual(ready.endpoints, ['10.0.1.1', '10.0.2.1']);
  t.deepEqual(ready.clusterEndpoints, { east: ['10.0.1.1'], west: ['10.0.2.1'] });
  const rejected = ready.rejectedClaims?.[0];
  t.like(rejected, { cluster: 'east', namespace: 'sandbox', kind: 'Ingress', name: 'try' });
  t.regex(rejected?.reason ?? '', /namespace sandbox of cluster east \(labels: tier=test\) does not match the namespaceSelector "tier=web"/);

  // The sandbox is relabelled into the selection: its claim is published.
  east.apply(namespace('sandbox', { labels: { tier: 'web' } }));
  const widened = await waitFor(() => (st().endpoints?.includes('10.0.1.66') ? st() : undefined), 10_000, () => `status: ${JSON.stringify(st())}\n${logTail()}`);
  t.deepEqual(widened.endpoints, ['10.0.1.1', '10.0.1.66', '10.0.2.1']);
  t.deepEqual(widened.rejectedClaims, []);

  // The shop namespace of east loses its label: its claim is rejected and withdrawn.
  east.apply(namespace('shop', {}));
  const narrowed = await waitFor(() => (st().rejectedClaims?.length === 1 && !st().endpoints?.includes('10.0.1.1') ? st() : undefined), 10_000, () => `status: ${JSON.stringify(st())}`);
  t.like(narrowed.rejectedClaims?.[0], { cluster: 'east', namespace: 'shop', name: 'web' });
  t.regex(narrowed.rejectedClaims?.[0]?.reason ?? '', /\(labels: none\) does not match the namespaceSelector "tier=web"/);
});
