// Management-cluster mode's wiring: the resources' source, leader election on the Lease, and
// the runtime joining them to the controllers.
import type { KubeConfig } from '@kubernetes/client-node';
import type { Config } from '../config/index.js';
import { kubeLeaseApi, LeaderElector, ManagementRuntime } from '../controller/index.js';
import type { ProviderRuntime } from '../controller/index.js';
import type { Controller } from '../controller/index.js';
import type { DesiredState } from '../desired/index.js';
import { TYPE } from '../dns/index.js';
import type { ZoneStore } from '../dns/index.js';
import type { Metrics, ServiceLogger as Logger } from '../observe/index.js';
import { loadKubeConfig, ManagementSource, ManagementWriter } from '../sources/index.js';
import type { ManagementView } from '../sources/index.js';
import type { ProviderCallObserver } from '../../providers/provider.js';
import { FatalError } from './errors.js';
import { providerRuntime } from './providers.js';
import { clusterNamesOf, withTimeout } from './sources.js';
import { replicaIdentity } from './vantages.js';
import type { RunningSource } from './sources.js';

export interface ManagementParts {
  source: ManagementSource;
  elector: LeaderElector;
  runtime: ManagementRuntime;
  /** The external providers (the YAML config's and the resources'), the leader writing. */
  providers: ProviderRuntime;
}

/** The management cluster's credentials, loaded once for every part that talks to it; logged and thrown when unusable. */
export function loadManagementKube(config: Config, log: Logger): KubeConfig | undefined {
  if (!config.management) return undefined;
  try {
    return loadKubeConfig(config.management.connection);
  } catch (e) {
    log.fatal({ err: (e as Error).message }, `management: ${(e as Error).message}`);
    throw new FatalError(`management: ${(e as Error).message}`);
  }
}

/**
 * Management-cluster mode: the resources' source, leader election on the Lease, and the
 * runtime joining them to the controllers. The source and the election start now; the
 * runtime's external side once the clusters have been read (`runtime.start()`).
 */
export async function startManagement(
  config: Config,
  parts: {
    desired: DesiredState;
    controller: Controller;
    zones: ZoneStore;
    log: Logger;
    sources: readonly RunningSource[];
    /** Told when this replica starts (true) and stops (false) leading. */
    leading?: (yes: boolean) => void;
    /** Sync reports and provider requests are counted there. */
    metrics: Metrics;
    calls: ProviderCallObserver;
    /** The management cluster's credentials (loaded once, `loadManagementKube`). */
    kc: KubeConfig;
  },
): Promise<ManagementParts> {
  const m = config.management;
  if (!m) throw new Error('management: not configured');
  const { log, zones, kc } = parts;
  const identity = replicaIdentity(config);
  const holder: { runtime?: ManagementRuntime } = {};
  const source = new ManagementSource({
    kubeConfig: kc,
    secretNamespace: m.secretNamespace,
    backoff: config.sources.backoff,
    watchdogMs: config.sources.watchdogMs,
    logger: log.child({ module: 'management' }),
    onChange: (view) => holder.runtime?.onView(view),
  });
  // The way back (statuses, Events, finalizers): the leader writes, the source only reads.
  const writer = new ManagementWriter({ kubeConfig: kc, instance: identity, logger: log.child({ module: 'management' }) });
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
  // The one owner of the external providers, writing as the leader only.
  const providers = await providerRuntime(config, { desired: parts.desired, log, metrics: parts.metrics, calls: parts.calls, leadership: elector });
  const embeddedNames = config.providers.filter((p) => p.type === 'embedded').map((p) => p.name);
  const staticEntries = config.entries;
  const watchedClusters = clusterNamesOf(parts.sources);
  const runtime = new ManagementRuntime({
    writer,
    leadership: elector,
    desired: parts.desired,
    embedded: parts.controller,
    staticEntries,
    staticEmbedded: embeddedNames,
    providers,
    // Live: clusters from kubeconfig Secrets come and go (refreshed below).
    clusters: watchedClusters,
    projectsOf: (cluster) => {
      const s = parts.sources.find((x) => x.cluster === cluster && !x.clusterNames);
      return s ? s.projects() : parts.sources.find((x) => x.clusterNames?.().includes(cluster))?.projectsOf?.(cluster);
    },
    zones: config.zones.map((z) => z.apex),
    embeddedHolds: (fqdn) => {
      const zone = zones.find(fqdn);
      return zone !== undefined && zone.lookup(fqdn, TYPE.A).answer.length + zone.lookup(fqdn, TYPE.AAAA).answer.length > 0;
    },
    logger: log.child({ module: 'external' }),
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
  return { source, elector, runtime, providers };
}

/**
 * The management cluster's resources, read once for `plan`: the source runs until its first
 * view (or the sources' grace period), then stops. Undefined when it could not be read.
 */
export async function readManagementOnce(config: Config, log: Logger, warn: (line: string) => void): Promise<ManagementView | undefined> {
  const m = config.management;
  if (!m) return undefined;
  let kc: ReturnType<typeof loadKubeConfig>;
  try {
    kc = loadKubeConfig(m.connection);
  } catch (e) {
    throw new FatalError(`management: ${(e as Error).message}`);
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
    warn(`warning: management cluster not read, planned with the YAML entries only${why ? ` (${why})` : ''}`);
    return undefined;
  }
  return source.view();
}
