// Management mode keeps a provider's optional capabilities: the leader-only wrapper around a
// resource-defined Route53 provider once forwarded zones/records/apply only, so a load-balancer
// hostname was flattened into A records (stale when the balancer's addresses change) instead
// of written as an alias.
import test from 'ava';
import { credentials, globalDns, ingress, ready, route53, startRuntimeWorld } from './management-runtime-world.js';
import { waitFor } from '../support/wait.js';

const LB = 'my-lb-123.us-east-1.elb.amazonaws.com';

test('an ELB hostname behind a Route53 GlobalDNSProvider is written as an alias by the leader', async (t) => {
  // The balancer resolves, as a real one would: flattening would write this address.
  const w = await startRuntimeWorld({ lookup: () => ({ v4: ['192.0.2.50'], v6: [] }) });
  t.teardown(() => w.close());
  w.store.upsert(ingress('east', 'web', 'shop.example.org', [LB]));
  w.mgmt.apply(credentials());
  w.mgmt.apply(route53('aws'));
  w.mgmt.apply(globalDns('web', 'shop.example.org', 'aws'));

  const a = () => w.sim.records(w.zoneId).filter((r) => r.name === 'shop.example.org.' && r.type === 'A');
  await waitFor(() => (a().length > 0 ? true : undefined), 10_000, () => `no A record\n${w.lines.slice(-20).join('\n')}`);
  t.deepEqual(a(), [{ name: 'shop.example.org.', type: 'A', alias: { hostedZoneId: 'Z35SXDOTRQ7X7K', dnsName: `${LB}.`, evaluateTargetHealth: true } }]);
  const r = await waitFor(() => (ready(w.mgmt, 'web')?.status === 'True' ? ready(w.mgmt, 'web') : undefined), 5000, () => `status: ${JSON.stringify(ready(w.mgmt, 'web'))}`);
  t.regex(r?.message ?? '', /published/);
});
