import http from 'node:http';
import http2 from 'node:http2';
import type { Server as NetServer, Socket } from 'node:net';
import type { TLSSocket } from 'node:tls';
import type { ProxyConfig, ProxyListen } from '../config/index.js';
import type { Logger } from '../observe/index.js';
import { ACME_CHALLENGE_PREFIX, bundleCovers, redirectTarget } from './tls/index.js';
import type { CertificateStore } from './tls/index.js';
import { answer, forward } from './forward.js';
import type { ClientRequest, ClientResponse, ForwardContext } from './forward.js';
import { hostName } from './router.js';
import { upgrade } from './upgrade.js';

/** HTTP-01 answers: synchronous in the process that runs ACME, a round trip to it in a worker. */
export type ChallengeLookup = (host: string, path: string) => string | undefined | Promise<string | undefined>;

export interface ListenerOptions {
  config: ProxyConfig;
  ctx: ForwardContext;
  certificates: CertificateStore;
  challenges?: ChallengeLookup;
  logger: Logger;
}

export interface Listeners {
  http?: http.Server;
  https?: http2.Http2SecureServer;
  /** Bound addresses (port 0 resolved). */
  addresses(): { http?: { host: string; port: number }; https?: { host: string; port: number } };
  close(): Promise<void>;
}

/**
 * The client-facing servers. Node's HTTP/1 parser enforces the head size (431), rejects a
 * request with both Content-Length and Transfer-Encoding (400, never forwarded), and closes
 * connections whose head does not arrive within `clientHeaders` (slowloris).
 */
export async function startListeners(o: ListenerOptions): Promise<Listeners> {
  const { config, ctx } = o;
  const t = config.timeouts;
  const serverOptions: http.ServerOptions = {
    maxHeaderSize: config.limits.headerBytes,
    headersTimeout: t.clientHeadersMs,
    requestTimeout: t.clientRequestMs,
    keepAliveTimeout: t.clientIdleMs,
    // The timeouts above are checked this often; the default (30 s) would let a slowloris
    // connection live far past its deadline.
    connectionsCheckingInterval: Math.max(100, Math.min(30_000, Math.floor(t.clientHeadersMs / 4))),
    noDelay: true,
  };
  let httpsPort = 443;
  const result: Listeners = {
    addresses: () => ({ http: addressOf(result.http), https: addressOf(result.https) }),
    close: async () => {
      await Promise.all([closeServer(result.http), closeServer(result.https)]);
    },
  };

  if (config.http !== false) {
    const server = http.createServer(serverOptions, (req, res) => {
      const host = req.headers.host ?? '';
      const url = req.url ?? '/';
      if (url.startsWith(ACME_CHALLENGE_PREFIX) && o.challenges) {
        void answerChallenge(o.challenges, ctx, req, res, host);
        return;
      }
      route(ctx, req, res, host, 'http', httpsPort);
    });
    server.on('upgrade', (req: http.IncomingMessage, socket: Socket, head: Buffer) => upgrade(ctx, req, socket, head, 'http', o.logger));
    server.on('clientError', (err: NodeJS.ErrnoException, socket: Socket) => clientError(err, socket, ctx));
    await listen(server, config.http);
    result.http = server;
  }

  if (config.https !== false) {
    const server = http2.createSecureServer(
      {
        allowHTTP1: true,
        SNICallback: o.certificates.sniCallback,
        ALPNProtocols: ['h2', 'http/1.1'],
        maxSessionMemory: 64,
        settings: { maxHeaderListSize: config.limits.headerBytes },
        // http/1.1 over TLS goes through Node's HTTP/1 server code with these.
        ...serverOptions,
      } as http2.SecureServerOptions,
      (req: http2.Http2ServerRequest, res: http2.Http2ServerResponse) => {
        const host = (req.headers[':authority'] as string | undefined) ?? req.headers.host ?? '';
        const servername = (req.socket as TLSSocket).servername;
        if (servername && !sameName(servername, host)) {
          const bundle = o.certificates.lookup(servername);
          const name = hostName(host);
          if (!bundle || name === undefined || !bundleCovers(bundle, name)) {
            (ctx.router.find(host)?.own ?? ctx.tally.unrouted).count(421);
            answer(res, 421, `globaldns: this connection is for "${servername}", not "${name ?? host}"; open a new connection`);
            return;
          }
        }
        route(ctx, req, res, host, 'https', 0);
      },
    );
    server.on('upgrade', (req: http.IncomingMessage, socket: Socket, head: Buffer) => upgrade(ctx, req, socket, head, 'https', o.logger));
    server.on('tlsClientError', () => {
      /* handshake refused (no certificate for the name): the client saw the alert */
    });
    server.on('sessionError', () => {});
    server.setTimeout(t.clientIdleMs);
    // Tracked so that a stop can send GOAWAY: an idle HTTP/2 session would hold close() forever.
    const sessions = new Set<http2.ServerHttp2Session>();
    server.on('session', (s: http2.ServerHttp2Session) => {
      sessions.add(s);
      s.once('close', () => sessions.delete(s));
    });
    (server as unknown as { closeSessions: () => void }).closeSessions = () => {
      for (const s of sessions) s.close();
    };
    await listen(server, config.https);
    result.https = server;
    httpsPort = addressOf(server)?.port ?? 443;
  }
  return result;
}

