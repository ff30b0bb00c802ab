/**
 * The contract between the request path (forward.ts) and an upstream connection pool: one
 * request in, callbacks out. Shaped like undici's dispatch handler, which the proxy used
 * before, so that the request path reads the same.
 */

/** A request as it goes to the upstream. */
export interface UpstreamRequest {
  method: string;
  /** The request target as the client sent it. */
  target: string;
  /** Flat [name, value, ...] list; no framing headers (Content-Length, Transfer-Encoding). */
  headers: string[];
  /** 0: no body; > 0: a body of this many bytes; -1: a body of unknown length (sent chunked). */
  bodyLength: number;
  body: RequestBody | null;
  /** Safe to send again on a fresh connection when a reused one turns out closed. */
  idempotent: boolean;
}

/** Where a request body comes from: the pool attaches a sink once the head is written. */
export interface RequestBody {
  attach(sink: BodySink): void;
  /** The exchange ended early (failed, or answered before the body was read): stop feeding. */
  detach(): void;
}

export interface BodySink {
  /** false: wait for the drain callback before writing more. */
  write(chunk: Buffer): boolean;
  onDrain(fn: () => void): void;
  end(): void;
  /** The body cannot be completed (client gone, over the limit): the exchange fails with `err`. */
  fail(err: Error): void;
}

/** Callbacks for one exchange; exactly one of onComplete / onError ends it. */
export interface ResponseHandler {
  /** Called at dispatch; `abort` drops the exchange (the client left). */
  onConnect(abort: (err?: Error) => void): void;
  /** The final response head (1xx are not passed on). */
  onHeaders(status: number, headers: string[], resume: () => void, statusText: string): void;
  /** A body chunk; false pauses the upstream until `resume` (from onHeaders) is called. */
  onData(chunk: Buffer): boolean;
  onComplete(): void;
  onError(err: Error): void;
}

/** Error codes of the pool (besides the system ones of connect: ECONNREFUSED, ...). */
export const UPSTREAM_CLOSED = 'GLOBALDNS_UPSTREAM_CLOSED';
export const CONNECT_TIMEOUT = 'GLOBALDNS_CONNECT_TIMEOUT';
export const HEADERS_TIMEOUT = 'GLOBALDNS_HEADERS_TIMEOUT';
export const BODY_TIMEOUT = 'GLOBALDNS_BODY_TIMEOUT';
export const BAD_RESPONSE = 'GLOBALDNS_BAD_RESPONSE';
export const ABORTED = 'GLOBALDNS_ABORTED';

export class UpstreamError extends Error {
  constructor(
    readonly code: string,
    message: string,
  ) {
    super(message);
  }
}

/** A request body over the limit: the exchange answers 413 (or is cut, if the head is out). */
export class BodyTooLargeError extends Error {
  readonly code = 'GLOBALDNS_BODY_TOO_LARGE';
}

/**
 * The client side of one exchange, as the request path sees it, whichever protocol the client
 * spoke (HTTP/1.1 here, HTTP/2 through an adapter): the request, and where its response goes.
 */
export interface ClientExchange {
  readonly method: string;
  readonly url: string;
  /** Flat [name, value, ...] list as received (HTTP/2 pseudo-headers included). */
  readonly rawHeaders: string[];
  /** Host header (or :authority) as received. */
  readonly host: string;
  /** The client's connection (its address, its TLS servername). */
  readonly socket: import('node:net').Socket;
  /** 0: no body; > 0: Content-Length; -1: a body of unknown length. */
  readonly bodyLength: number;
  readonly body: RequestBody | null;
  /** The client has gone (connection closed, stream reset). */
  readonly closed: boolean;
  readonly headersSent: boolean;
  /** Called once if the client goes away before the response is complete. */
  onClose(fn: () => void): void;
  writeHead(status: number, statusText: string, headers: string[]): void;
  /** false: wait for onDrain. */
  write(chunk: Buffer): boolean;
  onDrain(fn: () => void): void;
  end(): void;
  /** Cuts the response: once its head is out, the only way to tell the client it failed. */
  destroy(): void;
  /** The connection closes after this response (a refused body was left unread). */
  closeAfter(): void;
}

/**
 * An upstream endpoint's connections, whichever engine runs: `pool.ts` (llhttp) or
 * `../node-h1/agent-pool.ts` (node:http's client).
 */
export interface UpstreamPool {
  dispatch(req: UpstreamRequest, handler: ResponseHandler): void;
  /** Lets the exchanges in flight (and queued) finish, then closes every connection. */
  close(): Promise<void>;
  /** Closes everything now; exchanges in flight fail. */
  destroy(): Promise<void>;
}

/** The HTTP/1.x client connections of one listener, whichever engine serves them. */
export interface ClientConnections {
  /** A new client connection (clear, or TLS after the handshake). */
  handle(socket: import('node:net').Socket): void;
  /** No new requests on kept-alive connections; idle ones close now, busy ones after their response. */
  closeIdle(): void;
  closeAll(): void;
}
