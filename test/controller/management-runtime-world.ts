// The management runtime in this process, with the product's own parts: the management source
// against the fake API server, leader election on an in-memory Lease (its outage and its clock
// are the test's to drive), the embedded controller and zone store, the Route53 simulator for
// resource-defined Route53 providers. Only the load-balancer lookup is the test's (a canned
// answer: tests send no DNS query off the loopback). Not a test file itself.
import { KubeConfig } from '@kubernetes/client-node';
import { performance } from 'node:perf_hooks';
import { parseConfig } from '../../src/config/index.js';
import { Controller, LeaderElector, managedProvider, ManagementRuntime, MemoryLeaseApi, ProviderRuntime, ROUTE53_ENDPOINT_ENV } from '../../src/controller/index.js';
import type { ManagementRuntimeOptions } from '../../src/controller/index.js';
import { TYPE, ZoneStore } from '../../src/dns/index.js';
import { systemClock } from '../../src/kernel/index.js';
import type { Endpoint } from '../../src/model/index.js';
import { EndpointStore, ManagementSource, ManagementWriter } from '../../src/sources/index.js';
import { startFakeKube, type FakeKube } from '../support/fake-kube/index.js';
import { startRoute53Sim, type Route53Sim } from '../support/route53-sim/index.js';
import { desiredFor } from '../support/desired.js';
import type { HealthVerdicts } from '../../src/health/index.js';

export const EMBEDDED_APEX = 'internal.test';
export const LEASE_NS = 'globaldns-system';

export interface RuntimeWorld {
  mgmt: FakeKube;
  sim: Route53Sim;
  zoneId: string;
  store: EndpointStore;
  lease: MemoryLeaseApi;
  elector: LeaderElector;
  runtime: ManagementRuntime;
  providers: ProviderRuntime;
  /** Moves the elector's monotonic clock forward (a leader then finds its renewal deadline passed). */
  skew(ms: number): void;
  lines: string[];
  close(): Promise<void>;
}

const LEASE = { leaseDurationMs: 1200, renewDeadlineMs: 800, retryPeriodMs: 100 };

/** Starts everything; `runtime.start()` has run (the clusters count as read) once this resolves. */
export interface RuntimeWorldOptions {
  /** The load-balancer lookup's answer (default: none). */
  lookup?: (host: string) => { v4: string[]; v6: string[] };
  /** Where Route53 providers send their requests (default: the simulator). */
  route53Endpoint?: string;
  runtime?: Partial<ManagementRuntimeOptions>;
  /** Endpoint verdicts for the desired-state stage (default: none, no entry is checked). */
  health?: HealthVerdicts;
}

