// Test doubles for the Kubernetes source: a manual clock and a scripted KubeApi.
import type { KubeApi, KubeObject, ListResult, ResourceKind, WatchHandle, WatchParams } from '../../../src/sources/index.js';

export { ManualClock, settle } from '../../support/clock.js';

export interface FakeWatch {
  kind: ResourceKind;
  params: WatchParams;
  aborted: boolean;
  ended: boolean;
  emit(type: string, object: KubeObject): void;
  /** Ends the watch: null for a clean close. */
  end(err?: unknown): void;
}

/** An API whose objects, failures and watches the test drives. */
export class FakeApi implements KubeApi {
  objects: Record<ResourceKind, KubeObject[]> = { Namespace: [], Ingress: [], Service: [] };
  rv = 1;
  lists: ResourceKind[] = [];
  watches: FakeWatch[] = [];
  private listFailures: Record<ResourceKind, unknown[]> = { Namespace: [], Ingress: [], Service: [] };
  private watchFailures: Record<ResourceKind, unknown[]> = { Namespace: [], Ingress: [], Service: [] };
  /** Lists that never answer (a hung server). */
  hang = false;

  failLists(kind: ResourceKind, err: unknown, count = 1): void {
    for (let i = 0; i < count; i++) this.listFailures[kind].push(err);
  }

  failWatches(kind: ResourceKind, err: unknown, count = 1): void {
    for (let i = 0; i < count; i++) this.watchFailures[kind].push(err);
  }

  /** Fails everything of every kind until `heal()`. */
  down = false;
  downError: unknown = Object.assign(new Error('request to https://127.0.0.1:1/ failed, reason: connect ECONNREFUSED 127.0.0.1:1'), { code: 'ECONNREFUSED' });

  /** The open watch of a kind. */
  open(kind: ResourceKind): FakeWatch | undefined {
    return this.watches.filter((w) => w.kind === kind && !w.aborted && !w.ended).at(-1);
  }

  listCount(kind: ResourceKind): number {
    return this.lists.filter((k) => k === kind).length;
  }

  async list(kind: ResourceKind): Promise<ListResult> {
    this.lists.push(kind);
    if (this.hang) return new Promise<ListResult>(() => {});
    if (this.down) throw this.downError;
    const err = this.listFailures[kind].shift();
    // Whatever the test queued, as client-node may reject with a non-Error too.
    // eslint-disable-next-line @typescript-eslint/only-throw-error
    if (err !== undefined) throw err;
    return { items: this.objects[kind].map((o) => structuredClone(o)), resourceVersion: String(this.rv) };
  }

  async watch(kind: ResourceKind, params: WatchParams, onEvent: (type: string, object: KubeObject) => void, onDone: (err: unknown) => void): Promise<WatchHandle> {
    const failure = this.down ? this.downError : this.watchFailures[kind].shift();
    const w: FakeWatch = {
      kind,
      params,
      aborted: false,
      ended: false,
      emit: (type, object) => {
        if (!w.aborted && !w.ended) onEvent(type, object);
      },
      end: (err) => {
        if (w.ended) return;
        w.ended = true;
        onDone(err ?? null);
      },
    };
    this.watches.push(w);
    if (failure !== undefined) w.end(failure);
    return {
      abort: () => {
        if (w.aborted || w.ended) return;
        w.aborted = true;
        // As client-node 1.4 does: aborting reports an AbortError through done.
        w.ended = true;
        onDone(Object.assign(new Error('The operation was aborted.'), { name: 'AbortError' }));
      },
    };
  }

  /** Changes an object as the server would: store it, bump the version, tell open watches. */
  put(kind: ResourceKind, object: KubeObject): void {
    const key = keyOf(object);
    const list = this.objects[kind];
    const i = list.findIndex((o) => keyOf(o) === key);
    this.rv++;
    const stored = { ...object, kind, metadata: { ...(object.metadata as object), resourceVersion: String(this.rv) } };
    if (i >= 0) list[i] = stored;
    else list.push(stored);
    this.open(kind)?.emit(i >= 0 ? 'MODIFIED' : 'ADDED', structuredClone(stored));
  }

  /** Deletes; `silently` leaves open watches uninformed (the event was lost in an outage). */
  delete(kind: ResourceKind, namespace: string | undefined, name: string, silently = false): void {
    const list = this.objects[kind];
    const i = list.findIndex((o) => keyOf(o) === `${namespace ?? ''}/${name}`);
    if (i < 0) return;
    const [gone] = list.splice(i, 1);
    this.rv++;
    if (!silently) this.open(kind)?.emit('DELETED', gone);
  }
}

function keyOf(o: KubeObject): string {
  const m = (o.metadata ?? {}) as { namespace?: string; name?: string };
  return `${m.namespace ?? ''}/${m.name ?? ''}`;
}

export function ingress(o: { name: string; namespace?: string; hosts?: string; ips?: string[]; annotations?: Record<string, string>; rules?: string[] }): KubeObject {
  const annotations: Record<string, string> = { ...o.annotations };
  if (o.hosts !== undefined) annotations['globaldns.io/hostname'] = o.hosts;
  return {
    apiVersion: 'networking.k8s.io/v1',
    kind: 'Ingress',
    metadata: { name: o.name, namespace: o.namespace ?? 'default', annotations },
    spec: { rules: (o.rules ?? []).map((host) => ({ host })) },
    status: { loadBalancer: { ingress: (o.ips ?? []).map((ip) => ({ ip })) } },
  };
}

export function service(o: { name: string; namespace?: string; hosts: string; ips: string[]; type?: string }): KubeObject {
  return {
    apiVersion: 'v1',
    kind: 'Service',
    metadata: { name: o.name, namespace: o.namespace ?? 'default', annotations: { 'globaldns.io/hostname': o.hosts } },
    spec: { type: o.type ?? 'LoadBalancer' },
    status: { loadBalancer: { ingress: o.ips.map((ip) => ({ ip })) } },
  };
}

export function namespace(name: string, labels: Record<string, string> = {}, annotations: Record<string, string> = {}): KubeObject {
  return { apiVersion: 'v1', kind: 'Namespace', metadata: { name, labels, annotations } };
}

export class RecordingLogger {
  lines: { level: string; obj: object; msg: string }[] = [];
  debug(obj: object, msg?: string): void {
    this.lines.push({ level: 'debug', obj, msg: msg ?? '' });
  }
  info(obj: object, msg?: string): void {
    this.lines.push({ level: 'info', obj, msg: msg ?? '' });
  }
  warn(obj: object, msg?: string): void {
    this.lines.push({ level: 'warn', obj, msg: msg ?? '' });
  }
  error(obj: object, msg?: string): void {
    this.lines.push({ level: 'error', obj, msg: msg ?? '' });
  }
  /** Messages at warn and above, or at one level. */
  messages(level?: string): string[] {
    return this.lines.filter((l) => (level ? l.level === level : l.level === 'warn' || l.level === 'error')).map((l) => l.msg);
  }
}
