/**
 * Record values (presentation form, as in model RecordSet) to wire rdata, encoded with
 * dns-packet's record codecs. Each result holds RDLENGTH followed by RDATA, ready to append
 * after an owner name, type, class and TTL.
 */
import dnsPacket from 'dns-packet';
import { rdataFields, type RdataRules, type RRType } from '../model/index.js';
import { TYPE } from './wire.js';

interface RecordCodec {
  encode(data: unknown, buf?: Buffer, offset?: number): Buffer;
  encodingLength(data: unknown): number;
}
const codecs = dnsPacket as unknown as { record(type: string): RecordCodec };

export const TYPE_CODE: Record<RRType | 'SOA' | 'HINFO', number> = {
  A: TYPE.A,
  AAAA: TYPE.AAAA,
  CNAME: TYPE.CNAME,
  TXT: TYPE.TXT,
  MX: TYPE.MX,
  NS: TYPE.NS,
  SRV: TYPE.SRV,
  PTR: TYPE.PTR,
  CAA: TYPE.CAA,
  SOA: TYPE.SOA,
  HINFO: TYPE.HINFO,
};

/** The embedded server serves a null MX or an SRV "no such service" (root targets) as written. */
const RULES: RdataRules = { rootTarget: true };

/**
 * Encodes every value of a set into one buffer (throws the model's RdataError naming a value
 * that does not parse), each still prefixed by its RDLENGTH, so the records can be walked
 * without an array of buffers per set.
 */
export function encodeRdataSet(type: RRType, values: readonly string[]): RdataRef {
  const codec = codecs.record(type);
  const data = values.map((v) => rdataFields(type, v, RULES));
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
  for (let off = at; off + 2 <= at + len;) {
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
  mname: string;
  rname: string;
  serial: number;
  refresh: number;
  retry: number;
  expire: number;
  minimum: number;
}): Buffer {
  return codecs.record('SOA').encode({
    mname: soa.mname,
    rname: soa.rname,
    serial: soa.serial >>> 0,
    refresh: soa.refresh,
    retry: soa.retry,
    expire: soa.expire,
    minimum: soa.minimum,
  });
}

export function encodeHinfoRdata(cpu: string, os: string): Buffer {
  return codecs.record('HINFO').encode({ cpu, os });
}
