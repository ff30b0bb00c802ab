// One DNS request as the provider sends it: signed with TSIG, to the first server that
// answers (the next only when one cannot be reached or times out, never after a DNS error),
// over UDP when it fits 512 octets and TCP otherwise or on TC, the reply's TSIG verified,
// and observed once per message sent. A caller's AbortSignal closes the exchange in flight
// and tries no other server.
import { randomInt } from 'node:crypto';
import type { Clock } from '../../src/kernel/index.js';
import type { ProviderCallObserver } from '../provider.js';
import { AbortedError, NetworkError, tcpExchange, udpExchange, type ServerAddress } from './transport.js';
import { signMessage, TsigError, TsigReplyVerifier, type TsigKey } from './tsig.js';
import { rcodeName, walkMessage, WireError, type MessageView } from './wire.js';

/** Largest message sent over UDP: DNS without EDNS (RFC 1035 §4.2.1). */
export const UDP_LIMIT = 512;

export interface DnsClientOptions {
  /** 'rfc2136 ns1': how errors start */
  label: string;
  /** the provider's name, for the observer */
  provider: string;
  servers: readonly ServerAddress[];
  key?: TsigKey;
  timeoutMs: number;
  /** The UDP reply timeout's timer. */
  clock: Clock;
  /** milliseconds since the epoch (TSIG time signed) */
  now: () => number;
  observe?: ProviderCallObserver;
}

/** A failed request: `code` is the rcode ('REFUSED'), the TSIG error ('BADSIG') or 'NETWORK'. */
export class Rfc2136Error extends Error {
  override readonly name = 'Rfc2136Error';
  constructor(
    message: string,
    readonly code: string,
    /** the DNS rcode of the reply, when there was one */
    readonly rcode?: string,
    /** the server that answered, as configured */
    readonly server?: string,
  ) {
    super(message);
  }
}

export interface Reply {
  server: ServerAddress;
  view: MessageView;
  message: Buffer;
  /** an error reply without a signature (the server did not know or accept the key): its rcode is reported, its content not used */
  unsigned?: boolean;
}

/** What each rcode means for a key that writes or reads one zone. */
export function explainRcode(rcode: string, operation: string): string {
  switch (rcode) {
    case 'REFUSED':
      return `REFUSED (the server does not allow this key or address to ${operation === 'AXFR' ? 'transfer' : 'update'} the zone)`;
    case 'NOTAUTH':
      return 'NOTAUTH (the server is not authoritative for the zone, or does not accept the key)';
    case 'NOTZONE':
      return 'NOTZONE (a name is outside the zone)';
    case 'NOTIMP':
      return `NOTIMP (the server does not implement ${operation})`;
    case 'SERVFAIL':
      return 'SERVFAIL (the server failed; see its log)';
    case 'FORMERR':
      return 'FORMERR (the server could not parse the message)';
    default:
      return rcode;
  }
}

export class DnsClient {
  constructor(private readonly o: DnsClientOptions) {
    if (o.servers.length === 0) throw new Error(`${o.label}: no servers`);
  }

  private nowSeconds = () => Math.floor(this.o.now() / 1000);

  /**
   * Sends a request built by `build(id)` and returns the (last) reply, whatever its rcode:
   * the caller decides what a rcode means. `stream` receives every verified reply of a
   * TCP stream (AXFR) and says when it is complete. Throws Rfc2136Error when no server
   * answers, or when the reply cannot be trusted (bad TSIG) or parsed; with code 'ABORTED'
   * once `signal` aborts (the exchange in flight is closed, no other server is tried).
   */
  async request(operation: string, what: string, build: (id: number) => Buffer, stream?: (reply: Buffer, view: MessageView) => 'more' | 'done', signal?: AbortSignal): Promise<Reply> {
    const failures: string[] = [];
    for (const server of this.o.servers) {
      const prefix = `${this.o.label} ${server.label}: ${what}`;
      try {
        return await this.once(operation, server, build, stream, prefix, signal);
      } catch (e) {
        if (e instanceof AbortedError) throw new Rfc2136Error(`${prefix}: ${e.message}`, 'ABORTED', undefined, server.label);
        if (!(e instanceof NetworkError)) throw e;
        failures.push(`${server.label}: ${e.message}`);
      }
    }
    const where = this.o.servers.length === 1 ? failures[0] : `no server answered: ${failures.join('; ')}`;
    throw new Rfc2136Error(`${this.o.label}: ${what}: ${where}`, 'NETWORK');
  }

