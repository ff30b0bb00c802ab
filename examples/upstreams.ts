// The demo's stand-ins for the two clusters' ingresses: one small HTTP server per cluster, each on
// its own loopback address (Linux answers every address of 127.0.0.0/8 without configuration),
// at the port examples/globaldns.yaml proxies to and health-checks. `npm start` runs them beside
// globaldns (examples/demo.ts); `node dist/examples/upstreams.js` runs them alone.
//
//   GET  /healthz  200 "ok"                      what globaldns probes
//   GET  /…        200 "hello from <cluster>"    what the proxy forwards
//   POST /fail     from now on every request (the probe too) gets 503: the cluster is down
//   POST /recover  back to normal
//
//   curl -X POST http://127.0.0.11:8081/fail      # east goes down; /recover brings it back
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { fileURLToPath } from 'node:url';

/** The clusters of examples/clusters/: the load-balancer address each one's Ingress reports. */
export const DEMO_UPSTREAMS: readonly { cluster: string; address: string }[] = [
  { cluster: 'east', address: '127.0.0.11' },
  { cluster: 'west', address: '127.0.0.12' },
];

/** The entry's `proxy.upstreamPort` (and so its health check's port) in examples/globaldns.yaml. */
export const DEMO_UPSTREAM_PORT = 8081;

export interface Upstreams {
  /** `http://127.0.0.11:8081` per cluster. */
  urls: Record<string, string>;
  close(): Promise<void>;
}

function upstream(cluster: string): http.Server {
  let failing = false;
  return http.createServer((req, res) => {
    const path = (req.url ?? '/').split('?')[0];
    const send = (status: number, body: string) => {
      res.writeHead(status, { 'content-type': 'text/plain; charset=utf-8', 'content-length': Buffer.byteLength(body), 'x-demo-cluster': cluster });
      res.end(body);
    };
    req.resume();
    if (req.method === 'POST' && (path === '/fail' || path === '/recover')) {
      failing = path === '/fail';
      console.log(`upstream ${cluster}: ${failing ? 'failing: every request gets 503 now' : 'recovered'}`);
      return send(200, `${cluster} ${failing ? 'is failing (503 on every request)' : 'recovered'}\n`);
    }
    if (failing) return send(503, `${cluster} is down\n`);
    if (path === '/healthz') return send(200, 'ok\n');
    send(200, `hello from ${cluster}\n`);
  });
}

function listen(server: http.Server, host: string, port: number): Promise<void> {
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen({ host, port, exclusive: true }, () => {
      server.off('error', reject);
      resolve();
    });
  });
}

const closeServer = (s: http.Server) =>
  new Promise<void>((resolve) => {
    s.close(() => resolve());
    s.closeAllConnections();
  });

/** Starts one upstream per cluster; rejects (with every started one closed again) when an address is taken. */
export async function startUpstreams(port = DEMO_UPSTREAM_PORT, upstreams = DEMO_UPSTREAMS): Promise<Upstreams> {
  const started: http.Server[] = [];
  const urls: Record<string, string> = {};
  try {
    for (const { cluster, address } of upstreams) {
      const server = upstream(cluster);
      await listen(server, address, port);
      started.push(server);
      urls[cluster] = `http://${address}:${(server.address() as AddressInfo).port}`;
    }
  } catch (e) {
    await Promise.all(started.map(closeServer));
    throw new Error(`the demo upstreams cannot listen on ${upstreams.map((u) => `${u.address}:${port}`).join(' and ')}: ${(e as Error).message}`);
  }
  return { urls, close: () => Promise.all(started.map(closeServer)).then(() => undefined) };
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const u = await startUpstreams();
  for (const [cluster, url] of Object.entries(u.urls)) console.log(`upstream ${cluster}: ${url}  (POST ${url}/fail, ${url}/recover)`);
  const stop = () => void u.close().then(() => process.exit(0));
  process.once('SIGINT', stop);
  process.once('SIGTERM', stop);
}
