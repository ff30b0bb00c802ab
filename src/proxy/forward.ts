import type { ProxyConfig } from '../config/index.js';
import { answer, BodyTooLargeError } from './h1/index.js';
import type { ClientExchange, ResponseHandler, UpstreamRequest } from './h1/index.js';
import { clientFacts, clientResponseHeaders, upstreamRequestHeaders } from './headers.js';
import { pickUpstream, routeServesPath } from './router.js';
import type { CompiledHost, Router } from './router.js';
import type { ProxyTally } from './tally.js';
import type { Upstream } from './upstreams.js';

/**
 * The request path: route by Host, pick an upstream, dispatch the request to its connection
 * pool with a handler object that writes the response back with backpressure (a `false`
 * from the client's write pauses the upstream socket until the client drains). One handler
 * object per request and no streams or promises on the way.
 */

/** What the request path needs of its process; the router is swapped on route changes. */
export interface ForwardContext {
  router: Router;
  readonly config: Pick<ProxyConfig, 'balancing' | 'limits' | 'trustedProxies' | 'retries'>;
  /** Requests failed by us (502/504) and retries, for tests and logs. */
  readonly stats: { retries: number; gatewayErrors: number };
  /** Requests by host, cluster and status, upstream latency, ejections (sent to the primary's metrics). */
  readonly tally: ProxyTally;
}

const IDEMPOTENT: Record<string, true> = { GET: true, HEAD: true, OPTIONS: true, PUT: true, DELETE: true, TRACE: true };

/** Errors that mean the upstream could not be reached or dropped the connection before answering. */
const CONNECT_FAILURES: Record<string, true> = {
  ECONNREFUSED: true,
  ECONNRESET: true,
  EHOSTUNREACH: true,
  ENETUNREACH: true,
  EPIPE: true,
  ETIMEDOUT: true,
  EAI_AGAIN: true,
  GLOBALDNS_CONNECT_TIMEOUT: true,
  GLOBALDNS_UPSTREAM_CLOSED: true,
};

/** The request target without the query, for path rules. */
export function pathOf(url: string): string {
  const q = url.indexOf('?');
  return q < 0 ? url : url.slice(0, q);
}

/**
 * Forwards one request along `route`. `proto` is how the client reached us; `ex.host` its
 * Host (or :authority) as received.
 */
export function forward(ctx: ForwardContext, route: CompiledHost, ex: ClientExchange, proto: 'http' | 'https'): void {
  const url = ex.url || '/';
  const path = route.paths === undefined ? url : pathOf(url);
  if (route.paths !== undefined && !routeServesPath(route, path)) {
    route.own.count(404);
    answer(ex, 404, `globaldns: no cluster of ${route.host} serves ${path}`);
    return;
  }
  const limit = ctx.config.limits.bodyBytes;
  if (ex.bodyLength > limit) {
    // Not reading a body we refuse: the connection closes after the answer.
    route.own.count(413);
    ex.closeAfter();
    answer(ex, 413, `globaldns: request body of ${ex.bodyLength} bytes is over the limit of ${limit}`);
    return;
  }
  const upstream = pickUpstream(route, path, ctx.config.balancing, null);
  if (!upstream) {
    route.own.count(502);
    answer(ex, 502, `globaldns: no upstream for ${route.host}`);
    return;
  }
  const headers = upstreamRequestHeaders(ex.rawHeaders, ex.host, proto, clientFacts(ex.socket, ctx.config.trustedProxies));
  const method = ex.method;
  const request: UpstreamRequest = { method, target: url, headers, bodyLength: ex.bodyLength, body: ex.body, idempotent: IDEMPOTENT[method] === true && ex.body === null };
  new ForwardHandler(ctx, route, ex, path, request).start(upstream);
}

/** The pool's callbacks for one request. */
class ForwardHandler implements ResponseHandler {
  private upstream!: Upstream;
  private abortUpstream: ((err?: Error) => void) | undefined;
  private responded = false;
  private finished = false;
  private tried: Upstream[] | null = null;
  /** For the upstream latency: from the first dispatch to the response head (or the failure). */
  private readonly startedAt = performance.now();

  constructor(
    private readonly ctx: ForwardContext,
    private readonly route: CompiledHost,
    private readonly ex: ClientExchange,
    private readonly path: string,
    private readonly request: UpstreamRequest,
  ) {
    ex.onClose(this.onClientClose);
  }

  start(upstream: Upstream): void {
    this.upstream = upstream;
    upstream.outstanding++;
    upstream.pool.dispatch(this.request, this);
  }

  private readonly onClientClose = (): void => {
    if (!this.finished && this.abortUpstream) this.abortUpstream();
  };

  onConnect(abort: (err?: Error) => void): void {
    this.abortUpstream = abort;
  }

  onHeaders(statusCode: number, rawHeaders: string[], resume: () => void, statusText: string): void {
    this.responded = true;
    this.count(statusCode);
    if (statusCode === 502 || statusCode === 503 || statusCode === 504) this.upstream.failed();
    else this.upstream.succeeded();
    if (this.ex.closed) return;
    this.resume = resume;
    this.ex.writeHead(statusCode, statusText, clientResponseHeaders(rawHeaders));
  }

  private resume: (() => void) | undefined;

  onData(chunk: Buffer): boolean {
    const ok = this.ex.write(chunk);
    if (!ok && this.resume) this.ex.onDrain(this.resume);
    return ok;
  }

  onComplete(): void {
    this.finished = true;
    this.upstream.outstanding--;
    this.ex.end();
  }

  onError(err: Error): void {
    this.upstream.outstanding--;
    const code = (err as NodeJS.ErrnoException).code ?? '';
    if (this.ex.closed || code === 'GLOBALDNS_ABORTED') {
      this.finished = true;
      // The client left before the answer: nginx's 499, so that every request counts.
      if (!this.responded) this.count(499);
      return;
    }
    const connectFailure = !this.responded && CONNECT_FAILURES[code] === true;
    if (connectFailure || code === 'GLOBALDNS_HEADERS_TIMEOUT') this.upstream.failed();
    if (connectFailure && this.retry()) return;
    this.finished = true;
    if (this.responded) {
      // The status line is out; a cut connection is the only way left to say it failed.
      this.ex.destroy();
      return;
    }
    const status = err instanceof BodyTooLargeError ? 413 : code === 'GLOBALDNS_HEADERS_TIMEOUT' || code === 'GLOBALDNS_BODY_TIMEOUT' ? 504 : 502;
    if (status >= 500) this.ctx.stats.gatewayErrors++;
    this.count(status);
    if (status === 413) this.ex.closeAfter();
    const reason = status === 413 ? err.message : `${this.upstream.origin}: ${code || err.message}${code && err.message && !err.message.includes(code) ? ` (${err.message})` : ''}`;
    answer(this.ex, status, `globaldns: ${this.route.host}: ${reason}`);
  }

  /** Counts the request under the cluster of the upstream it went to last. */
  private count(status: number): void {
    const route = this.route;
    const i = route.upstreams.indexOf(this.upstream);
    (i >= 0 ? route.tallies[i] : route.own).count(status, performance.now() - this.startedAt);
  }

  /** Idempotent requests without a body go to another upstream (another cluster first). */
  private retry(): boolean {
    if (!this.request.idempotent) return false;
    const tried = (this.tried ??= []);
    tried.push(this.upstream);
    if (tried.length > this.ctx.config.retries) return false;
    const next = pickUpstream(this.route, this.path, this.ctx.config.balancing, tried);
    if (!next) return false;
    this.ctx.stats.retries++;
    this.abortUpstream = undefined;
    this.start(next);
    return true;
  }
}
