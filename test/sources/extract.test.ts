import test from 'ava';
import { extractEndpoint, namespaceProject } from '../../src/sources/index.js';

const ctx = { cluster: 'east', projectOf: (ns: string) => (ns === 'shop' ? 'c-abc12:p-xyz34' : undefined) };

const ingress = (annotations: Record<string, string>, extra: Record<string, unknown> = {}) => ({
  apiVersion: 'networking.k8s.io/v1',
  kind: 'Ingress',
  metadata: { name: 'web', namespace: 'shop', annotations },
  status: { loadBalancer: { ingress: [{ ip: '192.0.2.10' }, { hostname: 'LB.Cloud.Example.' }, { ip: '2001:DB8::1' }, { ip: '192.0.2.10' }] } },
  ...extra,
});

test('an annotated Ingress becomes an endpoint', (t) => {
  const r = extractEndpoint(
    ingress({ 'globaldns.io/hostname': 'Shop.Example.Test, api.example.test,', 'rancher.io/globalDNS.hostname': 'legacy.example.test', 'globaldns.io/ttl': '60' }),
    ctx,
  );
  t.deepEqual(r.problems, []);
  t.deepEqual(r.endpoint, {
    cluster: 'east',
    namespace: 'shop',
    project: 'c-abc12:p-xyz34',
    kind: 'Ingress',
    name: 'web',
    hostnames: ['api.example.test', 'legacy.example.test', 'shop.example.test'],
    targets: ['192.0.2.10', '2001:db8::1', 'lb.cloud.example'],
    ttl: 60,
  });
});

test('single-label load-balancer hostnames (localhost, a search-domain name) are targets; garbage is not', (t) => {
  const lbs = ['localhost', 'LB-1.', 'my-lb', 'bad_lb!', '*.lb.example', '-lb', 'a..b', '10.1', '167772161', 'x'.repeat(64), ''];
  const r = extractEndpoint(
    ingress({ 'globaldns.io/hostname': 'shop.example.test' }, { status: { loadBalancer: { ingress: lbs.map((hostname) => ({ hostname })) } } }),
    ctx,
  );
  t.deepEqual(r.endpoint?.targets, ['lb-1', 'localhost', 'my-lb']);
  t.deepEqual(r.problems, ['bad_lb!', '*.lb.example', '-lb', 'a..b', '10.1', '167772161', 'x'.repeat(64)].map((h) => `invalid load-balancer hostname "${h}"`));
  // a claimed (published) hostname still needs two labels
  t.deepEqual(extractEndpoint(ingress({ 'globaldns.io/hostname': 'localhost' }), ctx).problems, ['invalid hostname "localhost"']);
});

test('objects that claim nothing contribute nothing, silently', (t) => {
  t.deepEqual(extractEndpoint(ingress({}), ctx), { problems: [] });
  t.deepEqual(extractEndpoint({ kind: 'Deployment', metadata: { name: 'x' } }, ctx), { problems: [] });
  const svc = { kind: 'Service', metadata: { name: 's', annotations: { 'globaldns.io/hostname': 's.example.test' } }, spec: { type: 'ClusterIP' } };
  t.deepEqual(extractEndpoint(svc, ctx), { problems: [] });
});

test('a LoadBalancer Service is an endpoint; namespace defaults to default', (t) => {
  const svc = {
    apiVersion: 'v1',
    kind: 'Service',
    metadata: { name: 's', annotations: { 'globaldns.io/hostname': 's.example.test' } },
    spec: { type: 'LoadBalancer' },
    status: { loadBalancer: { ingress: [{ ip: '198.51.100.7' }] } },
  };
  const r = extractEndpoint(svc, ctx);
  t.like(r.endpoint, { kind: 'Service', namespace: 'default', targets: ['198.51.100.7'] });
  t.is(r.endpoint?.project, undefined);
});

test('invalid hostnames are dropped one by one with a reason', (t) => {
  const r = extractEndpoint(ingress({ 'globaldns.io/hostname': 'ok.example.test,bad_host!,-x-.example.test' }), ctx);
  t.deepEqual(r.endpoint?.hostnames, ['ok.example.test']);
  t.deepEqual(r.problems, ['invalid hostname "bad_host!"', 'invalid hostname "-x-.example.test"']);
  const none = extractEndpoint(ingress({ 'globaldns.io/hostname': 'nope' }), ctx);
  t.is(none.endpoint, undefined);
  t.deepEqual(none.problems, ['invalid hostname "nope"']);
});

test('a bad ttl or a missing name skips the object', (t) => {
  const r = extractEndpoint(ingress({ 'globaldns.io/hostname': 'a.example.test', 'globaldns.io/ttl': '5m' }), ctx);
  t.is(r.endpoint, undefined);
  t.deepEqual(r.problems, ['globaldns.io/ttl must be an integer 0..2147483647, got "5m"']);
  const noName = extractEndpoint({ kind: 'Ingress', metadata: { annotations: { 'globaldns.io/hostname': 'a.example.test' } } }, ctx);
  t.deepEqual(noName, { problems: ['missing metadata.name'] });
});

test('namespace project: annotation wins over label', (t) => {
  t.deepEqual(namespaceProject({ kind: 'Namespace', metadata: { name: 'a', labels: { 'field.cattle.io/projectId': 'p-1' } } }), { name: 'a', project: 'p-1' });
  t.deepEqual(
    namespaceProject({ kind: 'Namespace', metadata: { name: 'a', labels: { 'field.cattle.io/projectId': 'p-1' }, annotations: { 'field.cattle.io/projectId': 'c-1:p-1' } } }),
    { name: 'a', project: 'c-1:p-1' },
  );
  t.deepEqual(namespaceProject({ kind: 'Namespace', metadata: { name: 'a' } }), { name: 'a' });
  t.is(namespaceProject({ kind: 'Ingress', metadata: { name: 'a' } }), undefined);
});
