import { endpointKey } from '../../model/index.js';
import type { Endpoint } from '../../model/index.js';
import { matchesLabels } from '../../config/index.js';
import type { LabelSelector } from '../../config/index.js';
import { describeObject, extractEndpoint, namespaceProject } from '../extract.js';
import type { ExtractContext, HostnameSourceOptions } from '../extract.js';
import type { EndpointStore } from '../store.js';
import type { KubeApi, KubeObject, ResourceKind } from './api.js';
import { silentLogger, systemClock } from '../../kernel/index.js';
import type { Clock, Logger, Random, TimerHandle } from '../../kernel/index.js';
import type { ClusterFleet, FleetMember } from './fleet.js';
import { Reflector } from './reflector.js';
import type { ClusterPhase, ClusterState } from './state.js';

export interface KubeClusterSourceOptions {
  cluster: string;
  api: KubeApi;
  store: EndpointStore;
  fleet: ClusterFleet;
  hostnameSources?: HostnameSourceOptions;
  namespaceSelector?: LabelSelector;
  gracePeriodMs: number;
  watchdogMs: number;
  backoff: { initialMs: number; maxMs: number };
  clock?: Clock;
  random?: Random;
  logger?: Logger;
}

type ClaimKind = 'Ingress' | 'Service';
const KINDS: readonly ResourceKind[] = ['Namespace', 'Ingress', 'Service'];
const CLAIM_KINDS: readonly ClaimKind[] = ['Ingress', 'Service'];

interface NamespaceInfo {
  labels: Record<string, string>;
  project?: string;
}

/** Objects of one kind by namespace, then name. */
type ObjectCache = Map<string, Map<string, KubeObject>>;

