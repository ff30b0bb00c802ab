// Sending one DNS message to one server and reading its reply: UDP (one datagram back) or
// TCP (length-framed, one or many messages back, as AXFR sends). Failures to reach the
// server are NetworkErrors, the one kind of failure that moves on to the next server. A
// caller's AbortSignal closes the exchange in flight (its socket) with an AbortedError.
import dgram from 'node:dgram';
import { lookup } from 'node:dns/promises';
import net from 'node:net';
import { systemClock } from '../../src/kernel/index.js';
import type { Clock } from '../../src/kernel/index.js';

/** A server as configured: '127.0.0.1:5300', '[::1]:53', '::1', 'ns2.example.org' (port 53). */
export interface ServerAddress {
  host: string;
  port: number;
  /** as written in the settings, for messages */
  label: string;
}

export function parseServer(text: string): ServerAddress {
  const s = text.trim();
  let host = s;
  let port = 53;
  const bracketed = /^\[([^\]]+)\](?::(\d+))?$/.exec(s);
  if (bracketed) {
    host = bracketed[1];
    if (bracketed[2] !== undefined) port = Number(bracketed[2]);
  } else if (net.isIPv6(s)) {
    host = s;
  } else {
    const m = /^([^:]+):(\d+)$/.exec(s);
    if (m) {
      host = m[1];
      port = Number(m[2]);
    }
  }
  if (host === '' || /[\s/:]/.test(host) && !net.isIPv6(host)) throw new Error(`server ${JSON.stringify(text)}: expected host, host:port or [ipv6]:port`);
  if (!Number.isInteger(port) || port < 1 || port > 65535) throw new Error(`server ${JSON.stringify(text)}: port must be 1..65535`);
  return { host, port, label: s };
}

/** The server could not be reached or did not answer in time. */
export class NetworkError extends Error {
  override readonly name = 'NetworkError';
}

/** The caller's signal aborted the exchange: no other server is tried. */
export class AbortedError extends Error {
  override readonly name = 'AbortedError';
  constructor() {
    super('aborted: the controller stopped');
  }
}

async function resolve(server: ServerAddress): Promise<{ address: string; family: 4 | 6 }> {
  const ip = net.isIP(server.host);
  if (ip !== 0) return { address: server.host, family: ip as 4 | 6 };
  try {
    const r = await lookup(server.host);
    return { address: r.address, family: r.family === 6 ? 6 : 4 };
  } catch (e) {
    throw new NetworkError(`cannot resolve ${server.host}: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`);
  }
}

/**
 * One datagram out, the first datagram back that `accept` takes (a reply with our id from
 * that address); others are ignored, as a stray or spoofed reply must not end the wait. The
 * wait is timed on `clock` (default systemClock; kept alive, the request awaits it). `signal`
 * closes the socket and rejects with an AbortedError.
 */
export async function udpExchange(server: ServerAddress, message: Buffer, timeoutMs: number, accept: (reply: Buffer) => boolean, clock: Clock = systemClock, signal?: AbortSignal): Promise<Buffer> {
  if (signal?.aborted) throw new AbortedError();
  const { address, family } = await resolve(server);
  if (signal?.aborted) throw new AbortedError();
  return new Promise((resolvePromise, reject) => {
    const sock = dgram.createSocket(family === 6 ? 'udp6' : 'udp4');
    let done = false;
    const onAbort = () => finish(new AbortedError());
    const finish = (err: Error | undefined, reply?: Buffer) => {
      if (done) return;
      done = true;
      timer.cancel();
      signal?.removeEventListener('abort', onAbort);
      sock.close();
      if (err) reject(err);
      else resolvePromise(reply!);
    };
    const timer = clock.setTimeout(() => finish(new NetworkError(`no reply over UDP within ${timeoutMs} ms (timed out)`)), timeoutMs, { keepAlive: true });
    signal?.addEventListener('abort', onAbort, { once: true });
    sock.on('message', (msg, rinfo) => {
      if (rinfo.address === address && rinfo.port === server.port && accept(msg)) finish(undefined, msg);
    });
    // ICMP port unreachable surfaces as ECONNREFUSED on a connected socket.
    sock.on('error', (e: NodeJS.ErrnoException) => finish(new NetworkError(`UDP ${e.code ?? e.message}`)));
    sock.connect(server.port, address, () => {
      sock.send(message, (e) => e && finish(new NetworkError(`UDP send: ${(e as NodeJS.ErrnoException).code ?? e.message}`)));
    });
  });
}

/**
 * One framed message out over a new TCP connection; every framed reply goes to `onReply`
 * until it returns 'done'. `timeoutMs` bounds the connect and each wait for more bytes, so a
 * long zone transfer that keeps flowing is not cut off: the socket's own inactivity timer
 * (`socket.setTimeout`, reset by Node on every byte), not a kernel clock timer. `signal`
 * destroys the connection and rejects with an AbortedError.
 */
export async function tcpExchange(server: ServerAddress, message: Buffer, timeoutMs: number, onReply: (reply: Buffer) => 'more' | 'done', signal?: AbortSignal): Promise<void> {
  if (message.length > 0xffff) throw new Error(`message of ${message.length} bytes is larger than TCP allows (65535)`);
  if (signal?.aborted) throw new AbortedError();
  const { address } = await resolve(server);
  if (signal?.aborted) throw new AbortedError();
  return new Promise((resolvePromise, reject) => {
    const sock = net.connect({ host: address, port: server.port });
    let buf = Buffer.alloc(0);
    let done = false;
    const onAbort = () => finish(new AbortedError());
    signal?.addEventListener('abort', onAbort, { once: true });
    const finish = (err?: Error) => {
      if (done) return;
      done = true;
      signal?.removeEventListener('abort', onAbort);
      sock.destroy();
      if (err) reject(err);
      else resolvePromise();
    };
    sock.setTimeout(timeoutMs, () => finish(new NetworkError(`no reply over TCP within ${timeoutMs} ms (timed out)`)));
    sock.setNoDelay(true);
    sock.on('connect', () => {
      const len = Buffer.alloc(2);
      len.writeUInt16BE(message.length);
      sock.write(Buffer.concat([len, message]));
    });
    sock.on('data', (d) => {
      buf = buf.length === 0 ? d : Buffer.concat([buf, d]);
      while (!done && buf.length >= 2) {
        const len = buf.readUInt16BE(0);
        if (buf.length < 2 + len) break;
        const reply = buf.subarray(2, 2 + len);
        buf = buf.subarray(2 + len);
        try {
          if (onReply(reply) === 'done') finish();
        } catch (e) {
          finish(e as Error);
        }
      }
    });
    sock.on('error', (e: NodeJS.ErrnoException) => finish(new NetworkError(`TCP ${e.code ?? e.message}`)));
    sock.on('close', () => finish(new NetworkError('the server closed the TCP connection before the reply was complete')));
  });
}
