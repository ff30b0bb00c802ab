import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Http2ServerRequest, Http2ServerResponse } from 'node:http2';
import type { Dispatcher } from 'undici';
import type { ProxyConfig } from '../config/index.js';
import { clientFacts, clientResponseHeaders, upstreamRequestHeaders } from './headers.js';
import { pickUpstream, routeServesPath } from './router.js';
import type { CompiledHost, Router } from './router.js';
import type { ProxyTally } from './tally.js';
import type { Upstream } from './upstreams.js';

/**
 * The request path: route by Host, pick an upstream, `dispatch()` the request to its pool
 * with a handler object that writes the response back with backpressure (a `false` from
 * `res.write` pauses the upstream socket until the client drains). One handler object per
 * request and no streams or promises on the way.
 */

export type ClientRequest = IncomingMessage | Http2ServerRequest;
export type ClientResponse = ServerResponse | Http2ServerResponse;

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
  UND_ERR_CONNECT_TIMEOUT: true,
  UND_ERR_SOCKET: true,
  UND_ERR_CLOSED: true,
};

export class BodyTooLargeError extends Error {
  readonly code = 'GLOBALDNS_BODY_TOO_LARGE';
}

/** Answers a request the proxy itself decides (404, 413, 502, ...) with a short text body. */
export function answer(res: ClientResponse, status: number, text: string, extra?: Record<string, string>): void {
  if (res.headersSent) {
    res.destroy();
    return;
  }
  const body = `${text}\n`;
  const headers: Record<string, string | number> = { 'content-type': 'text/plain; charset=utf-8', 'content-length': Buffer.byteLength(body), ...extra };
  res.writeHead(status, headers);
  res.end(body);
}

/** The request target without the query, for path rules. */
export function pathOf(url: string): string {
  const q = url.indexOf('?');
  return q < 0 ? url : url.slice(0, q);
}

/**
 * Forwards one request along `route`. `proto` is how the client reached us; `host` its Host
 * (or :authority) as received.
 */
export function forward(ctx: ForwardContext, route: CompiledHost, req: ClientRequest, res: ClientResponse, host: string, proto: 'http' | 'https'): void {
  const url = req.url || '/';
  const path = route.paths === undefined ? url : pathOf(url);
  if (route.paths !== undefined && !routeServesPath(route, path)) {
    route.own.count(404);
    answer(res, 404, `globaldns: no cluster of ${route.host} serves ${path}`);
    return;
  }
  const limit = ctx.config.limits.bodyBytes;
  const lengthHeader = req.headers['content-length'];
  let body: ClientRequest | AsyncIterable<Buffer> | null = null;
  if (lengthHeader !== undefined) {
    const length = Number(lengthHeader);
    if (length > limit) {
      // Not reading a body we refuse: the connection closes after the answer.
      route.own.count(413);
      answer(res, 413, `globaldns: request body of ${length} bytes is over the limit of ${limit}`, { connection: 'close' });
      return;
    }
    if (length > 0) body = req;
  } else if (hasBody(req)) {
    body = limitedBody(req, limit);
  }
  const upstream = pickUpstream(route, path, ctx.config.balancing, null);
  if (!upstream) {
    route.own.count(502);
    answer(res, 502, `globaldns: no upstream for ${route.host}`);
    return;
  }
  const headers = upstreamRequestHeaders(req.rawHeaders, host, proto, clientFacts(req.socket, ctx.config.trustedProxies));
  const handler = new ForwardHandler(ctx, route, req, res, path, headers, body);
  handler.start(upstream);
}

/** HTTP/1 without Content-Length: a body only when chunked; HTTP/2: unless the stream ended with the headers. */
function hasBody(req: ClientRequest): boolean {
  if ('stream' in req) return !req.stream.endAfterHeaders;
  return req.headers['transfer-encoding'] !== undefined;
}

/** A chunked body passed through while it stays under the limit. */
async function* limitedBody(req: ClientRequest, limit: number): AsyncIterable<Buffer> {
  let seen = 0;
  for await (const chunk of req as AsyncIterable<Buffer>) {
    seen += chunk.length;
    if (seen > limit) throw new BodyTooLargeError(`request body over the limit of ${limit} bytes`);
    yield chunk;
  }
}

/** undici's dispatch handler (the callbacks its HTTP/1 client calls), one per request. */
class ForwardHandler implements Dispatcher.DispatchHandler {
  private upstream!: Upstream;
  private abortUpstream: ((err?: Error) => void) | undefined;
  private responded = false;
  private finished = false;
  private tried: Upstream[] | null = null;
  private readonly options: Dispatcher.DispatchOptions;
  /** For the upstream latency: from the first dispatch to the response head (or the failure). */
  private readonly startedAt = performance.now();

