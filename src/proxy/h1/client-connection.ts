import { STATUS_CODES } from 'node:http';
import type { Socket } from 'node:net';
import { LAST_CHUNK, writeChunk } from './chunked.js';
import type { BodySink, ClientConnections, ClientExchange, RequestBody } from './contract.js';
import { BodyTooLargeError } from './contract.js';
import type { Clock } from '../../kernel/index.js';
import type { Deadlines, HasDeadline } from './deadlines.js';
import { BODY, HttpParser, isParseError, methodName, pauseReading, resumeReading } from './http-parser.js';
import type { ParseError } from './http-parser.js';

/** An upgrade request (WebSocket) handed over with its socket, the parser detached. */
export interface UpgradeRequest {
  method: string;
  url: string;
  rawHeaders: string[];
  headers: { host?: string; upgrade?: string };
  socket: Socket;
}

export interface H1Options {
  maxHeaderSize: number;
  /** A request head must arrive within this (slowloris); 408 after. */
  headersMs: number;
  /** A whole request (head and body) must arrive within this; 0: no limit. */
  requestMs: number;
  /** An idle keep-alive connection is closed after this. */
  idleMs: number;
  /** Request bodies of unknown length are cut at this many bytes (413). */
  maxBodyBytes: number;
  /** The client connections' timeouts, on its kernel clock (`deadlines.clock`). */
  deadlines: Deadlines;
  onRequest(ex: ClientExchange): void;
  onUpgrade(req: UpgradeRequest, head: Buffer): void;
  /** A request refused by the server itself (400, 408, 431, 405, 500), for the metrics. */
  onRefused(status: number): void;
  /** A bug of ours surfaced on this connection (it is closed): for the log. */
  onFault?(err: Error): void;
}

/** The HTTP/1.1 client connections of one listener, for a graceful stop. */
export class H1Connections implements ClientConnections {
  readonly live = new Set<ClientConnection>();
  closing = false;
  /** `o.deadlines.clock`: what the connections read the time from. */
  readonly clock: Clock;

  constructor(readonly o: H1Options) {
    this.clock = o.deadlines.clock;
  }

  handle(socket: Socket): void {
    new ClientConnection(socket, this);
  }

  /** No new requests on kept-alive connections; idle ones close now, busy ones after their response. */
  closeIdle(): void {
    this.closing = true;
    for (const c of this.live) c.closeIfIdle();
  }

  closeAll(): void {
    for (const c of this.live) c.socket.destroy();
  }
}

const PAUSE_PIPELINE = 1;
const PAUSE_BODY = 2;
const MAX_BUFFERED_BODY = 64 * 1024;

/**
 * One HTTP/1.x client connection: Node's llhttp parses requests straight off the socket; each
 * request becomes an exchange handed to the request path; responses are written back in
 * order (pipelined requests wait their turn, with the socket's reading paused meanwhile).
 */
class ClientConnection implements HasDeadline {
  deadline = 0;
  private readonly parser: HttpParser;
  /** The exchange being answered, and those parsed behind it (pipelining). */
  private current: H1Exchange | null = null;
  private readonly queue: H1Exchange[] = [];
  /** The exchange whose body the parser is delivering. */
  private reading: H1Exchange | null = null;
  /** A request head (or body, with a request timeout) is being received since `startedAt`. */
  private receiving: 'head' | 'body' | null = null;
  private startedAt = 0;
  private pauses = 0;
  private upgrade: H1Exchange | null = null;
  private gone = false;

  constructor(
    readonly socket: Socket,
    private readonly server: H1Connections,
  ) {
    const o = server.o;
    socket.setNoDelay(true);
    this.parser = new HttpParser('request', o.maxHeaderSize, {
      onHeadersComplete: (minor, headers, method, url, _s, _t, upgrade, keepAlive) => this.onHead(minor, headers, methodName(method), url, upgrade, keepAlive),
      onBody: (chunk) => this.reading?.pushBody(chunk),
      onMessageComplete: () => this.onMessageComplete(),
      onExecute: (r) => this.onExecute(r),
      onFault: (err) => {
        o.onFault?.(err);
        this.refuse(500, 'Internal Server Error', 'the proxy failed on this request');
      },
    });
    this.parser.attach(socket);
    socket.on('error', () => {});
    socket.once('close', () => this.onClose());
    // A new connection must send its first head in time, like any other.
    this.receiving = 'head';
    this.startedAt = server.clock.now();
    this.deadline = this.startedAt + o.headersMs;
    server.live.add(this);
    o.deadlines.add(this);
  }

