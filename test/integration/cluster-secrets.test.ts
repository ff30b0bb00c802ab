// Workload clusters given as kubeconfig Secrets in the management cluster (`clusterSecrets:`):
// a real `globaldns serve` against fake API servers, answers checked with the real dig.
import test from 'ava';
import YAML from 'yaml';
import { dig } from '../support/dig.js';
import { startFakeKube } from '../support/fake-kube/index.js';
import type { FakeKube } from '../support/fake-kube/index.js';
import { startGlobaldns } from '../support/globaldns.js';
import type { Globaldns } from '../support/globaldns.js';
import { startRoute53Sim } from '../support/route53-sim/index.js';
import type { Route53Sim } from '../support/route53-sim/index.js';
import { ingress } from './kube-world.js';
import { cond, credentialsSecret, embeddedProvider, globalDns, LEASE_NS, route53Provider, sleep, statusOf, waitFor } from './management-world.js';

const APEX = 'example.test';
const SHOP = `shop.${APEX}`;
const ONLY_B = `b-only.${APEX}`;
const STATIC = `static.${APEX}`;
const b64 = (s: string) => Buffer.from(s).toString('base64');

interface World {
  mgmt: FakeKube;
  a: FakeKube;
  b: FakeKube;
  g: Globaldns;
  sim?: Route53Sim;
  /** Sorted A values by the real dig, or the status (NXDOMAIN, NOERROR for no data). */
  answer(name: string): Promise<string[] | string>;
  until(name: string, want: string[] | string, timeoutMs?: number): Promise<number>;
  clusters(): Promise<{ cluster: string; phase: string; lastError?: string }[]>;
  close(): Promise<void>;
}

/** A Secret holding a kubeconfig, labelled for globaldns. */
function kubeconfigSecret(name: string, kubeconfig: string, o: { cluster?: string; context?: string; namespace?: string; labelled?: boolean } = {}): Record<string, unknown> {
  const labels: Record<string, string> = {};
  if (o.labelled ?? true) labels['globaldns.io/kubeconfig'] = 'true';
  if (o.cluster) labels['globaldns.io/cluster'] = o.cluster;
  return {
    apiVersion: 'v1',
    kind: 'Secret',
    metadata: { name, namespace: o.namespace ?? LEASE_NS, labels },
    type: 'Opaque',
    data: { kubeconfig: b64(kubeconfig), ...(o.context ? { context: b64(o.context) } : {}) },
  };
}

async function startWorld(o: { seedSecrets?: (w: { a: FakeKube; b: FakeKube }) => Record<string, unknown>[]; route53?: boolean; gracePeriod?: string } = {}): Promise<World> {
  const mgmt = await startFakeKube();
  const a = await startFakeKube();
  const b = await startFakeKube();
  const sim = o.route53 ? await startRoute53Sim() : undefined;
  sim?.createZone('example.org');
  a.apply(ingress({ name: 'shop', hosts: SHOP, ips: ['192.0.2.1'] }));
  b.apply(ingress({ name: 'shop', hosts: SHOP, ips: ['198.51.100.1'] }));
  b.apply(ingress({ name: 'only', hosts: ONLY_B, ips: ['198.51.100.7'] }));
  for (const s of o.seedSecrets?.({ a, b }) ?? []) mgmt.apply(s);
  const config = {
    zones: [{ apex: APEX, records: ['ns1 3600 IN A 127.0.0.1'] }],
    sources: { gracePeriod: o.gracePeriod ?? '60s', watchdogSeconds: 20, backoff: { initial: '100ms', max: '400ms' } },
    // A folder cluster in the config file; a Secret naming it loses to it.
    clusters: [{ name: 'static', manifests: 'static' }],
    providers: [{ name: 'embedded', type: 'embedded' }],
    entries: [
      { fqdn: SHOP, ttl: 30, targets: [{ cluster: 'a' }, { cluster: 'b' }, { cluster: 'rotated' }] },
      { fqdn: ONLY_B, ttl: 30, targets: [{ cluster: 'b' }, { cluster: 'rotated' }] },
      { fqdn: STATIC, ttl: 30, targets: [{ cluster: 'static' }] },
    ],
    sync: { debounce: '100ms', maxDelay: '500ms', resync: false },
    management: {
      kubeconfig: 'kube/mgmt.yaml',
      identity: 'r1',
      leaseNamespace: LEASE_NS,
      secretNamespace: LEASE_NS,
      leaseDuration: '3s',
      renewDeadline: '2s',
      retryPeriod: '300ms',
    },
    clusterSecrets: { namespace: LEASE_NS },
  };
  const staticIngress = YAML.stringify(ingress({ name: 'static', hosts: STATIC, ips: ['203.0.113.5'] }));
  let g: Globaldns;
  try {
    g = await startGlobaldns({
      configYaml: YAML.stringify(config),
      files: { 'kube/mgmt.yaml': mgmt.kubeconfig('mgmt'), 'static/ingress.yaml': staticIngress },
      ipv6: false,
      args: ['--log-level', 'debug'],
      startTimeoutMs: 30_000,
      env: sim ? { GLOBALDNS_ROUTE53_ENDPOINT: sim.url, AWS_EC2_METADATA_DISABLED: 'true' } : {},
    });
  } catch (e) {
    await Promise.all([mgmt.stop(), a.stop(), b.stop(), sim?.stop()]);
    throw e;
  }
  const answer = async (name: string): Promise<string[] | string> => {
    const r = await dig({ port: g.port, name, type: 'A', rd: false, timeout: 1 });
    if (r.noReply) return 'TIMEOUT';
    const values = r.answer.filter((rr) => rr.type === 'A').map((rr) => rr.data);
    return values.length > 0 ? values.sort() : r.status;
  };
  const same = (x: string[] | string, y: string[] | string) => JSON.stringify(x) === JSON.stringify(y);
  return {
    mgmt,
    a,
    b,
    g,
    sim,
    answer,
    async until(name, want, timeoutMs = 10_000) {
      const t0 = Date.now();
      let last: string[] | string = '';
      while (Date.now() - t0 < timeoutMs) {
        last = await answer(name);
        if (same(last, want)) return Date.now() - t0;
        await sleep(50);
      }
      throw new Error(`${name}: wanted ${JSON.stringify(want)} within ${timeoutMs} ms, last answer ${JSON.stringify(last)}\n--- globaldns log (tail) ---\n${g.logs().split('\n').slice(-30).join('\n')}`);
    },
    async clusters() {
      const res = await fetch(`${g.adminUrl}/api/v1/status`);
      return ((await res.json()) as { clusters: { cluster: string; phase: string; lastError?: string }[] }).clusters;
    },
    async close() {
      await g.cleanup();
      await Promise.all([mgmt.stop(), a.stop(), b.stop(), sim?.stop()]);
    },
  };
}

