import net from 'node:net';
import tls from 'node:tls';
import { request as httpRequest } from 'node:http';
import { request as httpsRequest } from 'node:https';
import type { ProxyConfig } from '../config/index.js';
import { systemClock } from '../kernel/index.js';
import type { Clock, TimerHandle } from '../kernel/index.js';
import { Deadlines, sweepInterval } from './h1/index.js';
import type { UpstreamPool } from './h1/index.js';
import { upstreamPool } from './engine.js';
import type { Engine } from './engine.js';
import type { UpstreamRef } from './route-table.js';

/**
 * How long an unused upstream connection is kept: below the usual server idle timeouts
 * (Node's 5 s, nginx's 75 s), so that we close it before the upstream does.
 */
const UPSTREAM_IDLE_MS = 4000;

/**
 * One upstream endpoint as a worker sees it: its keep-alive pool, the requests in flight, and
 * its health. An endpoint is ejected after `ejectAfter` consecutive failures and comes back
 * only after an active check succeeds, so a dead cluster costs one failed attempt per
 * `ejectAfter`, not one per request. The checks are timed on the kernel clock of its
 * `Deadlines` (the pool's timeouts run on the same one).
 */
export class Upstream {
  readonly key: string;
  readonly origin: string;
  readonly servername: string | undefined;
  readonly host: string;
  readonly port: number;
  readonly secure: boolean;
  readonly pool: UpstreamPool;
  outstanding = 0;
  failures = 0;
  ejected = false;
  /** Requests answered since start (for tests and metrics). */
  served = 0;
  /** The cluster the route table names it for (metrics' label for its ejections). */
  cluster = '';
  private checkTimer: TimerHandle | undefined;
  private closed = false;
  private readonly clock: Clock;

  constructor(
    ref: UpstreamRef,
    private readonly config: Pick<ProxyConfig, 'timeouts' | 'limits' | 'healthCheck'>,
    private readonly onHealth: (u: Upstream, healthy: boolean) => void,
    deadlines: Deadlines,
    engine: Engine,
  ) {
    this.key = ref.key;
    this.origin = ref.origin;
    this.servername = ref.servername;
    const url = new URL(ref.origin);
    this.host = url.hostname.startsWith('[') ? url.hostname.slice(1, -1) : url.hostname;
    this.secure = url.protocol === 'https:';
    this.port = Number(url.port) || (this.secure ? 443 : 80);
    this.clock = deadlines.clock;
    const t = config.timeouts;
    this.pool = upstreamPool(
      engine,
      {
        host: this.host,
        port: this.port,
        secure: this.secure,
        servername: ref.servername,
        connections: config.limits.upstreamConnections,
        connectMs: t.connectMs,
        headersMs: t.headersMs,
        bodyMs: t.bodyMs,
        idleMs: UPSTREAM_IDLE_MS,
        // Response heads above what we accept from clients are the upstream's problem, not a reason to crash.
        maxHeaderSize: Math.max(config.limits.headerBytes, 16384),
      },
      deadlines,
    );
  }

  /** A request answered (any status that is not a gateway failure). */
  succeeded(): void {
    this.failures = 0;
    this.served++;
  }

  /** A connect failure, timeout or gateway error; ejects after `ejectAfter` in a row. */
  failed(): void {
    this.failures++;
    if (!this.ejected && this.failures >= this.config.healthCheck.ejectAfter) {
      this.ejected = true;
      this.onHealth(this, false);
      this.scheduleCheck();
    }
  }

  /** Closes the pool once its requests in flight have finished. */
  async close(): Promise<void> {
    this.closed = true;
    this.checkTimer?.cancel();
    await this.pool.close().catch(() => {});
  }

  /** Closes now, failing what is in flight. */
  async destroy(): Promise<void> {
    this.closed = true;
    this.checkTimer?.cancel();
    await this.pool.destroy().catch(() => {});
  }

  private scheduleCheck(): void {
    if (this.closed) return;
    // In the background: an ejected upstream does not keep the process alive.
    this.checkTimer = this.clock.setTimeout(() => void this.check(), this.config.healthCheck.intervalMs);
  }

