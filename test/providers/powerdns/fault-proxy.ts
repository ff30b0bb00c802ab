// A tiny HTTP proxy in front of the real PowerDNS API that can answer in its place: a 5xx, a
// garbage body, silence (a hung server) or a rewritten body. Every request is recorded.
import http from 'node:http';
import type { AddressInfo } from 'node:net';

export type Fault =
  | { kind: 'pass' }
  | { kind: 'status'; status: number; body?: string }
  | { kind: 'hang' }
  /** Forward, then replace the upstream's body when its status is `status`. */
  | { kind: 'rewrite'; status: number; body: string };

export interface ProxiedCall {
  method: string;
  path: string;
  status: number;
  fault: Fault['kind'];
}

export interface FaultProxy {
  url: string;
  calls: ProxiedCall[];
  /** Decides each request's fault; called in request order with the 0-based request number. */
  setFaults(f: (n: number, method: string, path: string) => Fault): void;
  stop(): Promise<void>;
}

export async function startFaultProxy(upstream: string): Promise<FaultProxy> {
  const target = new URL(upstream);
  let decide: (n: number, method: string, path: string) => Fault = () => ({ kind: 'pass' });
  let n = 0;
  const calls: ProxiedCall[] = [];
  const hung = new Set<http.ServerResponse>();
  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const method = req.method ?? 'GET';
      const path = req.url ?? '/';
      const fault = decide(n++, method, path);
      const record = (status: number) => calls.push({ method, path, status, fault: fault.kind });
      if (fault.kind === 'hang') {
        record(0);
        hung.add(res);
        return;
      }
      if (fault.kind === 'status') {
        record(fault.status);
        res.writeHead(fault.status, { 'content-type': 'application/json' }).end(fault.body ?? JSON.stringify({ error: 'injected fault' }));
        return;
      }
      const up = http.request(
        { host: target.hostname, port: target.port, method, path, headers: { ...req.headers, host: target.host } },
        (upRes) => {
          const body: Buffer[] = [];
          upRes.on('data', (c: Buffer) => body.push(c));
          upRes.on('end', () => {
            const status = upRes.statusCode ?? 502;
            record(status);
            const rewrite = fault.kind === 'rewrite' && fault.status === status;
            const headers = { ...upRes.headers };
            delete headers['content-length'];
            res.writeHead(status, headers).end(rewrite ? fault.body : Buffer.concat(body));
          });
        },
      );
      up.on('error', (e) => {
        record(502);
        res.writeHead(502).end(e.message);
      });
      up.end(Buffer.concat(chunks));
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    calls,
    setFaults(f) {
      decide = f;
      n = 0;
    },
    async stop() {
      for (const res of hung) res.destroy();
      server.closeAllConnections();
      await new Promise<void>((r) => server.close(() => r()));
    },
  };
}
