// A management fake cluster, two workload fake clusters, the Route53 simulator and real
// `globaldns serve` replicas in management mode, for the management integration tests
// (not a test file itself).
import YAML from 'yaml';
import { startFakeKube } from '../support/fake-kube/index.js';
import type { FakeKube } from '../support/fake-kube/index.js';
import { startRoute53Sim } from '../support/route53-sim/index.js';
import type { Route53Sim } from '../support/route53-sim/index.js';
import { startGlobaldns } from '../support/globaldns.js';
import type { Globaldns } from '../support/globaldns.js';

export const EMBEDDED_APEX = 'internal.test';
export const LEASE_NS = 'globaldns-system';
export const LEASE_NAME = 'globaldns';

export interface MgmtWorld {
  mgmt: FakeKube;
  east: FakeKube;
  west: FakeKube;
  sim: Route53Sim;
  zoneId: string;
  /** Starts one more replica (identity `replica-<n>`). */
  replica(identity: string): Promise<Globaldns>;
  replicas: Globaldns[];
  close(): Promise<void>;
}

export { sleep, waitFor } from '../support/wait.js';

export async function startMgmtWorld(o: { lease?: { duration: string; renewDeadline: string; retryPeriod: string } } = {}): Promise<MgmtWorld> {
  const mgmt = await startFakeKube();
  const east = await startFakeKube();
  const west = await startFakeKube();
  const sim = await startRoute53Sim();
  const zoneId = sim.createZone('example.org');
  const replicas: Globaldns[] = [];
  const lease = o.lease ?? { duration: '3s', renewDeadline: '2s', retryPeriod: '300ms' };
  const world: MgmtWorld = {
    mgmt,
    east,
    west,
    sim,
    zoneId,
    replicas,
    async replica(identity) {
      const config = {
        zones: [{ apex: EMBEDDED_APEX, records: ['ns1 3600 IN A 127.0.0.1'] }],
        sources: { gracePeriod: '3s', watchdogSeconds: 20, backoff: { initial: '100ms', max: '400ms' } },
        clusters: [{ kubeconfig: 'kube/east.yaml' }, { kubeconfig: 'kube/west.yaml' }],
        providers: [{ name: 'embedded', type: 'embedded' }],
        entries: [],
        sync: { debounce: '100ms', maxDelay: '500ms', resync: false },
        management: {
          kubeconfig: 'kube/mgmt.yaml',
          identity,
          leaseNamespace: LEASE_NS,
          leaseName: LEASE_NAME,
          leaseDuration: lease.duration,
          renewDeadline: lease.renewDeadline,
          retryPeriod: lease.retryPeriod,
        },
      };
      const g = await startGlobaldns({
        configYaml: YAML.stringify(config),
        files: { 'kube/east.yaml': east.kubeconfig('east'), 'kube/west.yaml': west.kubeconfig('west'), 'kube/mgmt.yaml': mgmt.kubeconfig('mgmt') },
        ipv6: false,
        env: { GLOBALDNS_ROUTE53_ENDPOINT: sim.url, AWS_EC2_METADATA_DISABLED: 'true' },
      });
      replicas.push(g);
      return g;
    },
    async close() {
      await Promise.all(replicas.map((g) => g.cleanup()));
      await Promise.all([mgmt.stop(), east.stop(), west.stop(), sim.stop()]);
    },
  };
  return world;
}

export function route53Provider(name: string, o: { secret?: string; allowedNamespaces?: string[] } = {}): Record<string, unknown> {
  return {
    apiVersion: 'globaldns.io/v1alpha1',
    kind: 'GlobalDNSProvider',
    metadata: { name },
    spec: {
      type: 'route53',
      route53: { region: 'us-east-1', domainFilters: ['example.org'], secretRef: { name: o.secret ?? 'route53-creds', namespace: LEASE_NS } },
      ...(o.allowedNamespaces ? { allowedNamespaces: o.allowedNamespaces } : {}),
    },
  };
}

export function embeddedProvider(name: string): Record<string, unknown> {
  return { apiVersion: 'globaldns.io/v1alpha1', kind: 'GlobalDNSProvider', metadata: { name }, spec: { type: 'embedded' } };
}

export function credentialsSecret(name = 'route53-creds'): Record<string, unknown> {
  const b64 = (s: string) => Buffer.from(s).toString('base64');
  return {
    apiVersion: 'v1',
    kind: 'Secret',
    metadata: { name, namespace: LEASE_NS },
    type: 'Opaque',
    data: { accessKeyId: b64('AKIDTESTKEY'), secretAccessKey: b64('test-secret-value') },
  };
}

export function globalDns(namespace: string, name: string, fqdn: string, provider: string, clusters: string[]): Record<string, unknown> {
  return {
    apiVersion: 'globaldns.io/v1alpha1',
    kind: 'GlobalDNS',
    metadata: { name, namespace },
    spec: { fqdn, ttl: 60, providerRef: provider, targets: clusters.map((cluster) => ({ cluster })) },
  };
}

export interface Cond {
  type: string;
  status: string;
  reason: string;
  message: string;
  lastTransitionTime: string;
  observedGeneration?: number;
}

export interface EntryStatus {
  clusterEndpoints?: Record<string, string[]>;
  endpoints?: string[];
  rejectedClaims?: { cluster: string; namespace: string; kind: string; name: string; reason: string }[];
  conditions?: Cond[];
  observedGeneration?: number;
}

export function statusOf(fake: FakeKube, kind: 'GlobalDNS' | 'GlobalDNSProvider', namespace: string | undefined, name: string): EntryStatus & { zones?: string[]; entries?: number } {
  const obj = fake.get(kind, namespace, name);
  return obj?.status ?? {};
}

export function cond(st: EntryStatus, type: string): Cond | undefined {
  return st.conditions?.find((c) => c.type === type);
}

/** The simulator's record sets of one name, as `TYPE ttl values…` lines. */
export function simRecords(sim: Route53Sim, zoneId: string, name: string): string[] {
  const want = name.endsWith('.') ? name : `${name}.`;
  return sim
    .records(zoneId)
    .filter((r) => r.name === want)
    .map((r) => `${r.type} ${r.ttl} ${[...(r.values ?? [])].sort().join(' ')}`)
    .sort();
}
