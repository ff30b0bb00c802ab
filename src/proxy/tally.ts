import { PROXY_LATENCY_BUCKETS } from '../observe/index.js';
import type { ProxyCounts } from '../observe/index.js';

/**
 * The request counters of one proxy process, as plain numbers: a request costs two small-map
 * operations and a short bucket scan, never a prom-client call or an IPC message. `drain()`
 * gives what was counted since the last drain (`ProxyCounts`), which the process sends to the
 * primary every second; the primary adds it to its `Metrics`.
 *
 * Labels: `host` is the routed global name (`*.example.org` for a wildcard claim), `cluster`
 * the cluster of the upstream the request went to. Requests the proxy answered itself count
 * with cluster '' (no upstream was chosen), and with host '' when the Host named no route.
 */
export class ProxyTally {
  private readonly slots = new Map<string, TallySlot>();
  private readonly latency = new Map<string, LatencySlot>();
  private readonly ejections = new Map<string, { cluster: string; endpoint: string; count: number }>();
  /** Requests whose Host names no route (404), heads refused by the parser (400, 408, 431). */
  readonly unrouted: TallySlot;

  constructor() {
    this.unrouted = this.slot('', '');
  }

  /** The slot of (host, cluster); routers keep theirs, so a request looks nothing up by name. */
  slot(host: string, cluster: string): TallySlot {
    const key = `${host}\u0000${cluster}`;
    let s = this.slots.get(key);
    if (!s) {
      let latency: LatencySlot | undefined;
      if (cluster !== '') {
        latency = this.latency.get(cluster);
        if (!latency) this.latency.set(cluster, latency = new LatencySlot(cluster));
      }
      this.slots.set(key, s = new TallySlot(host, cluster, latency));
    }
    return s;
  }

  ejection(cluster: string, endpoint: string): void {
    const key = `${cluster}\u0000${endpoint}`;
    const e = this.ejections.get(key);
    if (e) e.count++;
    else this.ejections.set(key, { cluster, endpoint, count: 1 });
  }

  /** What was counted since the last call, or undefined when nothing was; the counters restart at zero. */
  drain(): ProxyCounts | undefined {
    const out: ProxyCounts = { requests: [], latency: [], ejections: [] };
    for (const s of this.slots.values()) {
      if (s.statuses.size === 0) continue;
      for (const [status, count] of s.statuses) out.requests.push({ host: s.host, cluster: s.cluster, status, count });
      s.statuses.clear();
    }
    for (const l of this.latency.values()) {
      if (l.count === 0) continue;
      out.latency.push({ cluster: l.cluster, buckets: Array.from(l.buckets), sum: l.sum });
      l.buckets.fill(0);
      l.sum = 0;
      l.count = 0;
    }
    for (const e of this.ejections.values()) out.ejections.push({ ...e });
    this.ejections.clear();
    return out.requests.length + out.latency.length + out.ejections.length > 0 ? out : undefined;
  }
}

/** Counts of one (host, cluster) by status. */
export class TallySlot {
  readonly statuses = new Map<number, number>();

  constructor(
    readonly host: string,
    readonly cluster: string,
    private readonly latency: LatencySlot | undefined,
  ) {}

  /** A request answered with `status`; `ms` the upstream time (ignored without a cluster). */
  count(status: number, ms?: number): void {
    this.statuses.set(status, (this.statuses.get(status) ?? 0) + 1);
    if (ms !== undefined && this.latency) this.latency.observe(ms / 1000);
  }
}

const BOUNDS = PROXY_LATENCY_BUCKETS;

/** Upstream latency of one cluster, in the buckets the primary's histogram uses. */
class LatencySlot {
  readonly buckets = new Float64Array(BOUNDS.length + 1);
  sum = 0;
  count = 0;

  constructor(readonly cluster: string) {}

  observe(seconds: number): void {
    let i = 0;
    while (i < BOUNDS.length && seconds > BOUNDS[i]) i++;
    this.buckets[i]++;
    this.sum += seconds;
    this.count++;
  }
}
