// What the HTTP API simulators (route53-sim, alidns-sim, cloudflare-sim) share: a server on
// a free loopback port, and a per-second token bucket for their throttling.
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

export interface SimServer {
  port: number;
  /** Closes the server and every connection still open (keep-alive clients included). */
  stop(): Promise<void>;
}

/**
 * Serves `handle` on 127.0.0.1 at a free port. A handler that throws answers 500 with the
 * error text: a simulator bug shows in the client's error, not as a hung request.
 */
export async function listenOnLoopback(handle: (req: IncomingMessage, res: ServerResponse) => Promise<void>): Promise<SimServer> {
  const server = createServer((req, res) => {
    handle(req, res).catch((e: unknown) => {
      res.writeHead(500);
      res.end(String(e));
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    port: (server.address() as AddressInfo).port,
    stop: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

/**
 * A token bucket of `perSecond` requests a second (a burst of as many), on the simulator's
 * clock: each call takes a token and says whether there was one. Without a rate, always true.
 */
export function tokenBucket(perSecond: number | undefined, now: () => number): () => boolean {
  if (perSecond === undefined) return () => true;
  let tokens = perSecond;
  let tokensAt = now();
  return () => {
    const t = now();
    tokens = Math.min(perSecond, tokens + ((t - tokensAt) / 1000) * perSecond);
    tokensAt = t;
    if (tokens < 1) return false;
    tokens -= 1;
    return true;
  };
}
