// Model record values (presentation text, as in RecordSet.values) to wire rdata and back,
// with dns-packet's per-type codecs. Names inside rdata are written uncompressed and read
// with compression followed (dns-packet decodes against the whole message).
import dnsPacket from 'dns-packet';
import { isIP } from 'node:net';
import type { RRType } from '../../src/model/index.js';
import { TYPE } from './wire.js';

interface Codec {
  encode(data: unknown): Buffer;
  decode(buf: Buffer, offset: number): unknown;
}
const codecs = dnsPacket as unknown as { record(type: string): Codec };

export const MODEL_TYPE_CODES: Record<RRType, number> = {
  A: TYPE.A, AAAA: TYPE.AAAA, CNAME: TYPE.CNAME, TXT: TYPE.TXT, MX: TYPE.MX, NS: TYPE.NS, SRV: TYPE.SRV, PTR: TYPE.PTR, CAA: TYPE.CAA,
};
const MODEL_TYPES = new Map<number, RRType>(Object.entries(MODEL_TYPE_CODES).map(([t, c]) => [c, t as RRType]));

/** The model type of a wire type code, or undefined for SOA and types the model lacks. */
export function modelType(code: number): RRType | undefined {
  return MODEL_TYPES.get(code);
}

/** A value that cannot be written as the type says. */
export class RdataError extends Error {
  override readonly name = 'RdataError';
}

/** One value's rdata (without RDLENGTH). */
export function encodeRdata(type: RRType, value: string): Buffer {
  const withLength = codecs.record(type).encode(toPacketData(type, value));
  return withLength.subarray(2);
}

/** The rdata at `rdataStart` of a whole message as the model's value text. */
export function decodeRdata(type: RRType, message: Buffer, rdataStart: number): string {
  const data = codecs.record(type).decode(message, rdataStart - 2);
  switch (type) {
    case 'A':
    case 'AAAA':
      return String(data);
    case 'CNAME':
    case 'NS':
    case 'PTR':
      return canonical(String(data));
    case 'TXT':
      // One text per value: a value split into several character-strings is joined again.
      return Buffer.concat(data as Buffer[]).toString('utf8');
    case 'MX': {
      const m = data as { preference: number; exchange: string };
      return `${m.preference} ${canonical(m.exchange)}`;
    }
    case 'SRV': {
      const s = data as { priority: number; weight: number; port: number; target: string };
      return `${s.priority} ${s.weight} ${s.port} ${canonical(s.target)}`;
    }
    case 'CAA': {
      const c = data as { flags: number; tag: string; value: string };
      return `${c.flags} ${c.tag} "${c.value}"`;
    }
  }
}

function canonical(name: string): string {
  const n = name.toLowerCase();
  return n.endsWith('.') ? n.slice(0, -1) : n;
}

function toPacketData(type: RRType, value: string): unknown {
  const bad = (why: string) => new RdataError(`${type} value ${JSON.stringify(value)}: ${why}`);
  switch (type) {
    case 'A':
      if (isIP(value) !== 4) throw bad('not an IPv4 address');
      return value;
    case 'AAAA':
      if (isIP(value) !== 6) throw bad('not an IPv6 address');
      return value;
    case 'CNAME':
    case 'NS':
    case 'PTR':
      return checkName(value, bad);
    case 'TXT': {
      // A character-string holds at most 255 octets (RFC 1035 §3.3): longer texts are split.
      const bytes = Buffer.from(value, 'utf8');
      const parts: Buffer[] = [];
      for (let i = 0; i < bytes.length; i += 255) parts.push(bytes.subarray(i, i + 255));
      return parts.length === 0 ? [Buffer.alloc(0)] : parts;
    }
    case 'MX': {
      const m = /^(\d+)\s+(\S+)$/.exec(value.trim());
      if (!m) throw bad('expected "<preference> <exchange>"');
      return { preference: u16(m[1], bad), exchange: checkName(m[2], bad) };
    }
    case 'SRV': {
      const m = /^(\d+)\s+(\d+)\s+(\d+)\s+(\S+)$/.exec(value.trim());
      if (!m) throw bad('expected "<priority> <weight> <port> <target>"');
      return { priority: u16(m[1], bad), weight: u16(m[2], bad), port: u16(m[3], bad), target: checkName(m[4], bad) };
    }
    case 'CAA': {
      const m = /^(\d+)\s+([A-Za-z0-9]+)\s+"?([^"]*)"?$/.exec(value.trim());
      if (!m) throw bad('expected \'<flags> <tag> "<value>"\'');
      const flags = Number(m[1]);
      if (flags > 255) throw bad('flags must be 0..255');
      return { flags, tag: m[2], value: m[3] };
    }
  }
}

function u16(s: string, bad: (why: string) => Error): number {
  const n = Number(s);
  if (!Number.isInteger(n) || n < 0 || n > 65535) throw bad(`${s} is not 0..65535`);
  return n;
}

function checkName(name: string, bad: (why: string) => Error): string {
  const n = canonical(name.trim());
  if (n.length === 0 || n.length > 253 || n.split('.').some((l) => l.length === 0 || Buffer.byteLength(l) > 63)) throw bad('not a valid domain name');
  return n;
}