  constructor(
    private readonly ctx: ForwardContext,
    private readonly route: CompiledHost,
    private readonly req: ClientRequest,
    private readonly res: ClientResponse,
    private readonly path: string,
    headers: string[],
    body: ClientRequest | AsyncIterable<Buffer> | null,
  ) {
    const method = req.method ?? 'GET';
    this.options = { path: req.url || '/', method, headers, body: body as Dispatcher.DispatchOptions['body'], idempotent: false };
    res.once('close', this.onClientClose);
  }

  start(upstream: Upstream): void {
    this.upstream = upstream;
    upstream.outstanding++;
    try {
      if (!upstream.pool.dispatch(this.options, this) && this.options.body === null && !('stream' in this.req)) {
        // The pool is saturated: stop reading this client until it drains. (A request with a
        // body is read by undici when its turn comes; an HTTP/2 socket carries other streams.)
        pauseUntilDrain(upstream, this.req);
      }
    } catch (e) {
      upstream.outstanding--;
      this.finished = true;
      this.route.own.count(400);
      answer(this.res, 400, `globaldns: cannot forward this request: ${(e as Error).message}`);
    }
  }

  private readonly onClientClose = (): void => {
    if (!this.finished && this.abortUpstream) this.abortUpstream();
  };

  onConnect(abort: (err?: Error) => void): void {
    this.abortUpstream = abort;
  }

  onHeaders(statusCode: number, rawHeaders: Buffer[], resume: () => void, statusText: string): boolean {
    if (statusCode < 200) return true; // 1xx from upstream: Node's server sends its own 100-continue
    this.responded = true;
    this.count(statusCode);
    if (statusCode === 502 || statusCode === 503 || statusCode === 504) this.upstream.failed();
    else this.upstream.succeeded();
    const res = this.res;
    if (res.destroyed) return true;
    const headers = clientResponseHeaders(rawHeaders);
    if ('stream' in res) (res as Http2ServerResponse).writeHead(statusCode, headers as unknown as Record<string, string>);
    else (res as ServerResponse).writeHead(statusCode, statusText || undefined, headers);
    this.resume = resume;
    return true;
  }

  private resume: (() => void) | undefined;

  onData(chunk: Buffer): boolean {
    const ok = (this.res as ServerResponse).write(chunk);
    if (!ok && this.resume) this.res.once('drain', this.resume);
    return ok;
  }

  onComplete(): void {
    this.finished = true;
    this.upstream.outstanding--;
    this.res.end();
  }

  onError(err: Error): void {
    this.upstream.outstanding--;
    const code = (err as NodeJS.ErrnoException).code ?? '';
    if (this.res.destroyed || code === 'UND_ERR_ABORTED') {
      this.finished = true;
      // The client left before the answer: nginx's 499, so that every request counts.
      if (!this.responded) this.count(499);
      return;
    }
    const connectFailure = !this.responded && CONNECT_FAILURES[code] === true;
    if (connectFailure || code === 'UND_ERR_HEADERS_TIMEOUT') this.upstream.failed();
    if (connectFailure && this.retry()) return;
    this.finished = true;
    if (this.responded) {
      // The status line is out; a cut connection is the only way left to say it failed.
      this.res.destroy();
      return;
    }
    const status = err instanceof BodyTooLargeError ? 413 : code === 'UND_ERR_HEADERS_TIMEOUT' || code === 'UND_ERR_BODY_TIMEOUT' ? 504 : code === 'UND_ERR_REQ_CONTENT_LENGTH_MISMATCH' ? 400 : 502;
    if (status >= 500) this.ctx.stats.gatewayErrors++;
    this.count(status);
    const reason = status === 413 ? err.message : `${this.upstream.origin}: ${code || err.message}`;
    answer(this.res, status, `globaldns: ${this.route.host}: ${reason}`, status === 413 ? { connection: 'close' } : undefined);
  }

  /** Counts the request under the cluster of the upstream it went to last. */
  private count(status: number): void {
    const route = this.route;
    const i = route.upstreams.indexOf(this.upstream);
    (i >= 0 ? route.tallies[i] : route.own).count(status, performance.now() - this.startedAt);
  }

  /** Idempotent requests without a body go to another upstream (another cluster first). */
  private retry(): boolean {
    if (this.options.body !== null || IDEMPOTENT[this.options.method] !== true) return false;
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

const kWaiting = Symbol('globaldns.waiting');
type WaitingUpstream = Upstream & { [kWaiting]?: ClientRequest[] };

/** Pauses the client's socket until the upstream's pool emits 'drain'. */
function pauseUntilDrain(upstream: Upstream, req: ClientRequest): void {
  const u = upstream as WaitingUpstream;
  if (!u[kWaiting]) {
    const waiting: ClientRequest[] = (u[kWaiting] = []);
    upstream.pool.on('drain', () => {
      const list = waiting.splice(0);
      for (const r of list) r.socket?.resume();
    });
  }
  req.socket?.pause();
  u[kWaiting]!.push(req);
}
