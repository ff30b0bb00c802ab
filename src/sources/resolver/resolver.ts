import { Resolver } from 'node:dns/promises';
import { lookup } from 'node:dns/promises';
import { isIPv4, isIPv6 } from 'node:net';
import type { ResolvedAddresses, ResolvedHostnames } from '../../planner/index.js';
import { systemClock } from '../../kernel/index.js';
import type { Clock, TimerHandle } from '../../kernel/index.js';

/** One family's answer: addresses and the TTL (seconds) DNS gave them, when DNS gave one. */
export interface FamilyAnswer {
  addresses: string[];
  ttl?: number;
}

/**
 * How a hostname is looked up. `dns` asks the configured (or system) DNS servers and gives
 * TTLs; `system` is getaddrinfo (hosts file, search domains), as the rest of the host would
 * resolve the name, without TTLs.
 */
export interface LookupBackend {
  dns(hostname: string, family: 4 | 6): Promise<FamilyAnswer>;
  system(hostname: string): Promise<ResolvedAddresses>;
}

/** The node:dns backend: a `Resolver` (servers configurable) and getaddrinfo. */
export function nodeLookupBackend(servers?: readonly string[], timeoutMs = 2000): LookupBackend {
  const resolver = new Resolver({ timeout: timeoutMs, tries: 2 });
  if (servers && servers.length > 0) resolver.setServers([...servers]);
  return {
    async dns(hostname, family) {
      const records = family === 4 ? await resolver.resolve4(hostname, { ttl: true }) : await resolver.resolve6(hostname, { ttl: true });
      return { addresses: records.map((r) => r.address), ttl: records.length > 0 ? Math.min(...records.map((r) => r.ttl)) : undefined };
    },
    async system(hostname) {
      const all = await lookup(hostname, { all: true, verbatim: true });
      return { v4: all.filter((a) => a.family === 4).map((a) => a.address), v6: all.filter((a) => a.family === 6).map((a) => a.address) };
    },
  };
}

export interface LoadBalancerResolverOptions {
  backend?: LookupBackend;
  clock?: Clock;
  /** Answers are looked up again when their TTL runs out, but never sooner than this ... */
  minRefreshMs?: number;
  /** ... nor later than this (also the refresh of answers without a TTL: hosts file, search domains). */
  maxRefreshMs?: number;
  /** A lookup that failed is tried again after this long (the last good addresses stay in use). */
  retryMs?: number;
  /** Called when a lookup fails; the last good answer (or none) stays in use. */
  onError?: (hostname: string, error: Error) => void;
}

interface Entry {
  addresses?: ResolvedAddresses;
  timer?: TimerHandle;
  inflight?: Promise<boolean>;
}

/** DNS said the name or the type does not exist: the system resolver may still know it. */
const NOT_IN_DNS = new Set(['ENOTFOUND', 'ENODATA', 'NOTFOUND', 'NODATA', 'EBADNAME', 'BADNAME']);

/**
 * The addresses of load-balancer hostnames (`status.loadBalancer.ingress[].hostname`): one
 * instance for the whole service, a source like the clusters, since a cloud load balancer's
 * addresses change without any Kubernetes event.
 *
 * - Looked up with DNS first (TTLs known), falling back to the system resolver for names DNS
 *   does not answer (`localhost`, hosts-file names, single labels completed by search domains).
 * - Each answer is looked up again when its TTL runs out, clamped to [minRefreshMs, maxRefreshMs].
 * - A failed lookup keeps the last good addresses and is retried after `retryMs`.
 * - `retain` forgets hostnames no endpoint uses any more (and their timers).
 * - Listeners hear the hostnames whose addresses changed on a refresh; `ensure` resolves new
 *   hostnames for a caller that plans right after, and emits nothing.
 */
export class LoadBalancerResolver {
  private readonly backend: LookupBackend;
  private readonly clock: Clock;
  private readonly minRefreshMs: number;
  private readonly maxRefreshMs: number;
  private readonly retryMs: number;
  private readonly onError: (hostname: string, error: Error) => void;
  private readonly entries = new Map<string, Entry>();
  /** The answers as the planner reads them: only hostnames looked up at least once. */
  private readonly answers = new Map<string, ResolvedAddresses>();
  private readonly listeners = new Set<(hostnames: ReadonlySet<string>) => void>();
  private stopped = false;

  constructor(opts: LoadBalancerResolverOptions = {}) {
    this.backend = opts.backend ?? nodeLookupBackend();
    this.clock = opts.clock ?? systemClock;
    this.minRefreshMs = opts.minRefreshMs ?? 5_000;
    this.maxRefreshMs = Math.max(this.minRefreshMs, opts.maxRefreshMs ?? 300_000);
    this.retryMs = opts.retryMs ?? 10_000;
    this.onError = opts.onError ?? (() => {});
  }

  /** The current answers, for the planner (read synchronously). */
  get resolved(): ResolvedHostnames {
    return this.answers;
  }

