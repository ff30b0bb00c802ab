// Management mode: deleting a GlobalDNSProvider that entries still use is refused with a clear
// status (the `globaldns.io/provider-in-use` finalizer) and its records stay managed; once the
// last entry is gone its records are deleted and the deletion completes.
import test from 'ava';
import { ingress } from './kube-world.js';
import { cond, credentialsSecret, globalDns, route53Provider, simRecords, startMgmtWorld, statusOf, waitFor } from './management-world.js';

const FINALIZER = 'globaldns.io/provider-in-use';

function finalizers(o: Record<string, unknown> | undefined): string[] {
  const m = o?.metadata as { finalizers?: string[] } | undefined;
  return m?.finalizers ?? [];
}

test('a provider in use: the finalizer holds its deletion, its status says why, its records stay managed; unused, it goes', async (t) => {
  const w = await startMgmtWorld();
  t.teardown(() => w.close());
  const { mgmt, east, west, sim, zoneId } = w;
  east.apply(ingress({ name: 'web', namespace: 'shop', hosts: 'www.example.org', ips: ['203.0.113.10'] }));
  west.apply(ingress({ name: 'web', namespace: 'shop', hosts: 'www.example.org', ips: ['203.0.113.20'] }));
  east.apply(ingress({ name: 'api', namespace: 'shop', hosts: 'api.example.org', ips: ['203.0.113.11'] }));
  mgmt.apply(credentialsSecret());
  mgmt.apply(route53Provider('route53-main'));
  mgmt.apply(route53Provider('spare'));
  mgmt.apply(globalDns('shop', 'web', 'www.example.org', 'route53-main', ['east', 'west']));
  mgmt.apply(globalDns('shop', 'api', 'api.example.org', 'route53-main', ['east']));
  const g = await w.replica('replica-0');
  const logTail = () => g.logs().split('\n').slice(-30).join('\n');
  const provider = (name: string) => mgmt.get('GlobalDNSProvider', undefined, name);

  // The leader puts the finalizer on every provider, used or not.
  await waitFor(() => (finalizers(provider('route53-main')).includes(FINALIZER) && finalizers(provider('spare')).includes(FINALIZER) ? true : undefined), 10_000, () => `finalizers: ${JSON.stringify([provider('route53-main')?.metadata, provider('spare')?.metadata])}\n${logTail()}`);
  await waitFor(() => (simRecords(sim, zoneId, 'www.example.org').includes('A 60 203.0.113.10 203.0.113.20') ? true : undefined), 10_000, () => `www: ${simRecords(sim, zoneId, 'www.example.org').join(' | ')}\n${logTail()}`);
  await waitFor(() => (simRecords(sim, zoneId, 'api.example.org').includes('A 60 203.0.113.11') ? true : undefined), 10_000, () => `api: ${simRecords(sim, zoneId, 'api.example.org').join(' | ')}`);

  // An unused provider is deleted at once (the leader takes its finalizer off).
  t.truthy(mgmt.delete('GlobalDNSProvider', undefined, 'spare'), 'held by the finalizer at first');
  await waitFor(() => (provider('spare') === undefined ? true : undefined), 10_000, () => `spare: ${JSON.stringify(provider('spare'))}\n${logTail()}`);

  // Deleting the used provider: refused, and the status says by whom.
  t.truthy(mgmt.delete('GlobalDNSProvider', undefined, 'route53-main'));
  const blocked = await waitFor(
    () => {
      const st = statusOf(mgmt, 'GlobalDNSProvider', undefined, 'route53-main');
      return cond(st, 'Ready')?.reason === 'DeletionBlocked' ? st : undefined;
    },
    10_000,
    () => `provider status: ${JSON.stringify(statusOf(mgmt, 'GlobalDNSProvider', undefined, 'route53-main'))}\n${logTail()}`,
  );
  t.is(cond(blocked, 'Ready')?.status, 'False');
  t.regex(cond(blocked, 'Ready')?.message ?? '', /GlobalDNS shop\/api, GlobalDNS shop\/web/);
  t.truthy(provider('route53-main'), 'still there');
  t.true(finalizers(provider('route53-main')).includes(FINALIZER));

  // Records stay managed: a change of an endpoint still reaches Route53, entries stay Ready.
  west.apply(ingress({ name: 'web', namespace: 'shop', hosts: 'www.example.org', ips: ['203.0.113.21'] }));
  await waitFor(() => (simRecords(sim, zoneId, 'www.example.org').includes('A 60 203.0.113.10 203.0.113.21') ? true : undefined), 10_000, () => `www: ${simRecords(sim, zoneId, 'www.example.org').join(' | ')}\n${logTail()}`);
  await waitFor(() => (cond(statusOf(mgmt, 'GlobalDNS', 'shop', 'web'), 'Ready')?.status === 'True' ? true : undefined), 10_000, () => `web: ${JSON.stringify(statusOf(mgmt, 'GlobalDNS', 'shop', 'web'))}`);

  // One entry left: the message follows.
  mgmt.remove('GlobalDNS', 'shop', 'api');
  await waitFor(
    () => (cond(statusOf(mgmt, 'GlobalDNSProvider', undefined, 'route53-main'), 'Ready')?.message.includes('still used by GlobalDNS shop/web;') ? true : undefined),
    10_000,
    () => `provider status: ${JSON.stringify(statusOf(mgmt, 'GlobalDNSProvider', undefined, 'route53-main'))}`,
  );
  await waitFor(() => (simRecords(sim, zoneId, 'api.example.org').length === 0 ? true : undefined), 10_000, () => `api: ${simRecords(sim, zoneId, 'api.example.org').join(' | ')}`);
  t.truthy(provider('route53-main'));

  // The last entry goes: its records are deleted, then the provider.
  mgmt.remove('GlobalDNS', 'shop', 'web');
  await waitFor(() => (provider('route53-main') === undefined ? true : undefined), 10_000, () => `provider: ${JSON.stringify(provider('route53-main'))}\n${logTail()}`);
  t.deepEqual(simRecords(sim, zoneId, 'www.example.org'), [], 'records of the last entry deleted before the provider went');
  t.deepEqual(
    sim.records(zoneId).filter((r) => r.type === 'TXT' && r.values?.some((v) => v.includes('route53-main'))),
    [],
    'no ownership TXT left',
  );
});
