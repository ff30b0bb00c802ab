// Free port discovery for launchers: a port is only handed out when both a UDP
// and a TCP socket could bind it, so DNS servers can listen on both.
import dgram from 'node:dgram';
import net from 'node:net';

function bindUdp(port: number, host: string, type: 'udp4' | 'udp6'): Promise<dgram.Socket> {
  return new Promise((resolve, reject) => {
    const sock = dgram.createSocket({ type, reuseAddr: false });
    sock.once('error', (err) => {
      sock.close();
      reject(err);
    });
    sock.bind({ port, address: host, exclusive: true }, () => resolve(sock));
  });
}

function listenTcp(port: number, host: string): Promise<net.Server> {
  return new Promise((resolve, reject) => {
    const srv = net.createServer();
    srv.once('error', reject);
    srv.listen({ port, host, exclusive: true }, () => resolve(srv));
  });
}

function closeAll(udp: dgram.Socket[], tcp: net.Server[]): Promise<void> {
  for (const s of udp) {
    try {
      s.close();
    } catch {
      /* already closed */
    }
  }
  return Promise.all(tcp.map((s) => new Promise<void>((r) => s.close(() => r())))).then(() => undefined);
}

export interface FreePortOptions {
  /** also require the port to be free on ::1 (default true) */
  ipv6?: boolean;
  /** attempts before giving up (default 50) */
  attempts?: number;
}

/** A port number free for UDP and TCP on 127.0.0.1 (and ::1 unless ipv6: false). */
export async function freePort(opts: FreePortOptions = {}): Promise<number> {
  const ipv6 = opts.ipv6 ?? true;
  const attempts = opts.attempts ?? 50;
  let lastErr: unknown;
  for (let i = 0; i < attempts; i++) {
    const udp: dgram.Socket[] = [];
    const tcp: net.Server[] = [];
    try {
      const first = await bindUdp(0, '127.0.0.1', 'udp4');
      udp.push(first);
      const port = first.address().port;
      tcp.push(await listenTcp(port, '127.0.0.1'));
      if (ipv6) {
        udp.push(await bindUdp(port, '::1', 'udp6'));
        tcp.push(await listenTcp(port, '::1'));
      }
      await closeAll(udp, tcp);
      return port;
    } catch (err) {
      lastErr = err;
      await closeAll(udp, tcp);
    }
  }
  throw new Error(`freePort: no free UDP+TCP port after ${attempts} attempts: ${String(lastErr)}`);
}

/** n distinct free ports. */
export async function freePorts(n: number, opts: FreePortOptions = {}): Promise<number[]> {
  const out = new Set<number>();
  let guard = 0;
  while (out.size < n && guard++ < n * 20) out.add(await freePort(opts));
  if (out.size < n) throw new Error(`freePorts: could only find ${out.size} of ${n}`);
  return [...out];
}
