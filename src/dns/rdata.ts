/**
 * Record values (presentation form, as in model RecordSet) to wire rdata, encoded with
 * dns-packet's record codecs. Each result holds RDLENGTH followed by RDATA, ready to append
 * after an owner name, type, class and TTL.
 */
import dnsPacket from 'dns-packet';
import { isIP } from 'node:net';
import type { RRType } from '../model/index.js';
import { TYPE } from './wire.js';

interface RecordCodec {
  encode(data: unknown, buf?: Buffer, offset?: number): Buffer;
  encodingLength(data: unknown): number;
}
const codecs = dnsPacket as unknown as { record(type: string): RecordCodec };

export const TYPE_CODE: Record<RRType | 'SOA' | 'HINFO', number> = {
  A: TYPE.A, AAAA: TYPE.AAAA, CNAME: TYPE.CNAME, TXT: TYPE.TXT, MX: TYPE.MX, NS: TYPE.NS,
  SRV: TYPE.SRV, PTR: TYPE.PTR, CAA: TYPE.CAA, SOA: TYPE.SOA, HINFO: TYPE.HINFO,
};

export class RdataError extends Error {}

/**
 * Encodes every value of a set into one buffer (throws RdataError naming a value that does not parse), each still prefixed by its RDLENGTH, so the
 * records can be walked without an array of buffers per set.
 */
export function encodeRdataSet(type: RRType, values: readonly string[]): RdataRef {
  const codec = codecs.record(type);
  const data = values.map((v) => toPacketData(type, v));
  const lengths = data.map((d) => codec.encodingLength(d));
  const total = lengths.reduce((a, b) => a + b, 0);
  return intoSlab(total, (buf, offset) => {
    let off = offset;
    for (let i = 0; i < data.length; i++) {
      codec.encode(data[i], buf, off);
      off += lengths[i];
    }
  });
}

/** Where an encoded set lives: `len` bytes at `at` in `slab`, records back to back. */
export interface RdataRef {
  slab: Buffer;
  at: number;
  len: number;
}

/** The records of an encoded set, one buffer each (RDLENGTH + RDATA). */
export function splitRdata(slab: Buffer, at: number, len: number): Buffer[] {
  const out: Buffer[] = [];
  for (let off = at; off + 2 <= at + len; ) {
    const end = off + 2 + slab.readUInt16BE(off);
    out.push(slab.subarray(off, end));
    off = end;
  }
  return out;
}

/**
 * Rdata lives in shared 64 KiB slabs: a zone of 100,000 names would otherwise hold 100,000
 * separately allocated backing stores. A slab is freed once no snapshot refers to any of it.
 */
const SLAB_SIZE = 64 * 1024;
let slab = Buffer.allocUnsafe(0);
let slabUsed = 0;

function intoSlab(length: number, write: (buf: Buffer, offset: number) => void): RdataRef {
  if (length > SLAB_SIZE / 4) {
    const own = Buffer.alloc(length);
    write(own, 0);
    return { slab: own, at: 0, len: length };
  }
  if (slabUsed + length > slab.length) {
    slab = Buffer.alloc(SLAB_SIZE);
    slabUsed = 0;
  }
  write(slab, slabUsed);
  const ref = { slab, at: slabUsed, len: length };
  slabUsed += length;
  return ref;
}

export function encodeSoaRdata(soa: {
  mname: string; rname: string; serial: number; refresh: number; retry: number; expire: number; minimum: number;
}): Buffer {
  return codecs.record('SOA').encode({
    mname: soa.mname, rname: soa.rname, serial: soa.serial >>> 0, refresh: soa.refresh,
    retry: soa.retry, expire: soa.expire, minimum: soa.minimum,
  });
}

export function encodeHinfoRdata(cpu: string, os: string): Buffer {
  return codecs.record('HINFO').encode({ cpu, os });
}

function toPacketData(type: RRType, value: string): unknown {
  const bad = (why: string) => new RdataError(`${type} ${JSON.stringify(value)}: ${why}`);
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
      // Character-strings hold at most 255 octets each (RFC 1035 §3.3); long texts are split.
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
  const n = name.endsWith('.') ? name.slice(0, -1) : name;
  if (n.length > 253 || n.split('.').some((l) => l.length === 0 && n.length > 0) || n.split('.').some((l) => Buffer.byteLength(l) > 63)) {
    throw bad('not a valid domain name');
  }
  return n.toLowerCase();
}