export async function startRuntimeWorld(o: RuntimeWorldOptions = {}): Promise<RuntimeWorld> {
  const mgmt = await startFakeKube();
  const sim = await startRoute53Sim({ seed: 1 });
  const zoneId = sim.createZone('example.org');
  // Resource-defined Route53 providers are pointed at the simulator this way in production too.
  process.env[ROUTE53_ENDPOINT_ENV] = o.route53Endpoint ?? sim.url;
  process.env.AWS_EC2_METADATA_DISABLED = 'true';
  const lines: string[] = [];
  const record = (level: string) => (obj: object, msg?: string) => void lines.push(`${level} ${msg ?? ''} ${JSON.stringify(obj)}`);
  const logger = { debug: () => undefined, info: record('info'), warn: record('warn'), error: record('error') };

  const config = parseConfig(
    ['zones:', `  - apex: ${EMBEDDED_APEX}`, '    records: ["ns1 3600 IN A 127.0.0.1"]', 'providers:', '  - { name: embedded, type: embedded }', 'entries: []'].join('\n'),
    { baseDir: process.cwd() },
  );
  const zones = new ZoneStore({});
  const store = new EndpointStore();
  const desired = desiredFor({ entries: [], store, lookup: async (h) => o.lookup?.(h) ?? { v4: [], v6: [] }, ...(o.health ? { health: o.health } : {}) });
  const embedded = new Controller({ zones: config.zones, entries: [], desired, sink: zones, logger });
  embedded.start();

  const kc = new KubeConfig();
  kc.loadFromString(mgmt.kubeconfig('mgmt'));
  const holder: { runtime?: ManagementRuntime } = {};
  const source = new ManagementSource({ kubeConfig: kc, backoff: { initialMs: 50, maxMs: 200 }, watchdogMs: 30_000, logger, onChange: (v) => holder.runtime?.onView(v) });
  const lease = new MemoryLeaseApi();
  let skewMs = 0;
  const elector = new LeaderElector({
    api: lease,
    namespace: LEASE_NS,
    name: 'globaldns',
    identity: 'replica-0',
    ...LEASE,
    clock: { ...systemClock, monotonic: () => performance.now() + skewMs },
    logger,
    onStartedLeading: () => holder.runtime?.leadershipStarted(),
    onStoppedLeading: () => holder.runtime?.leadershipStopped(),
  });
  // As serve wires it: one owner of the external providers, writing as the leader.
  const providers = new ProviderRuntime({ desired, staticBindings: [], makeProvider: (p) => managedProvider(p), leadership: elector, logger, sync: { debounceMs: 50, maxDelayMs: 200, resync: false } });
  const writer = new ManagementWriter({ kubeConfig: kc, instance: 'replica-0', logger });
  const runtime = new ManagementRuntime({
    writer,
    leadership: elector,
    desired,
    embedded,
    staticEntries: [],
    staticEmbedded: ['embedded'],
    providers,
    clusters: ['east', 'west'],
    zones: [EMBEDDED_APEX],
    embeddedHolds: (fqdn) => {
      const zone = zones.find(fqdn);
      return zone !== undefined && zone.lookup(fqdn, TYPE.A).answer.length + zone.lookup(fqdn, TYPE.AAAA).answer.length > 0;
    },
    logger,
    ...o.runtime,
  });
  holder.runtime = runtime;
  // As serve wires it: the merged entries are the desired state's.
  runtime.onEntries((entries) => desired.setEntries(entries));
  source.start();
  elector.start();
  await source.whenSynced();
  await runtime.start();
  return {
    mgmt,
    sim,
    zoneId,
    store,
    lease,
    elector,
    runtime,
    providers,
    skew: (ms) => void (skewMs += ms),
    lines,
    async close() {
      await elector.stop();
      await runtime.stop();
      await providers.stop();
      source.stop();
      embedded.stop();
      await Promise.all([mgmt.stop(), sim.stop()]);
    },
  };
}

export function ingress(cluster: string, name: string, hostname: string, targets: string[]): Endpoint {
  return { cluster, namespace: 'shop', kind: 'Ingress', name, hostnames: [hostname], targets };
}

export function globalDns(name: string, fqdn: string, providerRef: string): Record<string, unknown> {
  return { apiVersion: 'globaldns.io/v1alpha1', kind: 'GlobalDNS', metadata: { name, namespace: 'shop' }, spec: { fqdn, ttl: 60, providerRef, targets: [{ cluster: 'east' }] } };
}

export function provider(name: string, spec: Record<string, unknown>): Record<string, unknown> {
  return { apiVersion: 'globaldns.io/v1alpha1', kind: 'GlobalDNSProvider', metadata: { name }, spec };
}

export function route53(name: string): Record<string, unknown> {
  return provider(name, { type: 'route53', route53: { region: 'us-east-1', domainFilters: ['example.org'], secretRef: { name: 'route53-creds', namespace: LEASE_NS } } });
}

export function secret(name: string, data: Record<string, string>): Record<string, unknown> {
  const b64 = Object.fromEntries(Object.entries(data).map(([k, v]) => [k, Buffer.from(v).toString('base64')]));
  return { apiVersion: 'v1', kind: 'Secret', metadata: { name, namespace: LEASE_NS }, type: 'Opaque', data: b64 };
}

export function credentials(): Record<string, unknown> {
  return secret('route53-creds', { accessKeyId: 'AKIDTESTKEY', secretAccessKey: 'test-secret-value' });
}

/** A PowerDNS provider for the zones given, its API key in the Secret `<name>-key`. */
export function powerdns(name: string, url: string, zones: string[]): Record<string, unknown> {
  return provider(name, { type: 'powerdns', powerdns: { url, zones, secretRef: { name: `${name}-key`, namespace: LEASE_NS } } });
}

export interface Cond {
  type: string;
  status: string;
  reason: string;
  message: string;
}

export function statusOf(fake: FakeKube, name: string): { endpoints?: string[]; conditions?: Cond[] } {
  return (fake.get('GlobalDNS', 'shop', name)?.status ?? {});
}

export function ready(fake: FakeKube, name: string): Cond | undefined {
  return statusOf(fake, name).conditions?.find((c) => c.type === 'Ready');
}
