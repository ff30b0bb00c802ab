#!/usr/bin/env node
/**
 * The `globaldns` command. All wiring of the service and every process exit live here, so
 * the modules stay free of globals and can be tested on their own.
 */
import { existsSync, readFileSync, statSync } from 'node:fs';
import { hostname } from 'node:os';
import { resolve } from 'node:path';
import { Command, Option } from 'commander';
import YAML from 'yaml';
import { ConfigError, loadConfig, parseDuration, parseGlobalDns, parseGlobalDnsProvider, parseListenAddress } from './config/index.js';
import { isKubeCluster } from './config/index.js';
import type { Config, ListenAddress, ProxyConfig } from './config/index.js';
import type { ProxyService } from './proxy/index.js';
import { Controller, ExternalController, kubeLeaseApi, LeaderElector, managedProvider as managedProviderFor, ManagementRuntime, yamlBindings, yamlProviderProblems } from './controller/index.js';
import type { EntrySyncStatus, ProviderBinding } from './controller/index.js';
import type { Logger } from './kernel/index.js';
import type { DnsProvider, ProviderCallObserver } from '../providers/provider.js';
import type { GlobalDnsEntry } from './model/index.js';
import { DesiredState } from './desired/index.js';
import { LoadBalancerResolver, nodeLookupBackend } from './sources/resolver/index.js';
import { DnsServer, TYPE, ZoneStore } from './dns/index.js';
import { AdminServer, buildStatus, createLogger, formatStatus, Metrics } from './observe/index.js';
import type { ClusterView, EntrySync, Readiness, StatusInputs, StatusReport } from './observe/index.js';
import { ClientNodeSecretApi, ClusterFleet, ClusterSecretSource, createKubeClusterSource, EndpointStore, FolderSource, loadKubeConfig, ManagementSource, StoreSnapshot } from './sources/index.js';
import type { KubeClusterSource, ManagedProvider, ManagementView } from './sources/index.js';

const LOG_LEVELS = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'] as const;

interface ServeFlags {
  config: string;
  dnsListen?: string[];
  stateDir?: string;
  logLevel?: (typeof LOG_LEVELS)[number];
  adminListen?: string;
  shutdownTimeout?: string;
}

/** Prints every problem of a bad config and exits 1. */
function failConfig(e: unknown, file: string): never {
  if (e instanceof ConfigError) {
    for (const p of e.problems) process.stderr.write(`${p}\n`);
    process.stderr.write(`${e.problems.length} problem${e.problems.length === 1 ? '' : 's'} in ${resolve(file)}\n`);
  } else {
    process.stderr.write(`${(e as Error).message}\n`);
  }
  process.exit(1);
}

function readConfig(file: string): Config {
  try {
    return loadConfig(file);
  } catch (e) {
    failConfig(e, file);
  }
}

/**
 * Checks that need the file system beyond what loadConfig reads: not part of it, since
 * `serve` tolerates a manifest folder that appears later. Kubeconfigs are loaded with the
 * client library, which is stricter than the config check.
 */
function fileProblems(config: Config): string[] {
  return config.clusters.flatMap((c) => {
    if (isKubeCluster(c)) {
      if ('inCluster' in c.connection) return [];
      try {
        loadKubeConfig(c.connection);
        return [];
      } catch (e) {
        return [`cluster ${c.name}: ${(e as Error).message}`];
      }
    }
    if (!existsSync(c.manifests)) return [`cluster ${c.name}: manifests folder not found: ${c.manifests}`];
    if (!statSync(c.manifests).isDirectory()) return [`cluster ${c.name}: manifests: not a folder: ${c.manifests}`];
    return [];
  });
}

/** A source as serve starts, waits for and stops it. */
interface RunningSource {
  cluster: string;
  start(): void | Promise<void>;
  stop(): void;
  /** Resolves when the source has read its cluster, or given up waiting for it. */
  settled(): Promise<void>;
  synced(): boolean;
  /** Rancher project ids its namespaces carry; undefined while unknown (or not tracked: folders). */
  projects(): ReadonlySet<string> | undefined;
  /** Calls `listener` when `projects()` may have changed. */
  onProjectsChange(listener: () => void): void;
  /** Watch state for metrics and the status page. */
  view(): ClusterView;
  /** A source of many clusters (kubeconfig Secrets): their names now, their projects, their views (instead of `view()`). */
  clusterNames?(): string[];
  projectsOf?(cluster: string): ReadonlySet<string> | undefined;
  views?(): ClusterView[];
}

/** Every cluster the sources run now, the config file's and the Secrets'. */
function clusterNamesOf(sources: readonly RunningSource[]): string[] {
  return sources.flatMap((s) => s.clusterNames?.() ?? [s.cluster]);
}

