import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Socket } from 'node:net';
import { bodyChunks } from '../body-stream.js';
import type { BodySink, ClientExchange, RequestBody } from '../h1/index.js';

/**
 * A request node:http parsed, as the request path's ClientExchange (as `../h2-exchange.ts` is
 * for HTTP/2): the same forwarding code, pools and answers serve it. node:http frames the
 * response (Content-Length kept, else chunked for HTTP/1.1 or close-delimited for 1.0; none
 * for HEAD, 204, 304) and answers pipelined requests in order.
 */
export class NodeExchange implements ClientExchange, RequestBody {
  readonly method: string;
  readonly url: string;
  readonly rawHeaders: string[];
  readonly host: string;
  readonly bodyLength: number;
  readonly body: RequestBody | null;
  /** Why the server refuses this request itself (400), if it does. */
  readonly refusal: string | undefined;
  closed = false;
  private done = false;
  private closeListener: (() => void) | undefined;
  private continueSent = false;

  constructor(
    private readonly req: IncomingMessage,
    private readonly res: ServerResponse,
    private readonly maxBody: number,
    /** The client sent `Expect: 100-continue` and waits for a go-ahead before its body. */
    private readonly expectContinue: boolean,
  ) {
    this.method = req.method ?? 'GET';
    this.url = req.url || '/';
    this.rawHeaders = req.rawHeaders;
    let host: string | undefined;
    let refusal: string | undefined;
    let chunked = false;
    for (let i = 0; i < req.rawHeaders.length; i += 2) {
      const n = req.rawHeaders[i].toLowerCase();
      if (n === 'host') {
        // Two Hosts: proxies behind us could route on the other one (RFC 9112 3.2: 400).
        if (host !== undefined) refusal = 'a request must not carry two Host headers';
        host = req.rawHeaders[i + 1];
      } else if (n === 'transfer-encoding') chunked = true;
    }
    if (host === undefined && req.httpVersionMinor >= 1 && req.httpVersionMajor === 1) refusal = 'an HTTP/1.1 request needs a Host header';
    this.refusal = refusal;
    this.host = host ?? '';
    const length = req.headers['content-length'];
    this.bodyLength = chunked ? -1 : length !== undefined ? Number(length) : 0;
    this.body = this.bodyLength !== 0 ? this : null;
    // Our own headers only: the upstream's Date (if any) passes through, as with the llhttp engine.
    res.sendDate = false;
    res.once('finish', () => (this.done = true));
    res.once('close', () => {
      if (this.done) return;
      this.closed = true;
      const fn = this.closeListener;
      this.closeListener = undefined;
      fn?.();
    });
  }

  get socket(): Socket {
    return this.req.socket;
  }

  get headersSent(): boolean {
    return this.res.headersSent;
  }

  onClose(fn: () => void): void {
    this.closeListener = fn;
  }

  closeAfter(): void {
    if (!this.res.headersSent) this.res.shouldKeepAlive = false;
  }

  writeHead(status: number, statusText: string, headers: string[]): void {
    if (this.res.headersSent || this.closed) return;
    try {
      // A flat [name, value, ...] list keeps repeated fields (Set-Cookie) apart and names as received.
      this.res.writeHead(status, statusText || undefined, headers);
    } catch {
      // A field node:http refuses to write (a character it considers invalid): nothing sane can follow.
      this.res.destroy();
    }
  }

  write(chunk: Buffer): boolean {
    if (this.closed || chunk.length === 0) return true;
    return this.res.write(chunk);
  }

  onDrain(fn: () => void): void {
    this.res.once('drain', fn);
  }

  end(): void {
    if (this.closed) return;
    this.closeListener = undefined;
    this.res.end();
  }

  destroy(): void {
    this.res.destroy();
  }

  attach(sink: BodySink): void {
    const req = this.req;
    // The go-ahead once an upstream takes the body: a request refused earlier never has it sent.
    if (this.expectContinue && !this.continueSent && !this.res.headersSent) {
      this.continueSent = true;
      this.res.writeContinue();
    }
    const onData = bodyChunks(req, sink, this.bodyLength, this.maxBody, () => this.detach());
    const onEnd = (): void => sink.end();
    const onClose = (): void => {
      if (!req.complete) sink.fail(new Error('the client closed the connection before sending the whole body'));
    };
    req.on('data', onData);
    req.once('end', onEnd);
    req.once('close', onClose);
    this.unhook = () => {
      req.off('data', onData);
      req.off('end', onEnd);
      req.off('close', onClose);
    };
  }

  private unhook: (() => void) | undefined;

  detach(): void {
    this.unhook?.();
    this.unhook = undefined;
    // Read and dropped, so that the next request on the connection can be parsed.
    this.req.resume();
  }
}
