// Management mode: an entry naming a Rancher project that no namespace of the watched cluster
// carries says so (Ready False, UnknownProject); the status follows namespaces as they come and go.
import test from 'ava';
import { ingress, namespace } from './kube-world.js';
import { cond, EMBEDDED_APEX, embeddedProvider, startMgmtWorld, statusOf, waitFor } from './management-world.js';

function projectEntry(name: string, fqdn: string, projects: string[]): Record<string, unknown> {
  return {
    apiVersion: 'globaldns.io/v1alpha1',
    kind: 'GlobalDNS',
    metadata: { name, namespace: 'shop' },
    spec: { fqdn, ttl: 60, providerRef: 'emb', targets: [{ projects }] },
  };
}

test('a target project no namespace carries → Ready False UnknownProject; it follows the namespaces', async (t) => {
  const w = await startMgmtWorld();
  t.teardown(() => w.close());
  const { mgmt, east } = w;
  east.apply(namespace('shop', { project: 'east:p-web' }));
  east.apply(ingress({ name: 'web', namespace: 'shop', hosts: `web.${EMBEDDED_APEX}`, ips: ['10.0.0.7'] }));
  mgmt.apply(embeddedProvider('emb'));
  mgmt.apply(projectEntry('web', `web.${EMBEDDED_APEX}`, ['east:p-web']));
  mgmt.apply(projectEntry('ghost', `ghost.${EMBEDDED_APEX}`, ['east:p-web', 'east:p-gone']));
  const g = await w.replica('replica-0');
  const logTail = () => g.logs().split('\n').slice(-30).join('\n');
  const entry = (name: string) => statusOf(mgmt, 'GlobalDNS', 'shop', name);

  const web = await waitFor(() => (cond(entry('web'), 'Ready')?.status === 'True' ? entry('web') : undefined), 10_000, () => `web: ${JSON.stringify(entry('web'))}\n${logTail()}`);
  t.deepEqual(web.endpoints, ['10.0.0.7']);
  const ghost = await waitFor(() => (cond(entry('ghost'), 'Ready')?.reason === 'UnknownProject' ? entry('ghost') : undefined), 10_000, () => `ghost: ${JSON.stringify(entry('ghost'))}\n${logTail()}`);
  t.is(cond(ghost, 'Ready')?.status, 'False');
  t.regex(cond(ghost, 'Ready')?.message ?? '', /project east:p-gone is carried by no namespace of cluster east/);
  t.notRegex(cond(ghost, 'Ready')?.message ?? '', /p-web/, 'the known project is not named');

  // A namespace of that project appears (nothing claims the name yet): no longer unknown.
  east.apply(namespace('gone', { project: 'east:p-gone' }));
  const found = await waitFor(() => (cond(entry('ghost'), 'Ready')?.reason !== 'UnknownProject' ? entry('ghost') : undefined), 10_000, () => `ghost: ${JSON.stringify(entry('ghost'))}`);
  t.is(cond(found, 'Ready')?.reason, 'NoEndpoints');

  // The project's namespaces vanish: the entry says so, even with its records still claimed elsewhere.
  east.remove('Namespace', undefined, 'shop');
  const vanished = await waitFor(() => (cond(entry('web'), 'Ready')?.reason === 'UnknownProject' ? entry('web') : undefined), 10_000, () => `web: ${JSON.stringify(entry('web'))}`);
  t.regex(cond(vanished, 'Ready')?.message ?? '', /project east:p-web is carried by no namespace of cluster east/);
});