async function serve(flags: ServeFlags): Promise<void> {
  const config = readConfig(flags.config);
  const providerProblems = await yamlProviderProblems(config);
  if (providerProblems.length > 0) failConfig(new ConfigError(providerProblems), flags.config);
  let listen: ListenAddress[] = config.dns.listen;
  if (flags.dnsListen && flags.dnsListen.length > 0) {
    try {
      listen = flags.dnsListen.map(parseListenAddress);
    } catch (e) {
      failConfig(new ConfigError([`--dns-listen: ${(e as Error).message}`]), flags.config);
    }
  }
  const stateDir = flags.stateDir ? resolve(flags.stateDir) : config.stateDir;
  const log = createLogger(flags.logLevel ?? config.logLevel);
  log.info({ config: config.source, stateDir }, 'starting');

  // Last known zones first, so that a restart answers before any cluster has been listed.
  const zones = new ZoneStore({ stateDir });
  await zones.load();
  const readiness: Readiness = { sourcesSynced: false, snapshotLoaded: zones.apexes().length > 0, listenersBound: false };
  const metrics = new Metrics({ version: packageVersion() });
  providerCalls = metrics.providerObserver();

  const embedded = new Set(config.providers.filter((p) => p.type === 'embedded').map((p) => p.name));
  const store = new EndpointStore();
  // The endpoints beside the zones: a cluster unreachable at start keeps its last ones (a
  // folder's are replaced when it is read), and the zones need not wait for it to follow the
  // others. Clusters of kubeconfig Secrets are not restored: nothing would remove those of a
  // Secret deleted meanwhile.
  const storeSnapshot = new StoreSnapshot({ stateDir, store, logger: log.child({ module: 'sources' }) });
  const storeRestored = await storeSnapshot.restore((cluster) => config.clusters.some((c) => c.name === cluster));
  storeSnapshot.start();
  // Management mode: entries (and Secret clusters) come from the management cluster, so the
  // snapshot zones still wait for it (`ready()`) rather than drop the names it governs.
  const followAtOnce = storeRestored && !config.management;
  const resolver = lbResolver(config, log);
  const desired = new DesiredState({ store, resolver, entries: config.entries, logger: log.child({ module: 'desired' }) });
  void desired.start();
  const controller = new Controller({
    zones: config.zones,
    entries: config.entries.filter((e) => embedded.has(e.provider)),
    desired,
    sink: zones,
    logger: log.child({ module: 'controller' }),
    storeRestored: followAtOnce,
  });
  controller.start();

  const server = new DnsServer({
    zones,
    listen,
    udpPayloadMax: config.dns.udpPayloadMax,
    tcpIdleTimeoutMs: config.dns.tcpIdleTimeoutMs,
    maxTcpConnections: config.dns.maxTcpConnections,
    logger: log.child({ module: 'dns' }),
  });
  try {
    await server.start();
  } catch (e) {
    log.fatal({ err: (e as Error).message, listen }, 'cannot listen');
    controller.stop();
    process.exit(1);
  }
  log.info({ addresses: server.addresses().map((a) => `${a.transport}://${a.host.includes(':') ? `[${a.host}]` : a.host}:${a.port}`) }, 'dns listening');
  metrics.attachDns(server.stats);
  const syncBook = new SyncBook(metrics);

  const fleet = new ClusterFleet(store);
  // Only claims an entry accepts keep a name served (a lost cluster's endpoints go only then).
  fleet.setClaimFilter((e, hostname) => desired.accepts(e, hostname));
  const sources = buildSources(config, store, fleet, log.child({ module: 'sources' }), (cluster, e) => {
    log.fatal({ cluster, err: e.message }, `cluster ${cluster}: ${e.message}`);
    process.exit(1);
  });
  // Set once the proxy runs: in cluster mode only the leader orders ACME certificates.
  const lateProxy: { tls?: ProxyService['tls'] } = {};
  const management = config.management ? await startManagement(config, { desired, controller, zones, log, sources, leading: (yes) => lateProxy.tls?.setOrdering(yes), onSyncStatus: (st) => syncBook.report(st) }) : undefined;
  const external = management ? undefined : await buildExternal(config, desired, log.child({ module: 'external' }), (st) => syncBook.report(st));
  const admin = await startAdmin(flags, { config, store, desired, sources, management, external, syncBook, metrics, readiness, log });
  const proxy = config.proxy ? await startProxyOrExit(config, config.proxy, { desired, stateDir, log, logLevel: flags.logLevel ?? config.logLevel, metrics }) : undefined;
  if (management) {
    // The resources' entries, merged with the YAML's, are the desired state's entries; the
    // proxy's certificates follow them too.
    management.runtime.onEntries((entries) => {
      desired.setEntries(entries);
      fleet.healthChanged();
      proxy?.setEntries(entries);
    });
  }
  if (proxy && management) {
    lateProxy.tls = proxy.tls;
    proxy.tls.setOrdering(management.elector.isLeader());
  }
  readiness.listenersBound = true;

  const shutdownMs = parseDurationFlag(flags.shutdownTimeout ?? '10s', '--shutdown-timeout', flags.config);
  let stopping = false;
  const shutdown = async (signal: string): Promise<void> => {
    if (stopping) {
      // A second signal means "now": the snapshot may be a few changes behind, which is what a restart serves anyway.
      process.exit(1);
    }
    stopping = true;
    log.info({ signal }, 'stopping');
    // Bounded: a provider or API server that does not answer must not keep the process (and
    // its DNS port) past what the orchestrator allows; the Lease expires by itself then.
    const bound = setTimeout(() => {
      log.error({ signal, timeoutMs: shutdownMs }, `shutdown took longer than ${shutdownMs} ms; exiting`);
      process.exit(1);
    }, shutdownMs);
    bound.unref();
    readiness.listenersBound = false;
    // The Lease first: a follower takes over at its next poll while this one winds down.
    await management?.elector.stop({ release: true });
    await management?.runtime.stop();
    management?.source.stop();
    for (const s of sources) s.stop();
    controller.stop();
    desired.stop();
    resolver.stop();
    await external?.stop();
    await server.stop();
    await proxy?.stop();
    await admin?.stop();
    await zones.flush();
    await storeSnapshot.flush();
    log.info({}, 'stopped');
    process.exit(0);
  };
  process.on('SIGINT', (s) => void shutdown(s));
  process.on('SIGTERM', (s) => void shutdown(s));

  // A folder source starts asynchronously, a watched cluster synchronously (void): both awaited.
  // eslint-disable-next-line @typescript-eslint/await-thenable
  await Promise.all(sources.map((s) => s.start()));
  const unread = sources.filter((s) => !s.synced()).map((s) => s.cluster);
  if (unread.length > 0) {
    // A cluster that cannot be read is a failure, not an empty cluster: its restored endpoints
    // stay (or, with no endpoint snapshot, the snapshot zones are held) until it is read or its grace ends.
    log.info({ clusters: unread }, followAtOnce ? 'waiting for clusters to be read; their last endpoints are kept until then' : 'waiting for clusters to be read; snapshot zones kept as they are until then');
  }
  await Promise.all(sources.map((s) => s.settled()));
  if (management) {
    // The resources' entries belong in the first full publication of the zones.
    await withTimeout(management.source.whenSynced(), config.sources.gracePeriodMs);
    if (management.source.failures().length > 0) log.warn({ failures: management.source.failures() }, 'management cluster not read; going on with the YAML entries');
  }
  if (stopping) return;
  await controller.ready();
  readiness.sourcesSynced = true;
  log.info({ clusters: sources.filter((s) => s.synced()).map((s) => s.cluster), endpoints: store.size, zones: zones.apexes() }, 'sources synced');
  // External providers are written only once every cluster has been read: a plan made from a
  // half-listed fleet would delete the records of the clusters not read yet.
  if (management) {
    await management.runtime.start();
    log.info({}, 'management mode: external providers started');
  }
  if (external) {
    await external.start();
    log.info({ providers: config.providers.filter((p) => p.type !== 'embedded').map((p) => p.name) }, 'external providers synced');
  }
}

