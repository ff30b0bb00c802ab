// Management-cluster mode end to end: GlobalDNS / GlobalDNSProvider resources in a fake
// management cluster, Ingresses in two fake workload clusters, a real `globaldns serve` and the
// Route53 simulator. Statuses must tell the truth at every step.
import test from 'ava';
import { ingress } from './kube-world.js';
import { cond, credentialsSecret, EMBEDDED_APEX, embeddedProvider, globalDns, route53Provider, simRecords, startMgmtWorld, statusOf, waitFor } from './management-world.js';
import type { EntryStatus } from './management-world.js';
import { buildQuery, decode, udpExchange } from '../support/wire.js';

test('resources → Route53 records and the embedded zone, with truthful statuses, rejected claims, conflicts and Events', async (t) => {
  const w = await startMgmtWorld();
  t.teardown(() => w.close());
  const { mgmt, east, west, sim, zoneId } = w;

  // Someone else's records: another name, the same name with another type, a name we will want.
  sim.seed(zoneId, { name: 'other.example.org', type: 'A', ttl: 300, values: ['192.0.2.1'] });
  sim.seed(zoneId, { name: 'www.example.org', type: 'TXT', ttl: 300, values: ['"v=spf1 -all"'] });
  sim.seed(zoneId, { name: 'taken.example.org', type: 'A', ttl: 300, values: ['192.0.2.9'] });
  const foreign = () => [simRecords(sim, zoneId, 'other.example.org'), simRecords(sim, zoneId, 'taken.example.org'), simRecords(sim, zoneId, 'www.example.org').filter((r) => r.includes('spf1'))];
  const foreignBefore = foreign();

  east.apply(ingress({ name: 'web', namespace: 'shop', hosts: 'www.example.org', ips: ['203.0.113.10'] }));
  west.apply(ingress({ name: 'web', namespace: 'shop', hosts: 'www.example.org', ips: ['203.0.113.20'] }));
  east.apply(ingress({ name: 'api', namespace: 'shop', hosts: 'api.example.org', ips: ['203.0.113.11'] }));
  west.apply(ingress({ name: 'api-rogue', namespace: 'team-b', hosts: 'api.example.org', ips: ['198.51.100.66'] }));
  east.apply(ingress({ name: 'taken', namespace: 'shop', hosts: 'taken.example.org', ips: ['203.0.113.12'] }));
  east.apply(ingress({ name: 'intra', namespace: 'shop', hosts: `app.${EMBEDDED_APEX}`, ips: ['10.0.0.5'] }));

  // The entry exists before its provider does.
  mgmt.apply(globalDns('shop', 'web', 'www.example.org', 'route53-main', ['east', 'west']));
  const g = await w.replica('replica-0');
  const entry = (name: string): EntryStatus => statusOf(mgmt, 'GlobalDNS', 'shop', name);
  const logTail = () => g.logs().split('\n').slice(-30).join('\n');

  const noProvider = await waitFor(() => (cond(entry('web'), 'Ready') ? entry('web') : undefined), 10_000, () => `web status: ${JSON.stringify(entry('web'))}\n${logTail()}`);
  t.is(cond(noProvider, 'Ready')?.status, 'False');
  t.is(cond(noProvider, 'ProviderReady')?.reason, 'ProviderNotFound');
  t.is(cond(noProvider, 'RecordsSynced')?.status, 'False');
  t.is(cond(noProvider, 'Ready')?.observedGeneration, 1);
  t.deepEqual(simRecords(sim, zoneId, 'www.example.org').filter((r) => r.startsWith('A ')), [], 'nothing written without a provider');

  // Provider and credentials arrive; more entries.
  mgmt.apply(credentialsSecret());
  mgmt.apply(route53Provider('route53-main'));
  mgmt.apply(globalDns('shop', 'api', 'api.example.org', 'route53-main', ['east']));
  mgmt.apply(globalDns('shop', 'taken', 'taken.example.org', 'route53-main', ['east']));

  await waitFor(() => (simRecords(sim, zoneId, 'www.example.org').includes('A 60 203.0.113.10 203.0.113.20') ? true : undefined), 10_000, () => `www records: ${simRecords(sim, zoneId, 'www.example.org').join(' | ')}\n${logTail()}`);
  const web = await waitFor(() => (cond(entry('web'), 'Ready')?.status === 'True' ? entry('web') : undefined), 10_000, () => `web status: ${JSON.stringify(entry('web'))}`);
  t.is(cond(web, 'ProviderReady')?.status, 'True');
  t.is(cond(web, 'RecordsSynced')?.status, 'True');
  t.deepEqual(web.clusterEndpoints, { east: ['203.0.113.10'], west: ['203.0.113.20'] });
  t.deepEqual(web.endpoints, ['203.0.113.10', '203.0.113.20']);
  t.deepEqual(web.rejectedClaims, []);
  // Our ownership TXT record sits next to the records (the owner is the provider's name).
  const txt = sim.records(zoneId).filter((r) => r.type === 'TXT' && r.values?.some((v) => v.includes('route53-main')));
  t.true(txt.some((r) => r.name.includes('www.example.org')), `ownership TXT for www: ${JSON.stringify(txt)}`);

  // The claim from a cluster the entry does not target is rejected, shown in status, never published.
  const api = await waitFor(() => (cond(entry('api'), 'Ready')?.status === 'True' ? entry('api') : undefined), 10_000, () => `api status: ${JSON.stringify(entry('api'))}`);
  t.deepEqual(api.endpoints, ['203.0.113.11']);
  t.is(api.rejectedClaims?.length, 1);
  t.like(api.rejectedClaims?.[0], { cluster: 'west', namespace: 'team-b', kind: 'Ingress', name: 'api-rogue' });
  t.regex(api.rejectedClaims?.[0]?.reason ?? '', /not a target/);
  t.deepEqual(simRecords(sim, zoneId, 'api.example.org').filter((r) => r.startsWith('A ')), ['A 60 203.0.113.11']);

  // A name held by a foreign record is a conflict: status and a Warning Event, the record untouched.
  const taken = await waitFor(() => (cond(entry('taken'), 'RecordsSynced')?.reason === 'Conflict' ? entry('taken') : undefined), 10_000, () => `taken status: ${JSON.stringify(entry('taken'))}`);
  t.is(cond(taken, 'Ready')?.status, 'False');
  const events = await waitFor(
    () => {
      const es = mgmt.list('Event').filter((e) => (e.involvedObject as { name?: string } | undefined)?.name === 'taken');
      return es.length > 0 ? es : undefined;
    },
    5000,
    () => 'no Event about GlobalDNS shop/taken',
  );
  t.is(events[0]?.type, 'Warning');
  t.is(events[0]?.reason, 'RecordConflict');
  // The same failure in the metrics, as in standalone mode.
  const conflicts = await waitFor(
    async () => {
      const text = await (await fetch(`${g.adminUrl}/metrics`)).text();
      const m = /^globaldns_provider_sync_errors_total\{provider="route53-main",reason="Conflict"\} (\d+)$/m.exec(text);
      return m && Number(m[1]) >= 1 ? Number(m[1]) : undefined;
    },
    5000,
    () => 'globaldns_provider_sync_errors_total has no Conflict for route53-main',
  );
  t.true(conflicts >= 1);

  // Provider status.
  const prov = await waitFor(() => (cond(statusOf(mgmt, 'GlobalDNSProvider', undefined, 'route53-main'), 'Ready')?.status === 'True' ? statusOf(mgmt, 'GlobalDNSProvider', undefined, 'route53-main') : undefined), 5000, () => 'provider status');
  t.is(prov.entries, 3);
  t.is(prov.zones?.length, 1);
  t.regex(prov.zones?.[0] ?? '', /^example\.org \(/);

  // An embedded provider and entry: every replica serves it.
  mgmt.apply(embeddedProvider('embedded'));
  mgmt.apply(globalDns('shop', 'intra', `app.${EMBEDDED_APEX}`, 'embedded', ['east']));
  const answer = async () => {
    const res = await udpExchange(g.port, buildQuery(`app.${EMBEDDED_APEX}`, { type: 'A', rd: false }), { timeoutMs: 500 });
    const m = res ? decode(res.reply) : undefined;
    const values = (m?.answers ?? []).flatMap((r) => (r.type === 'A' ? [String(r.data)] : []));
    return values.length > 0 ? values : undefined;
  };
  t.deepEqual(await waitFor(answer, 8000, () => `app.${EMBEDDED_APEX} not served\n${logTail()}`), ['10.0.0.5']);
  const intra = await waitFor(() => (cond(entry('intra'), 'Ready')?.status === 'True' ? entry('intra') : undefined), 8000, () => `intra status: ${JSON.stringify(entry('intra'))}`);
  t.is(cond(intra, 'RecordsSynced')?.reason, 'Synced');

  // An Ingress change reaches Route53 and the status; Ready keeps its transition time.
  const readySince = cond(web, 'Ready')?.lastTransitionTime;
  west.apply(ingress({ name: 'web', namespace: 'shop', hosts: 'www.example.org', ips: ['203.0.113.21'] }));
  await waitFor(() => (simRecords(sim, zoneId, 'www.example.org').includes('A 60 203.0.113.10 203.0.113.21') ? true : undefined), 8000, () => `www records: ${simRecords(sim, zoneId, 'www.example.org').join(' | ')}`);
  const moved = await waitFor(() => (entry('web').clusterEndpoints?.west?.[0] === '203.0.113.21' ? entry('web') : undefined), 8000, () => `web status: ${JSON.stringify(entry('web'))}`);
  t.is(cond(moved, 'Ready')?.status, 'True');
  t.is(cond(moved, 'Ready')?.lastTransitionTime, readySince);

  // An entry in a namespace the provider does not allow: its own status says so.
  mgmt.apply(route53Provider('route53-team', { allowedNamespaces: ['team-a'] }));
  mgmt.apply(globalDns('shop', 'blocked', 'blocked.example.org', 'route53-team', ['east']));
  const blocked = await waitFor(() => (cond(entry('blocked'), 'ProviderReady')?.reason === 'ProviderNotAllowed' ? entry('blocked') : undefined), 8000, () => `blocked status: ${JSON.stringify(entry('blocked'))}`);
  t.is(cond(blocked, 'Ready')?.status, 'False');
  t.regex(cond(blocked, 'Ready')?.message ?? '', /does not allow entries of namespace shop/);

  // A deleted GlobalDNS takes its records (and only its) with it.
  mgmt.remove('GlobalDNS', 'shop', 'api');
  const apiSets = () => sim.records(zoneId).filter((r) => r.name.includes('api.example.org'));
  await waitFor(() => (apiSets().length === 0 ? true : undefined), 8000, () => `api records: ${JSON.stringify(apiSets())}\n${logTail()}`);
  t.deepEqual(simRecords(sim, zoneId, 'www.example.org').filter((r) => r.startsWith('A ')), ['A 60 203.0.113.10 203.0.113.21']);

  // The provider is deleted while entries use it: they say so.
  mgmt.remove('GlobalDNSProvider', undefined, 'route53-main');
  const gone = await waitFor(() => (cond(entry('web'), 'ProviderReady')?.reason === 'ProviderNotFound' ? entry('web') : undefined), 8000, () => `web status: ${JSON.stringify(entry('web'))}`);
  t.is(cond(gone, 'Ready')?.status, 'False');

  t.deepEqual(foreign(), foreignBefore, 'records of others untouched');
});
