import { hostname } from 'node:os';
import { KubeConfig } from '@kubernetes/client-node';
import type { CoreV1Event } from '@kubernetes/client-node';
import { CRD_API_VERSION, timestamp } from '../../config/index.js';
import type { Condition, GlobalDnsProviderStatus, GlobalDnsStatus } from '../../config/index.js';
import { silentLogger, systemClock } from '../../kernel/index.js';
import type { Clock, Logger, Random } from '../../kernel/index.js';
import { describeFailure, Reflector } from '../kubernetes/index.js';
import type { KubeObject } from '../kubernetes/index.js';
import { ClientNodeManagementApi, PLURALS } from './api.js';
import type { ManagementApi, ManagementKind, StatusKind } from './api.js';
import { buildView } from './view.js';
import type { ManagementView } from './view.js';

/** A condition to write; `lastTransitionTime` is filled in (kept when the status did not change). */
export type ConditionUpdate = Omit<Condition, 'lastTransitionTime'> & { lastTransitionTime?: string };
export type EntryStatusUpdate = Omit<GlobalDnsStatus, 'conditions'> & { conditions?: ConditionUpdate[] };
export type ProviderStatusUpdate = Omit<GlobalDnsProviderStatus, 'conditions'> & { conditions?: ConditionUpdate[] };
export type StatusUpdate = EntryStatusUpdate | ProviderStatusUpdate;

/** The object an Event is about. */
export interface InvolvedObject {
  kind: string;
  name: string;
  /** Absent for cluster-scoped objects; their Events go to `default`, as Kubernetes does. */
  namespace?: string;
  uid?: string;
  apiVersion?: string;
  resourceVersion?: string;
}

export interface ManagementSourceOptions {
  /** Path of a kubeconfig file (its current context, or `context`). */
  kubeconfig?: string;
  context?: string;
  /** A ready KubeConfig; wins over `kubeconfig`. Neither: in-cluster, else the default kubeconfig. */
  kubeConfig?: KubeConfig;
  /** Replaces the client-node API (tests). */
  api?: ManagementApi;
  /** Watch GlobalDNS resources of this namespace only; default all namespaces. */
  namespace?: string;
  /** Watch Secrets of this namespace only (a provider's secretRef elsewhere is then "not found"); default all namespaces. */
  secretNamespace?: string;
  /** Called with the whole view after the first full list, then after every change of it. */
  onChange?: (view: ManagementView) => void;
  logger?: Logger;
  clock?: Clock;
  random?: Random;
  backoff?: { initialMs: number; maxMs: number };
  watchdogMs?: number;
  /** Attempts of a status write that meets 409 Conflict (default 5). */
  statusAttempts?: number;
  /** Repeats of an Event within this window raise its count (default 10 minutes). */
  eventDedupeMs?: number;
  /** `source.host` of Events; default the host name. */
  instance?: string;
}

const KINDS: readonly ManagementKind[] = ['GlobalDNSProvider', 'Secret', 'GlobalDNS'];

interface RecordedEvent {
  namespace: string;
  event: CoreV1Event;
  lastSeen: number;
}

