import { execFile } from 'node:child_process';
import { resolve } from 'node:path';
import test from 'ava';
import { parse as parseYaml } from 'yaml';
import { ConfigError, parseConfig } from '../../src/config/index.js';
import type { Config } from '../../src/config/index.js';
import { allowed, allRules } from './rbac.js';
import { one, renderOverlay, REPO } from './render.js';
import type { KubeObject } from './render.js';
import { schemaProblems } from './schema.js';

/**
 * The Kustomize packaging (deploy/kustomize): each overlay renders with kubectl's Kustomize,
 * every object is valid for its kind, and the properties operators rely on hold — the
 * security context, least-privilege RBAC, DNS on 53/UDP+TCP, a config that globaldns itself
 * accepts, and replicas/PDB/leader election in `ha`.
 */

const OVERLAYS = ['base', 'overlays/standalone', 'overlays/ha'] as const;
type Overlay = (typeof OVERLAYS)[number];

const rendered = new Map<Overlay, Promise<KubeObject[]>>();
function render(overlay: Overlay): Promise<KubeObject[]> {
  let p = rendered.get(overlay);
  if (!p) {
    p = renderOverlay(overlay);
    rendered.set(overlay, p);
  }
  return p;
}

// ---- the pieces the assertions read ----

interface Container {
  name: string;
  args?: string[];
  ports?: { name?: string; containerPort: number; protocol?: string }[];
  securityContext?: Record<string, unknown> & { capabilities?: { add?: string[]; drop?: string[] } };
  livenessProbe?: { httpGet?: { path: string; port: string | number } };
  readinessProbe?: { httpGet?: { path: string; port: string | number } };
  volumeMounts?: { name: string; mountPath: string; readOnly?: boolean }[];
  resources?: { requests?: Record<string, string> };
}

interface PodSpec {
  serviceAccountName?: string;
  securityContext?: Record<string, unknown> & { sysctls?: { name: string; value: string }[] };
  containers: Container[];
  volumes?: ({ name: string } & Record<string, unknown>)[];
}

function deployment(objects: KubeObject[]): { obj: KubeObject; replicas: number; labels: Record<string, string>; pod: PodSpec } {
  const obj = one(objects, 'Deployment', 'globaldns');
  const spec = obj.spec as { replicas?: number; template: { metadata: { labels: Record<string, string> }; spec: PodSpec } };
  return { obj, replicas: spec.replicas ?? 1, labels: spec.template.metadata.labels, pod: spec.template.spec };
}

function mainContainer(pod: PodSpec): Container {
  const c = pod.containers.find((x) => x.name === 'globaldns');
  if (!c) throw new Error('no container "globaldns" in the Deployment');
  return c;
}

/** `--flag=value` or `--flag value` from container args. */
function flag(args: readonly string[], name: string): string | undefined {
  for (let i = 0; i < args.length; i++) {
    if (args[i].startsWith(`${name}=`)) return args[i].slice(name.length + 1);
    if (args[i] === name) return args[i + 1];
  }
  return undefined;
}

/** The ConfigMap mounted where --config points, and the file in it. */
function configText(objects: KubeObject[]): { text: string; path: string } {
  const { pod } = deployment(objects);
  const c = mainContainer(pod);
  const path = flag(c.args ?? [], '--config');
  if (!path) throw new Error('the container runs without --config');
  const mount = (c.volumeMounts ?? []).find((m) => path.startsWith(`${m.mountPath}/`));
  if (!mount) throw new Error(`--config ${path} is on no volume mount`);
  const volume = (pod.volumes ?? []).find((v) => v.name === mount.name) as { configMap?: { name: string } } | undefined;
  if (!volume?.configMap) throw new Error(`--config ${path}: volume ${mount.name} is not a ConfigMap`);
  const cm = one(objects, 'ConfigMap', volume.configMap.name);
  const key = path.slice(mount.mountPath.length + 1);
  const text = (cm.data as Record<string, string> | undefined)?.[key];
  if (text === undefined) throw new Error(`ConfigMap ${cm.metadata.name} has no key ${key} (--config ${path})`);
  return { text, path };
}

