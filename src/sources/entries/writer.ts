import { hostname } from 'node:os';
import type { CoreV1Event, KubeConfig } from '@kubernetes/client-node';
import { CRD_API_VERSION, timestamp } from '../../config/index.js';
import type { Condition, GlobalDnsProviderStatus, GlobalDnsStatus } from '../../config/index.js';
import { silentLogger, systemClock } from '../../kernel/index.js';
import type { Clock, Logger } from '../../kernel/index.js';
import { describeFailure } from '../kubernetes/index.js';
import type { KubeObject } from '../kubernetes/index.js';
import { ClientNodeManagementApi } from './api.js';
import type { ManagementApi, StatusKind } from './api.js';
import { isObj } from './source.js';

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

export interface ManagementWriterOptions {
  /** The management cluster (the source's KubeConfig). */
  kubeConfig?: KubeConfig;
  /** Replaces the client-node API (tests). */
  api?: ManagementApi;
  logger?: Logger;
  clock?: Clock;
  /** Attempts of a status write that meets 409 Conflict (default 5). */
  statusAttempts?: number;
  /** Repeats of an Event within this window raise its count (default 10 minutes). */
  eventDedupeMs?: number;
  /** `source.host` of Events; default the host name. */
  instance?: string;
}

interface RecordedEvent {
  namespace: string;
  event: CoreV1Event;
  lastSeen: number;
}

function httpStatus(e: unknown): number | undefined {
  return describeFailure(e).status;
}

/**
 * The way back to the management cluster: `writeStatus` through the status subresource,
 * `setProviderFinalizer`, and `recordEvent` as core v1 Events. Apart from the source, which
 * only reads: the leader writes, every replica reads.
 */
export class ManagementWriter {
  private readonly api: ManagementApi;
  private readonly clock: Clock;
  private readonly log: Logger;
  private readonly opts: ManagementWriterOptions;
  private readonly events = new Map<string, RecordedEvent>();
  private readonly eventChains = new Map<string, Promise<unknown>>();

  constructor(opts: ManagementWriterOptions) {
    this.opts = opts;
    if (!opts.api && !opts.kubeConfig) throw new Error('ManagementWriter: needs kubeConfig or api');
    this.api = opts.api ?? new ClientNodeManagementApi(opts.kubeConfig!, {});
    this.clock = opts.clock ?? systemClock;
    this.log = opts.logger ?? silentLogger;
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
