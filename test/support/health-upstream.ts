// A cluster's load balancer as a health check sees it: a real HTTP (or HTTPS, or bare TCP)
// server on one loopback address whose behaviour the test switches at run time, and which
// records every request it got (time, path, Host, SNI, status sent).
import http from 'node:http';
import https from 'node:https';
import net from 'node:net';
import type { Socket } from 'node:net';
import type { TLSSocket } from 'node:tls';

/** ok: 200 "ok"; status: that status; body: 200 with that body; hang: accept, never answer; refuse: closed listener. */
export type UpstreamMode = { kind: 'ok' } | { kind: 'status'; status: number } | { kind: 'body'; body: string } | { kind: 'hang' } | { kind: 'refuse' };

export interface SeenRequest {
  at: number;
  path: string;
  host: string | undefined;
  servername: string | undefined;
  status: number | undefined;
  remoteAddress: string | undefined;
}

export interface HealthUpstream {
  readonly address: string;
  readonly port: number;
  readonly requests: SeenRequest[];
  /** Switches what the next requests get; `refuse` closes the listener, leaving it reopens it. */
  set(mode: UpstreamMode, opts?: { forRequests?: number }): Promise<void>;
  stop(): Promise<void>;
}

export async function startHealthUpstream(o: { address: string; port: number; tls?: { cert: string; key: string }; tcpOnly?: boolean }): Promise<HealthUpstream> {
  let mode: UpstreamMode = { kind: 'ok' };
  /** A temporary mode for a number of requests, then `mode` again. */
  let burst: { mode: UpstreamMode; left: number } | undefined;
  const requests: SeenRequest[] = [];
  const sockets = new Set<Socket>();
  const handler = (req: http.IncomingMessage, res: http.ServerResponse) => {
    let m = mode;
    if (burst) {
      m = burst.mode;
      if (--burst.left <= 0) burst = undefined;
    }
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
    address: o.address,
    port: o.port,
    requests,
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
