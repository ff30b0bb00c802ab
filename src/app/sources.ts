// The sources as serve and plan run them: one per configured cluster (a folder of manifests or a
// watched API server), the clusters of kubeconfig Secrets, and the one resolver of
// load-balancer hostnames.
import { isKubeCluster } from '../config/index.js';
import type { Config } from '../config/index.js';
import type { ClusterView } from '../observe/index.js';
import type { ServiceLogger as Logger } from '../observe/index.js';
import type { KubeConfig } from '@kubernetes/client-node';
import { ClientNodeSecretApi, ClusterSecretSource, createKubeClusterSource, FolderSource } from '../sources/index.js';
import type { ClusterFleet, EndpointStore, KubeClusterSource } from '../sources/index.js';
import { LoadBalancerResolver, nodeLookupBackend } from '../sources/resolver/index.js';

/** A source as serve starts, waits for and stops it. */
export interface RunningSource {
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
export function clusterNamesOf(sources: readonly RunningSource[]): string[] {
  return sources.flatMap((s) => s.clusterNames?.() ?? [s.cluster]);
}

/**
 * One running source per configured cluster, plus the clusters of kubeconfig Secrets when
 * `clusterSecrets:` is set (read with `managementKube`, the management cluster's credentials).
 */
export function buildSources(config: Config, store: EndpointStore, fleet: ClusterFleet, sourceLog: Logger, fail: (cluster: string, e: Error) => never, managementKube?: KubeConfig): RunningSource[] {
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

  if (config.clusterSecrets && managementKube) sources.push(clusterSecretsSource(config, store, fleet, sourceLog, managementKube));
  return sources;
}

/**
 * The clusters of kubeconfig Secrets in the management cluster (`clusterSecrets:`), added,
 * replaced and removed while serve runs, in the same fleet as the config file's clusters.
 */
function clusterSecretsSource(config: Config, store: EndpointStore, fleet: ClusterFleet, sourceLog: Logger, kc: KubeConfig): RunningSource {
  const cs = config.clusterSecrets!;
  const label = `Secrets ${cs.namespace}`;
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

/** The one resolver of load-balancer hostnames (a source: their addresses change without Kubernetes events). */
export function lbResolver(config: Config, log: Logger): LoadBalancerResolver {
  return new LoadBalancerResolver({
    backend: nodeLookupBackend(config.resolver.servers),
    minRefreshMs: config.resolver.minRefreshMs,
    maxRefreshMs: config.resolver.maxRefreshMs,
    onError: (hostname, e) => log.warn({ hostname, err: e.message }, 'load-balancer hostname lookup failed'),
  });
}

/** Resolves when `p` does or after `ms`, whichever is first. */
export function withTimeout(p: Promise<void>, ms: number): Promise<void> {
  return new Promise<void>((resolve) => {
    const timer = setTimeout(resolve, ms);
    timer.unref();
    void p.then(() => {
      clearTimeout(timer);
      resolve();
    });
  });
}