/** The bundled proxy (issue 6): listeners, workers and certificates; exits when it cannot listen. */
async function startProxyOrExit(
  config: Config,
  proxyConfig: ProxyConfig,
  parts: { desired: DesiredState; stateDir: string; log: ReturnType<typeof createLogger>; logLevel: string; metrics: Metrics },
): Promise<ProxyService> {
  const logger = parts.log.child({ module: 'proxy' });
  try {
    // Loaded only when used: ACME and TLS code is not needed by DNS-only configs or `validate`.
    const { startProxyService } = await import('./proxy/index.js');
    const kube = config.management ? { kubeConfig: loadKubeConfig(config.management.connection), namespace: config.management.leaseNamespace } : undefined;
    const proxy = await startProxyService({ config: proxyConfig, entries: config.entries, desired: parts.desired, stateDir: parts.stateDir, logger, logLevel: parts.logLevel, kube, metrics: parts.metrics.proxy });
    const a = proxy.addresses();
    logger.info({ http: a.http, https: a.https, workers: proxyConfig.workers }, 'proxy listening');
    return proxy;
  } catch (e) {
    parts.log.fatal({ err: (e as Error).message }, `proxy: ${(e as Error).message}`);
    process.exit(1);
  }
}

/** One running source per configured cluster. */
function buildSources(config: Config, store: EndpointStore, fleet: ClusterFleet, sourceLog: ReturnType<typeof createLogger>, fail: (cluster: string, e: Error) => never): RunningSource[] {
  const sources: RunningSource[] = [];
  for (const c of config.clusters) {
    if (isKubeCluster(c)) {
      let source: KubeClusterSource;
      try {
        source = createKubeClusterSource(c, { store, fleet, sources: config.sources, logger: sourceLog });
      } catch (e) {
        fail(c.name, e as Error);
      }
      sources.push({
        cluster: c.name,
        start: () => source.start(),
        stop: () => source.stop(),
        // Synced, or Lost after its own grace period.
        settled: () => source.whenSettled(),
        synced: () => source.phase === 'Synced',
        projects: () => source.projects(),
        onProjectsChange: (l) => void source.onProjectsChange(l),
        view: () => {
          const st = source.state();
          return { cluster: c.name, phase: st.phase, since: st.since, lastError: st.lastError, failing: st.failing, ...source.activity() };
        },
      });
    } else {
      const folder = new FolderSource({
        cluster: c.name,
        dir: c.manifests,
        store,
        report: (p) => sourceLog.warn({ cluster: c.name, ...p }, 'manifest problem'),
      });
      sources.push({
        cluster: c.name,
        start: () => folder.start(),
        stop: () => folder.stop(),
        settled: () => withTimeout(folder.whenSynced(), config.sources.gracePeriodMs),
        synced: () => folder.synced,
        projects: () => undefined,
        onProjectsChange: () => {},
        view: () => ({ cluster: c.name, phase: folder.synced ? 'Synced' : 'Syncing', watchRestarts: 0 }),
      });
    }
  }

  if (config.clusterSecrets && config.management) sources.push(clusterSecretsSource(config, store, fleet, sourceLog, fail));
  return sources;
}

