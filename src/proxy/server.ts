import http2 from 'node:http2';
import net from 'node:net';
import type { Server as NetServer, Socket } from 'node:net';
import tls from 'node:tls';
import type { TLSSocket } from 'node:tls';
import type { ProxyConfig, ProxyListen } from '../config/index.js';
import { systemClock } from '../kernel/index.js';
import type { Clock, Logger } from '../kernel/index.js';
import { ACME_CHALLENGE_PREFIX, bundleCovers, redirectTarget } from './tls/index.js';
import type { AlpnChallengeCertificate, CertificateStore } from './tls/index.js';
import { CLIENT_HELLO_PEEK_LIMIT, parseClientHello } from './tls/client-hello.js';
import { forward } from './forward.js';
import type { ForwardContext } from './forward.js';
import { answer, Deadlines, sweepInterval } from './h1/index.js';
import type { ClientConnections, ClientExchange, H1Options } from './h1/index.js';
import { clientConnections } from './engine.js';
import type { Engine } from './engine.js';
import { H2Exchange } from './h2-exchange.js';
import { hostName } from './router.js';
import { upgrade } from './upgrade.js';

/** HTTP-01 answers: synchronous in the process that runs ACME, a round trip to it in a worker. */
export type ChallengeLookup = (host: string, path: string) => string | undefined | Promise<string | undefined>;

/** TLS-ALPN-01 certificates by SNI name: like `ChallengeLookup`, local or a round trip to the primary. */
export type AlpnChallengeLookup = (servername: string) => AlpnChallengeCertificate | undefined | Promise<AlpnChallengeCertificate | undefined>;

export interface ListenerOptions {
  config: ProxyConfig;
  /** The HTTP/1.x engine (chosen at start: ../engine.ts). */
  engine: Engine;
  ctx: ForwardContext;
  certificates: CertificateStore;
  challenges?: ChallengeLookup;
  /** Given (ACME with tls-alpn-01): the HTTPS listener peeks at each ClientHello first. */
  alpnChallenges?: AlpnChallengeLookup;
  logger: Logger;
  /** The client timeouts' sweep, the ClientHello and stop timers (default systemClock). */
  clock?: Clock;
}

export interface Listeners {
  http?: net.Server;
  /** The listening HTTPS socket: the http2 server, or the ClientHello peek in front of it. */
  https?: net.Server;
  /** Bound addresses (port 0 resolved). */
  addresses(): { http?: { host: string; port: number }; https?: { host: string; port: number } };
  close(): Promise<void>;
}

/**
 * The client-facing servers. HTTP/1.x, in clear or over TLS, is served by the chosen engine:
 * the socket-level one in ./h1, or node:http (./node-h1) where the former cannot run (llhttp enforces the head size (431) and rejects a request with both
 * Content-Length and Transfer-Encoding (400, never forwarded); a head that does not arrive
 * within `clientHeaders` gets 408 (slowloris)). HTTP/2 goes through Node's http2 server; TLS
 * connections are sorted by the protocol ALPN chose.
 */
