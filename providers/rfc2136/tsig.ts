// TSIG (RFC 8945): signing requests and verifying the replies, with node:crypto HMACs.
//
// What is MAC'd (§4.3): for a request, the message as it is without its TSIG RR followed by
// the TSIG variables (key name and algorithm name in canonical wire form, class ANY, TTL 0,
// time signed, fudge, error, other data). A reply's MAC covers the request's MAC first
// (2-octet length + MAC). In a multi-message reply (AXFR over TCP) every later signed
// message covers the previous MAC, the unsigned messages since then, itself, and only the
// timers (time signed, fudge) — §4.3.1. The message digested always carries the original
// id and an ARCOUNT without the TSIG RR.
import { createHmac, timingSafeEqual } from 'node:crypto';
import { CLASS, decodeName, encodeName, encodeRR, rcodeName, TYPE, walkMessage, WireError } from './wire.js';

export const TSIG_ALGORITHMS = ['hmac-sha256', 'hmac-sha512', 'hmac-sha384', 'hmac-sha224', 'hmac-sha1', 'hmac-md5'] as const;
export type TsigAlgorithm = (typeof TSIG_ALGORITHMS)[number];

/** The algorithm's name on the wire, and node's hash name. */
const ALGORITHM: Record<TsigAlgorithm, { wire: string; hash: string }> = {
  'hmac-md5': { wire: 'hmac-md5.sig-alg.reg.int', hash: 'md5' },
  'hmac-sha1': { wire: 'hmac-sha1', hash: 'sha1' },
  'hmac-sha224': { wire: 'hmac-sha224', hash: 'sha224' },
  'hmac-sha256': { wire: 'hmac-sha256', hash: 'sha256' },
  'hmac-sha384': { wire: 'hmac-sha384', hash: 'sha384' },
  'hmac-sha512': { wire: 'hmac-sha512', hash: 'sha512' },
};

export interface TsigKey {
  /** The key's name as the server knows it ('globaldns-key'). */
  name: string;
  algorithm: TsigAlgorithm;
  secret: Buffer;
}

/** The default fudge of BIND and Knot: clocks may differ by five minutes. */
export const DEFAULT_FUDGE = 300;

/**
 * The secret from its base64 text (as tsig-keygen and knot.conf write it). The error never
 * repeats the text: it is a secret.
 */
export function parseTsigSecret(text: string): Buffer {
  const t = text.trim();
  if (t.length === 0 || !/^[A-Za-z0-9+/]+={0,2}$/.test(t) || t.replace(/=+$/, '').length % 4 === 1) {
    throw new Error(`TSIG secret is not base64 (${t.length} characters)`);
  }
  return Buffer.from(t, 'base64');
}

/** A TSIG RR as read from a message. */
export interface TsigRecord {
  keyName: string;
  algorithm: string;
  /** seconds since the epoch */
  timeSigned: number;
  fudge: number;
  mac: Buffer;
  originalId: number;
  /** 0, or BADSIG (16), BADKEY (17), BADTIME (18), BADTRUNC (22) */
  error: number;
  other: Buffer;
  /** where the TSIG RR starts in the message */
  start: number;
}

function u48(seconds: number): Buffer {
  const b = Buffer.alloc(6);
  b.writeUIntBE(Math.floor(seconds), 0, 6);
  return b;
}

function u16(n: number): Buffer {
  const b = Buffer.alloc(2);
  b.writeUInt16BE(n & 0xffff);
  return b;
}

/** The TSIG variables of §4.3.3 (all of them) or of §4.3.1 (timers only). */
function variables(key: TsigKey, t: { timeSigned: number; fudge: number; error: number; other: Buffer }, timersOnly: boolean): Buffer {
  const timers = Buffer.concat([u48(t.timeSigned), u16(t.fudge)]);
  if (timersOnly) return timers;
  const classTtl = Buffer.alloc(6);
  classTtl.writeUInt16BE(CLASS.ANY, 0);
  return Buffer.concat([encodeName(key.name), classTtl, encodeName(ALGORITHM[key.algorithm].wire), timers, u16(t.error), u16(t.other.length), t.other]);
}

function hmac(key: TsigKey, parts: Buffer[]): Buffer {
  const h = createHmac(ALGORITHM[key.algorithm].hash, key.secret);
  for (const p of parts) h.update(p);
  return h.digest();
}

function withLength(mac: Buffer): Buffer {
  return Buffer.concat([u16(mac.length), mac]);
}

/**
 * Appends a TSIG RR to an encoded message (ARCOUNT + 1). Returns the signed message and its
 * MAC, which the reply's MAC covers.
 */
export function signMessage(message: Buffer, key: TsigKey, nowSeconds: number, fudge = DEFAULT_FUDGE): { message: Buffer; mac: Buffer } {
  const t = { timeSigned: nowSeconds, fudge, error: 0, other: Buffer.alloc(0) };
  const mac = hmac(key, [message, variables(key, t, false)]);
  const rdata = Buffer.concat([
    encodeName(ALGORITHM[key.algorithm].wire),
    u48(t.timeSigned),
    u16(fudge),
    withLength(mac),
    message.subarray(0, 2), // original id
    u16(0),
    u16(0),
  ]);
  const rr = encodeRR({ name: key.name, type: TYPE.TSIG, class: CLASS.ANY, ttl: 0, rdata });
  const out = Buffer.concat([message, rr]);
  out.writeUInt16BE(message.readUInt16BE(10) + 1, 10);
  return { message: out, mac };
}

