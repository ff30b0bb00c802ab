import type { Socket } from 'node:net';
import type { Http2ServerRequest, Http2ServerResponse } from 'node:http2';
import { bodyChunks } from './body-stream.js';
import type { BodySink, ClientExchange, RequestBody } from './h1/index.js';

/**
 * An HTTP/2 request (Node's compatibility API) as the request path's ClientExchange, so that
 * both protocols go through the same forwarding code and connection pools.
 */
export class H2Exchange implements ClientExchange, RequestBody {
  readonly method: string;
  readonly url: string;
  readonly rawHeaders: string[];
  readonly host: string;
  readonly bodyLength: number;
  readonly body: RequestBody | null;
  private done = false;

  constructor(
    private readonly req: Http2ServerRequest,
    private readonly res: Http2ServerResponse,
    private readonly maxBody: number,
  ) {
    this.method = req.method;
    this.url = req.url || '/';
    this.rawHeaders = req.rawHeaders;
    this.host = req.headers[':authority'] ?? req.headers.host ?? '';
    const length = req.headers['content-length'];
    this.bodyLength = length !== undefined ? Number(length) : req.stream.endAfterHeaders ? 0 : -1;
    this.body = this.bodyLength !== 0 ? this : null;
  }

  get socket(): Socket {
    return this.req.socket;
  }

  get closed(): boolean {
    return this.res.destroyed || this.res.stream.closed;
  }

  get headersSent(): boolean {
    return this.res.headersSent;
  }

  onClose(fn: () => void): void {
    this.res.once('close', () => {
      if (!this.done) fn();
    });
  }

  writeHead(status: number, _statusText: string, headers: string[]): void {
    // HTTP/2 has no reason phrase; Node's compatibility API takes the flat header list as is.
    this.res.writeHead(status, headers as unknown as Record<string, string>);
  }

  write(chunk: Buffer): boolean {
    return this.res.write(chunk);
  }

  onDrain(fn: () => void): void {
    this.res.once('drain', fn);
  }

  end(): void {
    this.done = true;
    this.res.end();
  }

  destroy(): void {
    this.res.destroy();
  }

  closeAfter(): void {
    // Streams end on their own; the connection carries others.
  }

  attach(sink: BodySink): void {
    const req = this.req;
    req.on(
      'data',
      bodyChunks(req, sink, this.bodyLength, this.maxBody, () => {
        req.removeAllListeners('data');
        req.resume();
      }),
    );
    req.once('end', () => sink.end());
    req.once('aborted', () => sink.fail(new Error('the client reset the stream before sending the whole body')));
  }

  detach(): void {
    this.req.removeAllListeners('data');
    this.req.resume();
  }
}