test('a cluster from a kubeconfig Secret is served; a second one added at run time appears, and goes at once when its Secret is deleted or unlabelled', async (t) => {
  const w = await startWorld({ seedSecrets: ({ a }) => [kubeconfigSecret('cluster-a', a.kubeconfig('ctx-a'), { cluster: 'a' })] });
  t.teardown(() => w.close());

  await w.until(SHOP, ['192.0.2.1']);
  await w.until(STATIC, ['203.0.113.5']);
  t.is(await w.answer(ONLY_B), 'NXDOMAIN', 'b-only has an entry but no endpoint yet');
  // A GlobalDNS resource naming b: its target is unknown until b's Secret exists.
  const WEB = `web.${APEX}`;
  w.b.apply(ingress({ name: 'web', hosts: WEB, ips: ['198.51.100.9'] }));
  w.mgmt.apply(embeddedProvider('dns'));
  w.mgmt.apply(globalDns('apps', 'web', WEB, 'dns', ['b']));
  const readyOf = () => cond(statusOf(w.mgmt, 'GlobalDNS', 'apps', 'web'), 'Ready');
  await waitFor(() => (readyOf()?.reason === 'TargetNotFound' ? true : undefined), 10_000, () => `${JSON.stringify(readyOf())}\n${w.g.logs()}`);
  t.regex(readyOf()?.message ?? '', /cluster b is not watched/);

  // Cluster b arrives as a Secret named after it (no cluster label), with an explicit context.
  const pid = w.g.pid;
  w.mgmt.apply(kubeconfigSecret('b', w.b.kubeconfig('ctx-b'), { context: 'ctx-b' }));
  const added = await w.until(SHOP, ['192.0.2.1', '198.51.100.1']);
  await w.until(ONLY_B, ['198.51.100.7']);
  t.is(w.g.pid, pid);
  t.true(w.g.alive(), 'no restart');
  t.log(`cluster b served ${added} ms after its Secret was created`);
  await w.until(WEB, ['198.51.100.9']);
  await waitFor(() => (readyOf()?.status === 'True' ? true : undefined), 10_000, () => `${JSON.stringify(readyOf())}`);
  const views = await w.clusters();
  t.deepEqual(
    views.filter((c) => ['a', 'b', 'static'].includes(c.cluster)).map((c) => `${c.cluster}=${c.phase}`).sort(),
    ['a=Synced', 'b=Synced', 'static=Synced'],
  );

  // Deleted: removed on purpose, so no grace period (60 s here) and no last-cluster rule.
  const t0 = Date.now();
  w.mgmt.remove('Secret', LEASE_NS, 'b');
  await w.until(ONLY_B, 'NXDOMAIN', 5000);
  await w.until(SHOP, ['192.0.2.1'], 5000);
  t.log(`cluster b withdrawn ${Date.now() - t0} ms after its Secret was deleted`);
  // The status report is cached for 200 ms.
  await waitFor(async () => ((await w.clusters()).some((c) => c.cluster === 'b') ? undefined : true), 2000, () => 'cluster b still in the status');
  t.regex(w.g.logs(), /cluster b: Secret globaldns-system\/b deleted/);
  await w.until(WEB, 'NXDOMAIN', 5000);
  await waitFor(() => (readyOf()?.reason === 'TargetNotFound' ? true : undefined), 10_000, () => `${JSON.stringify(readyOf())}`);

  // Back, then the label taken off: the same as a deletion.
  w.mgmt.apply(kubeconfigSecret('b', w.b.kubeconfig('ctx-b')));
  await w.until(ONLY_B, ['198.51.100.7']);
  w.mgmt.apply(kubeconfigSecret('b', w.b.kubeconfig('ctx-b'), { labelled: false }));
  await w.until(ONLY_B, 'NXDOMAIN', 5000);
  await w.until(SHOP, ['192.0.2.1'], 5000);

  // Changes in cluster a keep flowing: its source was never disturbed.
  w.a.apply(ingress({ name: 'shop', hosts: SHOP, ips: ['192.0.2.2'] }));
  await w.until(SHOP, ['192.0.2.2']);

  // Least privilege: every Secret read on the management cluster is namespaced.
  const secretPaths = new Set(w.mgmt.requests.filter((r) => r.path.includes('secrets')).map((r) => r.path));
  t.deepEqual([...secretPaths], [`/api/v1/namespaces/${LEASE_NS}/secrets`]);
  const kubeconfigReads = w.mgmt.requests.filter((r) => r.path.includes('secrets') && r.query.labelSelector === 'globaldns.io/kubeconfig=true');
  t.true(kubeconfigReads.length >= 2, 'the kubeconfig Secrets are listed and watched by label');
});