function isObj(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function objectKey(o: KubeObject): string {
  const m = isObj(o.metadata) ? o.metadata : {};
  const ns = typeof m.namespace === 'string' ? m.namespace : '';
  const name = typeof m.name === 'string' ? m.name : '';
  return ns === '' ? name : `${ns}/${name}`;
}

function httpStatus(e: unknown): number | undefined {
  return describeFailure(e).status;
}

function loadKubeConfig(opts: ManagementSourceOptions): KubeConfig {
  if (opts.kubeConfig) return opts.kubeConfig;
  const kc = new KubeConfig();
  if (opts.kubeconfig !== undefined) {
    try {
      kc.loadFromFile(opts.kubeconfig);
    } catch (e) {
      throw new Error(`management kubeconfig ${opts.kubeconfig}: ${(e as Error).message}`);
    }
    if (opts.context !== undefined) {
      if (!kc.getContextObject(opts.context)) throw new Error(`management kubeconfig ${opts.kubeconfig}: no context "${opts.context}"`);
      kc.setCurrentContext(opts.context);
    }
  } else {
    kc.loadFromDefault();
  }
  return kc;
}

/**
 * The management cluster's declarations: GlobalDNS entries, GlobalDNSProviders and the Secrets
 * the providers name, each kept in view by a supervised reflector (list, watch, restart with
 * backoff; see `../kubernetes/README.md`). A view is first published once all three kinds
 * have been listed, then whenever it changes (a status write changes no view and publishes
 * nothing). While a watch is down the last view stands.
 *
 * Also the way back: `writeStatus` through the status subresource, `recordEvent` as core v1
 * Events. Secret values are kept in memory only and never reach a log line or an error.
 */
export class ManagementSource {
  private readonly api: ManagementApi;
  private readonly clock: Clock;
  private readonly log: Logger;
  private readonly opts: ManagementSourceOptions;
  private readonly reflectors: Reflector<ManagementKind>[];
  private readonly objects: Record<ManagementKind, Map<string, KubeObject>> = { GlobalDNS: new Map(), GlobalDNSProvider: new Map(), Secret: new Map() };
  private readonly listed = new Set<ManagementKind>();
  private readonly failing = new Map<ManagementKind, string>();
  private current: ManagementView = { entries: [], providers: [], problems: [] };
  private fingerprint = '';
  private emitQueued = false;
  private running = false;
  /** Problems already logged, so each is logged once while it lasts. */
  private reported = new Set<string>();
  private readonly events = new Map<string, RecordedEvent>();
  private readonly eventChains = new Map<string, Promise<unknown>>();
  private readonly synced: Promise<void>;
  private resolveSynced: () => void = () => {};

  constructor(opts: ManagementSourceOptions = {}) {
    this.opts = opts;
    this.api = opts.api ?? new ClientNodeManagementApi(loadKubeConfig(opts), { namespace: opts.namespace, secretNamespace: opts.secretNamespace });
    this.clock = opts.clock ?? systemClock;
    this.log = opts.logger ?? silentLogger;
    this.synced = new Promise((r) => (this.resolveSynced = r));
    const random = opts.random ?? Math.random;
    this.reflectors = KINDS.map(
      (kind) =>
        new Reflector<ManagementKind>({
          kind,
          resource: PLURALS[kind],
          api: this.api,
          clock: this.clock,
          random,
          backoff: opts.backoff ?? { initialMs: 1000, maxMs: 30_000 },
          watchdogMs: opts.watchdogMs ?? 120_000,
          handler: {
            replaced: (items) => this.onReplaced(kind, items),
            changed: (type, object) => this.onChanged(kind, type, object),
            healthy: () => this.onHealthy(kind),
            failed: (reason) => this.onFailed(kind, reason),
            // Only the object's name: the object may be a Secret.
            handlerError: (e, object) =>
              this.log.error(
                { kind, object: object ? objectKey(object) : undefined, err: e instanceof Error ? e.message : 'unknown error' },
                `management: handling ${kind} ${object ? objectKey(object) : ''} failed; event dropped`,
              ),
          },
        }),
    );
  }

  start(): void {
    if (this.running) return;
    this.running = true;
    for (const r of this.reflectors) r.start();
  }

  stop(): void {
    this.running = false;
    for (const r of this.reflectors) r.stop();
  }

  /** Resolves once every kind has been listed and the first view published. */
  whenSynced(): Promise<void> {
    return this.synced;
  }

  /** The current view (empty until synced). */
  view(): ManagementView {
    return this.current;
  }

  /** Kinds whose list or watch is failing now, with the reason. */
  failures(): { kind: ManagementKind; reason: string }[] {
    return [...this.failing].map(([kind, reason]) => ({ kind, reason }));
  }

  // ---- reflector events ----

  private onReplaced(kind: ManagementKind, items: KubeObject[]): void {
    const map = this.objects[kind];
    map.clear();
    for (const item of items) map.set(objectKey(item), item);
    this.listed.add(kind);
    this.changedSoon();
  }

  private onChanged(kind: ManagementKind, type: 'ADDED' | 'MODIFIED' | 'DELETED', object: KubeObject): void {
    const key = objectKey(object);
    if (type === 'DELETED') this.objects[kind].delete(key);
    else this.objects[kind].set(key, { ...object, kind });
    this.changedSoon();
  }

  private onHealthy(kind: ManagementKind): void {
    const was = this.failing.get(kind);
    if (was === undefined) return;
    this.failing.delete(kind);
    this.log.info({ kind }, `management: ${PLURALS[kind]} listed and watched again`);
  }

  private onFailed(kind: ManagementKind, reason: string): void {
    const first = !this.failing.has(kind);
    this.failing.set(kind, reason);
    // Once per outage at warn, every retry at debug.
    if (first) this.log.warn({ kind, reason }, `management: ${reason}`);
    else this.log.debug({ kind, reason }, `management: ${reason}`);
  }

  /** Coalesces the events of one tick (a re-list is many) into one rebuild. */
  private changedSoon(): void {
    if (this.emitQueued || this.listed.size < KINDS.length) return;
    this.emitQueued = true;
    queueMicrotask(() => {
      this.emitQueued = false;
      this.rebuild();
    });
  }

  private rebuild(): void {
    if (!this.running) return;
    const view = buildView(this.objects.GlobalDNS.values(), this.objects.GlobalDNSProvider.values(), this.objects.Secret);
    // Secrets appear in the fingerprint by name and resourceVersion only (ProviderSecret.toJSON).
    const fp = JSON.stringify(view);
    const first = this.fingerprint === '';
    if (fp === this.fingerprint) return;
    this.fingerprint = fp;
    this.current = view;
    this.logProblems(view);
    if (first) {
      this.log.info({ entries: view.entries.length, providers: view.providers.length, problems: view.problems.length }, 'management: resources listed');
      this.resolveSynced();
    }
    try {
      this.opts.onChange?.(view);
    } catch (e) {
      this.log.error({ err: e instanceof Error ? e.message : 'unknown error' }, 'management: the change listener failed');
    }
  }

  private logProblems(view: ManagementView): void {
    const now = new Set<string>();
    for (const p of view.problems) {
      const key = `${p.kind} ${p.resource}: ${p.message}`;
      now.add(key);
      if (!this.reported.has(key)) this.log.warn({ kind: p.kind, resource: p.resource }, key);
    }
    this.reported = now;
  }

  // ---- status ----

  /**
   * Writes the status of a GlobalDNS (namespace set) or GlobalDNSProvider (namespace
   * undefined) through the status subresource: read, write with that resourceVersion, and on
   * 409 Conflict read again and write again (`statusAttempts` in all). `status` may be a
   * function of the current status, so a retry re-applies a change to fresh data. A
   * condition's `lastTransitionTime` stays as it was while its status does not change.
   * Rejects with `write status of GlobalDNS ns/name: <reason>`.
   */
  async writeStatus(kind: StatusKind, namespace: string | undefined, name: string, status: StatusUpdate | ((current: Record<string, unknown> | undefined) => StatusUpdate)): Promise<KubeObject> {
    const what = `write status of ${kind} ${namespace === undefined ? name : `${namespace}/${name}`}`;
    const attempts = this.opts.statusAttempts ?? 5;
    for (let attempt = 1;; attempt++) {
      let obj: KubeObject | undefined;
      try {
        obj = await this.api.get(kind, namespace, name);
      } catch (e) {
        throw new Error(`${what}: read: ${describeFailure(e).message}`);
      }
      if (!obj) throw new Error(`${what}: not found`);
      const current = isObj(obj.status) ? obj.status : undefined;
      const update = typeof status === 'function' ? status(current) : status;
      const next = this.withTransitionTimes(update, current);
      try {
        return await this.api.replaceStatus(kind, namespace, name, { ...obj, apiVersion: CRD_API_VERSION, kind, status: next });
      } catch (e) {
        const code = httpStatus(e);
        if (code === 409 && attempt < attempts) {
          this.log.debug({ kind, namespace, name, attempt }, `${what}: conflict, reading again`);
          continue;
        }
        throw new Error(`${what}: ${describeFailure(e).message}${code === 409 ? ` (after ${attempt} attempts)` : ''}`);
      }
    }
  }

  /**
   * Adds (`present`) or removes `finalizer` on a GlobalDNSProvider: read, PUT with that
   * resourceVersion, on 409 read again (`statusAttempts` in all). Resolves false when there was
   * nothing to do (already so, or the object is gone); adding to an object being deleted is
   * nothing to do too (the API server would refuse it).
   */
  async setProviderFinalizer(name: string, finalizer: string, present: boolean): Promise<boolean> {
    const what = `${present ? 'add' : 'remove'} finalizer ${finalizer} ${present ? 'to' : 'from'} GlobalDNSProvider ${name}`;
    const attempts = this.opts.statusAttempts ?? 5;
    for (let attempt = 1;; attempt++) {
      let obj: KubeObject | undefined;
      try {
        obj = await this.api.get('GlobalDNSProvider', undefined, name);
      } catch (e) {
        throw new Error(`${what}: read: ${describeFailure(e).message}`);
      }
      if (!obj) return false;
      const meta = isObj(obj.metadata) ? obj.metadata : {};
      const finalizers = Array.isArray(meta.finalizers) ? meta.finalizers.filter((f): f is string => typeof f === 'string') : [];
      if (finalizers.includes(finalizer) === present) return false;
      if (present && typeof meta.deletionTimestamp === 'string') return false;
      const next = present ? [...finalizers, finalizer] : finalizers.filter((f) => f !== finalizer);
      try {
        await this.api.replace('GlobalDNSProvider', undefined, name, { ...obj, apiVersion: CRD_API_VERSION, kind: 'GlobalDNSProvider', metadata: { ...meta, finalizers: next } });
        return true;
      } catch (e) {
        const code = httpStatus(e);
        if (code === 404) return false;
        if (code === 409 && attempt < attempts) continue;
        throw new Error(`${what}: ${describeFailure(e).message}${code === 409 ? ` (after ${attempt} attempts)` : ''}`);
      }
    }
  }

  private withTransitionTimes(update: StatusUpdate, current: Record<string, unknown> | undefined): Record<string, unknown> {
    const out: Record<string, unknown> = { ...update };
    if (!update.conditions) return out;
    const previous = current && Array.isArray(current.conditions) ? current.conditions.filter(isObj) : [];
    const now = timestamp(new Date(this.clock.now()));
    out.conditions = update.conditions.map((c): Condition => {
      const old = previous.find((p) => p.type === c.type);
      const keep = old && old.status === c.status && typeof old.lastTransitionTime === 'string' ? old.lastTransitionTime : undefined;
      return { ...c, lastTransitionTime: keep ?? c.lastTransitionTime ?? now };
    });
    return out;
  }

  // ---- events ----

  /**
   * Records a core v1 Event about `involved`. The same event (object, type, reason, message)
   * again within `eventDedupeMs` raises the count of the Event already written instead of
   * writing another, as kubectl's and client-go's recorders do. Never rejects: a failure is
   * logged and reported as false (an Event is worth less than the work that reports it).
   */
  recordEvent(involved: InvolvedObject, type: 'Normal' | 'Warning', reason: string, message: string): Promise<boolean> {
    const namespace = involved.namespace ?? 'default';
    const key = JSON.stringify([involved.kind, namespace, involved.name, involved.uid ?? '', type, reason, message]);
    // One write at a time per event, so a burst of repeats counts instead of racing to create.
    const previous = this.eventChains.get(key) ?? Promise.resolve();
    const run = previous.then(() => this.writeEvent(key, namespace, involved, type, reason, message));
    this.eventChains.set(key, run);
    void run.finally(() => {
      if (this.eventChains.get(key) === run) this.eventChains.delete(key);
    });
    return run;
  }

  private async writeEvent(key: string, namespace: string, involved: InvolvedObject, type: 'Normal' | 'Warning', reason: string, message: string): Promise<boolean> {
    const nowMs = this.clock.now();
    const window = this.opts.eventDedupeMs ?? 10 * 60_000;
    for (const [k, e] of this.events) if (nowMs - e.lastSeen >= window) this.events.delete(k);
    const now = new Date(nowMs);
    const seen = this.events.get(key);
    try {
      if (seen) {
        const event: CoreV1Event = { ...seen.event, count: (seen.event.count ?? 1) + 1, lastTimestamp: now };
        const name = seen.event.metadata.name ?? '';
        try {
          seen.event = await this.api.replaceEvent(namespace, name, { ...event, metadata: { ...event.metadata, resourceVersion: undefined } });
          seen.lastSeen = nowMs;
          return true;
        } catch (e) {
          // The Event expired on the server (its TTL is an hour by default): write a new one.
          if (httpStatus(e) !== 404) throw e;
          this.events.delete(key);
        }
      }
      const event: CoreV1Event = {
        apiVersion: 'v1',
        kind: 'Event',
        metadata: { name: `${involved.name}.${(nowMs * 1e6 + Math.floor(Math.random() * 1e6)).toString(16)}`, namespace },
        involvedObject: {
          kind: involved.kind,
          name: involved.name,
          namespace: involved.namespace,
          uid: involved.uid,
          apiVersion: involved.apiVersion ?? CRD_API_VERSION,
          resourceVersion: involved.resourceVersion,
        },
        type,
        reason,
        message,
        count: 1,
        firstTimestamp: now,
        lastTimestamp: now,
        source: { component: 'globaldns', host: this.opts.instance ?? hostname() },
        reportingComponent: 'globaldns',
        reportingInstance: this.opts.instance ?? hostname(),
      };
      const written = await this.api.createEvent(namespace, event);
      this.events.set(key, { namespace, event: written, lastSeen: nowMs });
      return true;
    } catch (e) {
      this.log.warn({ kind: involved.kind, namespace, name: involved.name, reason }, `management: recording event ${reason} on ${involved.kind} ${namespace}/${involved.name} failed: ${describeFailure(e).message}`);
      return false;
    }
  }
}
