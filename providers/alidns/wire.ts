// Model record sets ↔ Alidns records. Alidns stores one record per value, named by its RR (the
// owner relative to the domain, '@' at the apex); MX keeps its preference apart in Priority.
import { isInZone, normalizeName, relativeName, RR_TYPES } from '../../src/model/index.js';
import type { RecordSet, RRType } from '../../src/model/index.js';

/** One record as DescribeDomainRecords lists it (the fields this provider reads). */
export interface AlidnsRecord {
  RecordId: string;
  RR: string;
  Type: string;
  Value: string;
  TTL: number;
  Line: string;
  Status?: string;
  Locked?: boolean;
  Priority?: number;
}

/** The value of one record to write: Value, and Priority for MX. */
export interface WireValue {
  Value: string;
  Priority?: number;
}

/** The line every globaldns record lives on; records on other lines belong to someone else. */
export const DEFAULT_LINE = 'default';

const TARGET_TYPES = new Set<RRType>(['CNAME', 'NS', 'PTR']);

/** 'www' for www.example.org in example.org, '@' for the apex. */
export function toRR(name: string, apex: string): string {
  const n = normalizeName(name);
  if (!isInZone(n, apex)) throw new Error(`${n} is not in the zone ${apex}`);
  return relativeName(n, apex);
}

export function fromRR(rr: string, apex: string): string {
  const r = normalizeName(rr);
  return r === '@' || r === '' ? apex : `${r}.${apex}`;
}

/** A model value as Alidns writes it; throws for a value it cannot represent. */
export function toWireValue(type: RRType, value: string): WireValue {
  switch (type) {
    case 'MX': {
      const m = /^\s*(\d+)\s+(\S+)\s*$/.exec(value);
      if (!m) throw new Error(`MX value "${value}" is not "<preference> <host>"`);
      return { Value: normalizeName(m[2]), Priority: Number(m[1]) };
    }
    case 'CNAME':
    case 'NS':
    case 'PTR':
      return { Value: normalizeName(value) };
    default:
      // TXT is plain text: Alidns takes and lists it unquoted, byte for byte.
      return { Value: value };
  }
}

/** A listed record's value in the model's presentation form. */
export function fromWireValue(type: RRType, r: Pick<AlidnsRecord, 'Value' | 'Priority'>): string {
  if (type === 'MX') return `${r.Priority ?? 0} ${normalizeName(r.Value)}`;
  if (TARGET_TYPES.has(type)) return normalizeName(r.Value);
  if (type === 'SRV') {
    const parts = r.Value.trim().split(/\s+/);
    if (parts.length === 4) parts[3] = normalizeName(parts[3]);
    return parts.join(' ');
  }
  return r.Value;
}

/** Identity of one value within a set: what Alidns compares to find duplicates. */
export function wireKey(v: WireValue): string {
  return v.Priority === undefined ? v.Value : `${v.Priority} ${v.Value}`;
}

export function isModelType(type: string): type is RRType {
  return (RR_TYPES as readonly string[]).includes(type);
}

/** 'www.example.org|A': one record set of the model, many Alidns records. */
export function setKey(name: string, type: string): string {
  return `${normalizeName(name)}|${type}`;
}

/**
 * The records of one zone as model record sets: default line and ENABLE only (a disabled record
 * is not served; a record on another line is someone else's routing), types the model knows.
 * A set's TTL is the smallest of its records' TTLs.
 */
export function groupRecords(records: readonly AlidnsRecord[], apex: string): { sets: RecordSet[]; ids: Map<string, AlidnsRecord[]> } {
  const ids = new Map<string, AlidnsRecord[]>();
  const sets = new Map<string, RecordSet>();
  for (const r of records) {
    if (!isOurs(r)) continue;
    const type = r.Type.toUpperCase();
    if (!isModelType(type)) continue;
    const name = fromRR(r.RR, apex);
    const key = setKey(name, type);
    const value = fromWireValue(type, r);
    const set = sets.get(key);
    if (set) {
      set.values.push(value);
      set.ttl = Math.min(set.ttl, r.TTL);
    } else {
      sets.set(key, { name, type, ttl: r.TTL, values: [value] });
    }
    ids.set(key, [...(ids.get(key) ?? []), r]);
  }
  return { sets: [...sets.values()], ids };
}

/** Default line and enabled: the records globaldns reads and may write. */
export function isOurs(r: Pick<AlidnsRecord, 'Line' | 'Status'>): boolean {
  return (r.Line ?? DEFAULT_LINE) === DEFAULT_LINE && (r.Status ?? 'ENABLE').toUpperCase() === 'ENABLE';
}