/**
 * The clusters of kubeconfig Secrets in the management cluster (`clusterSecrets:`), added,
 * replaced and removed while serve runs, in the same fleet as the config file's clusters.
 */
function clusterSecretsSource(config: Config, store: EndpointStore, fleet: ClusterFleet, sourceLog: ReturnType<typeof createLogger>, fail: (cluster: string, e: Error) => never): RunningSource {
  const cs = config.clusterSecrets!;
  const label = `Secrets ${cs.namespace}`;
  let kc: ReturnType<typeof loadKubeConfig>;
  try {
    kc = loadKubeConfig(config.management!.connection);
  } catch (e) {
    fail(label, new Error(`clusterSecrets: management: ${(e as Error).message}`));
  }
  const listeners: (() => void)[] = [];
  const subscribed = new WeakSet<KubeClusterSource>();
  const secrets: ClusterSecretSource = new ClusterSecretSource({
    api: new ClientNodeSecretApi(kc, cs.namespace, cs.labelSelector),
    namespace: cs.namespace,
    store,
    fleet,
    cluster: cs.options,
    backoff: config.sources.backoff,
    watchdogMs: config.sources.watchdogMs,
    settleTimeoutMs: config.sources.gracePeriodMs,
    reserved: new Set(config.clusters.map((c) => c.name)),
    logger: sourceLog,
    // A cluster added or removed changes which targets exist and which projects are known.
    onClustersChange: () => {
      for (const name of secrets.clusters()) {
        const source = secrets.source(name);
        if (!source || subscribed.has(source)) continue;
        subscribed.add(source);
        source.onProjectsChange(() => listeners.forEach((l) => l()));
      }
      listeners.forEach((l) => l());
    },
  });
  const views = (): ClusterView[] => {
    const out: ClusterView[] = secrets.states().map((st) => ({ cluster: st.cluster, phase: st.phase, since: st.since, lastError: st.lastError, failing: st.failing, lastEventAt: st.lastEventAt, watchRestarts: st.watchRestarts }));
    // The Secrets' own watch, while it fails (a 403 says the Role does not grant them).
    const failure = secrets.watchFailure();
    if (failure !== undefined) out.push({ cluster: label, phase: 'Degraded', lastError: failure, watchRestarts: 0 });
    return out;
  };
  return {
    cluster: label,
    start: () => secrets.start(),
    stop: () => secrets.stop(),
    settled: () => secrets.whenSettled(),
    synced: () => secrets.synced(),
    projects: () => undefined,
    onProjectsChange: (l) => void listeners.push(l),
    view: () => ({ cluster: label, phase: secrets.watchFailure() ? 'Degraded' : 'Synced', lastError: secrets.watchFailure(), watchRestarts: 0 }),
    clusterNames: () => secrets.clusters(),
    projectsOf: (cluster) => secrets.source(cluster)?.projects(),
    views,
  };
}

/** The controller of the external providers (Route53, ...), if any is configured. */
async function buildExternal(config: Config, desired: DesiredState, logger: Logger, onSync?: (st: EntrySyncStatus) => void): Promise<ExternalController | undefined> {
  const bindings = await staticBindings(config);
  if (bindings.length === 0) return undefined;
  const lastStatus = new Map<string, string>();
  return new ExternalController({
    bindings,
    desired,
    logger,
    debounceMs: config.sync.debounceMs,
    maxDelayMs: config.sync.maxDelayMs,
    resync: config.sync.resync,
    onStatus: (st) => {
      onSync?.(st);
      // Once per change of state, not per sync.
      const key = `${st.provider}/${st.fqdn}`;
      const said = `${st.reason}: ${st.message}`;
      if (lastStatus.get(key) === said) return;
      lastStatus.set(key, said);
      if (st.synced) logger.info({ fqdn: st.fqdn, provider: st.provider }, st.message);
      else logger.warn({ fqdn: st.fqdn, provider: st.provider, reason: st.reason }, st.message);
    },
  });
}

/**
 * Counts every provider request in /metrics (API calls, errors, throttles); set by `serve`
 * once its metrics exist, before any provider is built. `plan` leaves it unset.
 */
let providerCalls: ProviderCallObserver | undefined;

/** The external providers of the YAML config (see src/controller/bindings.ts). */
async function staticBindings(config: Config): Promise<ProviderBinding[]> {
  return yamlBindings(config, providerCalls);
}

/** A provider for a GlobalDNSProvider resource, credentials from its Secret. */
async function managedProvider(p: ManagedProvider): Promise<DnsProvider> {
  return managedProviderFor(p, providerCalls);
}

interface ManagementParts {
  source: ManagementSource;
  elector: LeaderElector;
  runtime: ManagementRuntime;
}

/**
 * Management-cluster mode: the resources' source, leader election on the Lease, and the
 * runtime joining them to the controllers. The source and the election start now; the
 * runtime's external side once the clusters have been read (`runtime.start()`).
 */
