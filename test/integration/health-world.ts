// Shared pieces of the health tests that run the real CLI (issue 13): loopback HTTP upstreams
// standing for the clusters' load balancers, whose health endpoint a test turns good or bad
// (or whose server it closes), and the health transitions globaldns logs.
import http from 'node:http';
import type { Socket } from 'node:net';
import { killServer, listenOn, trackSockets } from '../support/tcp-server.js';

/** The path the entries' health checks GET. */
export const HEALTH_PATH = '/healthz';

/** One cluster's load balancer: `/healthz` answers 200 or 503 as told; any other path its name. */
export interface HealthUpstream {
  readonly name: string;
  readonly host: string;
  readonly port: number;
  /** What `/healthz` answers now: 200 (`ok`) or 503 (`fail`). */
  health: 'ok' | 'fail';
  /** When set, decides each probe's answer in turn instead of `health` (a script per probe). */
  script?: () => 'ok' | 'fail';
  /** Every health probe received: when (Date.now()) and what it was answered. */
  readonly probes: { at: number; status: number }[];
  /** Requests to any other path: the traffic the proxy sent here. */
  hits: number;
  readonly listening: boolean;
  start(): Promise<void>;
  /** Closes the listener and cuts every connection, as a dead load balancer would. */
  stop(): Promise<void>;
}

export function healthUpstream(name: string, host: string, port: number): HealthUpstream {
  let server: http.Server | undefined;
  const sockets = new Set<Socket>();
  const u: HealthUpstream = {
    name,
    host,
    port,
    health: 'ok',
    probes: [],
    hits: 0,
    get listening() {
      return server !== undefined;
    },
    async start() {
      const s = http.createServer((req, res) => {
        if (req.url === HEALTH_PATH) {
          const status = (u.script ? u.script() : u.health) === 'ok' ? 200 : 503;
          u.probes.push({ at: Date.now(), status });
          res.writeHead(status, { 'content-type': 'text/plain' });
          res.end(status === 200 ? 'ok' : 'unavailable');
          return;
        }
        u.hits++;
        res.writeHead(200, { 'content-type': 'text/plain', 'x-upstream': name });
        res.end(name);
      });
      trackSockets(s, sockets);
      await listenOn(s, port, host);
      server = s;
    },
    async stop() {
      if (!server) return;
      const s = server;
      server = undefined;
      await killServer(s, sockets);
    },
  };
  return u;
}

/** A health transition as globaldns logged it. */
export interface Transition {
  /** Date.parse of the log line's time. */
  at: number;
  address: string;
  to: string;
  from: string;
}

/** The endpoint health transitions in globaldns's log (`endpoint down`, `endpoint up again`, `endpoint judged`). */
export function transitions(logs: string): Transition[] {
  const out: Transition[] = [];
  for (const line of logs.split('\n')) {
    if (!line.startsWith('{')) continue;
    let j: Record<string, unknown>;
    try {
      j = JSON.parse(line) as Record<string, unknown>;
    } catch {
      continue;
    }
    if (j.module !== 'health' || typeof j.msg !== 'string' || !j.msg.startsWith('endpoint ')) continue;
    out.push({ at: Date.parse(String(j.time)), address: String(j.address), to: String(j.to), from: String(j.from) });
  }
  return out;
}

/** The last lines of a log, for failure messages. */
export function tail(logs: string, n = 40): string {
  return logs.split('\n').slice(-n).join('\n');
}
