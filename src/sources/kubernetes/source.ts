import type { KubeClusterConfig, SourcesConfig } from '../../config/index.js';
import type { EndpointStore } from '../store.js';
import { ClientNodeApi } from './api.js';
import type { KubeApi } from './api.js';
import type { Clock, Logger, Random } from '../../kernel/index.js';
import { KubeClusterSource } from './cluster.js';
import type { ClusterFleet } from './fleet.js';
import { loadKubeConfig } from './kubeconfig.js';

export interface KubeSourceDeps {
  store: EndpointStore;
  fleet: ClusterFleet;
  sources: SourcesConfig;
  logger?: Logger;
  clock?: Clock;
  random?: Random;
  /** Replaces the client-node API (tests). */
  api?: KubeApi;
}

/** A cluster source from its config entry. Throws when the kubeconfig cannot be used. */
export function createKubeClusterSource(config: KubeClusterConfig, deps: KubeSourceDeps): KubeClusterSource {
  const api = deps.api ?? new ClientNodeApi(loadKubeConfig(config.connection));
  return new KubeClusterSource({
    cluster: config.name,
    api,
    store: deps.store,
    fleet: deps.fleet,
    hostnameSources: config.hostnameSources,
    namespaceSelector: config.namespaceSelector,
    gracePeriodMs: config.gracePeriodMs,
    watchdogMs: config.watchdogMs,
    backoff: deps.sources.backoff,
    clock: deps.clock,
    random: deps.random,
    logger: deps.logger,
  });
}