async function startManagement(
  config: Config,
  parts: {
    desired: DesiredState;
    controller: Controller;
    zones: ZoneStore;
    log: ReturnType<typeof createLogger>;
    sources: readonly RunningSource[];
    /** Told when this replica starts (true) and stops (false) leading. */
    leading?: (yes: boolean) => void;
    /** Entry sync reports (for the metrics). */
    onSyncStatus?: (st: EntrySyncStatus) => void;
  },
): Promise<ManagementParts> {
  const m = config.management;
  if (!m) throw new Error('management: not configured');
  const { log, zones } = parts;
  let kc: ReturnType<typeof loadKubeConfig>;
  try {
    kc = loadKubeConfig(m.connection);
  } catch (e) {
    log.fatal({ err: (e as Error).message }, `management: ${(e as Error).message}`);
    process.exit(1);
  }
  const identity = m.identity ?? `${hostname()}-${process.pid}`;
  const holder: { runtime?: ManagementRuntime } = {};
  const source = new ManagementSource({
    kubeConfig: kc,
    instance: identity,
    secretNamespace: m.secretNamespace,
    backoff: config.sources.backoff,
    watchdogMs: config.sources.watchdogMs,
    logger: log.child({ module: 'management' }),
    onChange: (view) => holder.runtime?.onView(view),
  });
  const elector = new LeaderElector({
    api: kubeLeaseApi(kc),
    namespace: m.leaseNamespace,
    name: m.leaseName,
    identity,
    leaseDurationMs: m.leaseDurationMs,
    renewDeadlineMs: m.renewDeadlineMs,
    retryPeriodMs: m.retryPeriodMs,
    // Count the lease from one poll before a renewal was seen: a crashed leader is then
    // replaced within the lease duration (the config checks renewDeadline + poll < lease).
    followerLeadMs: m.retryPeriodMs * 1.2,
    logger: log.child({ module: 'leader' }),
    onStartedLeading: () => {
      log.info({ identity }, `leading as ${identity}`);
      holder.runtime?.leadershipStarted();
      parts.leading?.(true);
    },
    onStoppedLeading: () => {
      log.info({ identity }, `stopped leading as ${identity}`);
      holder.runtime?.leadershipStopped();
      parts.leading?.(false);
    },
    onNewLeader: (leader) => log.info({ leader }, `leader is ${leader}`),
  });
  const embeddedNames = config.providers.filter((p) => p.type === 'embedded').map((p) => p.name);
  const staticEntries = config.entries;
  const watchedClusters = clusterNamesOf(parts.sources);
  const runtime = new ManagementRuntime({
    source,
    leadership: elector,
    desired: parts.desired,
    embedded: parts.controller,
    staticEntries,
    staticEmbedded: embeddedNames,
    staticBindings: await staticBindings(config),
    // Live: clusters from kubeconfig Secrets come and go (refreshed below).
    clusters: watchedClusters,
    projectsOf: (cluster) => {
      const s = parts.sources.find((x) => x.cluster === cluster && !x.clusterNames);
      return s ? s.projects() : parts.sources.find((x) => x.clusterNames?.().includes(cluster))?.projectsOf?.(cluster);
    },
    zones: config.zones.map((z) => z.apex),
    makeProvider: managedProvider,
    embeddedHolds: (fqdn) => {
      const zone = zones.find(fqdn);
      return zone !== undefined && zone.lookup(fqdn, TYPE.A).answer.length + zone.lookup(fqdn, TYPE.AAAA).answer.length > 0;
    },
    logger: log.child({ module: 'external' }),
    sync: config.sync,
    onSyncStatus: parts.onSyncStatus,
  });
  holder.runtime = runtime;
  for (const s of parts.sources) {
    s.onProjectsChange(() => {
      watchedClusters.splice(0, watchedClusters.length, ...clusterNamesOf(parts.sources));
      runtime.projectsChanged();
    });
  }
  source.start();
  elector.start();
  return { source, elector, runtime };
}

/** The one resolver of load-balancer hostnames (a source: their addresses change without Kubernetes events). */
function lbResolver(config: Config, log: ReturnType<typeof createLogger>): LoadBalancerResolver {
  return new LoadBalancerResolver({
    backend: nodeLookupBackend(config.resolver.servers),
    minRefreshMs: config.resolver.minRefreshMs,
    maxRefreshMs: config.resolver.maxRefreshMs,
    onError: (hostname, e) => log.warn({ hostname, err: e.message }, 'load-balancer hostname lookup failed'),
  });
}

/** Resolves when `p` does or after `ms`, whichever is first. */
function withTimeout(p: Promise<void>, ms: number): Promise<void> {
  return new Promise<void>((resolve) => {
    const timer = setTimeout(resolve, ms);
    timer.unref();
    void p.then(() => {
      clearTimeout(timer);
      resolve();
    });
  });
}

/**
 * `globaldns plan`: reads every cluster once and every external provider, prints the changes a
 * sync would make (and what the embedded server would serve), and changes nothing. With
 * `management:` the GlobalDNS / GlobalDNSProvider resources are read once too and merged with
 * the YAML entries and providers as `serve` merges them; their problems are printed
 * (`problem   Kind resource: message`). No leader election, no status or Event is written.
 */
