import net from 'node:net';
import type { Socket } from 'node:net';
import tls from 'node:tls';
import { LAST_CHUNK, writeChunk } from './chunked.js';
import type { BodySink, ResponseHandler, UpstreamRequest } from './contract.js';
import { ABORTED, BAD_RESPONSE, BODY_TIMEOUT, CONNECT_TIMEOUT, HEADERS_TIMEOUT, UPSTREAM_CLOSED, UpstreamError } from './contract.js';
import type { Deadlines, HasDeadline } from './deadlines.js';
import { BODY, HttpParser, isParseError, NO_BODY, pauseReading, resumeReading } from './http-parser.js';
import type { ParseError } from './http-parser.js';

export interface ConnectionOptions {
  host: string;
  port: number;
  secure: boolean;
  servername: string | undefined;
  connectMs: number;
  /** From the request sent to the response head. */
  headersMs: number;
  /** Between two pieces of the response body. */
  bodyMs: number;
  /** How long an unused keep-alive connection is kept. */
  idleMs: number;
  maxHeaderSize: number;
}

/** What a connection tells its pool. */
export interface ConnectionOwner {
  /** The exchange finished and the connection can carry another. */
  released(c: UpstreamConnection): void;
  /** The connection is gone. */
  closed(c: UpstreamConnection): void;
  /** A reused connection was found closed before any answer: send again on a new one. */
  resend(req: UpstreamRequest, handler: ResponseHandler): void;
}

type Phase = 'connecting' | 'idle' | 'head' | 'body' | 'closed';

/**
 * One keep-alive connection to an upstream, carrying one exchange at a time: the request head
 * is written as one string, the body streamed (re-chunked when its length is unknown), the
 * response parsed by Node's llhttp reading straight from the socket and handed on piece by
 * piece. A connection is reused only after a response that allows it, with the request body
 * fully sent; anything else closes it.
 */
export class UpstreamConnection implements HasDeadline {
  deadline = 0;
  /** Exchanges completed on it (0: fresh). */
  uses = 0;
  private phase: Phase = 'connecting';
  private readonly socket: Socket;
  private readonly parser: HttpParser;
  private handler: ResponseHandler | null = null;
  private request: UpstreamRequest | null = null;
  private bodyDone = true;
  private responseStarted = false;
  private informational = false;
  private skipBody = false;
  private keepAlive = true;
  private paused = false;
  private lastError: NodeJS.ErrnoException | undefined;

  constructor(
    private readonly owner: ConnectionOwner,
    private readonly o: ConnectionOptions,
    private readonly deadlines: Deadlines,
  ) {
    this.parser = new HttpParser('response', o.maxHeaderSize, {
      onHeadersComplete: (_minor, headers, _method, _url, status, statusText, _upgrade, keepAlive) => this.onHead(headers, status, statusText, keepAlive),
      onBody: (chunk) => this.onBody(chunk),
      onMessageComplete: () => this.onMessageComplete(),
      onExecute: (r) => {
        if (isParseError(r)) this.onParseError(r);
      },
      onFault: (err) => this.fail(new UpstreamError(BAD_RESPONSE, `internal error while relaying the response: ${err.message}`)),
    });
    this.socket = o.secure
      ? tls.connect({ host: o.host, port: o.port, servername: o.servername, ALPNProtocols: ['http/1.1'] })
      : net.connect({ host: o.host, port: o.port });
    this.socket.setNoDelay(true);
    this.socket.once(o.secure ? 'secureConnect' : 'connect', this.onConnected);
    this.socket.on('error', (err: NodeJS.ErrnoException) => (this.lastError = err));
    this.socket.once('close', this.onClose);
    this.deadline = deadlines.clock.now() + o.connectMs;
    deadlines.add(this);
  }

  get closed(): boolean {
    return this.phase === 'closed';
  }

  /** Starts an exchange (the connection is fresh and connecting, or idle). */
  send(req: UpstreamRequest, handler: ResponseHandler): void {
    this.handler = handler;
    this.request = req;
    this.responseStarted = false;
    this.skipBody = req.method === 'HEAD';
    this.keepAlive = true;
    handler.onConnect((err) => {
      if (this.handler !== handler) return;
      this.fail(err ?? new UpstreamError(ABORTED, 'the client went away'));
    });
    if (this.phase !== 'connecting') this.writeRequest(req);
  }

  /** Closes an idle connection. */
  close(): void {
    this.socket.destroy();
  }

  onDeadline(now: number): void {
    const { o } = this;
    if (this.phase === 'idle') this.close();
    else if (this.phase === 'connecting') this.fail(new UpstreamError(CONNECT_TIMEOUT, `connect timed out after ${o.connectMs} ms`));
    else if (this.phase === 'head') this.fail(new UpstreamError(HEADERS_TIMEOUT, `no response head within ${o.headersMs} ms`));
    else if (this.phase === 'body') this.fail(new UpstreamError(BODY_TIMEOUT, `response body stalled for ${o.bodyMs} ms`));
    else this.deadline = now + 60_000;
  }

  private readonly onConnected = (): void => {
    this.parser.attach(this.socket);
    this.phase = 'idle';
    this.deadline = 0;
    if (this.request) this.writeRequest(this.request);
    else this.owner.released(this);
  };

