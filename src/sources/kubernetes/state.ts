import type { ResourceKind } from './api.js';

/**
 * - `Syncing`: started, not everything listed yet.
 * - `Synced`: every kind listed and watched.
 * - `Degraded`: a list or watch is failing; the last endpoints are still served.
 * - `Lost`: Degraded for longer than the grace period; endpoints of failing kinds are
 *   withdrawn, except where nothing live would be left for a name.
 */
export type ClusterPhase = 'Syncing' | 'Synced' | 'Degraded' | 'Lost';

export interface ClusterState {
  cluster: string;
  phase: ClusterPhase;
  /** Clock time (ms) the phase began. */
  since: number;
  /** The latest failure, `cluster east: watch ingresses: 401 Unauthorized`; kept after recovery for the record. */
  lastError?: string;
  /** Kinds whose list or watch is failing now. */
  failing: ResourceKind[];
  /** Hostnames still served from this cluster's stale endpoints because no live cluster serves them. */
  keptStale: string[];
}
