// Stand-ins on 127.0.0.1 for the server-selection tests: a server that takes requests and
// never answers (a dead primary that still accepts packets), and a front that answers every
// UDP request with TC=1 and passes TCP through to a real daemon.
import dgram from 'node:dgram';
import net from 'node:net';
import { freePort } from '../../support/ports.js';

export interface SilentServer {
  port: number;
  /** datagrams received */
  udp: number;
  /** TCP connections accepted */
  tcp: number;
  close(): Promise<void>;
}

/** Listens on UDP and TCP, counts what arrives, answers nothing. */
export async function startSilentServer(): Promise<SilentServer> {
  const port = await freePort({ ipv6: false });
  const udp = dgram.createSocket('udp4');
  const sockets = new Set<net.Socket>();
  const server: SilentServer = {
    port,
    udp: 0,
    tcp: 0,
    close: async () => {
      udp.close();
      for (const s of sockets) s.destroy();
      await new Promise<void>((r) => tcp.close(() => r()));
    },
  };
  udp.on('message', () => server.udp++);
  const tcp = net.createServer((s) => {
    server.tcp++;
    sockets.add(s);
    s.on('error', () => {});
    s.on('close', () => sockets.delete(s));
  });
  await new Promise<void>((r) => udp.bind(port, '127.0.0.1', () => r()));
  await new Promise<void>((r) => tcp.listen(port, '127.0.0.1', () => r()));
  return server;
}

export interface TruncatingFront {
  port: number;
  /** UDP requests answered with TC=1 */
  truncated: number;
  /** TCP connections passed to the real server */
  passed: number;
  close(): Promise<void>;
}

/** UDP: the request's header back with QR and TC set and no records; TCP: piped to `target`. */
export async function startTruncatingFront(target: number): Promise<TruncatingFront> {
  const port = await freePort({ ipv6: false });
  const udp = dgram.createSocket('udp4');
  const sockets = new Set<net.Socket>();
  const front: TruncatingFront = {
    port,
    truncated: 0,
    passed: 0,
    close: async () => {
      udp.close();
      for (const s of sockets) s.destroy();
      await new Promise<void>((r) => tcp.close(() => r()));
    },
  };
  udp.on('message', (m, rinfo) => {
    if (m.length < 12) return;
    const reply = Buffer.alloc(12);
    m.copy(reply, 0, 0, 4);
    reply[2] |= 0x82; // QR, TC
    front.truncated++;
    udp.send(reply, rinfo.port, rinfo.address);
  });
  const tcp = net.createServer((client) => {
    front.passed++;
    const upstream = net.connect({ host: '127.0.0.1', port: target });
    for (const s of [client, upstream]) {
      sockets.add(s);
      s.on('error', () => {});
      s.on('close', () => sockets.delete(s));
    }
    client.pipe(upstream).pipe(client);
    client.on('close', () => upstream.destroy());
    upstream.on('close', () => client.destroy());
  });
  await new Promise<void>((r) => udp.bind(port, '127.0.0.1', () => r()));
  await new Promise<void>((r) => tcp.listen(port, '127.0.0.1', () => r()));
  return front;
}
