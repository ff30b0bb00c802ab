import http from 'node:http';
import type { ClientRequest, IncomingMessage } from 'node:http';
import https from 'node:https';
import type { Socket } from 'node:net';
import { ABORTED, BAD_RESPONSE, BODY_TIMEOUT, CONNECT_TIMEOUT, HEADERS_TIMEOUT, UPSTREAM_CLOSED, UpstreamError } from '../h1/index.js';
import type { BodySink, Deadlines, PoolOptions, ResponseHandler, UpstreamPool, UpstreamRequest } from '../h1/index.js';

type Phase = 'queued' | 'connecting' | 'head' | 'body' | 'done';

/**
 * The connections to one upstream endpoint through node:http's client (the fallback engine):
 * a keep-alive `Agent`, most recently used socket first, at most `connections` of them and a
 * queue beyond, unused ones closed after `idleMs`. The timeouts (connect, response head,
 * body silence) are deadlines swept like the llhttp engine's, and a request sent on a reused
 * socket that the upstream had closed meanwhile (the idle-close race: node:http marks it
 * `reusedSocket`) is sent again on another when it is idempotent and has no body.
 */
export class AgentPool implements UpstreamPool {
  private readonly agent: http.Agent;
  private readonly live = new Set<AgentExchange>();
  private closing = false;
  private whenEmpty: (() => void) | undefined;

  constructor(
    readonly o: PoolOptions,
    readonly deadlines: Deadlines,
  ) {
    const options = { keepAlive: true, maxSockets: o.connections, maxFreeSockets: o.connections, scheduling: 'lifo' as const, timeout: o.idleMs };
    this.agent = o.secure ? new https.Agent(options) : new http.Agent(options);
  }

  dispatch(req: UpstreamRequest, handler: ResponseHandler): void {
    if (this.closing) {
      handler.onConnect(() => {});
      handler.onError(new UpstreamError(UPSTREAM_CLOSED, 'the upstream was removed from the routes'));
      return;
    }
    this.send(req, handler, 0);
  }

  /** `resent`: how many reused sockets turned out closed for this request already. */
  send(req: UpstreamRequest, handler: ResponseHandler, resent: number): void {
    const x = new AgentExchange(this, this.agent, req, handler, resent);
    this.live.add(x);
    x.start();
  }

  ended(x: AgentExchange): void {
    this.live.delete(x);
    if (this.live.size === 0 && this.whenEmpty) this.whenEmpty();
  }

  close(): Promise<void> {
    this.closing = true;
    if (this.live.size === 0) {
      this.agent.destroy();
      return Promise.resolve();
    }
    return new Promise((resolve) => {
      this.whenEmpty = () => {
        this.agent.destroy();
        resolve();
      };
    });
  }

  destroy(): Promise<void> {
    this.closing = true;
    for (const x of [...this.live]) x.fail(new UpstreamError(UPSTREAM_CLOSED, 'the proxy is stopping'));
    this.agent.destroy();
    return Promise.resolve();
  }
}

/** One request through the agent, and its response handed to the handler piece by piece. */
class AgentExchange {
  deadline = 0;
  private phase: Phase = 'queued';
  private creq: ClientRequest | undefined;
  private res: IncomingMessage | undefined;
  private bodyDone: boolean;
  private paused = false;

  constructor(
    private readonly pool: AgentPool,
    private readonly agent: http.Agent,
    private readonly req: UpstreamRequest,
    private readonly handler: ResponseHandler,
    private readonly resent: number,
  ) {
    this.bodyDone = req.body === null;
  }

  start(): void {
    const { o } = this.pool;
    const { req, handler } = this;
    handler.onConnect((err) => this.fail(err ?? new UpstreamError(ABORTED, 'the client went away')));
    if (this.phase === 'done') return;
    const headers = req.headers.slice();
    if (req.bodyLength > 0) headers.push('content-length', String(req.bodyLength));
    else if (req.bodyLength < 0) headers.push('transfer-encoding', 'chunked');
    let creq: ClientRequest;
    try {
      creq = (o.secure ? https : http).request({
        agent: this.agent,
        host: o.host,
        port: o.port,
        method: req.method,
        path: req.target,
        // The list already carries the client's Host; node:http adds none to a list.
        headers: headers as unknown as http.OutgoingHttpHeaders,
        setHost: false,
        maxHeaderSize: o.maxHeaderSize,
        ...(o.secure ? { servername: o.servername, ALPNProtocols: ['http/1.1'] } : {}),
      });
    } catch (err) {
      // node:http refused the request as given (a target or field it will not write).
      this.fail(new UpstreamError(BAD_RESPONSE, `request not sendable: ${(err as Error).message}`));
      return;
    }
    this.creq = creq;
    creq.on('socket', (socket: Socket) => this.onSocket(socket));
    creq.on('response', (res: IncomingMessage) => this.onResponse(res));
    creq.on('error', (err: NodeJS.ErrnoException) => this.onError(err));
    if (req.body) req.body.attach(this.bodySink(creq));
    else creq.end();
  }

