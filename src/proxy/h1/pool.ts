import type { ResponseHandler, UpstreamPool, UpstreamRequest } from './contract.js';
import { ABORTED, UPSTREAM_CLOSED, UpstreamError } from './contract.js';
import type { Deadlines } from './deadlines.js';
import { UpstreamConnection } from './upstream-connection.js';
import type { ConnectionOptions, ConnectionOwner } from './upstream-connection.js';

export interface PoolOptions extends ConnectionOptions {
  /** Connections open at most; requests beyond wait in order. */
  connections: number;
}

type Waiting = { req: UpstreamRequest; handler: ResponseHandler };

/**
 * The keep-alive connections to one upstream endpoint. The most recently used idle
 * connection goes first (it is the least likely to have been closed by the upstream's own
 * idle timeout); past `connections`, requests queue.
 */
export class ConnectionPool implements ConnectionOwner, UpstreamPool {
  private readonly idle: UpstreamConnection[] = [];
  private readonly queue: Waiting[] = [];
  /** Every connection open or opening, idle or busy. */
  private readonly all = new Set<UpstreamConnection>();
  private closing = false;
  private whenEmpty: (() => void) | undefined;

  constructor(
    private readonly o: PoolOptions,
    private readonly deadlines: Deadlines,
  ) {}

  dispatch(req: UpstreamRequest, handler: ResponseHandler): void {
    if (this.closing) {
      handler.onConnect(() => {});
      handler.onError(new UpstreamError(UPSTREAM_CLOSED, 'the upstream was removed from the routes'));
      return;
    }
    const c = this.idle.pop();
    if (c !== undefined) {
      c.send(req, handler);
      return;
    }
    if (this.all.size < this.o.connections) {
      this.connect().send(req, handler);
      return;
    }
    const waiting: Waiting = { req, handler };
    this.queue.push(waiting);
    handler.onConnect((err) => {
      const i = this.queue.indexOf(waiting);
      if (i < 0) return;
      this.queue.splice(i, 1);
      handler.onError(err ?? new UpstreamError(ABORTED, 'the client went away'));
    });
  }

  released(c: UpstreamConnection): void {
    const next = this.queue.shift();
    if (next !== undefined) c.send(next.req, next.handler);
    else if (this.closing) c.close();
    else this.idle.push(c);
  }

  closed(c: UpstreamConnection): void {
    this.all.delete(c);
    const i = this.idle.lastIndexOf(c);
    if (i >= 0) this.idle.splice(i, 1);
    if (this.queue.length > 0 && this.all.size < this.o.connections) {
      const next = this.queue.shift()!;
      this.connect().send(next.req, next.handler);
    }
    if (this.all.size === 0 && this.whenEmpty) this.whenEmpty();
  }

  resend(req: UpstreamRequest, handler: ResponseHandler): void {
    this.connect().send(req, handler);
  }

  /** Lets the exchanges in flight (and queued) finish, then closes every connection. */
  close(): Promise<void> {
    this.closing = true;
    for (const c of this.idle.splice(0)) c.close();
    if (this.all.size === 0) return Promise.resolve();
    return new Promise((resolve) => (this.whenEmpty = resolve));
  }

  /** Closes everything now; exchanges in flight fail. */
  destroy(): Promise<void> {
    this.closing = true;
    for (const w of this.queue.splice(0)) w.handler.onError(new UpstreamError(UPSTREAM_CLOSED, 'the proxy is stopping'));
    const done = this.close();
    for (const c of this.all) c.close();
    return done;
  }

  private connect(): UpstreamConnection {
    const c = new UpstreamConnection(this, this.o, this.deadlines);
    this.all.add(c);
    return c;
  }
}
