// Three fake clusters behind a real `globaldns serve`: objects reach the embedded DNS answer.
import test from 'ava';
import { APEX, ingress, lbService, namespace, startWorld } from './kube-world.js';
import type { World } from './kube-world.js';

const SHOP = `shop.${APEX}`;
const API = `api.${APEX}`;
const PROJ = `proj.${APEX}`;

let w: World;

test.before(async () => {
  w = await startWorld({
    clusters: [{ name: 'east' }, { name: 'west' }, { name: 'north', inFolder: true }],
    entries: [
      { fqdn: SHOP, targets: [{ cluster: 'east' }, { cluster: 'west' }, { cluster: 'north' }] },
      { fqdn: API, targets: [{ cluster: 'east' }, { cluster: 'west' }, { cluster: 'north' }] },
      // east only for its project p-good; west whatever the project
      { fqdn: PROJ, targets: [{ cluster: 'east', projects: ['c-east:p-good'] }, { cluster: 'west' }] },
    ],
    seed: {
      east: [namespace('shop'), ingress({ name: 'web', namespace: 'shop', hosts: SHOP, ips: ['192.0.2.1'] })],
      north: [ingress({ name: 'web', hosts: SHOP, ips: ['203.0.113.1'] })],
    },
  });
});

test.after.always(async () => {
  await w?.close();
});

test.serial('objects listed at start are served, merged across clusters (one from a kubeconfig folder)', async (t) => {
  await w.until(SHOP, ['192.0.2.1', '203.0.113.1']);
  t.pass();
});

test.serial('Ingress add, address change and delete reach the DNS answer', async (t) => {
  w.fakes.west.apply(ingress({ name: 'web', hosts: SHOP, ips: ['198.51.100.1'] }));
  await w.until(SHOP, ['192.0.2.1', '198.51.100.1', '203.0.113.1']);
  w.fakes.west.apply(ingress({ name: 'web', hosts: SHOP, ips: ['198.51.100.2', '198.51.100.3'] }));
  const ms = await w.until(SHOP, ['192.0.2.1', '198.51.100.2', '198.51.100.3', '203.0.113.1']);
  t.true(ms < 1000, `an address change took ${ms} ms`);
  w.fakes.west.remove('Ingress', 'default', 'web');
  await w.until(SHOP, ['192.0.2.1', '203.0.113.1']);
  w.fakes.north.remove('Ingress', 'default', 'web');
  w.fakes.east.remove('Ingress', 'shop', 'web');
  await w.until(SHOP, 'NXDOMAIN');
});

test.serial('LoadBalancer Services claim names; other Service types do not', async (t) => {
  w.fakes.east.apply(lbService({ name: 'api', hosts: API, ips: ['192.0.2.10'] }));
  w.fakes.north.apply(lbService({ name: 'api', hosts: API, ips: ['203.0.113.10'] }));
  w.fakes.west.apply(lbService({ name: 'api', hosts: API, ips: ['198.51.100.10'], type: 'NodePort' }));
  await w.until(API, ['192.0.2.10', '203.0.113.10']);
  w.fakes.east.apply(lbService({ name: 'api', hosts: API, ips: ['192.0.2.10'], type: 'ClusterIP' }));
  await w.until(API, ['203.0.113.10']);
  w.fakes.west.apply(lbService({ name: 'api', hosts: API, ips: ['198.51.100.10'] }));
  await w.until(API, ['198.51.100.10', '203.0.113.10']);
  t.pass();
});

test.serial('a project-scoped entry accepts only Ingresses of its projects, following project moves', async (t) => {
  w.fakes.east.apply(namespace('good', { project: 'c-east:p-good' }));
  w.fakes.east.apply(namespace('bad', { project: 'c-east:p-bad' }));
  w.fakes.east.apply(ingress({ name: 'web', namespace: 'good', hosts: PROJ, ips: ['192.0.2.20'] }));
  w.fakes.east.apply(ingress({ name: 'web', namespace: 'bad', hosts: PROJ, ips: ['192.0.2.21'] }));
  w.fakes.west.apply(ingress({ name: 'web', hosts: PROJ, ips: ['198.51.100.20'] }));
  // north is no target of this entry at all
  w.fakes.north.apply(ingress({ name: 'web', hosts: PROJ, ips: ['203.0.113.20'] }));
  await w.until(PROJ, ['192.0.2.20', '198.51.100.20']);
  // Moving a namespace into the project admits its Ingress, moving it out withdraws it.
  w.fakes.east.apply(namespace('bad', { project: 'c-east:p-good' }));
  await w.until(PROJ, ['192.0.2.20', '192.0.2.21', '198.51.100.20']);
  w.fakes.east.apply(namespace('good', { project: 'c-east:p-other' }));
  await w.until(PROJ, ['192.0.2.21', '198.51.100.20']);
  t.true(w.logLines(/^claim rejected$/).length > 0, 'the rejected claims are logged');
});