async function planCommand(flags: { config: string; logLevel?: (typeof LOG_LEVELS)[number] }): Promise<void> {
  const config = readConfig(flags.config);
  const problems = [...fileProblems(config), ...(await yamlProviderProblems(config))];
  if (problems.length > 0) failConfig(new ConfigError(problems), flags.config);
  // Logs go to stderr: stdout carries the plan alone.
  const log = createLogger(flags.logLevel ?? 'warn', process.stderr);
  const store = new EndpointStore();
  const sources = buildSources(config, store, new ClusterFleet(store), log.child({ module: 'sources' }), (cluster, e) => {
    process.stderr.write(`cluster ${cluster}: ${e.message}\n`);
    process.exit(1);
  });
  // A folder source starts asynchronously, a watched cluster synchronously (void): both awaited.
  // eslint-disable-next-line @typescript-eslint/await-thenable
  await Promise.all(sources.map((s) => s.start()));
  await Promise.all(sources.map((s) => s.settled()));
  const unread = sources.filter((s) => !s.synced()).map((s) => s.cluster);
  if (unread.length > 0) process.stderr.write(`warning: not read, planned without them: ${unread.join(', ')}\n`);

  // Management mode: the resources, read once, merged with the YAML as `serve` merges them
  // (a name the YAML has stays the YAML's). No Lease, no status, no Event: nothing is written.
  const view = config.management ? await readManagementOnce(config, log) : undefined;
  const yamlNames = new Set(config.entries.map((e) => e.fqdn));
  const entries: GlobalDnsEntry[] = [...config.entries, ...(view?.entries ?? []).filter((e) => !yamlNames.has(e.fqdn))];
  const bindings = await staticBindings(config);
  for (const p of view?.providers ?? []) {
    if (p.type === 'embedded') continue;
    try {
      bindings.push({ name: p.name, provider: await managedProvider(p), ownerId: p.spec.ownerId, policy: p.spec.policy, adoptFrom: p.spec.adoptFrom });
    } catch (e) {
      process.stderr.write(`warning: GlobalDNSProvider ${p.name} cannot be used, planned without it: ${(e as Error).message}\n`);
    }
  }

  const resolver = lbResolver(config, log);
  const desired = new DesiredState({ store, resolver, entries, logger: log.child({ module: 'desired' }) });
  await desired.start();
  const out: string[] = [];
  for (const p of view?.problems ?? []) out.push(`problem   ${p.kind} ${p.resource}: ${p.message}`);
  const embedded = new Set([...config.providers.filter((p) => p.type === 'embedded').map((p) => p.name), ...(view?.providers ?? []).filter((p) => p.type === 'embedded').map((p) => p.name)]);
  for (const name of [...desired.names()].sort()) {
    const state = desired.get(name);
    if (!state?.entry || !embedded.has(state.entry.provider)) continue;
    for (const r of state.records) out.push(`embedded  ${r.name} ${r.ttl} ${r.type} ${r.values.join(' ')}`);
  }
  for (const r of desired.rejected()) out.push(`rejected  ${r.fqdn} ${r.key}: ${r.reason}`);

  const external = bindings.length === 0
    ? undefined
    : new ExternalController({
      bindings,
      desired,
      logger: log.child({ module: 'external' }),
      debounceMs: config.sync.debounceMs,
      maxDelayMs: config.sync.maxDelayMs,
      resync: false,
      canWrite: () => false,
    });
  for (const { provider, zone, plan, conflicts } of (await external?.dryRun()) ?? []) {
    const n = plan.creates.length + plan.updates.length + plan.deletes.length;
    out.push(`${provider} ${zone.name} (${zone.id}): ${n} change${n === 1 ? '' : 's'}, ${conflicts.length} conflict${conflicts.length === 1 ? '' : 's'}`);
    for (const r of plan.creates) out.push(`  + ${r.name} ${r.ttl} ${r.type} ${r.values.join(' ')}`);
    for (const u of plan.updates) out.push(`  ~ ${u.to.name} ${u.to.type} ${u.from.ttl} ${u.from.values.join(' ')} -> ${u.to.ttl} ${u.to.values.join(' ')}`);
    for (const r of plan.deletes) out.push(`  - ${r.name} ${r.ttl} ${r.type} ${r.values.join(' ')}`);
    for (const c of conflicts) out.push(`  ! ${c.name} ${c.type}: ${c.reason}`);
  }
  process.stdout.write(out.join('\n') + (out.length > 0 ? '\n' : ''));
  for (const s of sources) s.stop();
  desired.stop();
  resolver.stop();
  process.exit(0);
}

/**
 * The management cluster's resources, read once for `plan`: the source runs until its first
 * view (or the sources' grace period), then stops. Undefined when it could not be read.
 */