  onDeadline(): void {
    const { o } = this.pool;
    if (this.phase === 'connecting') this.fail(new UpstreamError(CONNECT_TIMEOUT, `connect timed out after ${o.connectMs} ms`));
    else if (this.phase === 'head') this.fail(new UpstreamError(HEADERS_TIMEOUT, `no response head within ${o.headersMs} ms`));
    else if (this.phase === 'body') this.fail(new UpstreamError(BODY_TIMEOUT, `response body stalled for ${o.bodyMs} ms`));
  }

  private arm(phase: Phase, ms: number): void {
    this.phase = phase;
    this.deadline = this.pool.deadlines.clock.now() + ms;
    this.pool.deadlines.add(this);
  }

  private onSocket(socket: Socket): void {
    if (this.phase !== 'queued') return;
    const { o } = this.pool;
    // A fresh socket is still connecting when node:http hands it over (a tick after creating it).
    if (!this.creq?.reusedSocket && (socket.connecting || o.secure)) {
      this.arm('connecting', o.connectMs);
      socket.once(o.secure ? 'secureConnect' : 'connect', () => {
        if (this.phase === 'connecting') this.arm('head', o.headersMs);
      });
    } else {
      this.arm('head', o.headersMs);
    }
  }

  private bodySink(creq: ClientRequest): BodySink {
    const current = (): boolean => this.phase !== 'done' && !creq.destroyed;
    return {
      write: (chunk) => (current() ? creq.write(chunk) : true),
      onDrain: (fn) => creq.once('drain', fn),
      end: () => {
        if (!current()) return;
        creq.end();
        this.bodyDone = true;
        // The wait for the head starts once the request is all sent.
        if (this.phase === 'head') this.deadline = this.pool.deadlines.clock.now() + this.pool.o.headersMs;
      },
      fail: (err) => {
        if (current()) this.fail(err);
      },
    };
  }

  private onResponse(res: IncomingMessage): void {
    if (this.phase === 'done') {
      res.destroy();
      return;
    }
    this.res = res;
    const { o } = this.pool;
    this.arm('body', o.bodyMs);
    const resume = (): void => {
      if (!this.paused || this.phase !== 'body') return;
      this.paused = false;
      this.deadline = this.pool.deadlines.clock.now() + o.bodyMs;
      res.resume();
    };
    res.on('data', (chunk: Buffer) => {
      if (this.phase !== 'body') return;
      if (!this.paused) this.deadline = this.pool.deadlines.clock.now() + o.bodyMs;
      if (!this.handler.onData(chunk) && !this.paused) {
        // The client reads slower than the upstream sends: stop reading it (no timeout while we hold it).
        this.paused = true;
        this.deadline = 0;
        res.pause();
      }
    });
    res.once('end', () => this.complete());
    res.once('close', () => {
      if (this.phase === 'body') this.fail(new UpstreamError(UPSTREAM_CLOSED, 'connection closed in the middle of the response'));
    });
    res.on('error', () => {});
    this.handler.onHeaders(res.statusCode ?? 502, res.rawHeaders, resume, res.statusMessage ?? '');
  }

  private complete(): void {
    if (this.phase !== 'body') return;
    this.finish();
    // A socket whose request body was not all sent cannot carry another request.
    if (!this.bodyDone) {
      this.req.body?.detach();
      this.creq?.destroy();
    }
    this.handler.onComplete();
  }

  private onError(err: NodeJS.ErrnoException): void {
    if (this.phase === 'done') return;
    const creq = this.creq;
    const code = err.code ?? '';
    if (this.phase === 'connecting' || (this.phase === 'queued' && code !== '')) {
      this.fail(Object.assign(new Error(`connect failed: ${err.message}`), { code: code || UPSTREAM_CLOSED }));
      return;
    }
    if (this.res === undefined && creq?.reusedSocket && this.req.idempotent && this.req.body === null && this.resent < 3) {
      // A keep-alive connection the upstream had closed while it sat idle: not an answer.
      this.finish();
      this.pool.send(this.req, this.handler, this.resent + 1);
      return;
    }
    if (code.startsWith('HPE_')) {
      this.fail(new UpstreamError(BAD_RESPONSE, `invalid response: ${(err as { reason?: string }).reason ?? err.message} (${code})`));
      return;
    }
    this.fail(new UpstreamError(code === 'ECONNRESET' && this.res === undefined ? UPSTREAM_CLOSED : code || UPSTREAM_CLOSED, this.res ? `connection closed in the middle of the response (${code || err.message})` : `connection closed before a response (${code || err.message})`));
  }

  private finish(): void {
    this.phase = 'done';
    this.deadline = 0;
    this.pool.deadlines.delete(this);
    this.pool.ended(this);
  }

  /** Ends the exchange with `err` and closes its connection. */
  fail(err: Error): void {
    if (this.phase === 'done') return;
    this.finish();
    if (!this.bodyDone) this.req.body?.detach();
    this.res?.destroy();
    this.creq?.destroy();
    this.handler.onError(err);
  }
}