function loadMountedConfig(objects: KubeObject[]): Config {
  const { text, path } = configText(objects);
  try {
    return parseConfig(text, { baseDir: '/etc/globaldns', source: path });
  } catch (e) {
    if (e instanceof ConfigError) throw new Error(`the ConfigMap's config is refused by globaldns:\n${e.problems.join('\n')}`);
    throw e;
  }
}

function selects(selector: Record<string, string>, labels: Record<string, string>): boolean {
  return Object.entries(selector).every(([k, v]) => labels[k] === v);
}

// ---- every overlay ----

for (const overlay of OVERLAYS) {
  test(`${overlay}: renders, and every object is valid for its kind (Kubernetes schema, no unknown fields)`, async (t) => {
    const objects = await render(overlay);
    t.true(objects.length >= 10, `only ${objects.length} objects rendered`);
    t.deepEqual(objects.flatMap(schemaProblems), []);
  });

  test(`${overlay}: the container runs non-root on a read-only root filesystem, with only NET_BIND_SERVICE`, async (t) => {
    const { pod } = deployment(await render(overlay));
    for (const c of pod.containers) {
      const sc = c.securityContext ?? {};
      const podSc = pod.securityContext ?? {};
      t.true(sc.runAsNonRoot === true || podSc.runAsNonRoot === true, `${c.name}: runAsNonRoot`);
      const uid = (sc.runAsUser ?? podSc.runAsUser) as number | undefined;
      t.true(uid !== undefined && uid > 0, `${c.name}: a non-zero runAsUser (got ${uid})`);
      t.is(sc.readOnlyRootFilesystem, true, `${c.name}: readOnlyRootFilesystem`);
      t.is(sc.allowPrivilegeEscalation, false, `${c.name}: allowPrivilegeEscalation`);
      t.deepEqual(sc.capabilities?.drop, ['ALL'], `${c.name}: capabilities.drop`);
      t.deepEqual(sc.capabilities?.add, ['NET_BIND_SERVICE'], `${c.name}: capabilities.add`);
      t.truthy(c.resources?.requests?.cpu && c.resources?.requests?.memory, `${c.name}: cpu and memory requests`);
    }
  });

  test(`${overlay}: a non-root process can bind every port below 1024 the container declares`, async (t) => {
    // An added capability reaches only root: a non-root process loses it at exec. What lets
    // it bind 53 is the pod's net.ipv4.ip_unprivileged_port_start.
    const { pod } = deployment(await render(overlay));
    const start = Number(pod.securityContext?.sysctls?.find((s) => s.name === 'net.ipv4.ip_unprivileged_port_start')?.value ?? 1024);
    const low = mainContainer(pod).ports?.filter((p) => p.containerPort < 1024) ?? [];
    t.true(low.length > 0, 'DNS is expected on a port below 1024');
    for (const p of low) t.true(p.containerPort >= start, `port ${p.containerPort} is privileged (ip_unprivileged_port_start ${start})`);
  });

  test(`${overlay}: the writable paths are emptyDirs, the config is mounted where --config points, probes hit /healthz and /readyz on 9090`, async (t) => {
    const objects = await render(overlay);
    const { pod } = deployment(objects);
    const c = mainContainer(pod);
    const args = c.args ?? [];
    t.is(args[0], 'serve');
    const config = loadMountedConfig(objects);
    const stateDir = flag(args, '--state-dir') ?? config.stateDir;
    const stateMount = c.volumeMounts?.find((m) => m.mountPath === stateDir);
    t.truthy(stateMount, `state dir ${stateDir} is on no volume (the root filesystem is read-only)`);
    const stateVolume = pod.volumes?.find((v) => v.name === stateMount?.name);
    t.truthy(stateVolume?.emptyDir, 'the state dir is an emptyDir');
    t.not(stateMount?.readOnly, true);
    t.truthy(c.volumeMounts?.find((m) => m.mountPath === '/tmp'), '/tmp is writable');

    const admin = c.ports?.find((p) => p.containerPort === 9090);
    t.truthy(admin, 'the admin port 9090 is declared');
    const portOf = (p: string | number | undefined): number | undefined => (typeof p === 'number' ? p : c.ports?.find((x) => x.name === p)?.containerPort);
    t.is(c.livenessProbe?.httpGet?.path, '/healthz');
    t.is(portOf(c.livenessProbe?.httpGet?.port), 9090);
    t.is(c.readinessProbe?.httpGet?.path, '/readyz');
    t.is(portOf(c.readinessProbe?.httpGet?.port), 9090);
    t.is(flag(args, '--admin-listen'), '0.0.0.0:9090', 'the admin listener listens on the pod address, where the kubelet probes');
  });

  test(`${overlay}: the ConfigMap's config passes globaldns' own validation, and listens where the container and Service say`, async (t) => {
    const objects = await render(overlay);
    const config = loadMountedConfig(objects);
    const { obj, pod } = deployment(objects);
    const dnsPorts = new Set(config.dns.listen.map((l) => l.port));
    const declared = mainContainer(pod).ports ?? [];
    for (const port of dnsPorts) {
      t.truthy(declared.find((p) => p.containerPort === port && p.protocol === 'UDP'), `dns.listen port ${port}/UDP is declared`);
      t.truthy(declared.find((p) => p.containerPort === port && (p.protocol ?? 'TCP') === 'TCP'), `dns.listen port ${port}/TCP is declared`);
    }
    for (const [name, listen] of [['http', config.proxy?.http], ['https', config.proxy?.https]] as const) {
      t.truthy(listen, `the proxy listens for ${name}`);
      if (listen) t.truthy(declared.find((p) => p.name === name && p.containerPort === listen.port), `proxy ${name} port ${listen.port} is the container port "${name}"`);
    }
    t.truthy(config.management, 'management mode (GlobalDNS / GlobalDNSProvider resources)');
    t.deepEqual(config.management?.connection, { inCluster: true });
    t.is(config.management?.leaseNamespace, obj.metadata.namespace, "the Lease is in the pods' own namespace");
  });

  test(`${overlay}: the LoadBalancer Service exposes 53/UDP and 53/TCP and the proxy, each onto a declared container port`, async (t) => {
    const objects = await render(overlay);
    const { pod, labels } = deployment(objects);
    const svc = one(objects, 'Service', 'globaldns');
    const spec = svc.spec as { type: string; selector: Record<string, string>; ports: { port: number; protocol?: string; targetPort: string | number }[] };
    t.is(spec.type, 'LoadBalancer');
    t.true(selects(spec.selector, labels), 'the Service selects the pods');
    const has = (port: number, protocol: string): boolean => spec.ports.some((p) => p.port === port && (p.protocol ?? 'TCP') === protocol);
    t.true(has(53, 'UDP'), '53/UDP');
    t.true(has(53, 'TCP'), '53/TCP');
    t.true(has(80, 'TCP') && has(443, 'TCP'), 'the proxy on 80 and 443');
    const container = mainContainer(pod);
    for (const p of spec.ports) {
      const target = container.ports?.find((c) => (typeof p.targetPort === 'number' ? c.containerPort === p.targetPort : c.name === p.targetPort) && (c.protocol ?? 'TCP') === (p.protocol ?? 'TCP'));
      t.truthy(target, `Service port ${p.port}/${p.protocol} targets ${p.targetPort}, which the container does not declare with that protocol`);
    }
    const admin = one(objects, 'Service', 'globaldns-admin').spec as { type?: string };
    t.not(admin.type, 'LoadBalancer', 'the admin listener stays inside the cluster');
  });

  test(`${overlay}: RBAC grants what globaldns calls, secrets only in its own namespace, and nothing by wildcard`, async (t) => {
    const objects = await render(overlay);
    const { obj, pod } = deployment(objects);
    const ns = obj.metadata.namespace as string;
    const sa = `${ns}/${pod.serviceAccountName}`;
    t.truthy(objects.find((o) => o.kind === 'ServiceAccount' && o.metadata.name === pod.serviceAccountName && o.metadata.namespace === ns));

    for (const { from, rule } of allRules(objects)) {
      for (const field of ['verbs', 'resources', 'apiGroups'] as const) t.false((rule[field] ?? []).includes('*'), `${from}: wildcard in ${field}`);
      if (from.startsWith('ClusterRole/')) t.false((rule.resources ?? []).some((r) => r === 'secrets' || r.startsWith('secrets/')), `${from} grants secrets cluster-wide`);
    }

    const can = (verb: string, group: string, resource: string, namespace?: string, name?: string): boolean => allowed(objects, { serviceAccount: sa, verb, group, resource, namespace, name });
    // The in-cluster source (src/sources/kubernetes/api.ts): list and watch across namespaces.
    for (const [group, resource] of [['networking.k8s.io', 'ingresses'], ['', 'services'], ['', 'namespaces']]) {
      t.true(can('list', group, resource) && can('watch', group, resource), `list/watch ${resource}`);
      t.false(can('update', group, resource) || can('delete', group, resource), `no writes to ${resource}`);
    }
    // The management source (src/sources/entries): resources, finalizer, status, Events.
    for (const resource of ['globaldnses', 'globaldnsproviders']) {
      for (const verb of ['get', 'list', 'watch']) t.true(can(verb, 'globaldns.io', resource), `${verb} ${resource}`);
      t.true(can('update', 'globaldns.io', `${resource}/status`), `update ${resource}/status`);
      t.false(can('delete', 'globaldns.io', resource), `no delete of ${resource}`);
    }
    t.true(can('update', 'globaldns.io', 'globaldnsproviders'), 'update GlobalDNSProviders (finalizer)');
    t.true(can('create', '', 'events', 'shop') && can('update', '', 'events', 'shop'), 'Events about a GlobalDNS in its namespace');
    // The leader Lease, in the namespace the config names.
    const lease = loadMountedConfig(objects).management?.leaseNamespace as string;
    for (const verb of ['get', 'create', 'update']) t.true(can(verb, 'coordination.k8s.io', 'leases', lease, 'globaldns'), `${verb} the Lease in ${lease}`);
    t.false(can('update', 'coordination.k8s.io', 'leases', 'kube-system', 'kube-scheduler'), "no other namespace's Leases");
    // The health reports of the vantages (src/health/exchange.ts): one ConfigMap per replica beside the Lease.
    for (const verb of ['list', 'watch']) t.true(can(verb, '', 'configmaps', lease), `${verb} the health reports in ${lease}`);
    for (const verb of ['create', 'update', 'delete']) t.true(can(verb, '', 'configmaps', lease, 'globaldns-health-globaldns-7d9f-abcde'), `${verb} its own health report in ${lease}`);
    t.false(can('update', '', 'configmaps', 'kube-system', 'coredns') || can('list', '', 'configmaps'), "no other namespace's ConfigMaps");
    // Kubeconfig and provider Secrets: in the own namespace only.
    t.true(can('list', '', 'secrets', ns) && can('watch', '', 'secrets', ns) && can('get', '', 'secrets', ns, 'route53-credentials'), `read Secrets in ${ns}`);
    t.false(can('list', '', 'secrets'), 'no Secrets across namespaces');
    t.false(can('get', '', 'secrets', 'kube-system', 'bootstrap-token-abcdef'), "no other namespace's Secrets");
    t.true(can('create', '', 'secrets', ns) && can('update', '', 'secrets', ns, 'globaldns-acme-shop.example.com'), 'ACME certificates stored in its own namespace');
    t.false(can('create', '', 'secrets', 'default') || can('update', '', 'secrets', 'default', 'x') || can('delete', '', 'secrets', ns, 'x'), 'no Secret writes elsewhere, no deletes');
  });
}