/** The TSIG RR of a message: the last RR of the additional section, if it is one. */
export function findTsig(message: Buffer): TsigRecord | undefined {
  const view = walkMessage(message);
  const last = view.records[view.records.length - 1];
  if (!last || last.section !== 'additional' || last.type !== TYPE.TSIG) return undefined;
  let pos = last.rdataStart;
  const end = last.rdataStart + last.rdlength;
  const alg = decodeName(message, pos);
  pos = alg.end;
  if (pos + 10 > end) throw new WireError('TSIG rdata too short');
  const timeSigned = message.readUIntBE(pos, 6);
  const fudge = message.readUInt16BE(pos + 6);
  const macSize = message.readUInt16BE(pos + 8);
  pos += 10;
  if (pos + macSize + 6 > end) throw new WireError('TSIG MAC runs past its rdata');
  const mac = message.subarray(pos, pos + macSize);
  pos += macSize;
  const originalId = message.readUInt16BE(pos);
  const error = message.readUInt16BE(pos + 2);
  const otherLen = message.readUInt16BE(pos + 4);
  pos += 6;
  if (pos + otherLen > end) throw new WireError('TSIG other data runs past its rdata');
  return { keyName: last.name, algorithm: alg.name, timeSigned, fudge, mac, originalId, error, other: message.subarray(pos, pos + otherLen), start: last.start };
}

/** The message as it was before the TSIG RR was added: original id, ARCOUNT - 1, no TSIG RR. */
function unsignedForm(message: Buffer, tsig: TsigRecord): Buffer {
  const m = Buffer.from(message.subarray(0, tsig.start));
  m.writeUInt16BE(tsig.originalId, 0);
  m.writeUInt16BE(m.readUInt16BE(10) - 1, 10);
  return m;
}

/** Why a reply's signature was not accepted. */
export class TsigError extends Error {
  override readonly name = 'TsigError';
  constructor(
    message: string,
    /** the server's TSIG error (BADSIG, BADKEY, BADTIME, ...) or ours when verifying */
    readonly code: string,
  ) {
    super(message);
  }
}

/**
 * Verifies the replies to one signed request, in order: one message for an UPDATE, a stream
 * for AXFR. Throws TsigError when a reply is not signed by the key, is out of time, or the
 * server reports a TSIG error.
 */
export class TsigReplyVerifier {
  private priorMac: Buffer;
  private pending: Buffer[] = [];
  private first = true;
  /** unsigned messages in a row; RFC 8945 allows at most 99 */
  private unsignedRun = 0;

  constructor(
    private readonly key: TsigKey,
    requestMac: Buffer,
    private readonly nowSeconds: () => number,
  ) {
    this.priorMac = requestMac;
  }

  /** Checks one reply; returns false for an unsigned message in the middle of a stream. */
  verify(message: Buffer): boolean {
    const tsig = findTsig(message);
    if (!tsig) {
      if (this.first) throw new TsigError('the reply is not signed (no TSIG record)', 'UNSIGNED');
      if (++this.unsignedRun > 99) throw new TsigError('more than 99 unsigned messages in a row', 'UNSIGNED');
      this.pending.push(message);
      return false;
    }
    if (tsig.error !== 0) {
      const code = rcodeName(tsig.error);
      const serverTime = tsig.error === 18 && tsig.other.length === 6 ? ` (server time ${tsig.other.readUIntBE(0, 6)}, ours ${Math.floor(this.nowSeconds())})` : '';
      throw new TsigError(`the server rejected the TSIG key: ${code}${serverTime}`, code);
    }
    if (tsig.keyName !== this.key.name.toLowerCase().replace(/\.$/, '')) {
      throw new TsigError(`the reply is signed by key ${tsig.keyName}, not ${this.key.name}`, 'BADKEY');
    }
    if (tsig.algorithm !== ALGORITHM[this.key.algorithm].wire) {
      throw new TsigError(`the reply is signed with ${tsig.algorithm}, not ${this.key.algorithm}`, 'BADKEY');
    }
    const timersOnly = !this.first;
    const expected = hmac(this.key, [withLength(this.priorMac), ...this.pending, unsignedForm(message, tsig), variables(this.key, tsig, timersOnly)]);
    // A truncated MAC (RFC 8945 §5.2.2.1) must keep at least half the hash and 10 octets.
    const minimum = Math.max(10, Math.ceil(expected.length / 2));
    if (tsig.mac.length < minimum || tsig.mac.length > expected.length || !timingSafeEqual(tsig.mac, expected.subarray(0, tsig.mac.length))) {
      throw new TsigError("the reply's TSIG MAC does not verify (BADSIG)", 'BADSIG');
    }
    const now = this.nowSeconds();
    if (Math.abs(now - tsig.timeSigned) > tsig.fudge) {
      throw new TsigError(`the reply was signed at ${tsig.timeSigned}, ${Math.round(now - tsig.timeSigned)} s from our clock, outside the fudge of ${tsig.fudge} s (BADTIME)`, 'BADTIME');
    }
    this.priorMac = Buffer.from(tsig.mac);
    this.pending = [];
    this.unsignedRun = 0;
    this.first = false;
    return true;
  }

  /** After the last message of a stream: its end must be signed. */
  finish(): void {
    if (this.pending.length > 0) throw new TsigError('the last message of the reply is not signed', 'UNSIGNED');
  }
}
