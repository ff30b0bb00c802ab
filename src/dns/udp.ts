/** DNS over UDP: one datagram in, at most one datagram out. */
import { createSocket, type Socket } from 'node:dgram';
import { isIP } from 'node:net';
import type { Logger } from '../kernel/index.js';
import type { QueryHandler } from './transport.js';

export class UdpListener {
  private socket: Socket | undefined;

  constructor(
    private readonly host: string,
    private readonly port: number,
    private readonly handle: QueryHandler,
    private readonly log: Logger,
  ) {}

  async start(): Promise<number> {
    const v6 = isIP(this.host) === 6;
    const socket = createSocket({
      type: v6 ? 'udp6' : 'udp4',
      ipv6Only: v6,
      // Replies go to rinfo.address, always an IP literal. The default lookup would still defer
      // every send through dns.lookup and a nextTick; answering at once is worth ~20% of qps.
      lookup: (address, _family, callback) => callback(null, address, v6 ? 6 : 4),
    });
    this.socket = socket;
    await new Promise<void>((resolve, reject) => {
      socket.once('error', reject);
      socket.bind(this.port, this.host, () => {
        socket.off('error', reject);
        resolve();
      });
    });
    // A send failure (EPERM from a firewall, ENOBUFS under load) concerns one datagram only.
    socket.on('error', (err) => this.log.warn({ err: err.message, transport: 'udp' }, 'udp socket error'));
    try {
      socket.setRecvBufferSize(4 * 1024 * 1024);
      socket.setSendBufferSize(4 * 1024 * 1024);
    } catch {
      // The kernel caps these (net.core.rmem_max); the defaults still work.
    }
    socket.on('message', (msg, rinfo) => {
      let out: Buffer | null;
      try {
        out = this.handle(msg, 0);
      } catch (err) {
        this.log.error({ err: String(err), transport: 'udp' }, 'query handling failed');
        return;
      }
      if (out) socket.send(out, rinfo.port, rinfo.address);
    });
    return socket.address().port;
  }

  async stop(): Promise<void> {
    const s = this.socket;
    this.socket = undefined;
    if (s) await new Promise<void>((resolve) => s.close(() => resolve()));
  }
}