test('a Secret with a broken kubeconfig is logged and shown as failed, a Secret naming a config-file cluster is ignored; the others are served', async (t) => {
  const TOKEN_IN_BROKEN = 'tok-broken-9f8e7d6c5b4a';
  const brokenYaml = `apiVersion: v1\nusers:\n- name: u\n  user:\n    token: ${TOKEN_IN_BROKEN}\n  oops: [\n`;
  const w = await startWorld({
    seedSecrets: ({ a, b }) => [
      kubeconfigSecret('cluster-a', a.kubeconfig('ctx-a'), { cluster: 'a' }),
      kubeconfigSecret('broken', brokenYaml),
      kubeconfigSecret('no-such-context', b.kubeconfig('ctx-b'), { context: 'elsewhere' }),
      // The config file defines "static" (a folder); it wins over this Secret.
      kubeconfigSecret('static-twin', b.kubeconfig('ctx-b'), { cluster: 'static' }),
    ],
  });
  t.teardown(() => w.close());

  await w.until(SHOP, ['192.0.2.1']);
  await w.until(STATIC, ['203.0.113.5']);
  const views = await waitFor(
    async () => {
      const v = await w.clusters();
      return v.some((c) => c.cluster === 'broken') && v.some((c) => c.cluster === 'no-such-context') ? v : undefined;
    },
    5000,
    () => w.g.logs(),
  );
  const broken = views.find((c) => c.cluster === 'broken')!;
  t.is(broken.phase, 'Failed');
  t.regex(broken.lastError ?? '', /^Secret globaldns-system\/broken: kubeconfig: .*\(\d+:\d+\)$/);
  const noContext = views.find((c) => c.cluster === 'no-such-context')!;
  t.is(noContext.phase, 'Failed');
  t.is(noContext.lastError, 'Secret globaldns-system/no-such-context: kubeconfig: no context "elsewhere" (contexts: ctx-b)');
  const twin = views.find((c) => c.cluster === 'Secret globaldns-system/static-twin');
  t.is(twin?.phase, 'Ignored');
  t.regex(twin?.lastError ?? '', /cluster static is defined in the config file/);
  t.is(views.filter((c) => c.cluster === 'static').length, 1);

  const logs = w.g.logs();
  t.regex(logs, /"level":"error".*Secret globaldns-system\/broken: kubeconfig:/);
  t.regex(logs, /Secret globaldns-system\/static-twin: cluster static is defined in the config file/);
  t.false(logs.includes(TOKEN_IN_BROKEN), 'a token in a broken kubeconfig never reaches the log');
  t.false(logs.includes(w.b.token), "a working kubeconfig's token never reaches the log");

  // Fixed in place: the cluster starts without a restart.
  w.mgmt.apply(kubeconfigSecret('broken', w.b.kubeconfig('ctx-b')));
  await w.until(ONLY_B, 'NXDOMAIN'); // the entry targets b/rotated, not "broken": its claim is rejected
  await waitFor(async () => ((await w.clusters()).find((c) => c.cluster === 'broken')?.phase === 'Synced' ? true : undefined), 10_000, () => w.g.logs());
  await w.until(STATIC, ['203.0.113.5']);
  t.true(w.g.alive());
});

