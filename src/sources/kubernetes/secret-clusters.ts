import { createHash } from 'node:crypto';
import type { KubeConfig } from '@kubernetes/client-node';
import type { KubeClusterConfig } from '../../config/index.js';
import type { EndpointStore } from '../store.js';
import { ClientNodeApi } from './api.js';
import type { KubeApi, KubeObject } from './api.js';
import { silentLogger, systemClock } from '../../kernel/index.js';
import type { Clock, Logger, Random, TimerHandle } from '../../kernel/index.js';
import { KubeClusterSource } from './cluster.js';
import type { ClusterFleet } from './fleet.js';
import { kubeConfigFromText } from './kubeconfig.js';
import { Reflector } from './reflector.js';
import type { SecretKind } from './secret-api.js';
import type { ResourceKind } from './api.js';
import type { ClusterPhase } from './state.js';

/** The label that names the cluster of a kubeconfig Secret (else the Secret's name). */
export const CLUSTER_NAME_LABEL = 'globaldns.io/cluster';

/** Cluster names end up in endpoint keys; the same rule as `clusters[].name`. */
const CLUSTER_NAME = /^[A-Za-z0-9][A-Za-z0-9._-]{0,62}$/;

export interface ClusterSecretSourceOptions {
  /** The management cluster's Secrets, already scoped to the namespace and label selector. */
  api: KubeApi<SecretKind>;
  /** For messages: where the Secrets are read. */
  namespace: string;
  store: EndpointStore;
  fleet: ClusterFleet;
  /** What every cluster read from a Secret gets. */
  cluster: Omit<KubeClusterConfig, 'name' | 'connection'>;
  backoff: { initialMs: number; maxMs: number };
  /** For the Secrets' own watch. */
  watchdogMs: number;
  /** Waiting this long for the first list of Secrets, `whenSettled()` gives up on it. */
  settleTimeoutMs: number;
  /** Clusters of the config file: a Secret naming one of them is ignored and reported. */
  reserved: ReadonlySet<string>;
  /** The API of a workload cluster (tests replace it); default client-node with the Secret's KubeConfig. */
  makeApi?: (kc: KubeConfig, cluster: string) => KubeApi;
  /** The set of running clusters changed (one was added, replaced or removed). */
  onClustersChange?: () => void;
  clock?: Clock;
  random?: Random;
  logger?: Logger;
}

/** One kubeconfig Secret as this source sees it. */
export interface SecretClusterState {
  /** The cluster name, or for an ignored Secret `Secret <namespace>/<name>`. */
  cluster: string;
  /** `namespace/name` of the Secret. */
  secret: string;
  /** A running cluster's phase; `Failed`: the Secret cannot be used; `Ignored`: another definition of the name wins. */
  phase: ClusterPhase | 'Failed' | 'Ignored';
  since: number;
  lastError?: string;
  failing: ResourceKind[];
  lastEventAt?: number;
  watchRestarts: number;
}

/** A Secret read and checked, before anything is started from it. */
type Parsed =
  | { ok: true; cluster: string; kubeconfig: string; context?: string; hash: string }
  | { ok: false; cluster?: string; error: string };

/** What runs (or failed) for one Secret. */
interface Member {
  secret: string;
  cluster: string;
  hash: string;
  source?: KubeClusterSource;
  /** Why the Secret's current content is not in use (the last good source may still run). */
  error?: string;
  ignored?: boolean;
  since: number;
}

