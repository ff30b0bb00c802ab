/**
 * The admin listener: `/metrics`, `/healthz`, `/readyz`, `/api/v1/status` and the dashboard at
 * `/`. Read-only: nothing served here changes the service, so it needs no authentication
 * beyond where it listens (127.0.0.1 by default).
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Logger } from '../kernel/index.js';
import { DASHBOARD_HTML } from './dashboard.js';
import type { Metrics } from './metrics.js';
import { isReady, type Readiness, type StatusReport } from './status.js';

export interface AdminServerOptions {
  host: string;
  port: number;
  metrics: Metrics;
  status: () => StatusReport;
  readiness: () => Readiness;
  logger?: Logger;
}

/**
 * The dashboard polls every second, possibly from several tabs: one report per this many ms
 * is enough, and keeps a large fleet's status from being rebuilt per request.
 */
const STATUS_CACHE_MS = 250;

export class AdminServer {
  private server: Server | undefined;
  private cached: { at: number; report: StatusReport } | undefined;

  constructor(private readonly opts: AdminServerOptions) {}

  async start(): Promise<AddressInfo> {
    const server = createServer((req, res) => void this.route(req, res));
    // Scrapes and polls are short; idle sockets should not hold shutdown up.
    server.keepAliveTimeout = 5_000;
    this.server = server;
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen({ host: this.opts.host, port: this.opts.port }, () => {
        server.off('error', reject);
        resolve();
      });
    });
    server.on('error', (e) => this.opts.logger?.warn({ err: e.message }, 'admin server error'));
    return server.address() as AddressInfo;
  }

  /** Stops accepting, closes idle connections, and drops the rest after `graceMs`. */
  async stop(graceMs = 1000): Promise<void> {
    const s = this.server;
    this.server = undefined;
    if (!s) return;
    const closed = new Promise<void>((resolve) => s.close(() => resolve()));
    s.closeIdleConnections();
    const timer = setTimeout(() => s.closeAllConnections(), graceMs);
    timer.unref();
    await closed;
    clearTimeout(timer);
  }

  private report(): StatusReport {
    const now = Date.now();
    if (!this.cached || now - this.cached.at >= STATUS_CACHE_MS) this.cached = { at: now, report: this.opts.status() };
    return this.cached.report;
  }

  private async route(req: IncomingMessage, res: ServerResponse): Promise<void> {
    try {
      const path = (req.url ?? '/').split('?')[0];
      if (req.method !== 'GET' && req.method !== 'HEAD') return send(res, 405, 'text/plain; charset=utf-8', 'method not allowed\n', { allow: 'GET, HEAD' });
      switch (path) {
        case '/metrics': {
          const { body, contentType } = await this.opts.metrics.text();
          return send(res, 200, contentType, body);
        }
        case '/healthz':
          return send(res, 200, 'text/plain; charset=utf-8', 'ok\n');
        case '/readyz': {
          const r = this.opts.readiness();
          return send(res, isReady(r) ? 200 : 503, 'application/json', JSON.stringify(r) + '\n');
        }
        case '/api/v1/status':
          return send(res, 200, 'application/json', JSON.stringify(this.report()) + '\n', { 'cache-control': 'no-store' });
        case '/':
        case '/index.html':
          return send(res, 200, 'text/html; charset=utf-8', DASHBOARD_HTML, { 'content-security-policy': "default-src 'self'; script-src 'unsafe-inline'; style-src 'unsafe-inline'" });
        default:
          return send(res, 404, 'text/plain; charset=utf-8', 'not found\n');
      }
    } catch (e) {
      this.opts.logger?.warn({ err: (e as Error).message, url: req.url }, 'admin request failed');
      if (!res.headersSent) send(res, 500, 'text/plain; charset=utf-8', 'internal error\n');
      else res.destroy();
    }
  }
}

function send(res: ServerResponse, status: number, type: string, body: string, headers: Record<string, string> = {}): void {
  res.writeHead(status, { 'content-type': type, 'content-length': Buffer.byteLength(body), ...headers });
  res.end(res.req.method === 'HEAD' ? undefined : body);
}