  private writeRequest(req: UpstreamRequest): void {
    const h = req.headers;
    let head = `${req.method} ${req.target} HTTP/1.1\r\n`;
    for (let i = 0; i < h.length; i += 2) head += `${h[i]}: ${h[i + 1]}\r\n`;
    if (req.bodyLength > 0) head += `content-length: ${req.bodyLength}\r\n\r\n`;
    else if (req.bodyLength < 0) head += 'transfer-encoding: chunked\r\n\r\n';
    else head += '\r\n';
    this.phase = 'head';
    this.deadline = this.deadlines.clock.now() + this.o.headersMs;
    this.socket.write(head, 'latin1');
    if (req.body) {
      this.bodyDone = false;
      req.body.attach(this.bodySink(req));
    } else {
      this.bodyDone = true;
    }
  }

  private bodySink(req: UpstreamRequest): BodySink {
    const socket = this.socket;
    const chunked = req.bodyLength < 0;
    const current = (): boolean => this.request === req && !socket.destroyed;
    return {
      write: (chunk) => {
        if (!current()) return true;
        return chunked ? writeChunk(socket, chunk) : socket.write(chunk);
      },
      onDrain: (fn) => socket.once('drain', fn),
      end: () => {
        if (!current()) return;
        if (chunked) socket.write(LAST_CHUNK, 'latin1');
        this.bodyDone = true;
        // The wait for the head starts once the request is all sent.
        if (this.phase === 'head') this.deadline = this.deadlines.clock.now() + this.o.headersMs;
      },
      fail: (err) => {
        if (current()) this.fail(err);
      },
    };
  }

  private onHead(headers: string[], status: number, statusText: string, keepAlive: boolean): number {
    const handler = this.handler;
    if (handler === null || this.phase !== 'head') {
      this.fail(new UpstreamError(BAD_RESPONSE, 'a response nobody asked for'));
      return NO_BODY;
    }
    if (status < 200) {
      // 100 Continue, 103 Early Hints: not passed on; the final head follows on the same message stream.
      if (status === 101) {
        this.fail(new UpstreamError(BAD_RESPONSE, 'switched protocols without an upgrade request'));
        return NO_BODY;
      }
      this.informational = true;
      return NO_BODY;
    }
    this.responseStarted = true;
    this.keepAlive = keepAlive;
    this.phase = 'body';
    this.deadline = this.deadlines.clock.now() + this.o.bodyMs;
    handler.onHeaders(status, headers, this.resume, statusText);
    return this.skipBody ? NO_BODY : BODY;
  }

  private onBody(chunk: Buffer): void {
    const handler = this.handler;
    if (handler === null) return;
    if (!this.paused) this.deadline = this.deadlines.clock.now() + this.o.bodyMs;
    if (!handler.onData(chunk) && !this.paused) {
      // The client reads slower than the upstream sends: stop reading it (no timeout while we hold it).
      this.paused = true;
      this.deadline = 0;
      pauseReading(this.socket);
    }
  }

  private readonly resume = (): void => {
    if (!this.paused) return;
    this.paused = false;
    if (this.phase === 'body') this.deadline = this.deadlines.clock.now() + this.o.bodyMs;
    resumeReading(this.socket);
  };

  private onMessageComplete(): void {
    if (this.informational) {
      this.informational = false;
      return;
    }
    const handler = this.handler;
    const req = this.request;
    if (handler === null || req === null) return;
    this.handler = null;
    this.request = null;
    this.uses++;
    const reusable = this.keepAlive && this.bodyDone && !this.socket.destroyed && !this.paused;
    if (!this.bodyDone) req.body?.detach();
    handler.onComplete();
    if (reusable) {
      this.phase = 'idle';
      this.deadline = this.deadlines.clock.now() + this.o.idleMs;
      this.owner.released(this);
    } else {
      this.socket.destroy();
    }
  }

  private onParseError(err: ParseError): void {
    this.fail(new UpstreamError(BAD_RESPONSE, `invalid response: ${err.reason ?? err.code} (${err.code})`));
  }

  /** Ends the exchange in flight with `err` and closes the connection. */
  private fail(err: Error): void {
    const handler = this.handler;
    const req = this.request;
    this.handler = null;
    this.request = null;
    this.socket.destroy();
    if (req && !this.bodyDone) req.body?.detach();
    if (handler) handler.onError(err);
  }

  private readonly onClose = (): void => {
    const wasConnecting = this.phase === 'connecting';
    if (this.handler !== null && this.phase === 'body' && !this.skipBody) {
      // A body delimited by the connection closing ends here (llhttp completes the message).
      const r = this.parser.finish();
      if (isParseError(r) && this.handler !== null) this.onParseError(r);
    }
    this.phase = 'closed';
    this.deadline = 0;
    this.deadlines.delete(this);
    const handler = this.handler;
    const req = this.request;
    if (handler !== null && req !== null) {
      this.handler = null;
      this.request = null;
      if (!this.bodyDone) req.body?.detach();
      if (!wasConnecting && this.uses > 0 && !this.responseStarted && req.idempotent && req.body === null) {
        // A keep-alive connection the upstream had closed while it sat idle: not an answer.
        this.owner.resend(req, handler);
      } else {
        const e = this.lastError;
        handler.onError(
          wasConnecting
            ? Object.assign(new Error(`connect failed: ${e?.message ?? 'closed'}`), { code: e?.code ?? UPSTREAM_CLOSED })
            : new UpstreamError(e?.code ?? UPSTREAM_CLOSED, this.responseStarted ? `connection closed in the middle of the response${e ? ` (${e.code ?? e.message})` : ''}` : `connection closed before a response${e ? ` (${e.code ?? e.message})` : ''}`),
        );
      }
    }
    this.owner.closed(this);
  };
}
