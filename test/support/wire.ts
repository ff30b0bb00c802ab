// Raw DNS clients over node:dgram / node:net with dns-packet, for tests that must craft
// packets dig cannot send (QDCOUNT=2, QR=1, garbage) or that time replies precisely.
import dgram from 'node:dgram';
import net from 'node:net';
import dnsPacket from 'dns-packet';

export interface QueryBuildOptions {
  id?: number;
  type?: string;
  rd?: boolean;
  /** add an OPT record with this UDP payload size */
  edns?: number;
}

/** A standard query as wire bytes. */
export function buildQuery(name: string, opts: QueryBuildOptions = {}): Buffer {
  const id = opts.id ?? Math.floor(Math.random() * 65536);
  const packet: dnsPacket.Packet = {
    type: 'query',
    id,
    flags: opts.rd === false ? 0 : dnsPacket.RECURSION_DESIRED,
    questions: [{ type: (opts.type ?? 'A') as dnsPacket.RecordType, name, class: 'IN' }],
  };
  if (opts.edns !== undefined) {
    packet.additionals = [{ type: 'OPT', name: '.', udpPayloadSize: opts.edns, extendedRcode: 0, ednsVersion: 0, flags: 0, options: [] } as unknown as dnsPacket.Answer];
  }
  return dnsPacket.encode(packet);
}

export function hostFamily(host: string): 'udp4' | 'udp6' {
  return net.isIPv6(host) ? 'udp6' : 'udp4';
}

/**
 * Send one datagram and wait for the first reply (any content) or the timeout.
 * Resolves null on timeout. Time is measured from send to reply.
 */
export function udpExchange(port: number, payload: Buffer, opts: { host?: string; timeoutMs?: number } = {}): Promise<{ reply: Buffer; ms: number } | null> {
  const host = opts.host ?? '127.0.0.1';
  const timeoutMs = opts.timeoutMs ?? 1000;
  return new Promise((resolve) => {
    const sock = dgram.createSocket(hostFamily(host));
    let done = false;
    const finish = (v: { reply: Buffer; ms: number } | null) => {
      if (done) return;
      done = true;
      clearTimeout(timer);
      sock.close();
      resolve(v);
    };
    const timer = setTimeout(() => finish(null), timeoutMs);
    let t0 = 0n;
    sock.on('message', (msg) => finish({ reply: msg, ms: Number(process.hrtime.bigint() - t0) / 1e6 }));
    sock.on('error', () => finish(null));
    t0 = process.hrtime.bigint();
    sock.send(payload, port, host, (err) => err && finish(null));
  });
}

/** Frame a DNS message for TCP (2-byte length prefix). */
export function tcpFrame(msg: Buffer): Buffer {
  const len = Buffer.alloc(2);
  len.writeUInt16BE(msg.length);
  return Buffer.concat([len, msg]);
}

/** Split a TCP byte stream into complete DNS messages; returns the messages and the remainder. */
export function tcpUnframe(buf: Buffer): { messages: Buffer[]; rest: Buffer } {
  const messages: Buffer[] = [];
  let off = 0;
  while (buf.length - off >= 2) {
    const len = buf.readUInt16BE(off);
    if (buf.length - off - 2 < len) break;
    messages.push(buf.subarray(off + 2, off + 2 + len));
    off += 2 + len;
  }
  return { messages, rest: buf.subarray(off) };
}

/**
 * Open a TCP connection, write `data` in one write, collect `expect` framed replies
 * (or stop at timeout / close). Time is measured from connect to the last reply.
 */