  private async check(): Promise<void> {
    const ok = await probe(this, this.config.healthCheck, this.clock);
    if (this.closed) return;
    if (ok) {
      this.ejected = false;
      this.failures = 0;
      this.onHealth(this, true);
    } else {
      this.scheduleCheck();
    }
  }
}

/** One active check: a TCP (or TLS) connect, or a GET answering below 500, within `hc.timeoutMs` on `clock`. */
export function probe(u: Pick<Upstream, 'host' | 'port' | 'secure' | 'servername'>, hc: ProxyConfig['healthCheck'], clock: Clock = systemClock): Promise<boolean> {
  return new Promise((resolve) => {
    let done = false;
    const finish = (ok: boolean): void => {
      if (done) return;
      done = true;
      timer.cancel();
      resolve(ok);
    };
    // Kept alive, as before: the check is awaited.
    const timer = clock.setTimeout(
      () => {
        finish(false);
        cleanup();
      },
      hc.timeoutMs,
      { keepAlive: true },
    );
    let cleanup = (): void => {};
    if (hc.type === 'tcp') {
      const sock = u.secure
        ? tls.connect({ host: u.host, port: u.port, servername: u.servername, rejectUnauthorized: false }, () => finish(true))
        : net.connect({ host: u.host, port: u.port }, () => finish(true));
      sock.once('error', () => finish(false));
      sock.once('connect', () => {
        if (!u.secure) sock.destroy();
      });
      sock.once('secureConnect', () => sock.destroy());
      cleanup = () => sock.destroy();
      return;
    }
    const req = (u.secure ? httpsRequest : httpRequest)(
      {
        host: u.host,
        port: u.port,
        path: hc.path,
        method: 'GET',
        headers: u.servername ? { host: u.servername } : {},
        ...(u.secure ? { servername: u.servername, rejectUnauthorized: false } : {}),
        agent: false,
      },
      (res) => {
        res.resume();
        finish((res.statusCode ?? 500) < 500);
        res.destroy();
      },
    );
    req.once('error', () => finish(false));
    req.end();
    cleanup = () => req.destroy();
  });
}

/**
 * The worker's upstreams, kept across route changes: an endpoint still named keeps its pool
 * (and its keep-alive connections and health); one no longer named is closed after its
 * requests in flight finish.
 */
export class UpstreamSet {
  private readonly byKey = new Map<string, Upstream>();
  private readonly deadlines: Deadlines;

  constructor(
    private readonly config: Pick<ProxyConfig, 'timeouts' | 'limits' | 'healthCheck'>,
    private readonly onHealth: (u: Upstream, healthy: boolean) => void = () => {},
    private readonly engine: Engine = 'llhttp',
    /** The upstream timeouts' sweep and the health checks (default systemClock). */
    clock: Clock = systemClock,
  ) {
    const t = config.timeouts;
    this.deadlines = new Deadlines(sweepInterval([t.connectMs, t.headersMs, t.bodyMs]), clock);
  }

  get(ref: UpstreamRef): Upstream {
    let u = this.byKey.get(ref.key);
    if (!u) this.byKey.set(ref.key, u = new Upstream(ref, this.config, this.onHealth, this.deadlines, this.engine));
    return u;
  }

  /** Closes every upstream not in `keep` (gracefully). */
  retain(keep: ReadonlySet<string>): void {
    for (const [key, u] of this.byKey) {
      if (keep.has(key)) continue;
      this.byKey.delete(key);
      void u.close();
    }
  }

  /** Closes the named upstreams (gracefully): no route names them any more. */
  drop(keys: Iterable<string>): void {
    for (const key of keys) {
      const u = this.byKey.get(key);
      if (!u) continue;
      this.byKey.delete(key);
      void u.close();
    }
  }

  all(): Upstream[] {
    return [...this.byKey.values()];
  }

  async close(): Promise<void> {
    const all = [...this.byKey.values()];
    this.byKey.clear();
    await Promise.all(all.map((u) => u.close()));
  }
}