  private async once(operation: string, server: ServerAddress, build: (id: number) => Buffer, stream: ((reply: Buffer, view: MessageView) => 'more' | 'done') | undefined, prefix: string, signal: AbortSignal | undefined): Promise<Reply> {
    const started = performance.now();
    let outcome: 'ok' | 'error' = 'error';
    try {
      const first = this.prepare(build);
      let reply: Reply | undefined;
      const udp = !stream && first.message.length <= UDP_LIMIT;
      if (udp) {
        const message = await udpExchange(server, first.message, this.o.timeoutMs, (m) => m.length >= 12 && m.readUInt16BE(0) === first.id && (m[2] & 0x80) !== 0, this.o.clock, signal);
        // Too big for UDP: ask again over TCP. A truncated reply is not used, so its signature is not checked.
        if (message.length >= 12 && (message[2] & 0x02) === 0) reply = this.check(message, first, server, prefix, operation);
      }
      if (!reply) {
        // After a truncated UDP reply: a new id and signature, so that no late UDP reply matches.
        const req = udp ? this.prepare(build) : first;
        let last: Reply | undefined;
        await tcpExchange(server, req.message, this.o.timeoutMs, (message) => {
          last = this.check(message, req, server, prefix, operation);
          if (!stream || last.view.rcode !== 0) return 'done';
          return stream(message, last.view);
        }, signal);
        if (!last) throw new NetworkError('no reply over TCP');
        req.verifier?.finish();
        reply = last;
      }
      if (reply.view.rcode === 0) outcome = 'ok';
      return reply;
    } finally {
      this.o.observe?.({ provider: this.o.provider, operation, outcome, ms: performance.now() - started });
    }
  }

  private prepare(build: (id: number) => Buffer): { id: number; message: Buffer; verifier?: TsigReplyVerifier } {
    const id = randomInt(0, 0x10000);
    const unsigned = build(id);
    if (!this.o.key) return { id, message: unsigned };
    const { message, mac } = signMessage(unsigned, this.o.key, this.nowSeconds());
    return { id, message, verifier: new TsigReplyVerifier(this.o.key, mac, this.nowSeconds) };
  }

  /** Parses a reply and checks its signature; a DNS error rcode is returned, not thrown. */
  private check(message: Buffer, req: { id: number; verifier?: TsigReplyVerifier }, server: ServerAddress, prefix: string, operation: string): Reply {
    let view: MessageView;
    try {
      view = walkMessage(message);
    } catch (e) {
      throw new Rfc2136Error(`${prefix}: malformed reply: ${(e as WireError).message}`, 'FORMERR', undefined, server.label);
    }
    if (view.id !== req.id || !view.qr) throw new Rfc2136Error(`${prefix}: reply does not match the request (id ${view.id}, expected ${req.id})`, 'FORMERR', undefined, server.label);
    if (req.verifier) {
      try {
        req.verifier.verify(message);
      } catch (e) {
        if (!(e instanceof TsigError) && !(e instanceof WireError)) throw e;
        const rcode = rcodeName(view.rcode);
        const code = e instanceof TsigError ? e.code : 'FORMERR';
        if (code === 'UNSIGNED' && view.rcode !== 0) return { server, view, message, unsigned: true };
        const credentials = ['BADSIG', 'BADKEY', 'BADTIME', 'BADTRUNC', 'BADALG'].includes(code);
        // An error reply the server could not sign (it did not know or accept our key) still
        // tells why; a NOERROR reply we cannot verify is not to be trusted.
        const why = credentials
          ? `${rcode} (bad TSIG key: ${code}: authentication failed; check the key name, algorithm and secret): ${e.message}`
          : view.rcode !== 0
          ? `${explainRcode(rcode, operation)}; the reply's signature does not verify: ${e.message}`
          : `the reply's signature does not verify: ${e.message}`;
        throw new Rfc2136Error(`${prefix}: ${why}`, credentials ? code : view.rcode !== 0 ? rcode : 'BADSIG', rcode, server.label);
      }
    }
    return { server, view, message };
  }
}
