// Objects, the global resourceVersion counter and the event history of one fake API server.
import { randomUUID } from 'node:crypto';
import { isRecord, qualifiedResource, statusBody, type KubeObject, type ObjectMeta, type ResourceDef, type StatusBody } from './resources.js';

export type EventType = 'ADDED' | 'MODIFIED' | 'DELETED';

export interface StoreEvent {
  rv: number;
  def: ResourceDef;
  type: EventType;
  /** the object after the change (for DELETED: the last state, carrying the deletion's resourceVersion) */
  obj: KubeObject;
  /** the object before the change (MODIFIED and DELETED) */
  prev?: KubeObject;
}

/** An error that becomes a Kubernetes Status response. */
export class ApiError extends Error {
  constructor(
    readonly code: number,
    message: string,
    readonly reason?: string,
    readonly details?: StatusBody['details'],
  ) {
    super(message);
  }
  status(): StatusBody {
    return statusBody(this.code, this.message, this.reason, this.details);
  }
}

/** Which parts of a stored object a replace may change. */
export type ReplaceScope =
  /** PUT/PATCH on the resource: everything except status (for kinds with a status subresource) */
  | 'main'
  /** PUT/PATCH on /status: status only */
  | 'status'
  /** test-side apply(): everything */
  | 'all';

function nowTimestamp(): string {
  return new Date().toISOString().replace(/\.\d{3}Z$/, 'Z');
}

function key(ns: string | undefined, name: string): string {
  return `${ns ?? ''}/${name}`;
}

/** The parts of an object that make up its "spec" for generation purposes. */
function specPart(o: KubeObject): string {
  const { metadata: _m, status: _s, kind: _k, apiVersion: _a, ...rest } = o;
  return JSON.stringify(rest);
}

function deepFreeze<T>(v: T): T {
  if (typeof v === 'object' && v !== null) {
    for (const child of Object.values(v)) deepFreeze(child);
    Object.freeze(v);
  }
  return v;
}

function finalizersOf(o: KubeObject): string[] {
  const f = o.metadata.finalizers;
  return Array.isArray(f) ? f.filter((x): x is string => typeof x === 'string') : [];
}

export class Store {
  /** the global resourceVersion counter (last one handed out) */
  rv = 0;
  /** watches from a resourceVersion below this one get 410 Expired */
  compactedRv = 0;
  history: StoreEvent[] = [];
  private readonly objects = new Map<ResourceDef, Map<string, KubeObject>>();
  readonly listeners = new Set<(e: StoreEvent) => void>();

  constructor(private readonly historyLimit: number) {}

  private table(def: ResourceDef): Map<string, KubeObject> {
    let t = this.objects.get(def);
    if (!t) {
      t = new Map();
      this.objects.set(def, t);
    }
    return t;
  }

  private notFound(def: ResourceDef, name: string): ApiError {
    return new ApiError(404, `${qualifiedResource(def)} "${name}" not found`, 'NotFound', { name, group: def.group, kind: def.plural });
  }

  /** Stored objects are frozen; callers that hand them out must clone. */
  get(def: ResourceDef, ns: string | undefined, name: string): KubeObject | undefined {
    return this.table(def).get(key(def.namespaced ? ns : undefined, name));
  }

  list(def: ResourceDef): KubeObject[] {
    return [...this.table(def).entries()].sort((a, b) => (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0)).map((e) => e[1]);
  }

  private emit(e: StoreEvent): void {
    this.history.push(e);
    if (this.history.length > this.historyLimit) {
      const dropped = this.history.splice(0, this.history.length - this.historyLimit);
      this.compactedRv = dropped[dropped.length - 1].rv;
    }
    for (const l of [...this.listeners]) l(e);
  }

  /** Drops the history and advances the counter: any watch from an older resourceVersion gets 410. */
  compact(): void {
    this.rv++;
    this.compactedRv = this.rv;
    this.history = [];
  }

