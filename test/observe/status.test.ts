// The status report (what /api/v1/status, the dashboard and `globaldns status` show) is built
// from the live store; its lists come in a fixed order, whatever order the watches delivered.
import test from 'ava';
import type { Endpoint } from '../../src/model/index.js';
import { buildStatus } from '../../src/observe/index.js';

const ep = (cluster: string, namespace: string, name: string, ip: string): Endpoint => ({ cluster, namespace, kind: 'Ingress', name, hostnames: ['shop.example.test'], targets: [ip] });

test('endpoints of a name are listed by cluster, namespace, kind and name, not by arrival', (t) => {
  const arrived = [ep('west', 'shop', 'web', '192.0.2.20'), ep('east', 'shop', 'web-b', '192.0.2.11'), ep('east', 'apps', 'web', '192.0.2.12'), ep('east', 'shop', 'web-a', '192.0.2.10')];
  const report = buildStatus({
    version: 'test',
    clusters: () => [],
    endpoints: { names: () => ['shop.example.test'], byName: () => arrived },
    entries: () => [],
    entryFor: () => undefined,
    readiness: () => ({ sourcesSynced: true, snapshotLoaded: true, listenersBound: true }),
  });
  const listed = report.names.find((n) => n.fqdn === 'shop.example.test')!.endpoints.map((e) => `${e.cluster}/${e.namespace}/${e.name}`);
  t.deepEqual(listed, ['east/apps/web', 'east/shop/web-a', 'east/shop/web-b', 'west/shop/web']);
  t.deepEqual(arrived.map((e) => e.cluster), ['west', 'east', 'east', 'east'], 'the store is not reordered');
});