  /** Hostnames whose addresses changed on a refresh; returns the unsubscribe. */
  onChange(listener: (hostnames: ReadonlySet<string>) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  /** Resolves the hostnames not looked up yet, and waits for them (and for any in flight). */
  async ensure(hostnames: Iterable<string>): Promise<void> {
    const waits: Promise<boolean>[] = [];
    for (const h of hostnames) {
      const e = this.entries.get(h);
      if (e?.inflight) waits.push(e.inflight);
      else if (!e) waits.push(this.resolve(h));
    }
    await Promise.all(waits);
  }

  /** Forgets every hostname not in `inUse`: no endpoint targets it any more. */
  retain(inUse: ReadonlySet<string>): void {
    for (const [h, e] of this.entries) {
      if (inUse.has(h)) continue;
      e.timer?.cancel();
      this.entries.delete(h);
      this.answers.delete(h);
    }
  }

  /** Hostnames looked up and kept now. */
  hostnames(): string[] {
    return [...this.entries.keys()];
  }

  stop(): void {
    this.stopped = true;
    for (const e of this.entries.values()) e.timer?.cancel();
  }

  /** Looks `hostname` up now; true when its addresses changed. Schedules the next look-up. */
  private resolve(hostname: string): Promise<boolean> {
    let e = this.entries.get(hostname);
    if (!e) this.entries.set(hostname, e = {});
    if (e.inflight) return e.inflight;
    const entry = e;
    entry.timer?.cancel();
    entry.inflight = this.lookup(hostname).then(
      ({ addresses, refreshMs }) => {
        entry.inflight = undefined;
        if (this.entries.get(hostname) !== entry) return false; // forgotten meanwhile
        const changed = !entry.addresses || !sameAddresses(entry.addresses, addresses);
        entry.addresses = addresses;
        this.answers.set(hostname, addresses);
        this.schedule(hostname, entry, refreshMs);
        return changed;
      },
      (err: Error) => {
        entry.inflight = undefined;
        if (this.entries.get(hostname) !== entry) return false;
        this.onError(hostname, err);
        // Serve the last good addresses rather than nothing; a hostname never resolved
        // answers empty until a retry succeeds.
        if (!entry.addresses) this.answers.set(hostname, { v4: [], v6: [] });
        this.schedule(hostname, entry, this.retryMs);
        return false;
      },
    );
    return entry.inflight;
  }

  private schedule(hostname: string, entry: Entry, ms: number): void {
    if (this.stopped) return;
    entry.timer?.cancel();
    entry.timer = this.clock.setTimeout(() => {
      entry.timer = undefined;
      void this.resolve(hostname).then((changed) => {
        if (changed) this.emit(new Set([hostname]));
      });
    }, ms);
  }

  private emit(hostnames: ReadonlySet<string>): void {
    for (const l of this.listeners) l(hostnames);
  }

  /**
   * DNS for both families; the system resolver when DNS knows neither (a single-label name
   * or a hosts-file name). A server failure (SERVFAIL, timeout) is an error, not an empty
   * answer: the last good addresses are kept.
   */
  private async lookup(hostname: string): Promise<{ addresses: ResolvedAddresses; refreshMs: number }> {
    const [a, aaaa] = await Promise.allSettled([this.backend.dns(hostname, 4), this.backend.dns(hostname, 6)]);
    const missing = (r: PromiseSettledResult<FamilyAnswer>) => r.status === 'rejected' && NOT_IN_DNS.has(String((r.reason as NodeJS.ErrnoException)?.code));
    if (missing(a) && missing(aaaa)) {
      const sys = await this.backend.system(hostname);
      return { addresses: normalize(sys.v4, sys.v6), refreshMs: this.maxRefreshMs };
    }
    for (const r of [a, aaaa]) if (r.status === 'rejected' && !missing(r)) throw r.reason as Error;
    const v4 = a.status === 'fulfilled' ? a.value : { addresses: [] };
    const v6 = aaaa.status === 'fulfilled' ? aaaa.value : { addresses: [] };
    const ttls = [v4.ttl, v6.ttl].filter((t): t is number => t !== undefined);
    const ttlMs = ttls.length > 0 ? Math.min(...ttls) * 1000 : this.maxRefreshMs;
    return { addresses: normalize(v4.addresses, v6.addresses), refreshMs: Math.min(this.maxRefreshMs, Math.max(this.minRefreshMs, ttlMs)) };
  }
}

/**
 * Only addresses of the family are kept: the planner publishes these values as A/AAAA records
 * as they are, and a backend (a custom one, or getaddrinfo through an odd NSS module) may
 * hand back names, junk or the other family's addresses. A scoped IPv6 address (`fe80::1%eth0`)
 * means nothing off this host, and an AAAA record cannot carry the scope.
 */
function normalize(v4: readonly string[], v6: readonly string[]): ResolvedAddresses {
  return { v4: [...new Set(v4.filter((a) => isIPv4(a)))].sort(), v6: [...new Set(v6.filter((a) => isIPv6(a) && !a.includes('%')))].sort() };
}

function sameAddresses(a: ResolvedAddresses, b: ResolvedAddresses): boolean {
  return sameList(a.v4, b.v4) && sameList(a.v6, b.v6);
}

function sameList(a: readonly string[], b: readonly string[]): boolean {
  return a.length === b.length && a.every((x, i) => x === b[i]);
}