export async function startListeners(o: ListenerOptions): Promise<Listeners> {
  const { config, ctx } = o;
  const t = config.timeouts;
  const clock = o.clock ?? systemClock;
  const deadlines = new Deadlines(sweepInterval([t.clientHeadersMs, t.clientRequestMs, t.clientIdleMs]), clock);
  const h1 = (proto: 'http' | 'https', onRequest: (ex: ClientExchange) => void): ClientConnections =>
    clientConnections(
      o.engine,
      {
        maxHeaderSize: config.limits.headerBytes,
        headersMs: t.clientHeadersMs,
        requestMs: t.clientRequestMs,
        idleMs: t.clientIdleMs,
        maxBodyBytes: config.limits.bodyBytes,
        deadlines,
        onRequest,
        onUpgrade: (req, head) => upgrade(ctx, req, req.socket, head, proto, o.logger),
        onRefused: (status) => ctx.tally.unrouted.count(status),
        onFault: (err) => o.logger.error({ err: err.message, stack: err.stack }, 'proxy: internal error on a client connection; the connection was closed'),
      } satisfies H1Options,
    );
  let httpsPort = 443;
  const closers: (() => Promise<void>)[] = [];
  const result: Listeners = {
    addresses: () => ({ http: addressOf(result.http), https: addressOf(result.https) }),
    close: async () => {
      await Promise.all(closers.map((c) => c()));
    },
  };

  if (config.http !== false) {
    const connections = h1('http', (ex) => {
      if (o.challenges && ex.url.startsWith(ACME_CHALLENGE_PREFIX)) {
        void answerChallenge(o.challenges, ctx, ex);
        return;
      }
      route(ctx, ex, 'http', httpsPort);
    });
    const server = net.createServer((socket) => connections.handle(socket));
    await listen(server, config.http);
    result.http = server;
    closers.push(() => closeServer(server, connections, clock));
  }

  if (config.https !== false) {
    const connections = h1('https', (ex) => secureRequest(ctx, o.certificates, ex));
    const server = http2.createSecureServer(
      {
        // Keeps http/1.1 in the ALPN offer; those connections are taken below, before Node's HTTP/1 code sees them.
        allowHTTP1: true,
        SNICallback: o.certificates.sniCallback,
        ALPNProtocols: ['h2', 'http/1.1'],
        maxSessionMemory: 64,
        settings: { maxHeaderListSize: config.limits.headerBytes },
        maxHeaderSize: config.limits.headerBytes,
      } as http2.SecureServerOptions,
      (req: http2.Http2ServerRequest, res: http2.Http2ServerResponse) => {
        try {
          secureRequest(ctx, o.certificates, new H2Exchange(req, res, config.limits.bodyBytes));
        } catch (err) {
          // As for HTTP/1 (h1's onFault): a bug of ours costs this stream, not the process.
          o.logger.error({ err: (err as Error).message, stack: (err as Error).stack }, 'proxy: internal error on an HTTP/2 stream; the stream was reset');
          res.destroy();
        }
      },
    );
    // Node's http2 server handles each TLS connection in one 'secureConnection' listener; h2
    // stays with it, anything else (http/1.1, or no ALPN) goes to the HTTP/1 engine.
    const h2Listeners = server.listeners('secureConnection') as ((s: TLSSocket) => void)[];
    server.removeAllListeners('secureConnection');
    server.on('secureConnection', (socket: TLSSocket) => {
      if (socket.alpnProtocol === 'h2') { for (const l of h2Listeners) l.call(server, socket); }
      else connections.handle(socket);
    });
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
    // With TLS-ALPN-01 a plain TCP server listens instead and hands every connection that is
    // not a challenge to the http2 server (which then never listens itself).
    const alpnChallenges = o.alpnChallenges;
    const listening = alpnChallenges
      ? net.createServer((socket) => peekClientHello(socket, { lookup: alpnChallenges, logger: o.logger, timeoutMs: t.clientHeadersMs, tlsServer: server, clock }))
      : server;
    await listen(listening, config.https);
    result.https = listening;
    httpsPort = addressOf(listening)?.port ?? 443;
    closers.push(() =>
      closeServer(listening, connections, clock, () => {
        for (const s of sessions) s.close();
      })
    );
  }
  return result;
}

/** A request over TLS: the Host must be one the connection's certificate covers (else 421). */
function secureRequest(ctx: ForwardContext, certificates: CertificateStore, ex: ClientExchange): void {
  const servername = (ex.socket as TLSSocket).servername;
  if (servername && !sameName(servername, ex.host)) {
    const bundle = certificates.lookup(servername);
    const name = hostName(ex.host);
    if (!bundle || name === undefined || !bundleCovers(bundle, name)) {
      (ctx.router.find(ex.host)?.own ?? ctx.tally.unrouted).count(421);
      answer(ex, 421, `globaldns: this connection is for "${servername}", not "${name ?? ex.host}"; open a new connection`);
      return;
    }
  }
  route(ctx, ex, 'https', 0);
}

function route(ctx: ForwardContext, ex: ClientExchange, proto: 'http' | 'https', httpsPort: number): void {
  const host = ex.host;
  const r = ctx.router.find(host);
  if (r === undefined) {
    ctx.tally.unrouted.count(404);
    answer(ex, 404, `globaldns: no route for host "${hostName(host) ?? host}"`);
    return;
  }
  if (proto === 'http' && r.redirectHttps) {
    const location = redirectTarget({ host, url: ex.url }, httpsPort);
    if (location) {
      r.own.count(308);
      answer(ex, 308, `globaldns: moved to ${location}`, { location });
      return;
    }
  }
  forward(ctx, r, ex, proto);
}

async function answerChallenge(lookup: ChallengeLookup, ctx: ForwardContext, ex: ClientExchange): Promise<void> {
  let body: string | undefined;
  try {
    body = await lookup(ex.host, ex.url);
  } catch {
    body = undefined;
  }
  if (ex.closed) return;
  if (body !== undefined) {
    (ctx.router.find(ex.host)?.own ?? ctx.tally.unrouted).count(200);
    const bytes = Buffer.from(body);
    ex.writeHead(200, '', ['content-type', 'application/octet-stream', 'content-length', String(bytes.length)]);
    ex.write(bytes);
    ex.end();
    return;
  }
  // Not one of ours: the clusters may run their own ACME clients behind us.
  route(ctx, ex, 'http', 0);
}