  /** Events after `rv`, or 'expired' when some of them have been compacted away. */
  eventsAfter(rv: number): StoreEvent[] | 'expired' {
    if (rv < this.compactedRv) return 'expired';
    // binary search for the first event with rv > given
    let lo = 0;
    let hi = this.history.length;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if (this.history[mid].rv <= rv) lo = mid + 1;
      else hi = mid;
    }
    return this.history.slice(lo);
  }

  /** Checks the shape of an incoming object and fills kind/apiVersion. */
  normalize(def: ResourceDef, input: unknown, pathNs: string | undefined): KubeObject {
    if (!isRecord(input)) throw new ApiError(400, 'the body must be a JSON object');
    if (input.kind !== undefined && input.kind !== def.kind) {
      throw new ApiError(400, `the kind in the body (${String(input.kind)}) does not match the path (${def.kind})`);
    }
    if (input.apiVersion !== undefined && input.apiVersion !== def.apiVersion) {
      throw new ApiError(400, `the apiVersion in the body (${String(input.apiVersion)}) does not match the path (${def.apiVersion})`);
    }
    const meta = input.metadata;
    if (!isRecord(meta)) throw new ApiError(422, `${def.kind} is invalid: metadata: Required value`, 'Invalid');
    const m: ObjectMeta = { ...(meta as ObjectMeta) };
    for (const field of ['labels', 'annotations'] as const) {
      const v = m[field];
      if (v === undefined || v === null) {
        delete m[field];
        continue;
      }
      if (!isRecord(v) || Object.values(v).some((x) => typeof x !== 'string')) {
        throw new ApiError(422, `${def.kind} is invalid: metadata.${field}: values must be strings`, 'Invalid');
      }
    }
    if (def.namespaced) {
      const bodyNs = typeof m.namespace === 'string' && m.namespace !== '' ? m.namespace : undefined;
      if (pathNs !== undefined && bodyNs !== undefined && bodyNs !== pathNs) {
        throw new ApiError(400, 'the namespace of the provided object does not match the namespace sent on the request');
      }
      m.namespace = pathNs ?? bodyNs ?? 'default';
    } else {
      delete m.namespace;
    }
    return { ...input, kind: def.kind, apiVersion: def.apiVersion, metadata: m };
  }

  create(def: ResourceDef, input: KubeObject, opts: { keepStatus: boolean; dryRun?: boolean }): KubeObject {
    const m = input.metadata;
    let name = typeof m.name === 'string' ? m.name : '';
    if (name === '' && typeof m.generateName === 'string' && m.generateName !== '') {
      do name = m.generateName + Math.random().toString(36).slice(2, 7);
      while (this.get(def, m.namespace, name));
    }
    if (name === '') throw new ApiError(422, `${def.kind} is invalid: metadata.name: Required value: name or generateName is required`, 'Invalid');
    if (this.get(def, m.namespace, name)) {
      throw new ApiError(409, `${qualifiedResource(def)} "${name}" already exists`, 'AlreadyExists', { name, group: def.group, kind: def.plural });
    }
    const obj: KubeObject = { ...input };
    if (!opts.keepStatus && def.hasStatus) delete obj.status;
    const rv = opts.dryRun ? this.rv : this.rv + 1;
    obj.metadata = {
      ...m,
      name,
      uid: randomUUID(),
      resourceVersion: String(rv),
      generation: 1,
      creationTimestamp: nowTimestamp(),
    };
    if (def.namespaced) obj.metadata.namespace = m.namespace;
    if (opts.dryRun) return obj;
    this.rv = rv;
    deepFreeze(obj);
    this.table(def).set(key(obj.metadata.namespace, name), obj);
    this.emit({ rv, def, type: 'ADDED', obj });
    return obj;
  }

  replace(
    def: ResourceDef,
    input: KubeObject,
    opts: { scope: ReplaceScope; checkVersion: boolean; name?: string; dryRun?: boolean },
  ): KubeObject {
    const name = opts.name ?? input.metadata.name;
    if (typeof input.metadata.name === 'string' && input.metadata.name !== '' && input.metadata.name !== name) {
      throw new ApiError(400, `the name of the object (${input.metadata.name}) does not match the name on the URL (${name})`);
    }
    const old = this.get(def, input.metadata.namespace, name);
    if (!old) throw this.notFound(def, name);
    const wantRv = input.metadata.resourceVersion;
    if (opts.checkVersion && wantRv !== undefined && wantRv !== '' && wantRv !== old.metadata.resourceVersion) {
      throw new ApiError(
        409,
        `Operation cannot be fulfilled on ${qualifiedResource(def)} "${name}": the object has been modified; please apply your changes to the latest version and try again`,
        'Conflict',
        { name, group: def.group, kind: def.plural },
      );
    }
    let next: KubeObject;
    if (opts.scope === 'status') {
      next = { ...old, metadata: { ...old.metadata } };
      if (input.status === undefined) delete next.status;
      else next.status = input.status;
    } else {
      next = { ...input, metadata: { ...input.metadata } };
      if (opts.scope === 'main' && def.hasStatus) {
        if (old.status === undefined) delete next.status;
        else next.status = old.status;
      }
    }
    next.kind = def.kind;
    next.apiVersion = def.apiVersion;
    const meta = next.metadata;
    // deletionTimestamp is the server's: kept once set, never set by a write
    if (old.metadata.deletionTimestamp !== undefined) {
      meta.deletionTimestamp = old.metadata.deletionTimestamp;
      const before = finalizersOf(old);
      const added = finalizersOf(next).filter((f) => !before.includes(f));
      if (added.length > 0) {
        throw new ApiError(422, `${def.kind} "${name}" is invalid: metadata.finalizers: Forbidden: no new finalizers can be added if the object is being deleted, found new finalizers ${JSON.stringify(added)}`, 'Invalid');
      }
    } else {
      delete meta.deletionTimestamp;
    }
    meta.name = name;
    meta.uid = old.metadata.uid;
    meta.creationTimestamp = old.metadata.creationTimestamp;
    if (def.namespaced) meta.namespace = old.metadata.namespace;
    else delete meta.namespace;
    meta.resourceVersion = old.metadata.resourceVersion;
    meta.generation = old.metadata.generation;
    // a no-op write changes nothing and sends no event (as the real API server does)
    if (JSON.stringify(next) === JSON.stringify(old)) return old;
    if (specPart(next) !== specPart(old)) meta.generation = (old.metadata.generation ?? 0) + 1;
    const rv = opts.dryRun ? this.rv : this.rv + 1;
    meta.resourceVersion = String(rv);
    if (opts.dryRun) return next;
    this.rv = rv;
    deepFreeze(next);
    this.table(def).set(key(meta.namespace, name), next);
    this.emit({ rv, def, type: 'MODIFIED', obj: next, prev: old });
    // the write that removes the last finalizer of an object being deleted completes the deletion
    if (meta.deletionTimestamp !== undefined && finalizersOf(next).length === 0) this.remove(def, meta.namespace, name, { force: true });
    return next;
  }

  /**
   * DELETE: an object with finalizers gets `deletionTimestamp` (and a bumped generation; a
   * MODIFIED event) and stays until an update removes its last finalizer; a second DELETE
   * changes nothing. Without finalizers, or with `force` (the test side's `remove`), it goes now.
   */
  remove(def: ResourceDef, ns: string | undefined, name: string, opts: { dryRun?: boolean; force?: boolean } = {}): KubeObject {
    const old = this.get(def, ns, name);
    if (!old) throw this.notFound(def, name);
    if (!opts.force && finalizersOf(old).length > 0) {
      if (old.metadata.deletionTimestamp !== undefined) return old;
      const rv = opts.dryRun ? this.rv : this.rv + 1;
      const marked: KubeObject = {
        ...old,
        metadata: { ...old.metadata, deletionTimestamp: nowTimestamp(), deletionGracePeriodSeconds: 0, generation: (old.metadata.generation ?? 0) + 1, resourceVersion: String(rv) },
      };
      if (opts.dryRun) return marked;
      this.rv = rv;
      deepFreeze(marked);
      this.table(def).set(key(def.namespaced ? ns : undefined, name), marked);
      this.emit({ rv, def, type: 'MODIFIED', obj: marked, prev: old });
      return marked;
    }
    const rv = opts.dryRun ? this.rv : this.rv + 1;
    const gone: KubeObject = { ...old, metadata: { ...old.metadata, resourceVersion: String(rv) } };
    if (opts.dryRun) return gone;
    this.rv = rv;
    deepFreeze(gone);
    this.table(def).delete(key(def.namespaced ? ns : undefined, name));
    this.emit({ rv, def, type: 'DELETED', obj: gone, prev: old });
    return gone;
  }
}
