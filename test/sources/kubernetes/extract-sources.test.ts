import test from 'ava';
import { extractEndpoint } from '../../../src/sources/index.js';
import type { ExtractContext } from '../../../src/sources/index.js';
import { ingress, service } from './fakes.js';

const ctx = (hostnameSources?: ExtractContext['hostnameSources']): ExtractContext => ({ cluster: 'east', projectOf: () => undefined, hostnameSources });

const externalDns = ingress({
  name: 'web',
  ips: ['192.0.2.1'],
  annotations: { 'external-dns.alpha.kubernetes.io/hostname': 'a.example.test,b.example.test', 'external-dns.kubernetes.io/hostname': 'c.example.test' },
});

test('external-dns annotations claim only where the cluster opts in', (t) => {
  t.is(extractEndpoint(externalDns, ctx()).endpoint, undefined);
  t.is(extractEndpoint(externalDns, ctx({ externalDnsAnnotations: false, ingressRules: true })).endpoint, undefined);
  const e = extractEndpoint(externalDns, ctx({ externalDnsAnnotations: true })).endpoint;
  t.deepEqual(e?.hostnames, ['a.example.test', 'b.example.test', 'c.example.test']);
  const svc = { ...service({ name: 'lb', hosts: 'x.example.test', ips: ['192.0.2.2'] }) };
  svc.metadata = { name: 'lb', namespace: 'default', annotations: { 'external-dns.alpha.kubernetes.io/hostname': 'svc.example.test' } };
  t.deepEqual(extractEndpoint(svc, ctx({ externalDnsAnnotations: true })).endpoint?.hostnames, ['svc.example.test']);
});

test('spec.rules[].host claims only where the cluster opts in, and only on Ingresses', (t) => {
  const obj = ingress({ name: 'web', ips: ['192.0.2.1'], rules: ['Shop.Example.Test', '*.apps.example.test', 'shop.example.test'] });
  t.is(extractEndpoint(obj, ctx({ externalDnsAnnotations: true })).endpoint, undefined);
  t.deepEqual(extractEndpoint(obj, ctx({ ingressRules: true })).endpoint?.hostnames, ['*.apps.example.test', 'shop.example.test']);
  const withAnnotation = ingress({ name: 'web', hosts: 'extra.example.test', ips: ['192.0.2.1'], rules: ['shop.example.test'] });
  t.deepEqual(extractEndpoint(withAnnotation, ctx({ ingressRules: true })).endpoint?.hostnames, ['extra.example.test', 'shop.example.test']);
  const svc = { ...service({ name: 'lb', hosts: 'x.example.test', ips: ['192.0.2.2'] }), spec: { type: 'LoadBalancer', rules: [{ host: 'no.example.test' }] } };
  t.deepEqual(extractEndpoint(svc, ctx({ ingressRules: true })).endpoint?.hostnames, ['x.example.test']);
});

test('invalid hostnames from any source are reported one by one and skipped', (t) => {
  const obj = ingress({
    name: 'web',
    ips: ['192.0.2.1'],
    rules: ['ok.example.test', 'not valid.example.test'],
    annotations: { 'external-dns.alpha.kubernetes.io/hostname': 'under_score!.example.test' },
  });
  const { endpoint, problems } = extractEndpoint(obj, ctx({ externalDnsAnnotations: true, ingressRules: true }));
  t.deepEqual(endpoint?.hostnames, ['ok.example.test']);
  t.deepEqual(problems.sort(), ['invalid hostname "not valid.example.test"', 'invalid hostname "under_score!.example.test"']);
});