// ---- one overlay each ----

test('base: the CRDs have the printer columns `kubectl get` shows, each on a field of the schema', async (t) => {
  const objects = await render('base');
  const columns = (crd: string): Map<string, string> => {
    const obj = one(objects, 'CustomResourceDefinition', crd);
    const version = (obj.spec as { versions: { additionalPrinterColumns?: { name: string; jsonPath: string }[]; schema: { openAPIV3Schema: unknown } }[] }).versions[0];
    const cols = new Map((version.additionalPrinterColumns ?? []).map((c) => [c.name, c.jsonPath]));
    for (const [name, path] of cols) {
      t.true(pathInSchema(version.schema.openAPIV3Schema, path), `${crd} column ${name}: ${path} is not a field of the schema`);
    }
    return cols;
  };
  const entries = columns('globaldnses.globaldns.io');
  t.is(entries.get('FQDN'), '.spec.fqdn');
  t.is(entries.get('Provider'), '.spec.providerRef');
  t.is(entries.get('Endpoints'), '.status.endpoints');
  t.is(entries.get('Healthy'), '.status.healthyEndpoints');
  t.is(entries.get('Ready'), '.status.conditions[?(@.type=="Ready")].status');
  t.is(entries.get('Age'), '.metadata.creationTimestamp');
  const providers = columns('globaldnsproviders.globaldns.io');
  t.is(providers.get('Type'), '.spec.type');
  t.is(providers.get('Policy'), '.spec.policy');
  t.is(providers.get('Ready'), '.status.conditions[?(@.type=="Ready")].status');
});

