// What maps to what between globaldns' RecordSet (canonical names, presentation values) and
// the PowerDNS API's RRset (absolute names with a trailing dot, one `content` per record,
// quoted TXT, `disabled` flags).

import { normalizeName, RR_TYPES } from '../../src/model/index.js';
import type { RecordSet, RRType } from '../../src/model/index.js';
import { respellValue, withTrailingDot, type ValueSpelling } from '../presentation.js';
import { quoteTxtStrings, unquoteTxtStrings, type TxtSpelling } from '../txt.js';

export interface PdnsRecord {
  content: string;
  disabled: boolean;
}

/** An RRset as GET /zones/{id} returns it (comments left out: we never write them). */
export interface PdnsRRset {
  name: string;
  type: string;
  ttl: number;
  records: PdnsRecord[];
}

/** One element of a PATCH body's `rrsets`. */
export type PdnsRRsetChange =
  | { name: string; type: string; ttl: number; changetype: 'REPLACE'; records: PdnsRecord[] }
  | { name: string; type: string; changetype: 'DELETE' };

const KNOWN_TYPES = new Set<string>(RR_TYPES);

/**
 * PowerDNS's TXT: RFC 1035 \DDD in DECIMAL. Octets outside printable ASCII are written escaped
 * so a value survives any backend's text handling; raw UTF-8 (which PowerDNS keeps as given)
 * is read as well.
 */
const PDNS_TXT: TxtSpelling = { escapeBase: 10, nonAscii: 'escape' };

/** 'say "hi"' → '"say \"hi\""'; text longer than 255 octets becomes several strings. */
export function quotePdnsTxt(text: string): string {
  return quoteTxtStrings(text, PDNS_TXT);
}

/** The text of a TXT content as PowerDNS returns it: its strings decoded and joined. */
export function unquotePdnsTxt(content: string): string {
  return unquoteTxtStrings(content, PDNS_TXT);
}

export function toPdnsName(name: string): string {
  const n = normalizeName(name);
  return `${n}.`;
}

/**
 * PowerDNS wants absolute names in content ('Not in expected format' otherwise) and quoted
 * TXT; names go lower case, since PowerDNS keeps the case it is given and globaldns reads
 * names canonical.
 */
const TO_CONTENT: ValueSpelling = { txt: quotePdnsTxt, host: (h) => withTrailingDot(h.trim().toLowerCase()) };
const FROM_CONTENT: ValueSpelling = { txt: unquotePdnsTxt, host: normalizeName };

export function toPdnsContent(type: RRType, value: string): string {
  return respellValue(type, value, TO_CONTENT);
}

export function fromPdnsContent(type: RRType, content: string): string {
  return respellValue(type, content, FROM_CONTENT);
}

/**
 * The model's record set for an RRset, or undefined for types globaldns does not model (SOA,
 * DNSKEY, ...) and for an RRset whose records are all disabled (PowerDNS does not serve them).
 */
export function fromPdns(r: PdnsRRset): RecordSet | undefined {
  if (!KNOWN_TYPES.has(r.type)) return undefined;
  const type = r.type as RRType;
  const values = r.records.filter((rec) => !rec.disabled).map((rec) => fromPdnsContent(type, rec.content));
  if (values.length === 0) return undefined;
  return { name: normalizeName(r.name), type, ttl: r.ttl, values };
}

/** `name type` of a record set, as both sides spell it after normalising: the RRset's identity. */
export function rrsetKey(name: string, type: string): string {
  return `${normalizeName(name)} ${type.toUpperCase()}`;
}

/** A REPLACE writing the record set's values as enabled records. Throws when the set cannot be written. */
export function replaceOf(r: RecordSet): PdnsRRsetChange & { changetype: 'REPLACE' } {
  if (r.values.length === 0) throw new Error(`${r.name} ${r.type}: a record set needs at least one value`);
  if (r.setIdentifier !== undefined || r.weight !== undefined) {
    throw new Error(`${r.name} ${r.type}: PowerDNS has no weighted or identified record sets (set identifier ${r.setIdentifier ?? '-'})`);
  }
  if (!Number.isInteger(r.ttl) || r.ttl < 0) throw new Error(`${r.name} ${r.type}: TTL ${r.ttl} is not a whole number of seconds`);
  const records = r.values.map((v) => ({ content: toPdnsContent(r.type, v), disabled: false }));
  return { name: toPdnsName(r.name), type: r.type, ttl: r.ttl, changetype: 'REPLACE', records };
}

export function deleteOf(r: RecordSet): PdnsRRsetChange {
  return { name: toPdnsName(r.name), type: r.type, changetype: 'DELETE' };
}