async function readManagementOnce(config: Config, log: ReturnType<typeof createLogger>): Promise<ManagementView | undefined> {
  const m = config.management;
  if (!m) return undefined;
  let kc: ReturnType<typeof loadKubeConfig>;
  try {
    kc = loadKubeConfig(m.connection);
  } catch (e) {
    process.stderr.write(`management: ${(e as Error).message}\n`);
    process.exit(1);
  }
  let synced = false;
  const source = new ManagementSource({ kubeConfig: kc, secretNamespace: m.secretNamespace, backoff: config.sources.backoff, watchdogMs: config.sources.watchdogMs, logger: log.child({ module: 'management' }) });
  source.start();
  await withTimeout(
    source.whenSynced().then(() => {
      synced = true;
    }),
    config.sources.gracePeriodMs,
  );
  source.stop();
  if (!synced) {
    const why = source.failures().map((f) => `${f.kind}: ${f.reason}`).join('; ');
    process.stderr.write(`warning: management cluster not read, planned with the YAML entries only${why ? ` (${why})` : ''}\n`);
    return undefined;
  }
  return source.view();
}

async function validate(flags: { config?: string; resources?: string[] }): Promise<void> {
  if (!flags.config && !flags.resources?.length) failConfig(new ConfigError(['give --config and/or --resources']), '(none)');
  const problems: string[] = [];
  if (flags.config) {
    const config = readConfig(flags.config);
    problems.push(...fileProblems(config), ...(await yamlProviderProblems(config)));
  }
  for (const file of flags.resources ?? []) problems.push(...resourceProblems(file));
  if (problems.length > 0) failConfig(new ConfigError(problems), flags.config ?? flags.resources?.join(', ') ?? '');
  process.stdout.write('ok\n');
}

/**
 * GlobalDNS and GlobalDNSProvider manifests checked with the schemas the management source
 * applies, so a resource can be checked before `kubectl apply`: `file document N (Kind name): path: problem`.
 */
function resourceProblems(file: string): string[] {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (e) {
    return [`${file}: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`];
  }
  const problems: string[] = [];
  const docs = YAML.parseAllDocuments(text);
  docs.forEach((doc, i) => {
    const at = `${file} document ${i + 1}`;
    if (doc.errors.length > 0) {
      problems.push(`${at}: ${doc.errors[0].message.split('\n')[0]}`);
      return;
    }
    const obj: unknown = doc.toJS();
    if (obj === null || obj === undefined) return;
    const kind = typeof obj === 'object' && 'kind' in obj ? String(obj.kind) : '';
    const name = typeof obj === 'object' && 'metadata' in obj ? String((obj as { metadata?: { name?: unknown } }).metadata?.name ?? '') : '';
    const result = kind === 'GlobalDNS' ? parseGlobalDns(obj) : kind === 'GlobalDNSProvider' ? parseGlobalDnsProvider(obj) : undefined;
    if (!result) return; // Secrets and other kinds in the same file are not ours to check
    if (!result.ok) { for (const p of result.problems) problems.push(`${at} (${kind} ${name}): ${p}`); }
  });
  return problems;
}

/** Default `--admin-listen`: loopback only, since the admin port needs no credentials. */
const DEFAULT_ADMIN_LISTEN = '127.0.0.1:9090';

/** The version in package.json (dist/src/cli.js and src/cli.ts both reach it). */
function packageVersion(): string {
  for (const rel of ['../../package.json', '../package.json']) {
    try {
      const pkg = JSON.parse(readFileSync(new URL(rel, import.meta.url), 'utf8')) as { name?: string; version?: string };
      if (pkg.name === 'globaldns' && pkg.version) return pkg.version;
    } catch {
      // Not at this depth; try the next.
    }
  }
  return 'unknown';
}

function parseDurationFlag(text: string, flag: string, configFile: string): number {
  const ms = parseDuration(text);
  if (!Number.isFinite(ms) || ms <= 0) failConfig(new ConfigError([`${flag}: not a duration "${text}" (like 10s, 500ms)`]), configFile);
  return ms;
}

/** The last sync report per provider and name (status page), and failures counted once per change (metrics). */
class SyncBook {
  private readonly last = new Map<string, EntrySync>();

  constructor(private readonly metrics: Metrics) {}

  report(st: EntrySyncStatus): void {
    const key = `${st.provider}/${st.fqdn}`;
    const before = this.last.get(key);
    this.last.set(key, { fqdn: st.fqdn, provider: st.provider, synced: st.synced, reason: st.reason, message: st.message });
    if (before?.reason !== st.reason || before.message !== st.message) this.metrics.syncReported(st);
  }

  all(): EntrySync[] {
    return [...this.last.values()];
  }
}

/**
 * The admin listener (`--admin-listen`, `off` for none) and the inputs of its metrics and
 * status report. With the default address a bind failure (a second instance on the host) is
 * logged and DNS goes on; with an address given explicitly it is fatal, like DNS's.
 */
