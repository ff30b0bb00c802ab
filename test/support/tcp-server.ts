// Start and kill helpers for the upstream servers tests stand up (node:http or net): listen
// and wait for it, and a stop that cuts every open connection at once, as a dead upstream
// would, instead of waiting for keep-alive connections to drain.
import type { Server, Socket } from 'node:net';

/** Tracks the server's connections, for `killServer`. */
export function trackSockets(server: Server, sockets: Set<Socket>): void {
  server.on('connection', (s: Socket) => {
    sockets.add(s);
    s.once('close', () => sockets.delete(s));
  });
}

export function listenOn(server: Server, port: number, host: string): Promise<void> {
  return new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => {
      server.off('error', reject);
      resolve();
    });
  });
}

/** Cuts every connection, then waits for the server to close. */
export async function killServer(server: Server, sockets: Set<Socket>): Promise<void> {
  for (const sock of sockets) sock.destroy();
  await new Promise<void>((resolve) => server.close(() => resolve()));
}