function isObj(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function secretKey(o: KubeObject): string {
  const m = isObj(o.metadata) ? o.metadata : {};
  return `${typeof m.namespace === 'string' ? m.namespace : ''}/${typeof m.name === 'string' ? m.name : ''}`;
}

function decodeKey(data: Record<string, unknown>, key: string): string | undefined {
  const v = data[key];
  return typeof v === 'string' ? Buffer.from(v, 'base64').toString('utf8') : undefined;
}

/**
 * Reads one kubeconfig Secret: `data.kubeconfig`, optional `data.context`, the name from the
 * `globaldns.io/cluster` label or the Secret's name. Values are only decoded here, never
 * quoted in an error.
 */
export function parseClusterSecret(o: KubeObject): Parsed {
  const m = isObj(o.metadata) ? o.metadata : {};
  const labels = isObj(m.labels) ? m.labels : {};
  const label = labels[CLUSTER_NAME_LABEL];
  const cluster = typeof label === 'string' && label !== '' ? label : typeof m.name === 'string' ? m.name : '';
  if (!CLUSTER_NAME.test(cluster)) {
    return { ok: false, error: `cluster name "${cluster.slice(0, 80)}" (label ${CLUSTER_NAME_LABEL}, else the Secret's name) must be 1-63 letters, digits, ".", "_" or "-"` };
  }
  const data = isObj(o.data) ? o.data : {};
  const kubeconfig = decodeKey(data, 'kubeconfig');
  if (kubeconfig === undefined) return { ok: false, cluster, error: 'no data.kubeconfig' };
  const context = decodeKey(data, 'context')?.trim();
  const hash = createHash('sha256').update(kubeconfig).update('\0').update(context ?? '').digest('hex');
  return { ok: true, cluster, kubeconfig, ...(context ? { context } : {}), hash };
}

/**
 * Workload clusters given as kubeconfig Secrets in the management cluster: a supervised
 * reflector on the Secrets (list, watch, backoff; see README) and one `KubeClusterSource` per
 * Secret in the same fleet as the config file's clusters.
 *
 * - A Secret that appears starts its cluster; one whose kubeconfig or context changes (a
 *   rotated token) replaces it: the old watches stop, the endpoints stay in the store until
 *   the new connection has listed the cluster and replaces them, so nothing blinks.
 * - A Secret deleted (or no longer matching the selector) means the cluster was removed on
 *   purpose: its watches stop and its endpoints are withdrawn at once, with no grace period.
 * - A Secret that cannot be used (no kubeconfig, bad YAML, a context that does not exist, a
 *   name the config file or another Secret already uses) is logged once and shown as
 *   `Failed`/`Ignored`; a cluster it ran before keeps running on the previous kubeconfig.
 * - The Secrets' watch failing changes nothing: clusters keep running as they are until a
 *   re-list says otherwise.
 */
export class ClusterSecretSource {
  private readonly opts: ClusterSecretSourceOptions;
  private readonly clock: Clock;
  private readonly random: Random;
  private readonly log: Logger;
  private readonly reflector: Reflector<SecretKind>;
  private readonly secrets = new Map<string, KubeObject>();
  private readonly members = new Map<string, Member>();
  private listed = false;
  private running = false;
  private watchError: string | undefined;
  private settleTimer: TimerHandle | undefined;
  private readonly settled: Promise<void>;
  private resolveSettled: () => void = () => {};

  constructor(opts: ClusterSecretSourceOptions) {
    this.opts = opts;
    this.clock = opts.clock ?? systemClock;
    this.random = opts.random ?? Math.random;
    this.log = opts.logger ?? silentLogger;
    this.settled = new Promise((r) => (this.resolveSettled = r));
    this.reflector = new Reflector<SecretKind>({
      kind: 'Secret',
      resource: `secrets in ${opts.namespace}`,
      api: opts.api,
      clock: this.clock,
      random: this.random,
      backoff: opts.backoff,
      watchdogMs: opts.watchdogMs,
      handler: {
        replaced: (items) => {
          this.secrets.clear();
          for (const item of items) this.secrets.set(secretKey(item), item);
          const first = !this.listed;
          this.listed = true;
          this.reconcile();
          if (first) this.settleAfterFirstList();
        },
        changed: (type, object) => {
          if (type === 'DELETED') this.secrets.delete(secretKey(object));
          else this.secrets.set(secretKey(object), object);
          this.reconcile();
        },
        healthy: () => {
          if (this.watchError !== undefined) this.log.info({ namespace: opts.namespace }, `cluster Secrets in ${opts.namespace}: watching again`);
          this.watchError = undefined;
        },
        failed: (reason) => {
          const message = `cluster Secrets: ${reason}`;
          if (this.watchError === undefined) this.log.warn({ namespace: opts.namespace, reason }, `${message}; the clusters read so far keep running`);
          else this.log.debug({ namespace: opts.namespace, reason }, message);
          this.watchError = message;
        },
        handlerError: (e) => this.log.error({ namespace: opts.namespace, err: e instanceof Error ? e.message : 'unknown error' }, `cluster Secrets in ${opts.namespace}: handling a change failed`),
      },
    });
  }

  start(): void {
    if (this.running) return;
    this.running = true;
    this.settleTimer = this.clock.setTimeout(() => {
      if (this.listed) return;
      this.log.warn({ namespace: this.opts.namespace, err: this.watchError }, `cluster Secrets in ${this.opts.namespace}: not listed within ${Math.round(this.opts.settleTimeoutMs / 1000)}s; going on without them`);
      this.resolveSettled();
    }, this.opts.settleTimeoutMs);
    this.reflector.start();
  }

  /** Stops every watch. The store keeps the endpoints: stopping is not evidence they are gone. */
  stop(): void {
    this.running = false;
    this.reflector.stop();
    this.settleTimer?.cancel();
    for (const m of this.members.values()) m.source?.stop();
    this.members.clear();
  }

  /** Resolves once the Secrets have been listed and each cluster they named has settled (Synced or Lost), or the first list did not come in time. */
  whenSettled(): Promise<void> {
    return this.settled;
  }

  /** Listed, and every cluster running from a Secret is Synced. */
  synced(): boolean {
    return this.listed && [...this.members.values()].every((m) => m.source === undefined || m.source.phase === 'Synced');
  }

  /** Names of the clusters running from Secrets. */
  clusters(): string[] {
    return [...this.members.values()].flatMap((m) => (m.source ? [m.cluster] : [])).sort();
  }

  /** The cluster's source, when a Secret runs it. */
  source(cluster: string): KubeClusterSource | undefined {
    for (const m of this.members.values()) if (m.cluster === cluster && m.source) return m.source;
    return undefined;
  }

  /** Every Secret: running clusters, failed and ignored ones. */
  states(): SecretClusterState[] {
    const out: SecretClusterState[] = [];
    for (const m of this.members.values()) {
      if (m.source) {
        const st = m.source.state();
        const s: SecretClusterState = { cluster: m.cluster, secret: m.secret, phase: st.phase, since: st.since, failing: st.failing, ...m.source.activity() };
        // A newer Secret content that cannot be used says so, though the previous one still runs.
        const lastError = m.error ?? st.lastError;
        if (lastError !== undefined) s.lastError = lastError;
        out.push(s);
      } else {
        out.push({ cluster: m.ignored ? `Secret ${m.secret}` : m.cluster, secret: m.secret, phase: m.ignored ? 'Ignored' : 'Failed', since: m.since, lastError: m.error, failing: [], watchRestarts: 0 });
      }
    }
    return out.sort((a, b) => a.cluster.localeCompare(b.cluster));
  }

  /** The error of the Secrets' own watch, while it fails. */
  watchFailure(): string | undefined {
    return this.watchError;
  }

  private settleAfterFirstList(): void {
    this.settleTimer?.cancel();
    const sources = [...this.members.values()].flatMap((m) => (m.source ? [m.source] : []));
    void Promise.all(sources.map((s) => s.whenSettled())).then(() => this.resolveSettled());
  }

  /**
   * Makes the running clusters what the Secrets say. A name is kept by the Secret that runs
   * it already; otherwise the first Secret (by namespace/name) that claims it gets it.
   */
  private reconcile(): void {
    if (!this.running) return;
    const parsed = new Map<string, Parsed>();
    for (const key of [...this.secrets.keys()].sort()) parsed.set(key, parseClusterSecret(this.secrets.get(key)!));

    // Who gets each name: the current holder first, then Secrets in order.
    const owner = new Map<string, string>();
    for (const [key, p] of parsed) {
      const m = this.members.get(key);
      if (p.ok && m?.source && m.cluster === p.cluster && !this.opts.reserved.has(p.cluster)) owner.set(p.cluster, key);
    }
    for (const [key, p] of parsed) if (p.ok && !this.opts.reserved.has(p.cluster) && !owner.has(p.cluster)) owner.set(p.cluster, key);

    let changed = false;
    // Secrets gone: their clusters are withdrawn at once.
    for (const [key, m] of [...this.members]) {
      if (parsed.has(key)) continue;
      this.members.delete(key);
      if (m.source) {
        this.removeCluster(m, `cluster ${m.cluster}: Secret ${key} deleted (or no longer labelled); cluster removed, its endpoints withdrawn`);
        changed = true;
      }
    }
    // Clusters whose Secret now names another cluster, or lost the name to the config file:
    // stopped before anything starts, so a name is never in the fleet twice.
    for (const [key, m] of this.members) {
      if (!m.source || owner.get(m.cluster) === key) continue;
      const p = parsed.get(key);
      const now = p?.ok ? p.cluster : undefined;
      this.removeCluster(
        m,
        now !== undefined && now !== m.cluster
          ? `cluster ${m.cluster}: Secret ${key} now names cluster ${now}; ${m.cluster} removed, its endpoints withdrawn`
          : `cluster ${m.cluster}: Secret ${key} no longer defines it; cluster removed, its endpoints withdrawn`,
      );
      changed = true;
    }
    for (const [key, p] of parsed) changed = this.apply(key, p, owner) || changed;
    if (changed) this.opts.onClustersChange?.();
  }

  /** Brings one Secret's member in line with its content; true when the running clusters changed. */
  private apply(key: string, p: Parsed, owner: ReadonlyMap<string, string>): boolean {
    const m = this.members.get(key);
    const what = `Secret ${key}`;
    if (!p.ok) {
      // Unusable content: reported; a cluster this Secret ran keeps its previous connection.
      this.fail(key, m, p.cluster ?? m?.cluster ?? key, `${what}: ${p.error}`, false);
      return false;
    }
    if (this.opts.reserved.has(p.cluster) || owner.get(p.cluster) !== key) {
      const reason = this.opts.reserved.has(p.cluster)
        ? `${what}: cluster ${p.cluster} is defined in the config file (clusters[]), which wins; this Secret is ignored`
        : `${what}: cluster ${p.cluster} is already defined by Secret ${owner.get(p.cluster)}; this Secret is ignored`;
      let changed = false;
      if (m?.source) {
        this.removeCluster(m, `cluster ${m.cluster}: ${reason}`);
        changed = true;
      }
      this.fail(key, undefined, p.cluster, reason, true);
      return changed;
    }
    if (m?.source && m.cluster === p.cluster && m.hash === p.hash) {
      if (m.error !== undefined) {
        this.log.info({ cluster: m.cluster, secretName: key }, `cluster ${m.cluster}: ${what} is usable again`);
        m.error = undefined;
      }
      return false;
    }
    if (m && !m.source && m.hash === p.hash && m.cluster === p.cluster && m.error !== undefined) return false; // the same broken content

    let kc: KubeConfig;
    try {
      kc = kubeConfigFromText(p.kubeconfig, p.context, what);
    } catch (e) {
      this.fail(key, m, p.cluster, (e as Error).message, false, p.hash);
      return false;
    }
    let changed = false;
    const replacing = m?.source !== undefined;
    if (m?.source) {
      // Same name (reconcile removed renamed ones): the endpoints stay until the new connection replaces them.
      m.source.stop();
      m.source = undefined;
      this.log.info({ cluster: p.cluster, secretName: key }, `cluster ${p.cluster}: ${what} changed; reconnecting with the new kubeconfig (endpoints kept until it is read)`);
      changed = true;
    }
    let source: KubeClusterSource;
    try {
      source = this.startCluster(p.cluster, kc);
    } catch (e) {
      this.members.delete(key);
      // Nothing runs the cluster now: the endpoints of the stopped connection would never go.
      if (replacing) this.opts.store.replaceCluster(p.cluster, []);
      this.fail(key, undefined, p.cluster, `${what}: ${(e as Error).message}`, false, p.hash);
      return changed;
    }
    if (!replacing) this.log.info({ cluster: p.cluster, secretName: key }, `cluster ${p.cluster}: added from ${what}`);
    this.members.set(key, { secret: key, cluster: p.cluster, hash: p.hash, source, since: this.clock.now() });
    return true;
  }

  private startCluster(cluster: string, kc: KubeConfig): KubeClusterSource {
    const o = this.opts.cluster;
    const api = this.opts.makeApi ? this.opts.makeApi(kc, cluster) : new ClientNodeApi(kc);
    const source = new KubeClusterSource({
      cluster,
      api,
      store: this.opts.store,
      fleet: this.opts.fleet,
      hostnameSources: o.hostnameSources,
      namespaceSelector: o.namespaceSelector,
      gracePeriodMs: o.gracePeriodMs,
      watchdogMs: o.watchdogMs,
      backoff: this.opts.backoff,
      clock: this.clock,
      random: this.random,
      logger: this.log,
    });
    source.start();
    return source;
  }

  /** Records (and logs once) why a Secret is not in use. A running source stays unless `ignored`. */
  private fail(key: string, m: Member | undefined, cluster: string, error: string, ignored: boolean, hash = ''): void {
    const before = m ?? this.members.get(key);
    if (before?.error !== error) {
      const keeps = before?.source && !ignored ? `; cluster ${before.cluster} keeps its previous kubeconfig` : '';
      this.log.error({ cluster, secretName: key }, `${error}${keeps}`);
    }
    if (before?.source && !ignored) {
      before.error = error;
      return;
    }
    this.members.set(key, { secret: key, cluster, hash, error, ignored, since: before?.error === error ? before.since : this.clock.now() });
  }

  /** Stops a cluster and withdraws its endpoints now: its Secret is gone on purpose. */
  private removeCluster(m: Member, message: string): void {
    m.source?.stop();
    m.source = undefined;
    this.opts.store.replaceCluster(m.cluster, []);
    this.log.warn({ cluster: m.cluster, secretName: m.secret }, message);
  }
}