  get maxBody(): number {
    return this.server.o.maxBodyBytes;
  }

  closeIfIdle(): void {
    if (this.current === null && this.receiving !== 'body') this.socket.destroy();
  }

  onDeadline(): void {
    if (this.receiving !== null && this.current === null && this.queue.length === 0 && this.socket.bytesRead > 0) this.refuse(408, 'Request Timeout', 'the request did not arrive in time');
    else this.socket.destroy();
  }

  private onHead(minor: number, headers: string[], method: string, url: string, upgrade: boolean, keepAlive: boolean): number {
    let host: string | undefined;
    let contentLength = 0;
    let chunked = false;
    let expectContinue = false;
    let refusal: string | undefined;
    for (let i = 0; i < headers.length; i += 2) {
      const n = headers[i];
      const len = n.length;
      if (len === 4) {
        if (n.toLowerCase() === 'host') {
          // Two Hosts: proxies behind us could route on the other one (RFC 9112 3.2: 400).
          if (host !== undefined) refusal = 'a request must not carry two Host headers';
          host = headers[i + 1];
        }
      } else if (len === 14) {
        if (n.toLowerCase() === 'content-length') contentLength = Number(headers[i + 1]);
      } else if (len === 17) {
        if (n.toLowerCase() === 'transfer-encoding') chunked = true; // llhttp accepts only chunked-final codings on requests
      } else if (len === 6 && n.toLowerCase() === 'expect' && headers[i + 1].toLowerCase() === '100-continue') expectContinue = true;
    }
    const bodyLength = chunked ? -1 : contentLength;
    const ex = new H1Exchange(this, method, url, headers, host ?? '', minor, keepAlive && !this.server.closing, bodyLength, expectContinue && minor >= 1);
    if (upgrade) {
      this.upgrade = ex;
      return 2; // no body; llhttp stops after this head and the rest of the read belongs to the new protocol
    }
    this.reading = bodyLength !== 0 ? ex : null;
    // A head that came whole in one read starts its request now (a partial one started at its first bytes).
    if (this.receiving !== 'head') this.startedAt = this.server.clock.now();
    if (bodyLength !== 0 && this.server.o.requestMs > 0) {
      this.receiving = 'body';
      this.deadline = this.startedAt + this.server.o.requestMs;
    } else {
      this.receiving = null;
      this.deadline = 0;
    }
    if (minor >= 1 && host === undefined) refusal = 'an HTTP/1.1 request needs a Host header';
    ex.refusal = refusal;
    if (this.current === null) this.start(ex);
    else {
      this.queue.push(ex);
      this.pause(PAUSE_PIPELINE);
    }
    return BODY;
  }

  private onMessageComplete(): void {
    const ex = this.reading;
    this.reading = null;
    if (ex !== null) ex.bodyEnded();
    if (this.receiving === 'body') {
      this.receiving = null;
      this.deadline = 0;
    }
  }

  private onExecute(r: number | ParseError): void {
    if (isParseError(r)) {
      const status = r.code === 'HPE_HEADER_OVERFLOW' ? 431 : 400;
      this.refuse(status, STATUS_CODES[status] ?? 'Bad Request', `${r.reason ?? 'malformed request'} (${r.code})`);
      return;
    }
    if (this.upgrade !== null) {
      this.handOver(this.upgrade, r);
      return;
    }
    if (this.receiving === null && this.reading === null && r > 0 && this.isIdle()) {
      // The first bytes of a new request head.
      this.receiving = 'head';
      this.startedAt = this.server.clock.now();
      this.deadline = this.startedAt + this.server.o.headersMs;
    }
  }

  private isIdle(): boolean {
    return this.current === null && this.queue.length === 0;
  }

  private start(ex: H1Exchange): void {
    this.current = ex;
    if (ex.refusal !== undefined) {
      ex.closeAfter();
      this.server.o.onRefused(400);
      answer(ex, 400, `globaldns: ${ex.refusal}`);
      return;
    }
    this.server.o.onRequest(ex);
  }

  /** The response of `ex` is complete: the next pipelined request, or wait for one. */
  done(ex: H1Exchange): void {
    if (this.current !== ex) return;
    this.current = null;
    ex.finished();
    if (!ex.keepAlive) {
      this.socket.end();
      return;
    }
    const next = this.queue.shift();
    if (next !== undefined) {
      if (this.queue.length === 0) this.resume(PAUSE_PIPELINE);
      this.start(next);
      return;
    }
    if (this.receiving === null && this.reading === null) this.deadline = this.server.clock.now() + this.server.o.idleMs;
  }

