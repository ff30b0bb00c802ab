/**
 * The service's wiring, in one place: every part serve runs, built from the config and joined
 * (zones and snapshot, endpoint store and its snapshot, the load-balancer resolver, the
 * desired-state stage, the embedded controller, the DNS server, the sources, management mode or
 * the standalone external providers, the admin listener and the proxy). `buildApp` binds the
 * listeners and answers from the snapshot; `start()` reads the clusters and starts writing;
 * `stop()` drains in order. A start-up failure is logged and thrown as FatalError; the command
 * (src/cli.ts) owns the process: signals, exit codes, the shutdown deadline.
 */
import type { Config, ListenAddress, ProxyConfig } from '../config/index.js';
import { Controller } from '../controller/index.js';
import { DesiredState } from '../desired/index.js';
import { DnsServer, ZoneStore } from '../dns/index.js';
import { Metrics } from '../observe/index.js';
import type { Readiness } from '../observe/index.js';
import type { ServiceLogger as Logger } from '../observe/index.js';
import type { ProxyService } from '../proxy/index.js';
import type { KubeConfig } from '@kubernetes/client-node';
import { ClusterFleet, EndpointStore, StoreSnapshot } from '../sources/index.js';
import type { AdminListen } from './admin.js';
import { packageVersion, startAdmin } from './admin.js';
import { FatalError } from './errors.js';
import { buildHealth } from './health.js';
import { loadManagementKube, startManagement } from './management.js';
import { providerRuntime } from './providers.js';
import { healthView } from './vantages.js';
import { buildSources, lbResolver, withTimeout } from './sources.js';

export interface AppOptions {
  config: Config;
  /** DNS listen addresses (the config's, or the command line's). */
  listen: ListenAddress[];
  stateDir: string;
  log: Logger;
  /** The log level, for the proxy's workers. */
  logLevel: string;
  /** The admin listener; undefined: none. */
  admin?: AdminListen;
}

export interface App {
  /** Reads every cluster, publishes every zone, then starts the external side. */
  start(): Promise<void>;
  /** Releases the Lease first, then stops everything in order and flushes the snapshots. */
  stop(): Promise<void>;
}

export async function buildApp(o: AppOptions): Promise<App> {
  const { config, stateDir, log, listen } = o;
  log.info({ config: config.source, stateDir }, 'starting');

  // Last known zones first, so that a restart answers before any cluster has been listed.
  const zones = new ZoneStore({ stateDir });
  await zones.load();
  const readiness: Readiness = { sourcesSynced: false, snapshotLoaded: zones.apexes().length > 0, listenersBound: false };
  const metrics = new Metrics({ version: packageVersion() });
  // Counts every provider request in /metrics (API calls, errors, throttles).
  const calls = metrics.providerObserver();

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
  // Loaded once: the management source, the Lease, the health reports, the Secret clusters and the proxy's Secrets use it.
  const managementKube = loadManagementKube(config, log);
  // This replica's probes (entries without a health check cost nothing); in management mode
  // combined with the other replicas' by quorum (src/app/vantages.ts).
  const health = healthView(config, buildHealth(config, { log, metrics }), managementKube, log);
  const desired = new DesiredState({ store, resolver, entries: config.entries, logger: log.child({ module: 'desired' }), health: health.verdicts });
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
    throw new FatalError(`cannot listen: ${(e as Error).message}`);
  }
  log.info({ addresses: server.addresses().map((a) => `${a.transport}://${a.host.includes(':') ? `[${a.host}]` : a.host}:${a.port}`) }, 'dns listening');
  metrics.attachDns(server.stats);

  const fleet = new ClusterFleet(store);
  // Only claims an entry accepts keep a name served (a lost cluster's endpoints go only then).
  fleet.setClaimFilter((e, hostname) => desired.accepts(e, hostname));
  const sources = buildSources(config, store, fleet, log.child({ module: 'sources' }), (cluster, e) => {
    log.fatal({ cluster, err: e.message }, `cluster ${cluster}: ${e.message}`);
    throw new FatalError(`cluster ${cluster}: ${e.message}`);
  }, managementKube);
  // Set once the proxy runs: in cluster mode only the leader orders ACME certificates.
  const lateProxy: { tls?: ProxyService['tls'] } = {};
  const management = config.management && managementKube ? await startManagement(config, { kc: managementKube, desired, controller, zones, log, sources, leading: (yes) => lateProxy.tls?.setOrdering(yes), metrics, calls }) : undefined;
  // One owner of the external providers in both modes: management's writes as the leader.
  const providers = management?.providers ?? (await providerRuntime(config, { desired, log, metrics, calls }));
  const admin = await startAdmin(o.admin, { store, desired, sources, management, providers, metrics, readiness, log });
  const proxy = config.proxy ? await startProxy(config, config.proxy, { desired, stateDir, log, logLevel: o.logLevel, metrics, managementKube }) : undefined;
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

  let stopping = false;
  return {
    async start() {
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
      else if (providers.staticNames().length > 0) {
        await providers.start();
        log.info({ providers: providers.staticNames() }, 'external providers synced');
      }
    },
    async stop() {
      stopping = true;
      readiness.listenersBound = false;
      // The Lease first: a follower takes over at its next poll while this one winds down.
      await management?.elector.stop({ release: true });
      await management?.runtime.stop();
      management?.source.stop();
      for (const s of sources) s.stop();
      controller.stop();
      desired.stop();
      await health.stop();
      resolver.stop();
      await providers.stop();
      await server.stop();
      await proxy?.stop();
      await admin?.stop();
      await zones.flush();
      await storeSnapshot.flush();
    },
  };
}

/** The bundled proxy (issue 6): listeners, workers and certificates; throws FatalError when it cannot listen. */
async function startProxy(
  config: Config,
  proxyConfig: ProxyConfig,
  parts: { desired: DesiredState; stateDir: string; log: Logger; logLevel: string; metrics: Metrics; managementKube?: KubeConfig },
): Promise<ProxyService> {
  const logger = parts.log.child({ module: 'proxy' });
  try {
    // Loaded only when used: ACME and TLS code is not needed by DNS-only configs or `validate`.
    const { startProxyService } = await import('../proxy/index.js');
    const kube = config.management && parts.managementKube ? { kubeConfig: parts.managementKube, namespace: config.management.leaseNamespace } : undefined;
    const proxy = await startProxyService({ config: proxyConfig, entries: config.entries, desired: parts.desired, stateDir: parts.stateDir, logger, logLevel: parts.logLevel, kube, metrics: parts.metrics.proxy });
    const a = proxy.addresses();
    logger.info({ http: a.http, https: a.https, workers: proxyConfig.workers }, 'proxy listening');
    return proxy;
  } catch (e) {
    parts.log.fatal({ err: (e as Error).message }, `proxy: ${(e as Error).message}`);
    throw new FatalError(`proxy: ${(e as Error).message}`);
  }
}
