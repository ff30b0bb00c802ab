// What maps to what between globaldns' RecordSet (one set, N values) and Cloudflare's DNS
// records (one record per value, each with its own id, TTL and proxied flag).

import { normalizeName, RR_TYPES } from '../../src/model/index.js';
import type { RecordSet, RRType } from '../../src/model/index.js';
import { quoteTxtStrings, unquoteTxtStrings, type TxtSpelling } from '../txt.js';

/** Cloudflare's "automatic" TTL on the wire. */
export const AUTO_TTL = 1;
/** What an automatic TTL is read back as: Cloudflare documents Auto as 300 seconds. */
export const AUTO_TTL_SECONDS = 300;

/** Only these types can go through Cloudflare's proxy. */
const PROXIABLE = new Set<RRType>(['A', 'AAAA', 'CNAME']);
const KNOWN_TYPES = new Set<string>(RR_TYPES);

/**
 * Cloudflare's TXT: RFC 1035 strings (decimal \DDD) with the text kept as UTF-8, a string
 * boundary never splitting a character; content that is not quoted strings is the text itself.
 */
const CLOUDFLARE_TXT: TxtSpelling = { escapeBase: 10, nonAscii: 'raw', plainText: true };

/** 'a "b"' → '"a \"b\""'; text longer than 255 octets becomes several strings. */
export function quoteCloudflareTxt(text: string): string {
  return quoteTxtStrings(text, CLOUDFLARE_TXT);
}

/** The text of a TXT content as Cloudflare holds it, quoted strings or plain text. */
export function unquoteCloudflareTxt(content: string): string {
  return unquoteTxtStrings(content, CLOUDFLARE_TXT);
}

/** A record as Cloudflare returns it (the fields read here). */
export interface CloudflareRecord {
  id: string;
  name: string;
  type: string;
  content?: string;
  ttl?: number;
  proxied?: boolean;
  priority?: number;
  data?: { flags?: number; tag?: string; value?: string; priority?: number; weight?: number; port?: number; target?: string };
}

/** The body fields of a record to create, or to patch onto an existing id. */
export interface CloudflareRecordBody {
  name: string;
  type: RRType;
  ttl: number;
  proxied?: boolean;
  content?: string;
  priority?: number;
  data?: CloudflareRecord['data'];
}

export function isProxiable(type: RRType): boolean {
  return PROXIABLE.has(type);
}

/** 'target.example.org.' → 'target.example.org' (Cloudflare stores targets without the dot). */
function host(v: string): string {
  return normalizeName(v);
}

function int(s: string | undefined, what: string, value: string): number {
  const n = Number(s);
  if (s === undefined || !Number.isInteger(n) || n < 0 || n > 65535) throw new Error(`${what} of ${JSON.stringify(value)} is not a number from 0 to 65535`);
  return n;
}

/**
 * The wire body of one value of a set. TXT goes out as quoted character strings (what
 * Cloudflare asks for since 2024; it also accepts plain text) so that quotes, spaces and
 * long texts keep their meaning.
 */
export function toWire(set: Pick<RecordSet, 'name' | 'type' | 'ttl'>, value: string, proxied: boolean): CloudflareRecordBody {
  const proxy = proxied && isProxiable(set.type);
  const body: CloudflareRecordBody = { name: set.name, type: set.type, ttl: proxy ? AUTO_TTL : set.ttl };
  if (isProxiable(set.type)) body.proxied = proxy;
  const fields = value.trim().split(/\s+/);
  switch (set.type) {
    case 'A':
    case 'AAAA':
      body.content = value.trim();
      break;
    case 'CNAME':
    case 'NS':
    case 'PTR':
      body.content = host(value);
      break;
    case 'TXT':
      body.content = quoteCloudflareTxt(value);
      break;
    case 'MX':
      if (fields.length !== 2) throw new Error(`MX value ${JSON.stringify(value)} is not 'preference exchange'`);
      body.priority = int(fields[0], 'MX preference', value);
      body.content = host(fields[1]);
      break;
    case 'SRV':
      if (fields.length !== 4) throw new Error(`SRV value ${JSON.stringify(value)} is not 'priority weight port target'`);
      body.data = { priority: int(fields[0], 'SRV priority', value), weight: int(fields[1], 'SRV weight', value), port: int(fields[2], 'SRV port', value), target: host(fields[3]) };
      break;
    case 'CAA': {
      const m = /^(\d+)\s+(\S+)\s+(.*)$/s.exec(value.trim());
      if (!m) throw new Error(`CAA value ${JSON.stringify(value)} is not 'flags tag value'`);
      body.data = { flags: Number(m[1]), tag: m[2], value: m[3].replace(/^"(.*)"$/s, '$1') };
      break;
    }
  }
  return body;
}

/**
 * The model value of one Cloudflare record, or undefined for types globaldns does not model.
 * TXT content is read either way Cloudflare may hold it: quoted character strings are
 * decoded and joined, anything else is the text itself.
 */
export function valueOf(r: CloudflareRecord): string | undefined {
  if (!KNOWN_TYPES.has(r.type)) return undefined;
  const content = r.content ?? '';
  switch (r.type as RRType) {
    case 'TXT':
      return unquoteCloudflareTxt(content);
    case 'CNAME':
    case 'NS':
    case 'PTR':
      return host(content);
    case 'MX':
      return `${r.priority ?? 0} ${host(content)}`;
    case 'SRV': {
      const d = r.data;
      if (d?.target !== undefined) return `${d.priority ?? r.priority ?? 0} ${d.weight ?? 0} ${d.port ?? 0} ${host(d.target)}`;
      return `${r.priority ?? 0} ${content}`;
    }
    case 'CAA': {
      const d = r.data;
      if (d?.tag !== undefined) return `${d.flags ?? 0} ${d.tag} "${d.value ?? ''}"`;
      return content;
    }
    default:
      return content;
  }
}

/** The TTL a record is reported with: an automatic TTL (and every proxied record has one) reads as 300. */
export function ttlOf(r: CloudflareRecord): number {
  return r.ttl === undefined || r.ttl === AUTO_TTL ? AUTO_TTL_SECONDS : r.ttl;
}

export function recordKey(name: string, type: string): string {
  return `${normalizeName(name)}|${type}`;
}

/**
 * Cloudflare's records grouped into model sets, in list order; the set's TTL is the smallest
 * of its records'. A/AAAA/CNAME sets say whether they are proxied: only when every record is,
 * so a record someone switched to DNS only in a set meant to be proxied shows as a difference
 * (an origin address in the open) and the next sync proxies it again.
 */
export function toRecordSets(records: readonly CloudflareRecord[]): RecordSet[] {
  const sets = new Map<string, RecordSet>();
  for (const r of records) {
    const value = valueOf(r);
    if (value === undefined) continue;
    const key = recordKey(r.name, r.type);
    const proxied = r.proxied === true;
    const set = sets.get(key);
    if (set) {
      set.values.push(value);
      set.ttl = Math.min(set.ttl, ttlOf(r));
      if (set.proxied !== undefined) set.proxied &&= proxied;
    } else {
      const type = r.type as RRType;
      sets.set(key, { name: normalizeName(r.name), type, ttl: ttlOf(r), values: [value], ...(isProxiable(type) ? { proxied } : {}) });
    }
  }
  return [...sets.values()];
}