function route(ctx: ForwardContext, req: ClientRequest, res: ClientResponse, host: string, proto: 'http' | 'https', httpsPort: number): void {
  const r = ctx.router.find(host);
  if (r === undefined) {
    ctx.tally.unrouted.count(404);
    answer(res, 404, `globaldns: no route for host "${hostName(host) ?? host}"`);
    return;
  }
  if (proto === 'http' && r.redirectHttps) {
    const location = redirectTarget({ host, url: req.url }, httpsPort);
    if (location) {
      r.own.count(308);
      answer(res, 308, `globaldns: moved to ${location}`, { location });
      return;
    }
  }
  forward(ctx, r, req, res, host, proto);
}

async function answerChallenge(lookup: ChallengeLookup, ctx: ForwardContext, req: http.IncomingMessage, res: http.ServerResponse, host: string): Promise<void> {
  let body: string | undefined;
  try {
    body = await lookup(host, req.url ?? '/');
  } catch {
    body = undefined;
  }
  if (body !== undefined) {
    (ctx.router.find(host)?.own ?? ctx.tally.unrouted).count(200);
    res.writeHead(200, { 'content-type': 'application/octet-stream', 'content-length': Buffer.byteLength(body) });
    res.end(body);
    return;
  }
  // Not one of ours: the clusters may run their own ACME clients behind us.
  route(ctx, req, res, host, 'http', 0);
}

/** Node's defaults answer 400/408/431; this only keeps a broken socket from lingering. */
function clientError(err: NodeJS.ErrnoException & { rawPacket?: Buffer }, socket: Socket, ctx: ForwardContext): void {
  if (!socket.writable || (err.code === 'ECONNRESET')) {
    socket.destroy();
    return;
  }
  const status = err.code === 'HPE_HEADER_OVERFLOW' ? '431 Request Header Fields Too Large' : err.code === 'ERR_HTTP_REQUEST_TIMEOUT' ? '408 Request Timeout' : '400 Bad Request';
  const body = `globaldns: ${status.slice(4)}${err.code ? ` (${err.code})` : ''}\n`;
  ctx.tally.unrouted.count(Number(status.slice(0, 3)));
  socket.end(`HTTP/1.1 ${status}\r\nconnection: close\r\ncontent-type: text/plain\r\ncontent-length: ${Buffer.byteLength(body)}\r\n\r\n${body}`);
}

function sameName(servername: string, hostHeader: string): boolean {
  return hostName(hostHeader) === servername.toLowerCase();
}

function listen(server: NetServer, at: ProxyListen): Promise<void> {
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen({ port: at.port, ...(at.host !== undefined ? { host: at.host } : {}) }, () => {
      server.off('error', reject);
      resolve();
    });
  });
}

function addressOf(server: NetServer | undefined): { host: string; port: number } | undefined {
  const a = server?.address();
  return a && typeof a === 'object' ? { host: a.address, port: a.port } : undefined;
}

/** Stops accepting, lets requests in flight finish (up to 10 s), closes idle connections at once. */
function closeServer(server: (NetServer & { closeIdleConnections?: () => void; closeAllConnections?: () => void; closeSessions?: () => void }) | undefined): Promise<void> {
  if (!server) return Promise.resolve();
  return new Promise((resolve) => {
    const force = setTimeout(() => {
      server.closeAllConnections?.();
      resolve();
    }, 10_000);
    force.unref();
    server.close(() => {
      clearTimeout(force);
      resolve();
    });
    server.closeIdleConnections?.();
    server.closeSessions?.();
  });
}
