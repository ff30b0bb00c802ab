import { endpointKey } from '../model/index.js';
import type { Endpoint } from '../model/index.js';

export type ChangeListener = (touched: ReadonlySet<string>) => void;

/**
 * Every endpoint every source has seen, keyed `cluster/namespace/kind/name`, with an index
 * from claimed hostname to keys. Each mutation reports the hostnames it touched (old and
 * new claims) so that only those names are re-planned; nothing downstream walks the world
 * on an event.
 */
export class EndpointStore {
  private readonly endpoints = new Map<string, Endpoint>();
  private readonly byHostname = new Map<string, Set<string>>();
  private readonly byCluster = new Map<string, Set<string>>();
  private readonly listeners = new Set<ChangeListener>();

  /** Subscribes to changes; returns the unsubscribe function. */
  onChange(listener: ChangeListener): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  get(key: string): Endpoint | undefined {
    return this.endpoints.get(key);
  }

  /** Endpoints claiming `fqdn` (canonical form). */
  byName(fqdn: string): Endpoint[] {
    const keys = this.byHostname.get(fqdn);
    if (!keys) return [];
    const out: Endpoint[] = [];
    for (const key of keys) {
      const e = this.endpoints.get(key);
      if (e) out.push(e);
    }
    return out;
  }

  /** Every hostname some endpoint claims. */
  names(): string[] {
    return [...this.byHostname.keys()];
  }

  /** Endpoints of one cluster. */
  byClusterName(cluster: string): Endpoint[] {
    return [...(this.byCluster.get(cluster) ?? [])].flatMap((k) => this.endpoints.get(k) ?? []);
  }

  /** Every endpoint, in key order (a snapshot of the store that diffs well). */
  all(): Endpoint[] {
    return [...this.endpoints.keys()].sort().map((k) => this.endpoints.get(k)!);
  }

  get size(): number {
    return this.endpoints.size;
  }

  upsert(endpoint: Endpoint): Set<string> {
    const touched = new Set<string>();
    this.put(endpoint, touched);
    this.emit(touched);
    return touched;
  }

  remove(key: string): Set<string> {
    const touched = new Set<string>();
    this.delete(key, touched);
    this.emit(touched);
    return touched;
  }

  /**
   * Makes `endpoints` the whole content of `cluster`: adds and updates them, removes the
   * cluster's other endpoints. One change event for the lot, so a re-list of a cluster is
   * planned once.
   */
  replaceCluster(cluster: string, endpoints: readonly Endpoint[]): Set<string> {
    const touched = new Set<string>();
    const keep = new Set<string>();
    for (const e of endpoints) {
      if (e.cluster !== cluster) throw new Error(`endpoint ${endpointKey(e)} does not belong to cluster ${cluster}`);
      keep.add(endpointKey(e));
      this.put(e, touched);
    }
    for (const key of [...(this.byCluster.get(cluster) ?? [])]) {
      if (!keep.has(key)) this.delete(key, touched);
    }
    this.emit(touched);
    return touched;
  }

  private put(endpoint: Endpoint, touched: Set<string>): void {
    const key = endpointKey(endpoint);
    const old = this.endpoints.get(key);
    if (old && sameEndpoint(old, endpoint)) return;
    if (old) this.unindex(key, old, touched);
    // A private copy: a source mutating its object later must not change the store behind its back.
    const copy: Endpoint = { ...endpoint, hostnames: [...endpoint.hostnames], targets: [...endpoint.targets] };
    this.endpoints.set(key, copy);
    for (const h of copy.hostnames) {
      touched.add(h);
      addTo(this.byHostname, h, key);
    }
    addTo(this.byCluster, copy.cluster, key);
  }

  private delete(key: string, touched: Set<string>): void {
    const old = this.endpoints.get(key);
    if (!old) return;
    this.unindex(key, old, touched);
    this.endpoints.delete(key);
    removeFrom(this.byCluster, old.cluster, key);
  }

  private unindex(key: string, old: Endpoint, touched: Set<string>): void {
    for (const h of old.hostnames) {
      touched.add(h);
      removeFrom(this.byHostname, h, key);
    }
  }

  private emit(touched: ReadonlySet<string>): void {
    if (touched.size === 0) return;
    for (const l of this.listeners) l(touched);
  }
}

function addTo(index: Map<string, Set<string>>, k: string, v: string): void {
  let s = index.get(k);
  if (!s) index.set(k, s = new Set());
  s.add(v);
}

function removeFrom(index: Map<string, Set<string>>, k: string, v: string): void {
  const s = index.get(k);
  if (!s) return;
  s.delete(v);
  if (s.size === 0) index.delete(k);
}

function sameEndpoint(a: Endpoint, b: Endpoint): boolean {
  return (
    a.project === b.project &&
    a.ttl === b.ttl &&
    // Labels come sorted by key (extractEndpoint), so the text compares them.
    JSON.stringify(a.namespaceLabels ?? {}) === JSON.stringify(b.namespaceLabels ?? {}) &&
    sameList(a.hostnames, b.hostnames) &&
    sameList(a.targets, b.targets) &&
    JSON.stringify(a.paths ?? {}) === JSON.stringify(b.paths ?? {})
  );
}

function sameList(a: readonly string[], b: readonly string[]): boolean {
  return a.length === b.length && a.every((x, i) => x === b[i]);
}
