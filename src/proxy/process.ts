import type { ProxyConfig } from '../config/index.js';
import { systemClock } from '../kernel/index.js';
import type { Clock, Logger } from '../kernel/index.js';
import type { ForwardContext } from './forward.js';
import type { HostRoute, RouteTable } from './route-table.js';
import { upstreamsOfTable } from './route-table.js';
import { Router } from './router.js';
import { startListeners } from './server.js';
import { ProxyTally } from './tally.js';
import type { AlpnChallengeLookup, ChallengeLookup, Listeners } from './server.js';
import type { CertificateStore } from './tls/index.js';
import { UpstreamSet } from './upstreams.js';
import { chooseEngine } from './engine.js';
import type { Engine } from './engine.js';

export interface ProxyProcessOptions {
  /** HTTP-01 answers (a round trip to the primary in a worker). */
  challenges?: ChallengeLookup;
  /** TLS-ALPN-01 certificates: given, the HTTPS listener peeks at each ClientHello. */
  alpnChallenges?: AlpnChallengeLookup;
  /** Every timer of the process: timeouts' sweeps, health checks, handshake and stop timers (default systemClock). */
  clock?: Clock;
}

/**
 * The proxy as one process runs it (a worker, or the main process with `workers: 0`):
 * listeners, the current router and the upstream pools. Route swaps are one assignment; pools
 * of endpoints still named are kept, the others closed after their requests in flight.
 */
export class ProxyProcess implements ForwardContext {
  router: Router;
  /** The routes now, by host, and how many routes name each upstream: a patch releases pools by count. */
  private routes = new Map<string, HostRoute>();
  private upstreamRefs = new Map<string, number>();
  readonly stats = { retries: 0, gatewayErrors: 0 };
  readonly tally = new ProxyTally();
  private readonly upstreams: UpstreamSet;
  private listeners: Listeners | undefined;
  private readonly clock: Clock;
  /** The HTTP/1.x engine; the primary decided and logged it (start.ts), `auto` is resolved here for a lone process. */
  readonly engine: Engine;

  constructor(
    readonly config: ProxyConfig,
    private readonly certificates: CertificateStore,
    private readonly logger: Logger,
    private readonly o: ProxyProcessOptions = {},
  ) {
    this.clock = o.clock ?? systemClock;
    this.engine = chooseEngine(config.engine).engine;
    this.upstreams = new UpstreamSet(
      config,
      (u, healthy) => {
        if (healthy) logger.info({ upstream: u.origin }, `upstream ${u.origin} is back after a successful check`);
        else {
          this.tally.ejection(u.cluster, u.origin);
          logger.warn({ upstream: u.origin, failures: u.failures }, `upstream ${u.origin} ejected after ${u.failures} consecutive failures`);
        }
      },
      this.engine,
      this.clock,
    );
    this.router = new Router({ hosts: [] }, this.upstreams, this.tally);
  }

  async start(): Promise<Listeners> {
    this.listeners = await startListeners({
      config: this.config,
      engine: this.engine,
      ctx: this,
      certificates: this.certificates,
      challenges: this.o.challenges,
      alpnChallenges: this.o.alpnChallenges,
      logger: this.logger,
      clock: this.clock,
    });
    return this.listeners;
  }

  setRoutes(table: RouteTable): void {
    // Compile first (it creates pools for new endpoints), then drop the pools no longer named.
    this.router = new Router(table, this.upstreams, this.tally);
    this.routes = new Map(table.hosts.map((h) => [h.host, h]));
    this.upstreamRefs = new Map();
    for (const h of table.hosts) this.count(h, 1);
    this.upstreams.retain(new Set(upstreamsOfTable(table).keys()));
  }

  /** A few hosts changed: only they are compiled again; pools no host names any more are closed. */
  patchRoutes(set: readonly HostRoute[], removed: readonly string[]): void {
    const released: string[] = [];
    for (const host of [...removed, ...set.map((h) => h.host)]) {
      const old = this.routes.get(host);
      if (!old) continue;
      this.routes.delete(host);
      released.push(...this.count(old, -1));
    }
    for (const h of set) {
      this.routes.set(h.host, h);
      this.count(h, 1);
    }
    this.router.patch(set, removed);
    this.upstreams.drop(released.filter((key) => !this.upstreamRefs.has(key)));
  }

  /** Adds `delta` to the reference count of each upstream of `h`; returns the keys that reached 0. */
  private count(h: HostRoute, delta: number): string[] {
    const zero: string[] = [];
    for (const c of h.clusters) {
      for (const u of c.upstreams) {
        const n = (this.upstreamRefs.get(u.key) ?? 0) + delta;
        if (n > 0) this.upstreamRefs.set(u.key, n);
        else {
          this.upstreamRefs.delete(u.key);
          zero.push(u.key);
        }
      }
    }
    return zero;
  }

  addresses(): ReturnType<Listeners['addresses']> {
    return this.listeners?.addresses() ?? {};
  }

  async stop(): Promise<void> {
    await this.listeners?.close();
    await this.upstreams.close();
  }
}
