import test from 'ava';
import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { isKubeCluster, matchesLabels, parseConfig, parseDuration, parseLabelSelector } from '../../src/config/index.js';
import type { KubeClusterConfig } from '../../src/config/index.js';
import { problemsOf as problems } from './problems.js';

function kubeconfig(contexts: string[], current?: string): string {
  return [
    'apiVersion: v1',
    'kind: Config',
    `clusters: [${contexts.map((c) => `{ name: ${c}, cluster: { server: "https://127.0.0.1:6443" } }`).join(', ')}]`,
    `users: [${contexts.map((c) => `{ name: ${c}, user: { token: t } }`).join(', ')}]`,
    `contexts: [${contexts.map((c) => `{ name: ${c}, context: { cluster: ${c}, user: ${c} } }`).join(', ')}]`,
    current ? `current-context: ${current}` : '',
  ].join('\n');
}

function dir(files: Record<string, string>): string {
  const d = mkdtempSync(join(tmpdir(), 'gdns-kube-config-'));
  for (const [rel, text] of Object.entries(files)) {
    mkdirSync(join(d, rel, '..'), { recursive: true });
    writeFileSync(join(d, rel), text);
  }
  return d;
}

const problemsOf = (text: string, baseDir: string): string[] => problems(text, { baseDir });

const kube = (c: unknown): KubeClusterConfig => {
  if (typeof c !== 'object' || c === null || !isKubeCluster(c as KubeClusterConfig)) throw new Error('not a kube cluster');
  return c as KubeClusterConfig;
};

test('kubeconfig, kubeconfigDir and inCluster clusters sit beside manifest clusters', (t) => {
  const base = dir({
    'kube/all.yaml': kubeconfig(['east', 'west'], 'east'),
    'rancher/north.yaml': kubeconfig(['north'], 'north'),
    'rancher/south.yml': kubeconfig(['c-m-abc'], undefined),
    'rancher/README.md': 'not a kubeconfig',
  });
  const c = parseConfig(
    `
sources: { gracePeriod: 10m, watchdogSeconds: 30, backoff: { initial: 500ms, max: 10s } }
clusters:
  - { name: demo, manifests: demo }
  - kubeconfig: kube/all.yaml
  - name: w
    kubeconfig: kube/all.yaml
    context: west
    namespaceSelector: "globaldns=on"
    hostnameSources: { externalDnsAnnotations: true, ingressRules: true }
    gracePeriod: 300s
    watchdogSeconds: 5
  - kubeconfigDir: rancher
    gracePeriod: 90
  - { name: local, inCluster: true }
`,
    { baseDir: base },
  );
  t.deepEqual(c.sources, { gracePeriodMs: 600_000, watchdogMs: 30_000, backoff: { initialMs: 500, maxMs: 10_000 } });
  t.deepEqual(c.clusters[0], { name: 'demo', manifests: join(base, 'demo') });
  t.deepEqual(kube(c.clusters[1]), {
    name: 'east',
    connection: { kubeconfig: join(base, 'kube/all.yaml'), context: 'east' },
    hostnameSources: { externalDnsAnnotations: false, ingressRules: false },
    gracePeriodMs: 600_000,
    watchdogMs: 30_000,
  });
  const w = kube(c.clusters[2]);
  t.is(w.name, 'w');
  t.deepEqual(w.connection, { kubeconfig: join(base, 'kube/all.yaml'), context: 'west' });
  t.deepEqual(w.hostnameSources, { externalDnsAnnotations: true, ingressRules: true });
  t.is(w.gracePeriodMs, 300_000);
  t.is(w.watchdogMs, 5000);
  t.true(w.namespaceSelector !== undefined && matchesLabels(w.namespaceSelector, { globaldns: 'on' }));
  // One cluster per file: named by the context, or by the file when the context cannot be a name.
  t.deepEqual(
    c.clusters.slice(3, 5).map((x) => [x.name, kube(x).connection, kube(x).gracePeriodMs]),
    [
      ['north', { kubeconfig: join(base, 'rancher/north.yaml'), context: 'north' }, 90_000],
      ['c-m-abc', { kubeconfig: join(base, 'rancher/south.yml'), context: 'c-m-abc' }, 90_000],
    ],
  );
  t.deepEqual(kube(c.clusters[5]).connection, { inCluster: true });
  t.is(c.clusters.length, 6);
});

test('defaults: grace 5 minutes, watchdog 2 minutes, backoff 1 s to 30 s', (t) => {
  const base = dir({ 'k.yaml': kubeconfig(['east'], 'east') });
  const c = parseConfig('clusters:\n  - kubeconfig: k.yaml\n', { baseDir: base });
  t.deepEqual(c.sources, { gracePeriodMs: 300_000, watchdogMs: 120_000, backoff: { initialMs: 1000, maxMs: 30_000 } });
  t.is(kube(c.clusters[0]).gracePeriodMs, 300_000);
});

