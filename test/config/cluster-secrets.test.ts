// The clusterSecrets section and management.secretNamespace.
import test from 'ava';
import { parseConfig } from '../../src/config/index.js';
import { problemsOf as problems } from './problems.js';

const base = { baseDir: '/srv/gdns' };

const problemsOf = (text: string): string[] => problems(text, base);

const management = `
management:
  inCluster: true
  secretNamespace: globaldns-system
`;

test('clusterSecrets: defaults, the per-cluster options, and secretNamespace passed through', (t) => {
  const c = parseConfig(
    `
sources: { gracePeriod: 2m, watchdogSeconds: 30 }
clusterSecrets:
  namespace: globaldns-system
  hostnameSources: { ingressRules: true }
  namespaceSelector: "env in (prod)"
  gracePeriod: 10m
${management}`,
    base,
  );
  t.is(c.management?.secretNamespace, 'globaldns-system');
  t.is(c.clusterSecrets?.namespace, 'globaldns-system');
  t.is(c.clusterSecrets?.labelSelector, 'globaldns.io/kubeconfig=true');
  t.deepEqual(c.clusterSecrets?.options.hostnameSources, { externalDnsAnnotations: false, ingressRules: true });
  t.is(c.clusterSecrets?.options.gracePeriodMs, 600_000);
  t.is(c.clusterSecrets?.options.watchdogMs, 30_000, 'the sources default where the section says nothing');
  t.truthy(c.clusterSecrets?.options.namespaceSelector);
  t.is(parseConfig(`management: { inCluster: true }`, base).management?.secretNamespace, undefined);
});

test('clusterSecrets needs the management section, a namespace, a valid selector and known keys', (t) => {
  t.deepEqual(problemsOf(`clusterSecrets: { namespace: globaldns-system }`), [
    'clusterSecrets: needs the "management" section (the kubeconfig Secrets are read from the management cluster with its credentials)',
  ]);
  t.deepEqual(problemsOf(`clusterSecrets: { labelSelector: "a in (", kubeconfig: x }${management}`).sort(), [
    'clusterSecrets.labelSelector: not a label selector: unbalanced "("',
    'clusterSecrets.namespace: required',
    'clusterSecrets: unknown key "kubeconfig"',
  ]);
  t.deepEqual(problemsOf(`management: { inCluster: true, secretNamespace: Not_A_Namespace }`), ['management.secretNamespace: must be a namespace name']);
});

test('with clusterSecrets an entry may target a cluster only a Secret defines; without, it is unknown', (t) => {
  const entries = `
zones: [{ apex: example.test }]
entries: [{ fqdn: shop.example.test, targets: [{ cluster: east }] }]
`;
  t.is(parseConfig(`${entries}clusterSecrets: { namespace: globaldns-system }${management}`, base).entries.length, 1);
  t.deepEqual(problemsOf(entries), ['entries[0].targets[0].cluster: unknown cluster "east"']);
});
