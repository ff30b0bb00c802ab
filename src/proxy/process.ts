import type { ProxyConfig } from '../config/index.js';
import type { Logger } from '../observe/index.js';
import type { ForwardContext } from './forward.js';
import type { RouteTable } from './route-table.js';
import { upstreamsOfTable } from './route-table.js';
import { Router } from './router.js';
import { startListeners } from './server.js';
import { ProxyTally } from './tally.js';
import type { AlpnChallengeLookup, ChallengeLookup, Listeners } from './server.js';
import type { CertificateStore } from './tls/index.js';
import { UpstreamSet } from './upstreams.js';
import { chooseEngine } from './engine.js';
import type { Engine } from './engine.js';

/**
 * The proxy as one process runs it (a worker, or the main process with `workers: 0`):
 * listeners, the current router and the upstream pools. Route swaps are one assignment; pools
 * of endpoints still named are kept, the others closed after their requests in flight.
 */
export class ProxyProcess implements ForwardContext {
  router: Router;
  readonly stats = { retries: 0, gatewayErrors: 0 };
  readonly tally = new ProxyTally();
  private readonly upstreams: UpstreamSet;
  private listeners: Listeners | undefined;
  /** The HTTP/1.x engine; the primary decided and logged it (start.ts), `auto` is resolved here for a lone process. */
  readonly engine: Engine;

  constructor(
    readonly config: ProxyConfig,
    private readonly certificates: CertificateStore,
    private readonly logger: Logger,
    private readonly challenges?: ChallengeLookup,
    private readonly alpnChallenges?: AlpnChallengeLookup,
  ) {
    this.engine = chooseEngine(config.engine).engine;
    this.upstreams = new UpstreamSet(config, (u, healthy) => {
      if (healthy) logger.info({ upstream: u.origin }, `upstream ${u.origin} is back after a successful check`);
      else {
        this.tally.ejection(u.cluster, u.origin);
        logger.warn({ upstream: u.origin, failures: u.failures }, `upstream ${u.origin} ejected after ${u.failures} consecutive failures`);
      }
    }, this.engine);
    this.router = new Router({ hosts: [] }, this.upstreams, this.tally);
  }

  async start(): Promise<Listeners> {
    this.listeners = await startListeners({
      config: this.config,
      engine: this.engine,
      ctx: this,
      certificates: this.certificates,
      challenges: this.challenges,
      alpnChallenges: this.alpnChallenges,
      logger: this.logger,
    });
    return this.listeners;
  }

  setRoutes(table: RouteTable): void {
    // Compile first (it creates pools for new endpoints), then drop the pools no longer named.
    this.router = new Router(table, this.upstreams, this.tally);
    this.upstreams.retain(new Set(upstreamsOfTable(table).keys()));
  }

  addresses(): ReturnType<Listeners['addresses']> {
    return this.listeners?.addresses() ?? {};
  }

  async stop(): Promise<void> {
    await this.listeners?.close();
    await this.upstreams.close();
  }
}
