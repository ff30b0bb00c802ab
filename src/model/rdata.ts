// Record values (presentation text, as in RecordSet.values) parsed into the fields of their
// rdata and checked on the way. The embedded server and the RFC 2136 provider both encode
// these fields with dns-packet's record codecs, which take them as they are.
import { isIP } from 'node:net';
import type { RRType } from './types.js';

/** A value that cannot be written as its type says. */
export class RdataError extends Error {
  override readonly name = 'RdataError';
}

/** What dns-packet's codec of the type takes: an address, a name, character strings or fields. */
export type RdataFields =
  | string
  | Buffer[]
  | { preference: number; exchange: string }
  | { priority: number; weight: number; port: number; target: string }
  | { flags: number; tag: string; value: string };

export interface RdataRules {
  /**
   * Whether a target may be the root ('' or '.'), as in a null MX (RFC 7505) or an SRV that
   * says there is no such service (RFC 2782).
   */
  rootTarget: boolean;
}

/**
 * The rdata fields of `value` for `type`; names lower case without the trailing dot, TXT split
 * into character strings. Throws RdataError naming the type, the value and what is wrong.
 */
export function rdataFields(type: RRType, value: string, rules: RdataRules): RdataFields {
  const bad = (why: string) => new RdataError(`${type} value ${JSON.stringify(value)}: ${why}`);
  const name = (n: string) => checkName(n, rules, bad);
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
      return name(value);
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
      return { preference: u16(m[1], bad), exchange: name(m[2]) };
    }
    case 'SRV': {
      const m = /^(\d+)\s+(\d+)\s+(\d+)\s+(\S+)$/.exec(value.trim());
      if (!m) throw bad('expected "<priority> <weight> <port> <target>"');
      return { priority: u16(m[1], bad), weight: u16(m[2], bad), port: u16(m[3], bad), target: name(m[4]) };
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

function checkName(name: string, rules: RdataRules, bad: (why: string) => Error): string {
  const trimmed = name.trim();
  const n = (trimmed.endsWith('.') ? trimmed.slice(0, -1) : trimmed).toLowerCase();
  if (n.length === 0) {
    if (rules.rootTarget) return n;
    throw bad('not a valid domain name');
  }
  if (n.length > 253 || n.split('.').some((l) => l.length === 0 || Buffer.byteLength(l) > 63)) throw bad('not a valid domain name');
  return n;
}
