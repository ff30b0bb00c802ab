import type { Endpoint } from '../../model/index.js';
import type { EndpointStore } from '../store.js';
import type { ResourceKind } from './api.js';
import type { ClusterPhase, ClusterState } from './state.js';

/** What the fleet needs of a cluster source. */
export interface FleetMember {
  readonly cluster: string;
  readonly phase: ClusterPhase;
  state(): ClusterState;
  /** Its endpoints of this kind are current: listed and watched. */
  isLive(kind: ResourceKind): boolean;
  /** Hostnames of endpoints it has withdrawn or is keeping only because nothing else serves them. */
  withdrawnNames(): ReadonlySet<string>;
  /** Recompute what it withdraws and what it must keep: something elsewhere changed. */
  reconsider(): void;
}

/**
 * The clusters watched together, for the one rule that needs all of them: a lost cluster's
 * endpoints are withdrawn only where another cluster still serves the name live. When that
 * other cluster later drops the name, or comes back, the lost cluster's stale endpoints are
 * looked at again, so a name never goes empty because watches broke.
 *
 * Endpoints of clusters the fleet does not know (folder sources) are always live.
 */
export class ClusterFleet {
  private readonly store: EndpointStore;
  private readonly members = new Map<string, FleetMember>();
  private readonly dirty = new Set<FleetMember>();
  private scheduled = false;
  private unsubscribe: (() => void) | undefined;
  /** Whether a claim counts (its entry accepts it); every claim until the desired-state stage says. */
  private counts: (endpoint: Endpoint, hostname: string) => boolean = () => true;

  constructor(store: EndpointStore) {
    this.store = store;
  }

  add(member: FleetMember): void {
    if (this.members.has(member.cluster)) throw new Error(`cluster ${member.cluster} is already in the fleet`);
    this.members.set(member.cluster, member);
    this.unsubscribe ??= this.store.onChange((names) => this.onStoreChange(names));
  }

  remove(member: FleetMember): void {
    if (this.members.get(member.cluster) === member) this.members.delete(member.cluster);
    if (this.members.size === 0) {
      this.unsubscribe?.();
      this.unsubscribe = undefined;
    }
  }

  states(): ClusterState[] {
    return [...this.members.values()].map((m) => m.state());
  }

  isLive(e: Endpoint): boolean {
    const m = this.members.get(e.cluster);
    return m === undefined || m.isLive(e.kind);
  }

  /**
   * True when some live endpoint claims `hostname` and the claim counts: a claim the entry
   * rejects (a cluster it does not target) serves nothing, so it must not make a lost
   * cluster's endpoints go.
   */
  servedLive(hostname: string): boolean {
    return this.store.byName(hostname).some((e) => this.isLive(e) && this.counts(e, hostname));
  }

  /**
   * Which claims count (the desired-state stage's `accepts`). Call again (or `healthChanged`)
   * when the entries change: lost members look at their names again.
   */
  setClaimFilter(counts: (endpoint: Endpoint, hostname: string) => boolean): void {
    this.counts = counts;
    this.healthChanged();
  }

  /** A member's health changed: every lost member looks again. */
  healthChanged(): void {
    for (const m of this.members.values()) if (m.phase === 'Lost') this.dirty.add(m);
    this.schedule();
  }

  private onStoreChange(names: ReadonlySet<string>): void {
    for (const m of this.members.values()) {
      if (m.phase !== 'Lost' || this.dirty.has(m)) continue;
      const withdrawn = m.withdrawnNames();
      if (withdrawn.size === 0) continue;
      for (const n of names) {
        if (withdrawn.has(n)) {
          this.dirty.add(m);
          break;
        }
      }
    }
    this.schedule();
  }

  /** Later, not inside the store's change event: the reconsidering writes to the store again. */
  private schedule(): void {
    if (this.scheduled || this.dirty.size === 0) return;
    this.scheduled = true;
    queueMicrotask(() => {
      this.scheduled = false;
      const members = [...this.dirty];
      this.dirty.clear();
      for (const m of members) m.reconsider();
    });
  }
}
