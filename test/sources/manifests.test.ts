import test from 'ava';
import { endpointsFromObjects, formatProblem, parseManifestText } from '../../src/sources/index.js';

const file = '/m/shop.yaml';

const text = `
apiVersion: v1
kind: Namespace
metadata:
  name: shop
  labels:
    field.cattle.io/projectId: p-xyz34
---
apiVersion: networking.k8s.io/v1
kind: Ingress
metadata:
  name: web
  namespace: shop
  annotations:
    globaldns.io/hostname: shop.example.test
status:
  loadBalancer:
    ingress: [{ ip: 192.0.2.10 }]
---
this: is: not: yaml
---
apiVersion: v1
kind: List
items:
  - apiVersion: v1
    kind: Service
    metadata: { name: lb, annotations: { globaldns.io/hostname: lb.example.test } }
    spec: { type: LoadBalancer }
    status: { loadBalancer: { ingress: [{ hostname: lb.cloud.example }] } }
  - apiVersion: v1
    kind: Service
    metadata: { name: internal, annotations: { globaldns.io/hostname: internal.example.test } }
    spec: { type: ClusterIP }
---
kind: Ingress
metadata:
  annotations: { globaldns.io/hostname: noname.example.test }
---
kind: Ingress
metadata:
  name: badttl
  annotations: { globaldns.io/hostname: t.example.test, globaldns.io/ttl: "-1" }
---
- a list, not an object
---
`;

test('multi-document files: good objects kept, broken documents reported with their number', (t) => {
  const parsed = parseManifestText(text, file);
  t.deepEqual(
    parsed.objects.map((o) => [o.document, o.object.kind]),
    [
      [1, 'Namespace'],
      [2, 'Ingress'],
      [4, 'Service'],
      [4, 'Service'],
      [5, 'Ingress'],
      [6, 'Ingress'],
    ],
  );
  t.is(parsed.problems.length, 2);
  t.like(parsed.problems[0], { file, document: 3 });
  t.regex(parsed.problems[0].reason, /^YAML error: /);
  t.deepEqual(parsed.problems[1], { file, document: 7, reason: 'not a Kubernetes object (expected a mapping)' });

  const { endpoints, problems } = endpointsFromObjects('east', parsed.objects);
  t.deepEqual(endpoints, [
    { cluster: 'east', namespace: 'shop', project: 'p-xyz34', namespaceLabels: { 'field.cattle.io/projectId': 'p-xyz34' }, kind: 'Ingress', name: 'web', hostnames: ['shop.example.test'], targets: ['192.0.2.10'] },
    { cluster: 'east', namespace: 'default', kind: 'Service', name: 'lb', hostnames: ['lb.example.test'], targets: ['lb.cloud.example'] },
  ]);
  t.deepEqual(problems.map(formatProblem), [
    '/m/shop.yaml: document 5: Ingress default/?: missing metadata.name',
    '/m/shop.yaml: document 6: Ingress default/badttl: globaldns.io/ttl must be an integer 0..2147483647, got "-1"',
  ]);
});

test('JSON manifests and a project from a namespace in another file', (t) => {
  const a = parseManifestText(JSON.stringify({ kind: 'Namespace', metadata: { name: 'n', annotations: { 'field.cattle.io/projectId': 'c-1:p-2' } } }), '/m/ns.json');
  const b = parseManifestText(
    JSON.stringify({ kind: 'Ingress', metadata: { name: 'i', namespace: 'n', annotations: { 'globaldns.io/hostname': 'x.example.test' } } }),
    '/m/ing.json',
  );
  const { endpoints } = endpointsFromObjects('west', [...a.objects, ...b.objects]);
  t.is(endpoints[0].project, 'c-1:p-2');
  t.deepEqual(endpoints[0].targets, []);
});

test('the same object twice is reported and the first is kept', (t) => {
  const obj = (ip: string) => JSON.stringify({ kind: 'Ingress', metadata: { name: 'i', annotations: { 'globaldns.io/hostname': 'x.example.test' } }, status: { loadBalancer: { ingress: [{ ip }] } } });
  const { endpoints, problems } = endpointsFromObjects('east', [...parseManifestText(obj('192.0.2.1'), '/m/a.json').objects, ...parseManifestText(obj('192.0.2.2'), '/m/b.json').objects]);
  t.deepEqual(endpoints.map((e) => e.targets), [['192.0.2.1']]);
  t.deepEqual(problems.map(formatProblem), ['/m/b.json: document 1: Ingress default/i: defined again (first in /m/a.json document 1); ignored']);
});