test('every problem of the cluster forms is reported with its path', (t) => {
  const base = dir({
    'k.yaml': kubeconfig(['east', 'west']),
    'one.yaml': kubeconfig(['east'], 'east'),
    'folder/east.yaml': kubeconfig(['east'], 'east'),
    'folder/broken.yaml': 'just: text',
    'folder/many.yaml': kubeconfig(['a', 'b']),
    'empty/.hidden': '',
  });
  const problems = problemsOf(
    `
sources: { gracePeriod: soon, watchdogSeconds: 0 }
zones: [{ apex: example.test }]
clusters:
  - kubeconfig: k.yaml
  - kubeconfig: k.yaml
    context: north
  - kubeconfig: missing.yaml
  - kubeconfig: one.yaml
    namespaceSelector: "a in (x"
    hostnameSources: { externalDns: true }
    gracePeriod: -5
  - kubeconfigDir: folder
  - kubeconfigDir: nowhere
  - kubeconfigDir: empty
  - { name: local, inCluster: yes-please }
  - { name: both, manifests: m, kubeconfig: one.yaml }
  - { name: none }
  - kubeconfig: one.yaml
    context: east
entries:
  - fqdn: shop.example.test
    targets: [{ cluster: east }, { cluster: gone }, { cluster: missing }, { cluster: north }]
`,
    base,
  );
  const expected = [
    'sources.gracePeriod: not a duration "soon" (seconds, or like "300s", "5m", "1h30m")',
    'sources.watchdogSeconds: Number must be greater than 0',
    'clusters[0].context: required: ' + join(base, 'k.yaml') + ' has no current-context (contexts: east, west)',
    'clusters[1].context: no context "north" in ' + join(base, 'k.yaml') + ' (contexts: east, west)',
    'clusters[2].kubeconfig: cannot read ' + join(base, 'missing.yaml') + ': ENOENT',
    'clusters[3].namespaceSelector: not a label selector: unbalanced "("',
    'clusters[3].hostnameSources: unknown key "externalDns"',
    'clusters[3].gracePeriod: not a duration -5 (seconds, or like "300s", "5m", "1h30m")',
    'clusters[4].kubeconfigDir: ' + join(base, 'folder/broken.yaml') + ': not a kubeconfig (no contexts list)',
    'clusters[4].kubeconfigDir: many.yaml: no current-context, and 2 contexts to choose from',
    'clusters[5].kubeconfigDir: cannot read folder ' + join(base, 'nowhere') + ': ENOENT',
    'clusters[6].kubeconfigDir: no kubeconfig files in ' + join(base, 'empty'),
    'clusters[7].inCluster: must be true',
    'clusters[8]: "manifests" and "kubeconfig" cannot be combined; one cluster, one source',
    'clusters[9]: needs one of "manifests", "kubeconfig", "kubeconfigDir", "inCluster"',
    'clusters[10].context: cluster east is already defined at clusters[4].kubeconfigDir east.yaml',
    'entries[0].targets[1].cluster: unknown cluster "gone"',
    'entries[0].targets[3].cluster: unknown cluster "north"',
  ];
  t.deepEqual([...problems].sort(), [...expected].sort());
  t.deepEqual(problemsOf('sources: { backoff: { initial: 1m, max: 1s } }', base), ['sources.backoff.initial: must not be larger than sources.backoff.max']);
});

test('label selectors: the kubectl grammar, matched as the API server does', (t) => {
  const s = parseLabelSelector('env=prod, tier in (web, api),!legacy,team,zone!=eu, app notin (x)');
  t.true(matchesLabels(s, { env: 'prod', tier: 'web', team: 'a', zone: 'us' }));
  t.true(matchesLabels(s, { env: 'prod', tier: 'api', team: 'a' }), '!= and notin select objects without the key');
  t.false(matchesLabels(s, { env: 'prod', tier: 'web', team: 'a', legacy: '' }));
  t.false(matchesLabels(s, { env: 'prod', tier: 'db', team: 'a' }));
  t.false(matchesLabels(s, { env: 'prod', tier: 'web' }));
  t.false(matchesLabels(s, { env: 'prod', tier: 'web', team: 'a', app: 'x' }));
  t.true(matchesLabels(parseLabelSelector('example.com/role==edge'), { 'example.com/role': 'edge' }));
  t.true(matchesLabels(parseLabelSelector(''), {}));
  for (const bad of ['a in ()', 'a=b=c', 'Bad Key=x', 'a in (x', 'a,,b', 'a=' + 'x'.repeat(64)]) {
    t.throws(() => parseLabelSelector(bad), undefined, bad);
  }
});

test('durations: seconds as numbers, or text with units', (t) => {
  t.is(parseDuration('300s'), 300_000);
  t.is(parseDuration('5m'), 300_000);
  t.is(parseDuration('1h30m'), 5_400_000);
  t.is(parseDuration('250ms'), 250);
  t.is(parseDuration('1.5s'), 1500);
  t.true(Number.isNaN(parseDuration('5')));
  t.true(Number.isNaN(parseDuration('five minutes')));
});
