/** The embedded authoritative DNS server: a Responder behind UDP and TCP listeners. */
import { silentLogger, type Logger } from '../kernel/index.js';
import { Responder } from './responder.js';
import { QueryStats } from './stats.js';
import { TcpListener } from './tcp.js';
import { UdpListener } from './udp.js';
import type { ZoneStore } from './zone-store.js';

export interface ListenAddress {
  host: string;
  port: number;
}

export interface DnsServerOptions {
  zones: ZoneStore;
  listen: ListenAddress[];
  udpPayloadMax?: number;
  tcpIdleTimeoutMs?: number;
  maxTcpConnections?: number;
  logger?: Logger;
}

export class DnsServer {
  readonly responder: Responder;
  /** Per-(rcode, type) counts and sampled latency, read by the metrics endpoint. */
  readonly stats = new QueryStats();
  private readonly udp: UdpListener[] = [];
  private readonly tcp: TcpListener[] = [];
  private bound: { host: string; port: number; transport: 'udp' | 'tcp' }[] = [];
  private readonly log: Logger;

  constructor(private readonly opts: DnsServerOptions) {
    this.log = opts.logger ?? silentLogger;
    this.responder = new Responder(opts.zones, { udpPayloadMax: opts.udpPayloadMax });
  }

  /** Binds every address on UDP and TCP. Port 0 picks one free port shared by both. */
  async start(): Promise<void> {
    const handle = this.stats.wrap((msg: Buffer, max: number) => this.responder.respond(msg, max));
    try {
      for (const { host, port } of this.opts.listen) {
        const tcp = new TcpListener(host, port, handle, this.log, {
          idleTimeoutMs: this.opts.tcpIdleTimeoutMs ?? 10_000,
          maxConnections: this.opts.maxTcpConnections ?? 2048,
        });
        const tcpPort = await tcp.start();
        this.tcp.push(tcp);
        const udp = new UdpListener(host, tcpPort, handle, this.log);
        const udpPort = await udp.start();
        this.udp.push(udp);
        this.bound.push({ host, port: udpPort, transport: 'udp' }, { host, port: tcpPort, transport: 'tcp' });
      }
    } catch (err) {
      await this.stop();
      throw err;
    }
  }

  async stop(): Promise<void> {
    await Promise.all([...this.udp.map((l) => l.stop()), ...this.tcp.map((l) => l.stop())]);
    this.udp.length = 0;
    this.tcp.length = 0;
    this.bound = [];
  }

  addresses(): { host: string; port: number; transport: 'udp' | 'tcp' }[] {
    return [...this.bound];
  }
}
