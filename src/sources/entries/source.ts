import { KubeConfig } from '@kubernetes/client-node';
import { silentLogger, systemClock } from '../../kernel/index.js';
import type { Clock, Logger, Random } from '../../kernel/index.js';
import { Reflector } from '../kubernetes/index.js';
import type { KubeObject } from '../kubernetes/index.js';
import { ClientNodeManagementApi, PLURALS } from './api.js';
import type { ManagementApi, ManagementKind } from './api.js';
import { buildView } from './view.js';
import type { ManagementView } from './view.js';

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
}

const KINDS: readonly ManagementKind[] = ['GlobalDNSProvider', 'Secret', 'GlobalDNS'];

export function isObj(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function objectKey(o: KubeObject): string {
  const m = isObj(o.metadata) ? o.metadata : {};
  const ns = typeof m.namespace === 'string' ? m.namespace : '';
  const name = typeof m.name === 'string' ? m.name : '';
  return ns === '' ? name : `${ns}/${name}`;
}

/** The management cluster's KubeConfig from the options (the source's and the writer's). */
export function loadKubeConfig(opts: Pick<ManagementSourceOptions, 'kubeConfig' | 'kubeconfig' | 'context'>): KubeConfig {
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
 * Secret values are kept in memory only and never reach a log line or an error. It only
 * reads: statuses, Events and finalizers are written by `ManagementWriter` (writer.ts).
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
}
