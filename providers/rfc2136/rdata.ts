// Model record values (presentation text, as in RecordSet.values) to wire rdata and back,
// with dns-packet's per-type codecs. Names inside rdata are written uncompressed and read
// with compression followed (dns-packet decodes against the whole message).
import dnsPacket from 'dns-packet';
import { rdataFields, type RdataRules, type RRType } from '../../src/model/index.js';
import { TYPE } from './wire.js';

interface Codec {
  encode(data: unknown): Buffer;
  decode(buf: Buffer, offset: number): unknown;
}
const codecs = dnsPacket as unknown as { record(type: string): Codec };

export const MODEL_TYPE_CODES: Record<RRType, number> = {
  A: TYPE.A,
  AAAA: TYPE.AAAA,
  CNAME: TYPE.CNAME,
  TXT: TYPE.TXT,
  MX: TYPE.MX,
  NS: TYPE.NS,
  SRV: TYPE.SRV,
  PTR: TYPE.PTR,
  CAA: TYPE.CAA,
};
const MODEL_TYPES = new Map<number, RRType>(Object.entries(MODEL_TYPE_CODES).map(([t, c]) => [c, t as RRType]));

/** The model type of a wire type code, or undefined for SOA and types the model lacks. */
export function modelType(code: number): RRType | undefined {
  return MODEL_TYPES.get(code);
}

/**
 * No root targets: decodeRdata reads the root back as '' ('0 ' for a null MX '0 .'), which
 * would never match the value written, so every sync would write it again.
 */
const RULES: RdataRules = { rootTarget: false };

/** One value's rdata (without RDLENGTH). */
export function encodeRdata(type: RRType, value: string): Buffer {
  const withLength = codecs.record(type).encode(rdataFields(type, value, RULES));
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