async function startAdmin(
  flags: ServeFlags,
  parts: {
    config: Config;
    store: EndpointStore;
    desired: DesiredState;
    sources: readonly RunningSource[];
    management?: ManagementParts;
    external?: ExternalController;
    syncBook: SyncBook;
    metrics: Metrics;
    readiness: Readiness;
    log: ReturnType<typeof createLogger>;
  },
): Promise<AdminServer | undefined> {
  const { config, store, desired, sources, management, external, syncBook, metrics, readiness, log } = parts;
  const text = flags.adminListen ?? DEFAULT_ADMIN_LISTEN;
  if (text === 'off') return undefined;
  let at: ListenAddress;
  try {
    at = parseListenAddress(text);
  } catch (e) {
    failConfig(new ConfigError([`--admin-listen: ${(e as Error).message}`]), flags.config);
  }
  const entries = () => management?.runtime.entries() ?? config.entries;
  const inputs: StatusInputs = {
    version: packageVersion(),
    clusters: () => sources.flatMap((s) => s.views?.() ?? [s.view()]),
    endpoints: store,
    entries,
    entryFor: (fqdn) => desired.entryFor(fqdn),
    rejected: () => desired.rejected(),
    providers: () => management?.runtime.providerStates() ?? external?.providerStates() ?? [],
    syncs: () => (management ? management.runtime.syncStatuses() : syncBook.all()),
    leader: () => (management ? { identity: management.elector.identity, isLeader: management.elector.isLeader(), leader: management.elector.currentLeader() } : undefined),
    readiness: () => ({ ...readiness }),
  };
  // A scrape and a dashboard poll in the same instant share one report.
  let last: { at: number; report: StatusReport } | undefined;
  const status = (): StatusReport => {
    const now = Date.now();
    if (!last || now - last.at > 200) last = { at: now, report: buildStatus(inputs, now) };
    return last.report;
  };
  metrics.setInputs({ clusters: inputs.clusters, providers: inputs.providers, names: () => status().names, leader: inputs.leader });
  const admin = new AdminServer({ host: at.host, port: at.port, metrics, status, readiness: inputs.readiness, logger: log.child({ module: 'admin' }) });
  try {
    const addr = await admin.start();
    log.info({ address: `http://${addr.family === 'IPv6' ? `[${addr.address}]` : addr.address}:${addr.port}` }, 'admin listening');
    return admin;
  } catch (e) {
    if (flags.adminListen === undefined) {
      log.error({ err: (e as Error).message, listen: text }, 'admin listener not started; DNS goes on without /metrics and /readyz');
      return undefined;
    }
    log.fatal({ err: (e as Error).message, listen: text }, 'cannot listen (admin)');
    process.exit(1);
  }
}

/**
 * `globaldns status`: the running service's report (`/api/v1/status` of its admin listener)
 * as tables. Exit 0 when ready, 1 when not ready, 2 when the service cannot be reached.
 */
async function statusCommand(flags: { admin: string; json?: boolean }): Promise<void> {
  const base = flags.admin.replace(/\/+$/, '');
  let report: StatusReport;
  try {
    const res = await fetch(`${base}/api/v1/status`, { signal: AbortSignal.timeout(5000) });
    if (!res.ok) throw new Error(`HTTP ${res.status}`);
    report = (await res.json()) as StatusReport;
  } catch (e) {
    const cause = (e as { cause?: { code?: string } }).cause?.code;
    process.stderr.write(`globaldns status: ${base}/api/v1/status: ${cause ?? (e as Error).message}\n`);
    process.exit(2);
  }
  process.stdout.write(flags.json ? JSON.stringify(report, null, 2) + '\n' : formatStatus(report));
  process.exit(report.ready ? 0 : 1);
}

const program = new Command()
  .name('globaldns')
  .description('One DNS name for an application that runs in many Kubernetes clusters.');

program
  .command('serve')
  .description('run the service: watch the clusters, serve DNS')
  .requiredOption('--config <file>', 'configuration file (YAML)')
  .option('--dns-listen <addr>', 'DNS listen address host:port or [v6]:port; repeatable; replaces dns.listen', (v: string, prev: string[] = []) => [...prev, v])
  .option('--state-dir <dir>', 'where zone snapshots are kept (default: stateDir of the config)')
  .addOption(new Option('--log-level <level>', 'log level (default: logLevel of the config)').choices([...LOG_LEVELS]))
  .option('--admin-listen <addr>', `admin listener (/metrics, /healthz, /readyz, /api/v1/status, dashboard): host:port, or off (default ${DEFAULT_ADMIN_LISTEN})`)
  .option('--shutdown-timeout <duration>', 'on SIGTERM, exit after this long even if draining is not done (default 10s)')
  .action((flags: ServeFlags) => serve(flags));

program
  .command('plan')
  .description('print the changes a sync would make to every provider, and make none')
  .requiredOption('--config <file>', 'configuration file (YAML)')
  .addOption(new Option('--log-level <level>', 'log level on stderr (default warn)').choices([...LOG_LEVELS]))
  .action((flags: { config: string; logLevel?: (typeof LOG_LEVELS)[number] }) => planCommand(flags));

program
  .command('status')
  .description("print a running service's clusters, providers and names; exit 1 when it is not ready, 2 when unreachable")
  .option('--admin <url>', 'the admin listener of the service', `http://${DEFAULT_ADMIN_LISTEN}`)
  .option('--json', 'print the report as JSON')
  .action((flags: { admin: string; json?: boolean }) => statusCommand(flags));

program
  .command('validate')
  .description('check a configuration and/or GlobalDNS resources; prints every problem and exits 1, or prints ok')
  .option('--config <file>', 'configuration file (YAML)')
  .option('--resources <files...>', 'GlobalDNS / GlobalDNSProvider manifests (multi-document YAML)')
  .action((flags: { config?: string; resources?: string[] }) => validate(flags));

program.parseAsync(process.argv).catch((e: unknown) => {
  process.stderr.write(`globaldns: ${(e as Error).stack ?? String(e)}\n`);
  process.exit(1);
});
