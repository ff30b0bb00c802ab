/**
 * DNS over TCP per RFC 7766: two-octet length framing, pipelined queries answered as they are
 * read, an idle timeout, and a cap on connections. At the cap, the connection idle the longest
 * is closed to make room (§6.2.3), so a flood of idle connections cannot lock clients out.
 */
import { createServer, type Server, type Socket } from 'node:net';
import type { Logger } from '../kernel/index.js';
import type { QueryHandler } from './transport.js';
import { TCP_MAX } from './responder.js';

export interface TcpOptions {
  idleTimeoutMs: number;
  maxConnections: number;
}

/** Stop reading from a client that does not read its answers past this many queued bytes. */
const MAX_QUEUED_WRITE = 1 << 20;

export class TcpListener {
  private server: Server | undefined;
  /** Open connections, least recently active first (re-inserted on activity). */
  private readonly connections = new Set<Socket>();

  constructor(
    private readonly host: string,
    private readonly port: number,
    private readonly handle: QueryHandler,
    private readonly log: Logger,
    private readonly opts: TcpOptions,
  ) {}

  async start(): Promise<number> {
    const server = createServer({ noDelay: true }, (socket) => this.accept(socket));
    this.server = server;
    server.on('error', (err) => this.log.warn({ err: err.message, transport: 'tcp' }, 'tcp server error'));
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen({ port: this.port, host: this.host, ipv6Only: this.host.includes(':'), backlog: 1024 }, () => {
        server.off('error', reject);
        resolve();
      });
    });
    const addr = server.address();
    return typeof addr === 'object' && addr ? addr.port : this.port;
  }

  async stop(): Promise<void> {
    const s = this.server;
    this.server = undefined;
    for (const c of this.connections) c.destroy();
    this.connections.clear();
    if (s) await new Promise<void>((resolve) => s.close(() => resolve()));
  }

  get connectionCount(): number {
    return this.connections.size;
  }

  private touch(socket: Socket): void {
    this.connections.delete(socket);
    this.connections.add(socket);
  }

  private accept(socket: Socket): void {
    if (this.connections.size >= this.opts.maxConnections) {
      const oldest = this.connections.values().next().value;
      if (oldest) {
        this.connections.delete(oldest);
        oldest.destroy();
      }
    }
    this.connections.add(socket);
    socket.setTimeout(this.opts.idleTimeoutMs, () => socket.destroy());
    socket.on('error', () => socket.destroy()); // resets are routine; nothing to report per client
    socket.on('close', () => this.connections.delete(socket));

    let pending: Buffer | undefined;
    socket.on('data', (chunk: Buffer) => {
      this.touch(socket);
      let buf = pending ? Buffer.concat([pending, chunk]) : chunk;
      pending = undefined;
      let off = 0;
      while (buf.length - off >= 2) {
        const len = buf.readUInt16BE(off);
        if (len === 0) {
          // An empty message is not a DNS message; nothing sane can follow it on this stream.
          socket.destroy();
          return;
        }
        if (buf.length - off - 2 < len) break;
        const frame = buf.subarray(off + 2, off + 2 + len);
        off += 2 + len;
        this.answer(socket, frame);
        if (socket.destroyed) return;
      }
      if (off < buf.length) pending = Buffer.from(buf.subarray(off)); // copy: don't pin the whole chunk
      buf = Buffer.alloc(0);
      if (socket.writableLength > MAX_QUEUED_WRITE) {
        socket.pause();
        socket.once('drain', () => socket.resume());
      }
    });
  }

  private answer(socket: Socket, frame: Buffer): void {
    let out: Buffer | null;
    try {
      out = this.handle(frame, TCP_MAX);
    } catch (err) {
      this.log.error({ err: String(err), transport: 'tcp' }, 'query handling failed');
      return;
    }
    if (!out) return;
    const framed = Buffer.allocUnsafe(out.length + 2);
    framed.writeUInt16BE(out.length, 0);
    out.copy(framed, 2);
    socket.write(framed);
  }
}
