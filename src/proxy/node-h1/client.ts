import http from 'node:http';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Socket } from 'node:net';
import type { Duplex } from 'node:stream';
import { answer, endWith, sweepInterval } from '../h1/index.js';
import type { ClientConnections, H1Options } from '../h1/index.js';
import { NodeExchange } from './exchange.js';

/**
 * HTTP/1.x client connections served by node:http (the fallback engine): a `http.Server` that
 * never listens itself is handed each accepted socket (clear, or TLS after ALPN chose
 * http/1.1), and every request becomes a `NodeExchange` for the same request path. The
 * server's own refusals (malformed request 400, head over the limit 431, head too slow 408)
 * are written here, with the llhttp engine's wording, and counted through `onRefused`.
 */
export class NodeH1Connections implements ClientConnections {
  private readonly server: http.Server;
  private readonly sockets = new Set<Socket>();
  private readonly inFlight = new Set<NodeExchange>();
  private closing = false;

  constructor(private readonly o: H1Options) {
    const server = (this.server = http.createServer({
      maxHeaderSize: o.maxHeaderSize,
      // Checked by the exchange, so that the answer and its count are the proxy's (400, as the llhttp engine).
      requireHostHeader: false,
      headersTimeout: o.headersMs,
      requestTimeout: o.requestMs,
      keepAliveTimeout: o.idleMs,
      connectionsCheckingInterval: sweepInterval([o.headersMs, o.requestMs]),
    }));
    server.on('request', (req: IncomingMessage, res: ServerResponse) => this.onRequest(req, res, false));
    // Listening for these keeps node:http from answering 100 Continue (or 417) on its own.
    server.on('checkContinue', (req: IncomingMessage, res: ServerResponse) => this.onRequest(req, res, true));
    server.on('checkExpectation', (req: IncomingMessage, res: ServerResponse) => this.onRequest(req, res, false));
    server.on('upgrade', (req: IncomingMessage, socket: Duplex, head: Buffer) => this.onUpgrade(req, socket as Socket, head));
    server.on('connect', (_req: IncomingMessage, socket: Duplex) => this.refuse(socket as Socket, 405, 'Method Not Allowed', 'CONNECT is not proxied'));
    server.on('clientError', (err: NodeJS.ErrnoException, socket: Duplex) => this.onClientError(err, socket as Socket));
    // node:http arms its sweep of slow request heads and bodies (headersTimeout, requestTimeout:
    // the 408s) when its server starts listening; this one never does, its sockets come from
    // the proxy's own listeners, so it is told it is listening. Pinned by the slowloris test
    // run against this engine (test/proxy/abuse.test.ts with GLOBALDNS_TEST_PROXY_ENGINE=node).
    server.emit('listening');
  }

  handle(socket: Socket): void {
    this.sockets.add(socket);
    socket.once('close', () => this.sockets.delete(socket));
    socket.setNoDelay(true);
    this.server.emit('connection', socket);
  }

  closeIdle(): void {
    this.closing = true;
    for (const ex of this.inFlight) ex.closeAfter();
    this.server.closeIdleConnections();
  }

  closeAll(): void {
    for (const s of this.sockets) s.destroy();
  }

  private onRequest(req: IncomingMessage, res: ServerResponse, expectContinue: boolean): void {
    const o = this.o;
    try {
      const ex = new NodeExchange(req, res, o.maxBodyBytes, expectContinue);
      this.inFlight.add(ex);
      res.once('close', () => {
        this.inFlight.delete(ex);
        // Stopping: a connection whose last response just went out has nothing more to do.
        if (this.closing) setImmediate(() => this.server.closeIdleConnections());
      });
      if (this.closing) ex.closeAfter();
      if (ex.refusal !== undefined) {
        ex.closeAfter();
        o.onRefused(400);
        answer(ex, 400, `globaldns: ${ex.refusal}`);
        return;
      }
      o.onRequest(ex);
    } catch (err) {
      // A bug of ours costs this connection, not the process (an exception here would be uncaught).
      o.onFault?.(err as Error);
      req.socket.destroy();
    }
  }

  private onUpgrade(req: IncomingMessage, socket: Socket, head: Buffer): void {
    // Upgraded sockets are piped raw from here on; node:http's timeouts no longer apply.
    socket.setTimeout(0);
    try {
      this.o.onUpgrade({ method: req.method ?? 'GET', url: req.url ?? '/', rawHeaders: req.rawHeaders, headers: { host: req.headers.host, upgrade: req.headers.upgrade }, socket }, head);
    } catch (err) {
      this.o.onFault?.(err as Error);
      socket.destroy();
    }
  }

  private onClientError(err: NodeJS.ErrnoException, socket: Socket): void {
    const code = err.code ?? '';
    if (code === 'ECONNRESET' || code === 'EPIPE' || !socket.writable) {
      socket.destroy();
      return;
    }
    if (code === 'ERR_HTTP_REQUEST_TIMEOUT') {
      // A connection that never sent a byte is closed without an answer, as by the llhttp engine.
      if (socket.bytesRead === 0) socket.destroy();
      else this.refuse(socket, 408, 'Request Timeout', 'the request did not arrive in time');
      return;
    }
    const status = code === 'HPE_HEADER_OVERFLOW' ? 431 : 400;
    this.refuse(socket, status, status === 431 ? 'Request Header Fields Too Large' : 'Bad Request', `${(err as { reason?: string }).reason ?? 'malformed request'} (${code || err.message})`);
  }

  /** Answers a request the server itself refuses, then closes; a response in flight is cut instead. */
  private refuse(socket: Socket, status: number, reason: string, detail: string): void {
    this.o.onRefused(status);
    let responding = false;
    for (const ex of this.inFlight) if (ex.socket === socket && ex.headersSent) responding = true;
    if (responding || socket.destroyed) {
      socket.destroy();
      return;
    }
    endWith(socket, status, `globaldns: ${reason}: ${detail}`);
  }
}