/** Whether a printer column's JSONPath (`.a.b`, `.a[?(...)].b`) names a property of the schema; metadata is always there. */
function pathInSchema(schema: unknown, jsonPath: string): boolean {
  if (jsonPath.startsWith('.metadata.')) return true;
  let node = schema as { properties?: Record<string, unknown>; items?: unknown } | undefined;
  for (const part of jsonPath.replace(/\[\?\(.*?\)\]/g, '[]').split('.').slice(1)) {
    const [name, filter] = part.endsWith('[]') ? [part.slice(0, -2), true] : [part, false];
    node = node?.properties?.[name] as typeof node;
    if (filter) node = node?.items as typeof node;
    if (!node) return false;
  }
  return true;
}

test('standalone: one replica and no PodDisruptionBudget (it would block every node drain)', async (t) => {
  const objects = await render('overlays/standalone');
  t.is(deployment(objects).replicas, 1);
  t.is(objects.filter((o) => o.kind === 'PodDisruptionBudget').length, 0);
});

test('ha: two or more replicas spread over nodes, a PDB keeping one, leader election configured', async (t) => {
  const objects = await render('overlays/ha');
  const { replicas, labels, obj } = deployment(objects);
  t.true(replicas >= 2, `replicas ${replicas}`);
  const pdb = one(objects, 'PodDisruptionBudget', 'globaldns');
  const pdbSpec = pdb.spec as { minAvailable?: number; selector: { matchLabels: Record<string, string> } };
  t.is(pdbSpec.minAvailable, 1);
  t.true(selects(pdbSpec.selector.matchLabels, labels), 'the PDB selects the pods');
  t.is(pdb.metadata.namespace, obj.metadata.namespace);
  const spread = (obj.spec as { template: { spec: { topologySpreadConstraints?: { topologyKey: string; whenUnsatisfiable: string }[] } } }).template.spec.topologySpreadConstraints ?? [];
  t.truthy(spread.find((s) => s.topologyKey === 'kubernetes.io/hostname' && s.whenUnsatisfiable === 'DoNotSchedule'), 'replicas on different nodes');

  const { text } = configText(objects);
  const raw = parseYaml(text) as { management?: Record<string, unknown> };
  for (const key of ['leaseNamespace', 'leaseName', 'leaseDuration', 'renewDeadline', 'retryPeriod']) t.truthy(raw.management?.[key], `management.${key} is spelt out`);
  const m = loadMountedConfig(objects).management;
  t.truthy(m);
  // A crashed leader is replaced within leaseDuration; every replica keeps answering DNS meanwhile.
  t.true((m?.leaseDurationMs ?? 0) <= 30_000, `leaseDuration ${m?.leaseDurationMs} ms`);
});

test('the Deployment runs only flags `globaldns serve` accepts', async (t) => {
  const { pod } = deployment(await render('overlays/ha'));
  const args = mainContainer(pod).args ?? [];
  const help = await new Promise<string>((ok, fail) => {
    execFile(process.execPath, ['--import=tsx', resolve(REPO, 'src/cli.ts'), 'serve', '--help'], { cwd: REPO, timeout: 60_000 }, (err, stdout, stderr) => err ? fail(new Error(`globaldns serve --help: ${err.message}\n${stderr}`)) : ok(stdout));
  });
  const known = new Set([...help.matchAll(/(--[a-z][a-z-]*)/g)].map((m) => m[1]));
  for (const a of args.filter((x) => x.startsWith('--'))) {
    const name = a.split('=')[0];
    t.true(known.has(name), `globaldns serve does not accept ${name} (known: ${[...known].join(' ')})`);
  }
});