test("a rotated token in a cluster's Secret reconnects with the new token, without a restart", async (t) => {
  const w = await startWorld({
    seedSecrets: ({ a, b }) => [kubeconfigSecret('cluster-a', a.kubeconfig('ctx-a'), { cluster: 'a' }), kubeconfigSecret('rotated', b.kubeconfig('ctx-b', { token: 'revoked-token-1234' }))],
  });
  t.teardown(() => w.close());
  await w.until(SHOP, ['192.0.2.1']);
  const degraded = await waitFor(
    async () => {
      const c = (await w.clusters()).find((x) => x.cluster === 'rotated');
      return c && c.phase === 'Degraded' ? c : undefined;
    },
    10_000,
    () => w.g.logs(),
  );
  t.regex(degraded.lastError ?? '', /401/);
  t.is(await w.answer(ONLY_B), 'NXDOMAIN');

  const pid = w.g.pid;
  const rotatedAt = Date.now();
  w.mgmt.apply(kubeconfigSecret('rotated', w.b.kubeconfig('ctx-b')));
  await w.until(ONLY_B, ['198.51.100.7']);
  await w.until(SHOP, ['192.0.2.1', '198.51.100.1']);
  t.log(`served ${Date.now() - rotatedAt} ms after the token was rotated`);
  t.is(w.g.pid, pid);
  t.regex(w.g.logs(), /cluster rotated: Secret globaldns-system\/rotated changed; reconnecting with the new kubeconfig/);
  const b = w.b.requests.filter((r) => r.at >= rotatedAt);
  t.true(b.length > 0, 'the new connection reached the cluster');
  t.false(w.g.logs().includes('revoked-token-1234'));
  t.false(w.g.logs().includes(w.b.token));

  // A rotation to a broken kubeconfig keeps the cluster on its previous one.
  w.mgmt.apply(kubeconfigSecret('rotated', 'clusters: [\n'));
  await waitFor(async () => ((await w.clusters()).find((x) => x.cluster === 'rotated')?.lastError?.includes('kubeconfig') ? true : undefined), 5000, () => w.g.logs());
  const still = (await w.clusters()).find((x) => x.cluster === 'rotated');
  t.is(still?.phase, 'Synced');
  t.regex(w.g.logs(), /keeps its previous kubeconfig/);
  w.b.apply(ingress({ name: 'only', hosts: ONLY_B, ips: ['198.51.100.8'] }));
  await w.until(ONLY_B, ['198.51.100.8']);
});

test('management.secretNamespace: provider credentials outside that namespace are not found, inside they are used; Secrets are read namespaced only', async (t) => {
  const w = await startWorld({ route53: true });
  t.teardown(() => w.close());
  w.mgmt.apply(credentialsSecret('route53-creds'));
  w.mgmt.apply({ ...credentialsSecret('route53-creds'), metadata: { name: 'route53-creds', namespace: 'elsewhere' } });
  w.mgmt.apply(route53Provider('inside', { secret: 'route53-creds' }));
  const outside = route53Provider('outside', { secret: 'route53-creds' }) as { spec: { route53: { secretRef: { namespace: string } } } };
  outside.spec.route53.secretRef.namespace = 'elsewhere';
  w.mgmt.apply(outside);

  const out = await waitFor(() => (cond(statusOf(w.mgmt, 'GlobalDNSProvider', undefined, 'outside'), 'Ready') ? statusOf(w.mgmt, 'GlobalDNSProvider', undefined, 'outside') : undefined), 15_000, () => w.g.logs());
  t.is(cond(out, 'Ready')?.status, 'False');
  t.regex(cond(out, 'Ready')?.message ?? '', /Secret elsewhere\/route53-creds not found/);
  const inside = await waitFor(
    () => (cond(statusOf(w.mgmt, 'GlobalDNSProvider', undefined, 'inside'), 'Ready')?.status === 'True' ? statusOf(w.mgmt, 'GlobalDNSProvider', undefined, 'inside') : undefined),
    15_000,
    () => `${JSON.stringify(statusOf(w.mgmt, 'GlobalDNSProvider', undefined, 'inside'))}\n${w.g.logs().split('\n').slice(-30).join('\n')}`,
  );
  t.regex(inside.zones?.[0] ?? '', /^example\.org \(/);
  t.false(
    w.mgmt.requests.some((r) => r.path === '/api/v1/secrets'),
    'no cluster-wide Secret list or watch',
  );
});
