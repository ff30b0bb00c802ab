import { readdirSync, readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import test from 'ava';
import { parse as parseYaml } from 'yaml';
import { parseGlobalDns, parseGlobalDnsProvider } from '../../src/config/index.js';
import { allowed } from './rbac.js';
import { parseObjects, renderOverlay, REPO } from './render.js';
import { schemaProblems } from './schema.js';

/**
 * The manifests operators copy: deploy/examples/ (GlobalDNS and GlobalDNSProvider through
 * globaldns' own schemas, everything else through the Kubernetes schema of its kind) and the
 * workload-cluster reader account.
 */

const EXAMPLES = resolve(REPO, 'deploy/examples');

test('every example object is valid: globaldns.io resources by parseGlobalDns / parseGlobalDnsProvider, the rest by the Kubernetes schema', (t) => {
  const files = readdirSync(EXAMPLES).filter((f) => f.endsWith('.yaml'));
  t.true(files.length >= 4, `examples: ${files.join(', ')}`);
  const kinds = new Set<string>();
  for (const f of files) {
    for (const obj of parseObjects(readFileSync(resolve(EXAMPLES, f), 'utf8'), f)) {
      kinds.add(obj.kind);
      const where = `${f}: ${obj.kind}/${obj.metadata.name}`;
      if (obj.kind === 'GlobalDNS') {
        const r = parseGlobalDns(obj);
        t.true(r.ok, `${where}: ${r.ok ? '' : r.problems.join('; ')}`);
      } else if (obj.kind === 'GlobalDNSProvider') {
        const r = parseGlobalDnsProvider(obj);
        t.true(r.ok, `${where}: ${r.ok ? '' : r.problems.join('; ')}`);
      } else {
        t.deepEqual(schemaProblems(obj), [], where);
      }
    }
  }
  t.true(kinds.has('GlobalDNS') && kinds.has('GlobalDNSProvider') && kinds.has('Secret'));
});

test('the example kubeconfig Secret is found by the label the config selects, names its cluster, and holds a kubeconfig', async (t) => {
  const [secret] = parseObjects(readFileSync(resolve(EXAMPLES, 'cluster-kubeconfig.yaml'), 'utf8'), 'cluster-kubeconfig.yaml');
  const labels = secret.metadata.labels ?? {};
  // The selector the deployed config uses (written out there; commented until the key exists).
  const config = readFileSync(resolve(REPO, 'deploy/kustomize/base/config.yaml'), 'utf8');
  const selector = /labelSelector:\s*"([^"]+)"/.exec(config)?.[1];
  t.is(selector, 'globaldns.io/kubeconfig=true');
  const [key, value] = (selector ?? '=').split('=');
  t.is(labels[key], value);
  t.is(labels['globaldns.io/cluster'], 'east');
  const objects = await renderOverlay('base');
  const namespace = objects.find((o) => o.kind === 'Deployment')?.metadata.namespace;
  t.is(secret.metadata.namespace, namespace, "in globaldns' own namespace, where its Role lets it read Secrets");
  const kubeconfig = parseYaml((secret.stringData as Record<string, string>).kubeconfig) as { kind: string; contexts: { name: string }[] };
  t.is(kubeconfig.kind, 'Config');
  t.true(kubeconfig.contexts.some((c) => c.name === (secret.stringData as Record<string, string>).context), 'the context named exists in the kubeconfig');
});

test('the workload-cluster reader may watch what globaldns reads there and nothing else', async (t) => {
  const objects = await renderOverlay('workload-reader');
  t.deepEqual(objects.flatMap(schemaProblems), []);
  const sa = 'globaldns-reader/globaldns-reader';
  const can = (verb: string, group: string, resource: string, namespace?: string): boolean => allowed(objects, { serviceAccount: sa, verb, group, resource, namespace });
  for (const [group, resource] of [['networking.k8s.io', 'ingresses'], ['', 'services'], ['', 'namespaces']]) {
    t.true(can('list', group, resource) && can('watch', group, resource), resource);
    t.false(can('create', group, resource) || can('update', group, resource) || can('delete', group, resource), `writes to ${resource}`);
  }
  t.false(can('get', '', 'secrets', 'default') || can('list', '', 'secrets'), 'no Secrets');
  t.false(can('list', '', 'pods') || can('list', '', 'configmaps'), 'nothing it does not read');
});