const ACME_TLS_ALPN = 'acme-tls/1';
const KEEP_ALIVE = { keepAlive: true } as const;

interface PeekOptions {
  lookup: AlpnChallengeLookup;
  logger: Logger;
  /** a ClientHello must arrive within this (the clientHeaders timeout), else the socket is closed */
  timeoutMs: number;
  /** where every connection that is not a challenge goes, with its bytes put back */
  tlsServer: NetServer;
  clock: Clock;
}

/**
 * Reads the ClientHello before TLS starts (Node's SNICallback cannot see the ALPN offer). A
 * client offering `acme-tls/1` for a name being validated gets the challenge certificate
 * (RFC 8737); every other connection, garbage included, goes to the TLS server as if it had
 * accepted it, its peeked bytes unshifted (TLSSocket feeds a wrapped socket's buffered bytes
 * to the handshake before it reads the handle).
 */
function peekClientHello(socket: Socket, o: PeekOptions): void {
  const chunks: Buffer[] = [];
  let size = 0;
  const onError = (): void => {
    timer.cancel();
    socket.destroy();
  };
  // Kept alive, as the plain timer was (the socket holds the process anyway).
  const timer = o.clock.setTimeout(() => socket.destroy(), o.timeoutMs, KEEP_ALIVE);
  const onData = (chunk: Buffer): void => {
    chunks.push(chunk);
    size += chunk.length;
    const peeked = chunks.length === 1 ? chunk : Buffer.concat(chunks);
    const hello = size > CLIENT_HELLO_PEEK_LIMIT ? 'not-tls' : parseClientHello(peeked);
    if (hello === 'incomplete') return;
    socket.pause();
    socket.off('data', onData);
    socket.off('error', onError);
    socket.off('end', onError);
    timer.cancel();
    if (typeof hello === 'object' && hello.servername !== undefined && hello.alpn.includes(ACME_TLS_ALPN)) {
      void answerAlpnChallenge(socket, peeked, hello.servername, o);
      return;
    }
    handOver(socket, peeked, o.tlsServer);
  };
  socket.on('data', onData);
  socket.on('error', onError);
  // A client that sends part of a hello and half-closes will never finish it.
  socket.on('end', onError);
}

function handOver(socket: Socket, peeked: Buffer, tlsServer: NetServer): void {
  socket.unshift(peeked);
  tlsServer.emit('connection', socket);
}

/** The challenge certificate, ALPN `acme-tls/1` only, then close: RFC 8737 carries no application data. */
async function answerAlpnChallenge(socket: Socket, peeked: Buffer, servername: string, o: PeekOptions): Promise<void> {
  // Bytes arriving during the lookup stay buffered (the socket is paused); errors close it.
  const onError = (): void => {
    socket.destroy();
  };
  socket.on('error', onError);
  let certificate: AlpnChallengeCertificate | undefined;
  try {
    certificate = await o.lookup(servername);
  } catch {
    certificate = undefined;
  }
  socket.off('error', onError);
  if (socket.destroyed) return;
  // Not being validated now: an ordinary connection (a client that merely offers acme-tls/1).
  if (!certificate) return handOver(socket, peeked, o.tlsServer);
  let secureContext: tls.SecureContext;
  try {
    secureContext = tls.createSecureContext({ cert: certificate.certPem, key: certificate.keyPem });
  } catch {
    socket.destroy();
    return;
  }
  socket.unshift(peeked);
  const secure = new tls.TLSSocket(socket, { isServer: true, secureContext, ALPNProtocols: [ACME_TLS_ALPN] });
  const timer = o.clock.setTimeout(() => secure.destroy(), o.timeoutMs, KEEP_ALIVE);
  secure.on('error', () => secure.destroy());
  secure.on('close', () => timer.cancel());
  secure.once('secure', () => {
    o.logger.info({ servername, remote: socket.remoteAddress }, `acme: TLS-ALPN-01 challenge certificate for ${servername} served to ${socket.remoteAddress ?? '?'}`);
    secure.end();
  });
  // Nothing is read from the validator; whatever it sends is dropped.
  secure.resume();
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
function closeServer(server: NetServer, connections: ClientConnections, clock: Clock, closeSessions?: () => void): Promise<void> {
  return new Promise((resolve) => {
    // Not kept alive (as before): the server and its connections hold the process until then.
    const force = clock.setTimeout(() => {
      connections.closeAll();
      resolve();
    }, 10_000);
    server.close(() => {
      force.cancel();
      resolve();
    });
    connections.closeIdle();
    closeSessions?.();
  });
}