  pause(reason: number): void {
    if (this.pauses === 0) pauseReading(this.socket);
    this.pauses |= reason;
  }

  resume(reason: number): void {
    if ((this.pauses & reason) === 0) return;
    this.pauses &= ~reason;
    if (this.pauses === 0) resumeReading(this.socket);
  }

  /** Answers a request the server itself refuses, then closes; a response in flight is cut instead. */
  private refuse(status: number, reason: string, detail: string): void {
    this.server.o.onRefused(status);
    if (this.current !== null || this.socket.destroyed) {
      this.socket.destroy();
      return;
    }
    endWith(this.socket, status, `globaldns: ${reason}: ${detail}`);
    this.deadline = 0;
    this.receiving = null;
    this.pause(PAUSE_PIPELINE);
  }

  private handOver(ex: H1Exchange, parsed: number): void {
    this.upgrade = null;
    if (ex.method === 'CONNECT' || this.current !== null) {
      this.refuse(405, 'Method Not Allowed', ex.method === 'CONNECT' ? 'CONNECT is not proxied' : 'an upgrade behind a pipelined request');
      return;
    }
    const head = Buffer.from(this.parser.currentBuffer().subarray(parsed));
    this.parser.detach(this.socket);
    this.resume(PAUSE_PIPELINE | PAUSE_BODY);
    this.gone = true;
    this.deadline = 0;
    this.server.o.deadlines.delete(this);
    this.server.live.delete(this);
    let upgradeHeader: string | undefined;
    for (let i = 0; i < ex.rawHeaders.length; i += 2) if (ex.rawHeaders[i].toLowerCase() === 'upgrade') upgradeHeader = ex.rawHeaders[i + 1];
    this.server.o.onUpgrade({ method: ex.method, url: ex.url, rawHeaders: ex.rawHeaders, headers: { host: ex.host || undefined, upgrade: upgradeHeader }, socket: this.socket }, head);
  }

  private onClose(): void {
    this.server.o.deadlines.delete(this);
    this.server.live.delete(this);
    if (this.gone) return;
    this.gone = true;
    const all = this.current ? [this.current, ...this.queue] : this.queue;
    this.current = null;
    for (const ex of all.splice(0)) ex.clientGone();
  }
}

/** One request on an HTTP/1.x connection, and its response. */
class H1Exchange implements ClientExchange, RequestBody {
  readonly body: RequestBody | null;
  headersSent = false;
  closed = false;
  /** Why the server refuses this request itself (400), if it does. */
  refusal: string | undefined;
  private mode: 'none' | 'length' | 'chunked' | 'close' = 'none';
  private closeListener: (() => void) | undefined;
  // Request body state.
  private sink: BodySink | null = null;
  private buffered: Buffer[] | null = null;
  private bufferedBytes = 0;
  private received = 0;
  private ended = false;
  private detached = false;
  private failure: Error | undefined;

  constructor(
    private readonly conn: ClientConnection,
    readonly method: string,
    readonly url: string,
    readonly rawHeaders: string[],
    readonly host: string,
    private readonly minor: number,
    public keepAlive: boolean,
    readonly bodyLength: number,
    readonly expectContinue: boolean,
  ) {
    this.body = bodyLength !== 0 ? this : null;
  }

  get socket(): Socket {
    return this.conn.socket;
  }

  onClose(fn: () => void): void {
    this.closeListener = fn;
  }

  clientGone(): void {
    this.closed = true;
    if (this.sink !== null) this.sink.fail(new Error('the client closed the connection before sending the whole body'));
    const fn = this.closeListener;
    this.closeListener = undefined;
    fn?.();
  }

  closeAfter(): void {
    this.keepAlive = false;
  }

  writeHead(status: number, statusText: string, headers: string[]): void {
    if (this.headersSent || this.closed) return;
    this.headersSent = true;
    let hasLength = false;
    let head = `HTTP/1.1 ${status} ${statusText || STATUS_CODES[status] || 'Unknown'}\r\n`;
    for (let i = 0; i < headers.length; i += 2) {
      const n = headers[i];
      if (n.length === 14 && n.toLowerCase() === 'content-length') hasLength = true;
      head += `${n}: ${headers[i + 1]}\r\n`;
    }
    if (this.method === 'HEAD' || status === 204 || status === 304) this.mode = 'none';
    else if (hasLength) this.mode = 'length';
    else if (this.minor >= 1) {
      this.mode = 'chunked';
      head += 'transfer-encoding: chunked\r\n';
    } else {
      // An HTTP/1.0 client and a body of unknown length: the close of the connection ends it.
      this.mode = 'close';
      this.keepAlive = false;
    }
    if (!this.keepAlive) head += 'connection: close\r\n\r\n';
    else if (this.minor === 0) head += 'connection: keep-alive\r\n\r\n';
    else head += '\r\n';
    const socket = this.conn.socket;
    // Head and the body that follows in the same tick leave in one write.
    socket.cork();
    socket.write(head, 'latin1');
    process.nextTick(uncork, socket);
  }

