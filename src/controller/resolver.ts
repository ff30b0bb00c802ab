import { lookup } from 'node:dns/promises';
import type { ResolvedAddresses, ResolvedHostnames } from '../planner/index.js';

export type LookupFn = (hostname: string) => Promise<ResolvedAddresses>;

/** The system resolver (getaddrinfo), as the rest of the host would resolve the name. */
export const systemLookup: LookupFn = async (hostname) => {
  const all = await lookup(hostname, { all: true, verbatim: true });
  return {
    v4: all.filter((a) => a.family === 4).map((a) => a.address),
    v6: all.filter((a) => a.family === 6).map((a) => a.address),
  };
};

export interface HostnameResolverOptions {
  lookup?: LookupFn;
  /** Called when a lookup fails; the last good answer (or none) stays in use. */
  onError?: (hostname: string, error: Error) => void;
}

/**
 * Addresses of load-balancer hostnames, cached. Planning reads the cache synchronously;
 * the controller fills it before planning and refreshes it on a timer, since cloud
 * load-balancer addresses change without any Kubernetes event.
 */
export class HostnameResolver {
  private readonly lookup: LookupFn;
  private readonly onError: (hostname: string, error: Error) => void;
  private readonly cache = new Map<string, ResolvedAddresses>();

  constructor(opts: HostnameResolverOptions = {}) {
    this.lookup = opts.lookup ?? systemLookup;
    this.onError = opts.onError ?? (() => {});
  }

  /** The current answers, for the planner. */
  get resolved(): ResolvedHostnames {
    return this.cache;
  }

  /** Resolves the hostnames not looked up yet. */
  async ensure(hostnames: Iterable<string>): Promise<void> {
    const missing = [...hostnames].filter((h) => !this.cache.has(h));
    await Promise.all(missing.map((h) => this.resolveOne(h)));
  }

  /** Looks the hostnames up again; returns those whose addresses changed. */
  async refresh(hostnames: Iterable<string>): Promise<Set<string>> {
    const changed = new Set<string>();
    await Promise.all(
      [...hostnames].map(async (h) => {
        if (await this.resolveOne(h)) changed.add(h);
      }),
    );
    return changed;
  }

  /** Drops cached hostnames no endpoint targets any more. */
  retain(hostnames: ReadonlySet<string>): void {
    for (const h of this.cache.keys()) if (!hostnames.has(h)) this.cache.delete(h);
  }

  /** True when the cached answer changed. */
  private async resolveOne(hostname: string): Promise<boolean> {
    let fresh: ResolvedAddresses;
    try {
      const r = await this.lookup(hostname);
      fresh = { v4: [...new Set(r.v4)].sort(), v6: [...new Set(r.v6)].sort() };
    } catch (e) {
      this.onError(hostname, e as Error);
      // Serve the last good addresses rather than nothing; a hostname never resolved is
      // cached as empty so that each event does not look it up again until the next refresh.
      if (this.cache.has(hostname)) return false;
      fresh = { v4: [], v6: [] };
    }
    const old = this.cache.get(hostname);
    this.cache.set(hostname, fresh);
    return !old || !sameList(old.v4, fresh.v4) || !sameList(old.v6, fresh.v6);
  }
}

function sameList(a: readonly string[], b: readonly string[]): boolean {
  return a.length === b.length && a.every((x, i) => x === b[i]);
}