function isObj(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function meta(obj: KubeObject): { name: string; namespace: string; labels: Record<string, string> } {
  const m = isObj(obj.metadata) ? obj.metadata : {};
  const labels: Record<string, string> = {};
  if (isObj(m.labels)) { for (const [k, v] of Object.entries(m.labels)) if (typeof v === 'string') labels[k] = v; }
  return {
    name: typeof m.name === 'string' ? m.name : '',
    // As extractEndpoint does: an object without a namespace is in `default`.
    namespace: typeof m.namespace === 'string' && m.namespace !== '' ? m.namespace : 'default',
    labels,
  };
}

/**
 * One Kubernetes cluster: a supervised reflector per kind (Namespace, Ingress, Service), the
 * objects they hold, and the endpoints they make in the store.
 *
 * Nothing reaches the store until every kind has been listed once (an Ingress listed before
 * its Namespace would be published without its project), or until the grace period ends.
 * After that single objects are upserted or removed as events arrive, and every re-list
 * (after an error, after 410) replaces the cluster's endpoints as a whole, which removes
 * what was deleted while the watch was down.
 */
export class KubeClusterSource implements FleetMember {
  private readonly opts: KubeClusterSourceOptions;
  private readonly clock: Clock;
  private readonly log: Logger;
  private readonly reflectors: Reflector[];
  private readonly namespaces = new Map<string, NamespaceInfo>();
  private readonly projectListeners = new Set<() => void>();
  private readonly objects: Record<ClaimKind, ObjectCache> = { Ingress: new Map(), Service: new Map() };
  private readonly listed = new Set<ResourceKind>();
  private readonly healthy = new Set<ResourceKind>();
  private readonly failing = new Map<ResourceKind, string>();
  private readonly ctx: ExtractContext;
  private currentPhase: ClusterPhase = 'Syncing';
  private since: number;
  private lastError: string | undefined;
  /** When the current failure began (entering Degraded). */
  private downSince = 0;
  private published = false;
  private everSynced = false;
  private graceTimer: TimerHandle | undefined;
  private running = false;
  /** Problems of each object already logged, so each is logged once while it lasts. */
  private readonly reported = new Map<string, string>();
  private kept = new Set<string>();
  private withdrawn = new Set<string>();
  /**
   * The endpoints the store held for this cluster when it started (restored from the state
   * directory, or left by a previous connection): what is known of a kind until it is listed.
   */
  private restored: Record<ClaimKind, Endpoint[]> | undefined;
  private readonly synced: Promise<void>;
  private readonly settled: Promise<void>;
  private resolveSynced: () => void = () => {};
  private resolveSettled: () => void = () => {};
  /** Clock time of the last list or watch event of any kind (for metrics: a silent cluster shows). */
  private lastEventAt: number | undefined;
  /** Lists or watches that failed and were restarted after a backoff. */
  private watchRestarts = 0;

  constructor(opts: KubeClusterSourceOptions) {
    this.opts = opts;
    this.clock = opts.clock ?? systemClock;
    this.log = opts.logger ?? silentLogger;
    this.since = this.clock.now();
    this.synced = new Promise((r) => (this.resolveSynced = r));
    this.settled = new Promise((r) => (this.resolveSettled = r));
    this.ctx = {
      cluster: opts.cluster,
      projectOf: (ns) => this.namespaces.get(ns)?.project,
      labelsOf: (ns) => this.namespaces.get(ns)?.labels,
      hostnameSources: opts.hostnameSources,
    };
    const random = opts.random ?? Math.random;
    this.reflectors = KINDS.map(
      (kind) =>
        new Reflector({
          kind,
          api: opts.api,
          clock: this.clock,
          random,
          backoff: opts.backoff,
          watchdogMs: opts.watchdogMs,
          handler: {
            replaced: (items) => this.onReplaced(kind, items),
            changed: (type, object) => this.onChanged(kind, type, object),
            healthy: () => this.onHealthy(kind),
            failed: (reason) => this.onFailed(kind, reason),
            handlerError: (e, object) =>
              this.log.error(
                { cluster: opts.cluster, object: object ? describeObject({ ...object, kind }) : undefined, err: (e as Error).stack ?? String(e) },
                `cluster ${opts.cluster}: handling ${object ? describeObject({ ...object, kind }) : kind} failed; event dropped`,
              ),
          },
        }),
    );
    opts.fleet.add(this);
  }

  get cluster(): string {
    return this.opts.cluster;
  }

  get phase(): ClusterPhase {
    return this.currentPhase;
  }

  state(): ClusterState {
    const s: ClusterState = {
      cluster: this.cluster,
      phase: this.currentPhase,
      since: this.since,
      failing: KINDS.filter((k) => this.failing.has(k)),
      keptStale: [...this.kept].sort(),
    };
    if (this.lastError !== undefined) s.lastError = this.lastError;
    return s;
  }

  /** Read-only counters for metrics and the status page. */
  activity(): { lastEventAt?: number; watchRestarts: number } {
    return { lastEventAt: this.lastEventAt, watchRestarts: this.watchRestarts };
  }

  /** Resolves the first time every kind is listed and watched. */
  whenSynced(): Promise<void> {
    return this.synced;
  }

  /** Resolves when the cluster is first Synced, or Lost: either way the store holds what there is to know. */
  whenSettled(): Promise<void> {
    return this.settled;
  }

  start(): void {
    if (this.running) return;
    this.running = true;
    if (!this.restored) {
      this.restored = { Ingress: [], Service: [] };
      for (const e of this.opts.store.byClusterName(this.cluster)) this.restored[e.kind].push(e);
    }
    for (const r of this.reflectors) r.start();
  }

  /** Stops watching. The store keeps the cluster's endpoints: stopping is not evidence they are gone. */
  stop(): void {
    this.running = false;
    for (const r of this.reflectors) r.stop();
    this.graceTimer?.cancel();
    this.graceTimer = undefined;
    this.opts.fleet.remove(this);
  }

  isLive(kind: ResourceKind): boolean {
    return this.published && this.healthy.has(kind);
  }

  withdrawnNames(): ReadonlySet<string> {
    return this.withdrawn;
  }

  /**
   * The Rancher project ids its namespaces carry (`field.cattle.io/projectId`, as
   * `namespaceProject` reads them), once namespaces have been listed; undefined before.
   */
  projects(): ReadonlySet<string> | undefined {
    if (!this.listed.has('Namespace')) return undefined;
    const out = new Set<string>();
    for (const info of this.namespaces.values()) if (info.project !== undefined) out.add(info.project);
    return out;
  }

  /** Calls `listener` when the set `projects()` returns may have changed. */
  onProjectsChange(listener: () => void): () => void {
    this.projectListeners.add(listener);
    return () => this.projectListeners.delete(listener);
  }

  private projectsChanged(): void {
    for (const l of [...this.projectListeners]) {
      try {
        l();
      } catch (e) {
        this.log.error({ cluster: this.opts.cluster, err: e instanceof Error ? e.message : 'unknown error' }, 'a projects listener failed');
      }
    }
  }

  reconsider(): void {
    if (this.running && this.published) this.publishAll();
  }

  // --- reflector events -------------------------------------------------------------------

  private onReplaced(kind: ResourceKind, items: KubeObject[]): void {
    this.lastEventAt = this.clock.now();
    if (kind === 'Namespace') {
      this.namespaces.clear();
      for (const item of items) this.putNamespace(item);
      this.projectsChanged();
    } else {
      const cache: ObjectCache = new Map();
      for (const item of items) this.cacheObject(cache, kind, item);
      this.objects[kind] = cache;
    }
    this.listed.add(kind);
    if (this.published) this.publishAll();
  }

  private onChanged(kind: ResourceKind, type: 'ADDED' | 'MODIFIED' | 'DELETED', object: KubeObject): void {
    this.lastEventAt = this.clock.now();
    if (kind === 'Namespace') {
      const { name } = meta(object);
      const before = this.namespaces.get(name);
      if (type === 'DELETED') this.namespaces.delete(name);
      else this.putNamespace(object);
      const after = this.namespaces.get(name);
      if (this.published && this.namespaceMatters(before, after)) this.publishNamespace(name);
      if (before?.project !== after?.project) this.projectsChanged();
      return;
    }
    const { name, namespace } = meta(object);
    const cache = this.objects[kind];
    if (type === 'DELETED') {
      const inNs = cache.get(namespace);
      inNs?.delete(name);
      if (inNs?.size === 0) cache.delete(namespace);
    } else {
      this.cacheObject(cache, kind, object);
    }
    if (this.published) this.publishObject(kind, namespace, name);
  }

  private onHealthy(kind: ResourceKind): void {
    const wasHealthy = this.healthy.has(kind);
    this.healthy.add(kind);
    this.failing.delete(kind);
    if (!wasHealthy) this.healthChanged();
  }

  private onFailed(kind: ResourceKind, reason: string): void {
    // The reflector schedules a restart after every failure it reports.
    this.watchRestarts++;
    const wasHealthy = this.healthy.has(kind);
    this.healthy.delete(kind);
    this.failing.set(kind, reason);
    const message = `cluster ${this.cluster}: ${reason}`;
    this.lastError = message;
    if (this.currentPhase === 'Syncing' || this.currentPhase === 'Synced') {
      this.transition('Degraded', message);
      this.downSince = this.since;
      this.graceTimer?.cancel();
      this.graceTimer = this.clock.setTimeout(() => this.graceExpired(), this.opts.gracePeriodMs);
    } else {
      // Retries failing again while Degraded or Lost: the transition was logged already.
      this.log.debug({ cluster: this.cluster, phase: this.currentPhase, reason }, message);
    }
    if (wasHealthy) this.healthChanged();
  }

  private healthChanged(): void {
    if (KINDS.every((k) => this.healthy.has(k))) {
      this.graceTimer?.cancel();
      this.graceTimer = undefined;
      const wasLost = this.currentPhase === 'Lost';
      if (!this.published) {
        this.published = true;
        this.publishAll();
      } else if (wasLost) {
        this.publishAll();
      }
      if (this.currentPhase !== 'Synced') {
        const waited = Math.round((this.clock.now() - this.downSince) / 1000);
        const down = this.currentPhase === 'Syncing' ? '' : this.everSynced ? ` again after ${waited}s` : ` after ${waited}s of failures`;
        this.everSynced = true;
        this.transition('Synced', `cluster ${this.cluster}: synced${down} (${this.endpointCount()} endpoints)`);
        this.resolveSynced();
        this.resolveSettled();
      }
    } else if (this.currentPhase === 'Lost') {
      // A kind coming back (or failing anew) while Lost changes what is withdrawn.
      this.publishAll();
    }
    this.opts.fleet.healthChanged();
  }

  private graceExpired(): void {
    this.graceTimer = undefined;
    if (!this.running || this.currentPhase !== 'Degraded') return;
    const failing = KINDS.filter((k) => this.failing.has(k)).map((k) => k.toLowerCase());
    this.transition(
      'Lost',
      `cluster ${this.cluster}: lost: failing for ${Math.round(this.opts.gracePeriodMs / 1000)}s (grace period over; ${failing.join(', ')}); last error: ${this.lastError ?? 'none'}`,
    );
    // Publish what is known: kinds that did list are current, failing kinds are withdrawn.
    this.published = true;
    this.publishAll();
    this.resolveSettled();
    this.opts.fleet.healthChanged();
  }

  private transition(phase: ClusterPhase, message: string): void {
    const from = this.currentPhase;
    this.currentPhase = phase;
    this.since = this.clock.now();
    const obj = { cluster: this.cluster, phase, from };
    if (phase === 'Degraded' || phase === 'Lost') this.log.warn(obj, message);
    else this.log.info(obj, message);
  }

  // --- objects -----------------------------------------------------------------------------

  private putNamespace(object: KubeObject): void {
    const { name, labels } = meta(object);
    if (name === '') return;
    const info: NamespaceInfo = { labels };
    const project = namespaceProject(object.kind === 'Namespace' ? object : { ...object, kind: 'Namespace' })?.project;
    if (project !== undefined) info.project = project;
    this.namespaces.set(name, info);
  }

  private namespaceMatters(before: NamespaceInfo | undefined, after: NamespaceInfo | undefined): boolean {
    if (before?.project !== after?.project) return true;
    // Endpoints carry their namespace's labels (entries' namespaceSelector).
    if (JSON.stringify(before?.labels ?? {}) !== JSON.stringify(after?.labels ?? {})) return true;
    const selector = this.opts.namespaceSelector;
    if (!selector) return false;
    const sel = (i: NamespaceInfo | undefined) => i !== undefined && matchesLabels(selector, i.labels);
    return sel(before) !== sel(after);
  }

  private cacheObject(cache: ObjectCache, kind: ClaimKind, object: KubeObject): void {
    const { name, namespace } = meta(object);
    if (name === '') return;
    const typed = object.kind === kind ? object : { ...object, kind };
    let inNs = cache.get(namespace);
    // Services of other types claim nothing; not holding them keeps memory to what matters.
    if (kind === 'Service' && !(isObj(typed.spec) && typed.spec.type === 'LoadBalancer')) {
      inNs?.delete(name);
      if (inNs?.size === 0) cache.delete(namespace);
      return;
    }
    if (!inNs) cache.set(namespace, inNs = new Map<string, KubeObject>());
    inNs.set(name, typed);
  }

  private selected(namespace: string): boolean {
    const selector = this.opts.namespaceSelector;
    if (!selector) return true;
    const info = this.namespaces.get(namespace);
    return info !== undefined && matchesLabels(selector, info.labels);
  }

  /** The endpoint an object makes here, reporting its problems once. */
  private endpointOf(kind: ClaimKind, namespace: string, name: string): Endpoint | undefined {
    const object = this.objects[kind].get(namespace)?.get(name);
    const key = `${kind}/${namespace}/${name}`;
    if (!object || !this.selected(namespace)) {
      this.reported.delete(key);
      return undefined;
    }
    const { endpoint, problems } = extractEndpoint(object, this.ctx);
    const text = problems.join('; ');
    if (text === '') {
      this.reported.delete(key);
    } else if (this.reported.get(key) !== text) {
      this.reported.set(key, text);
      this.log.warn(
        { cluster: this.cluster, object: `${kind} ${namespace}/${name}`, problems },
        `cluster ${this.cluster}: ${kind} ${namespace}/${name}: ${text}${endpoint ? '' : ' (skipped)'}`,
      );
    }
    return endpoint;
  }

  /** Endpoints of a kind are withdrawn once the cluster is Lost and that kind is still failing. */
  private isWithdrawn(kind: ClaimKind): boolean {
    return this.currentPhase === 'Lost' && !this.healthy.has(kind);
  }

  private publishObject(kind: ClaimKind, namespace: string, name: string): void {
    if (this.isWithdrawn(kind)) {
      this.publishAll();
      return;
    }
    const endpoint = this.endpointOf(kind, namespace, name);
    if (endpoint) this.opts.store.upsert(endpoint);
    else this.opts.store.remove(endpointKey({ cluster: this.cluster, namespace, kind, name }));
  }

  private publishNamespace(namespace: string): void {
    if (CLAIM_KINDS.some((k) => this.isWithdrawn(k))) {
      this.publishAll();
      return;
    }
    for (const kind of CLAIM_KINDS) {
      for (const name of [...(this.objects[kind].get(namespace)?.keys() ?? [])]) this.publishObject(kind, namespace, name);
    }
  }

  /**
   * Makes the store hold exactly this cluster's endpoints. For withdrawn kinds only the
   * hostnames no live endpoint serves are kept ("stale beats nothing").
   */
  private publishAll(): void {
    const endpoints: Endpoint[] = [];
    const kept = new Set<string>();
    const withdrawn = new Set<string>();
    for (const kind of CLAIM_KINDS) {
      const gone = this.isWithdrawn(kind);
      for (const e of this.knownEndpoints(kind)) {
        if (!gone) {
          endpoints.push(e);
          continue;
        }
        for (const h of e.hostnames) withdrawn.add(h);
        const keep = e.hostnames.filter((h) => !this.opts.fleet.servedLive(h));
        if (keep.length === 0) continue;
        for (const h of keep) kept.add(h);
        endpoints.push({ ...e, hostnames: keep });
      }
    }
    this.logKept(kept);
    this.withdrawn = withdrawn;
    this.opts.store.replaceCluster(this.cluster, endpoints);
  }

  /**
   * A kind's endpoints as far as they are known: from its objects once it has been listed,
   * before that the ones it had when it started (a cluster unreachable since a restart keeps
   * its last endpoints under the same rule as one lost while running).
   */
  private *knownEndpoints(kind: ClaimKind): Iterable<Endpoint> {
    if (!this.listed.has(kind)) {
      yield* this.restored?.[kind] ?? [];
      return;
    }
    for (const [namespace, inNs] of this.objects[kind]) {
      for (const name of [...inNs.keys()]) {
        const e = this.endpointOf(kind, namespace, name);
        if (e) yield e;
      }
    }
  }

  private logKept(kept: Set<string>): void {
    const started = [...kept].filter((h) => !this.kept.has(h)).sort();
    const ended = [...this.kept].filter((h) => !kept.has(h)).sort();
    this.kept = kept;
    if (started.length > 0) {
      this.log.warn(
        { cluster: this.cluster, hostnames: started },
        `cluster ${this.cluster}: still serving its last endpoints for ${started.join(', ')}: no live cluster serves ${started.length === 1 ? 'it' : 'them'}`,
      );
    }
    if (ended.length > 0) {
      this.log.info({ cluster: this.cluster, hostnames: ended }, `cluster ${this.cluster}: no longer serving stale endpoints for ${ended.join(', ')}`);
    }
  }

  private endpointCount(): number {
    return this.opts.store.byClusterName(this.cluster).length;
  }
}