  write(chunk: Buffer): boolean {
    const socket = this.conn.socket;
    if (this.closed || this.mode === 'none' || chunk.length === 0) return true;
    return this.mode === 'chunked' ? writeChunk(socket, chunk) : socket.write(chunk);
  }

  onDrain(fn: () => void): void {
    this.conn.socket.once('drain', fn);
  }

  end(): void {
    if (this.closed) return;
    if (this.mode === 'chunked') this.conn.socket.write(LAST_CHUNK, 'latin1');
    this.conn.done(this);
  }

  destroy(): void {
    this.conn.socket.destroy();
  }

  /** The response is done: a body still arriving is read and dropped. */
  finished(): void {
    this.closeListener = undefined;
    this.detach();
  }

  // --- the request body, fed by the parser ---

  pushBody(chunk: Buffer): void {
    if (this.detached || this.failure) return;
    this.received += chunk.length;
    if (this.bodyLength < 0 && this.received > this.conn.maxBody) {
      this.failure = new BodyTooLargeError(`request body over the limit of ${this.conn.maxBody} bytes`);
      this.buffered = null;
      this.sink?.fail(this.failure);
      return;
    }
    if (this.sink !== null) {
      if (!this.sink.write(chunk)) {
        this.conn.pause(PAUSE_BODY);
        this.sink.onDrain(() => this.conn.resume(PAUSE_BODY));
      }
      return;
    }
    (this.buffered ??= []).push(chunk);
    this.bufferedBytes += chunk.length;
    if (this.bufferedBytes > MAX_BUFFERED_BODY) this.conn.pause(PAUSE_BODY);
  }

  bodyEnded(): void {
    this.ended = true;
    if (this.sink !== null && !this.failure) this.sink.end();
  }

  attach(sink: BodySink): void {
    if (this.detached) return;
    this.sink = sink;
    // The client waits for a go-ahead before sending the body: given once an upstream takes it,
    // so a request refused earlier (413, 404, 502) never has its body sent at all.
    if (this.expectContinue && !this.ended && this.received === 0 && !this.headersSent) this.conn.socket.write('HTTP/1.1 100 Continue\r\n\r\n', 'latin1');
    if (this.failure) {
      sink.fail(this.failure);
      return;
    }
    const buffered = this.buffered;
    this.buffered = null;
    this.bufferedBytes = 0;
    let ok = true;
    if (buffered) { for (const b of buffered) ok = sink.write(b) && ok; }
    if (!ok) sink.onDrain(() => this.conn.resume(PAUSE_BODY));
    else this.conn.resume(PAUSE_BODY);
    if (this.ended) sink.end();
  }

  detach(): void {
    this.detached = true;
    this.sink = null;
    this.buffered = null;
    this.conn.resume(PAUSE_BODY);
  }
}

/** A short text answer on a raw socket, then the connection closes (no exchange to answer through). */
export function endWith(socket: Socket, status: number, text: string): void {
  const body = Buffer.from(`${text}\n`);
  socket.end(
    Buffer.concat([Buffer.from(`HTTP/1.1 ${status} ${STATUS_CODES[status] ?? 'Error'}\r\nconnection: close\r\ncontent-type: text/plain; charset=utf-8\r\ncontent-length: ${body.length}\r\n\r\n`, 'latin1'), body]),
  );
}

function uncork(socket: Socket): void {
  socket.uncork();
}

/** Answers a request the proxy itself decides (404, 413, 502, ...) with a short text body. */
export function answer(ex: ClientExchange, status: number, text: string, extra?: Record<string, string>): void {
  if (ex.headersSent) {
    ex.destroy();
    return;
  }
  const body = Buffer.from(`${text}\n`);
  const headers = ['content-type', 'text/plain; charset=utf-8', 'content-length', String(body.length)];
  if (extra) { for (const k in extra) headers.push(k, extra[k]); }
  ex.writeHead(status, '', headers);
  ex.write(body);
  ex.end();
}
