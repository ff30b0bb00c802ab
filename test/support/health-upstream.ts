// A cluster's load balancer as a health check sees it: a real HTTP (or HTTPS, or bare TCP)
// server on one loopback address whose behaviour the test switches at run time, and which
// records every request it got (time, path, Host, SNI, status sent).
import http from 'node:http';
import https from 'node:https';
import net from 'node:net';
import type { Socket } from 'node:net';
import type { TLSSocket } from 'node:tls';

/**
 * ok: 200 "ok"; status: that status; body: 200 with that body; hang: accept, never answer;
 * refuse: closed listener; script: each request asks `next()` what to do (never refuse).
 */
export type UpstreamMode =
  | { kind: 'ok' }
  | { kind: 'status'; status: number }
  | { kind: 'body'; body: string }
  | { kind: 'hang' }
  | { kind: 'refuse' }
  | { kind: 'script'; next: () => Exclude<UpstreamMode, { kind: 'refuse' | 'script' }> };

export const OK: UpstreamMode = { kind: 'ok' };
export const FAIL_503: UpstreamMode = { kind: 'status', status: 503 };

export interface SeenRequest {
  at: number;
  path: string;
  host: string | undefined;
  servername: string | undefined;
  status: number | undefined;
  remoteAddress: string | undefined;
}

export interface HealthUpstream {
  readonly name: string;
  readonly address: string;
  readonly port: number;
  /** The requests the mode governs: every one, or only those to `healthPath` (the probes). */
  readonly requests: SeenRequest[];
  /** With `healthPath`: requests to other paths (the traffic a proxy sent here). */
  readonly hits: number;
  /** Switches what the next requests get; `refuse` closes the listener, leaving it reopens it. */
  set(mode: UpstreamMode, opts?: { forRequests?: number }): Promise<void>;
  stop(): Promise<void>;
}

export interface HealthUpstreamOptions {
  address: string;
  port: number;
  /** Answered by other paths when `healthPath` is set (and in `x-upstream`); default the address. */
  name?: string;
  /** Only this path follows the mode; any other answers 200 with the name and counts in `hits`. */
  healthPath?: string;
  tls?: { cert: string; key: string };
  /** A bare TCP listener that accepts and closes. */
  tcpOnly?: boolean;
}

export async function startHealthUpstream(o: HealthUpstreamOptions): Promise<HealthUpstream> {
  const name = o.name ?? o.address;
  let hits = 0;
  let mode: UpstreamMode = { kind: 'ok' };
  /** A temporary mode for a number of requests, then `mode` again. */
  let burst: { mode: UpstreamMode; left: number } | undefined;
  const requests: SeenRequest[] = [];
  const sockets = new Set<Socket>();
  const handler = (req: http.IncomingMessage, res: http.ServerResponse) => {
    if (o.healthPath !== undefined && req.url !== o.healthPath) {
      hits++;
      res.writeHead(200, { 'content-type': 'text/plain', 'x-upstream': name });
      res.end(name);
      return;
    }
    let m = mode;
    if (burst) {
      m = burst.mode;
      if (--burst.left <= 0) burst = undefined;
    }
    if (m.kind === 'script') m = m.next();
    const seen: SeenRequest = {
      at: Date.now(),
      path: req.url ?? '',
      host: req.headers.host,
      servername: (req.socket as TLSSocket).servername || undefined,
      status: undefined,
      remoteAddress: req.socket.remoteAddress,
    };
    requests.push(seen);
    if (m.kind === 'hang') return;
    const status = m.kind === 'status' ? m.status : 200;
    seen.status = status;
    res.writeHead(status, { 'content-type': 'text/plain', connection: 'close' });
    res.end(m.kind === 'body' ? m.body : 'ok');
  };
  const make = (): net.Server => {
    const server = o.tcpOnly ? net.createServer((s) => s.end()) : o.tls ? https.createServer({ cert: o.tls.cert, key: o.tls.key }, handler) : http.createServer(handler);
    server.on('connection', (s: Socket) => {
      sockets.add(s);
      s.on('close', () => sockets.delete(s));
      s.on('error', () => {});
    });
    return server;
  };
  let server: net.Server | undefined;
  const listen = async () => {
    server = make();
    const s = server;
    await new Promise<void>((resolve, reject) => {
      s.once('error', reject);
      s.listen(o.port, o.address, () => resolve());
    });
  };
  const close = async () => {
    const s = server;
    server = undefined;
    if (!s) return;
    for (const sock of sockets) sock.destroy();
    await new Promise<void>((r) => s.close(() => r()));
  };
  await listen();
  return {
    name,
    address: o.address,
    port: o.port,
    requests,
    get hits() {
      return hits;
    },
    async set(next, opts) {
      if (opts?.forRequests !== undefined) {
        burst = { mode: next, left: opts.forRequests };
        return;
      }
      burst = undefined;
      if (next.kind === 'refuse') await close();
      else if (!server) await listen();
      if (mode.kind === 'hang' && next.kind !== 'hang') { for (const sock of sockets) sock.destroy(); }
      mode = next;
    },
    stop: close,
  };
}