export function tcpExchange(
  port: number,
  data: Buffer,
  opts: { host?: string; expect?: number; timeoutMs?: number } = {},
): Promise<{ replies: Buffer[]; ms: number; closed: boolean }> {
  const host = opts.host ?? '127.0.0.1';
  const expect = opts.expect ?? 1;
  const timeoutMs = opts.timeoutMs ?? 1000;
  return new Promise((resolve) => {
    const t0 = process.hrtime.bigint();
    const sock = net.connect({ port, host });
    let buf: Buffer = Buffer.alloc(0);
    const replies: Buffer[] = [];
    let done = false;
    let closed = false;
    const finish = () => {
      if (done) return;
      done = true;
      clearTimeout(timer);
      sock.destroy();
      resolve({ replies, ms: Number(process.hrtime.bigint() - t0) / 1e6, closed });
    };
    const timer = setTimeout(finish, timeoutMs);
    sock.setNoDelay(true);
    sock.on('connect', () => sock.write(data));
    sock.on('data', (d) => {
      buf = Buffer.concat([buf, d]);
      const { messages, rest } = tcpUnframe(buf);
      buf = rest;
      replies.push(...messages);
      if (replies.length >= expect) finish();
    });
    sock.on('close', () => {
      closed = true;
      finish();
    });
    sock.on('error', () => {
      closed = true;
      finish();
    });
  });
}

export function decode(buf: Buffer): dnsPacket.Packet & { rcode?: string; flag_aa?: boolean; flag_tc?: boolean; flag_ra?: boolean; opcode?: string } {
  return dnsPacket.decode(buf);
}

/** rcode (low 4 bits of the header) and opcode straight from the header bytes. */
export function headerOf(buf: Buffer): { id: number; qr: boolean; opcode: number; aa: boolean; tc: boolean; rd: boolean; ra: boolean; rcode: number; qd: number; an: number; ns: number; ar: number } {
  const f = buf.readUInt16BE(2);
  return {
    id: buf.readUInt16BE(0),
    qr: !!(f & 0x8000),
    opcode: (f >> 11) & 0xf,
    aa: !!(f & 0x0400),
    tc: !!(f & 0x0200),
    rd: !!(f & 0x0100),
    ra: !!(f & 0x0080),
    rcode: f & 0xf,
    qd: buf.readUInt16BE(4),
    an: buf.readUInt16BE(6),
    ns: buf.readUInt16BE(8),
    ar: buf.readUInt16BE(10),
  };
}

export interface WaitOptions {
  port: number;
  host?: string;
  name: string;
  type?: string;
  timeoutMs?: number;
  /** return a reason string when the server is known to be dead, to fail fast */
  isDead?: () => string | undefined;
  /** accept only replies for which this returns true (default: any reply with QR=1 and our id) */
  accept?: (reply: Buffer) => boolean;
}

/**
 * One UDP query per call (a new id each time, 200 ms for the reply): true when the server
 * answered it, and `accept` likes the reply.
 */
export function dnsProbe(o: Pick<WaitOptions, 'port' | 'host' | 'name' | 'type' | 'accept'>): () => Promise<boolean> {
  let attempt = 0;
  return async () => {
    const id = (attempt++ * 7919 + 1) & 0xffff;
    const res = await udpExchange(o.port, buildQuery(o.name, { id, type: o.type ?? 'SOA', rd: false }), { host: o.host, timeoutMs: 200 });
    if (!res || res.reply.length < 12) return false;
    const h = headerOf(res.reply);
    return h.qr && h.id === id && (o.accept ? o.accept(res.reply) : true);
  };
}

/** Poll with UDP queries until the server answers (default: any rcode) or time runs out. */
export async function waitForDns(o: WaitOptions): Promise<void> {
  const deadline = Date.now() + (o.timeoutMs ?? 10_000);
  const probe = dnsProbe(o);
  while (Date.now() < deadline) {
    const dead = o.isDead?.();
    if (dead) throw new Error(dead);
    const sent = Date.now();
    if (await probe()) return;
    if (Date.now() - sent < 200) await new Promise((r) => setTimeout(r, 50)); // a timeout has waited already
  }
  const dead = o.isDead?.();
  throw new Error(dead ?? `no DNS answer for ${o.name} ${o.type ?? 'SOA'} on port ${o.port} within ${o.timeoutMs ?? 10_000} ms`);
}
