// Record semantics of the Cloudflare simulator: one stored record per value, validated the way
// the v4 API validates a record (content per type, TTL range, proxiable types, CNAME beside
// other data, identical records), with the API's error codes.

import { isIP } from 'node:net';

export interface SimRecordData {
  flags?: number;
  tag?: string;
  value?: string;
  priority?: number;
  weight?: number;
  port?: number;
  target?: string;
}

/** A record as the API returns it (the fields globaldns and the SDK read). */
export interface SimRecord {
  id: string;
  name: string;
  type: string;
  content: string;
  ttl: number;
  proxied: boolean;
  proxiable: boolean;
  priority?: number;
  data?: SimRecordData;
  comment?: string | null;
  created_on: string;
  modified_on: string;
}

/** The fields a client sends for a new or replaced record. */
export interface SimRecordInput {
  name?: unknown;
  type?: unknown;
  content?: unknown;
  ttl?: unknown;
  proxied?: unknown;
  priority?: unknown;
  data?: unknown;
  comment?: unknown;
}

export class SimApiError extends Error {
  constructor(
    readonly status: number,
    readonly code: number,
    message: string,
    readonly headers: Record<string, string> = {},
  ) {
    super(message);
  }
}

const PROXIABLE = new Set(['A', 'AAAA', 'CNAME']);
const SUPPORTED = new Set(['A', 'AAAA', 'CNAME', 'TXT', 'MX', 'NS', 'SRV', 'PTR', 'CAA']);
const HOSTNAME = /^(\*\.)?([a-z0-9_]([a-z0-9_-]{0,61}[a-z0-9_])?\.)*[a-z0-9_]([a-z0-9_-]{0,61}[a-z0-9_])?$/;

/** Cloudflare accepts a name relative to the zone, '@', or the full name; it stores the full name, lower case. */
export function fullName(raw: string, zone: string): string {
  let n = raw.trim().toLowerCase().replace(/\.$/, '');
  if (n === '@' || n === '') n = zone;
  if (n !== zone && !n.endsWith('.' + zone)) n = `${n}.${zone}`;
  return n;
}

/**
 * The character strings a TXT content stands for: content made only of quoted strings
 * ("a" "b", with \" \\ and \DDD escapes) is those strings; anything else is one text
 * (Cloudflare accepts both and serves the unquoted form as it is).
 */
export function txtStrings(content: string): string[] {
  const trimmed = content.trim();
  if (!/^("(?:[^"\\]|\\.)*"\s*)+$/s.test(trimmed)) return [content];
  const out: string[] = [];
  const re = /"((?:[^"\\]|\\.)*)"/gs;
  for (let m = re.exec(trimmed); m !== null; m = re.exec(trimmed)) {
    const bytes: number[] = [];
    const s = m[1];
    for (let i = 0; i < s.length; i++) {
      if (s[i] === '\\' && /^[0-9]{3}$/.test(s.slice(i + 1, i + 4))) {
        bytes.push(Number(s.slice(i + 1, i + 4)));
        i += 3;
      } else if (s[i] === '\\') {
        bytes.push(...Buffer.from(s[i + 1] ?? '', 'utf8'));
        i += 1;
      } else {
        bytes.push(...Buffer.from(s[i], 'utf8'));
      }
    }
    out.push(Buffer.from(bytes).toString('utf8'));
  }
  return out;
}

function invalid(message: string, code = 1004): SimApiError {
  return new SimApiError(400, code, message);
}

function intIn(v: unknown, lo: number, hi: number): v is number {
  return typeof v === 'number' && Number.isInteger(v) && v >= lo && v <= hi;
}

/** Builds the stored record from a create/replace body, or throws the API's validation error. */
export function buildRecord(input: SimRecordInput, zone: string, id: string, now: string, createdOn = now): SimRecord {
  if (typeof input.type !== 'string' || input.type === '') throw invalid('DNS Validation Error: type is required');
  const type = input.type.toUpperCase();
  if (!SUPPORTED.has(type)) throw invalid(`DNS Validation Error: unsupported record type ${type}`);
  if (typeof input.name !== 'string' || input.name === '') throw invalid('DNS Validation Error: name is required');
  const name = fullName(input.name, zone);
  if (name.length > 253 || !HOSTNAME.test(name)) throw invalid(`DNS Validation Error: invalid record name ${JSON.stringify(input.name)}`, 9007);
  const proxied = input.proxied === undefined ? false : input.proxied;
  if (typeof proxied !== 'boolean') throw invalid('DNS Validation Error: proxied must be a boolean');
  if (proxied && !PROXIABLE.has(type)) throw invalid(`${type} records cannot be proxied.`, 9004);
  let ttl = input.ttl === undefined ? 1 : input.ttl;
  if (!(ttl === 1 || intIn(ttl, 60, 86400))) throw invalid('Invalid TTL. Must be between 60 and 86400 seconds, or 1 for Automatic.', 9021);
  // A proxied record's TTL is always Automatic.
  if (proxied) ttl = 1;
  const r: SimRecord = { id, name, type, content: '', ttl: ttl as number, proxied, proxiable: PROXIABLE.has(type), created_on: createdOn, modified_on: now };
  if (typeof input.comment === 'string') r.comment = input.comment;
  const content = typeof input.content === 'string' ? input.content : undefined;
  const data = typeof input.data === 'object' && input.data !== null ? (input.data as Record<string, unknown>) : undefined;
  switch (type) {
    case 'A':
      if (content === undefined || isIP(content) !== 4) throw invalid('Content for A record must be a valid IPv4 address.', 9005);
      r.content = content;
      break;
    case 'AAAA':
      if (content === undefined || isIP(content) !== 6) throw invalid('Content for AAAA record must be a valid IPv6 address.', 9006);
      r.content = content.toLowerCase();
      break;
    case 'CNAME':
    case 'NS':
    case 'PTR': {
      const target = content?.trim().toLowerCase().replace(/\.$/, '');
      if (target === undefined || !HOSTNAME.test(target)) throw invalid(`Content for ${type} record is invalid.`, 9007);
      r.content = target;
      break;
    }
    case 'TXT': {
      if (content === undefined || content === '') throw invalid('DNS Validation Error: content is required', 9007);
      if (Buffer.byteLength(content) > 4096) throw invalid('DNS Validation Error: TXT content is longer than 4096 characters', 9007);
      r.content = content;
      break;
    }
    case 'MX': {
      const target = content?.trim().toLowerCase().replace(/\.$/, '');
      if (target === undefined || !HOSTNAME.test(target)) throw invalid('Content for MX record is invalid.', 9007);
      if (!intIn(input.priority, 0, 65535)) throw invalid('DNS Validation Error: MX priority must be between 0 and 65535', 9007);
      r.content = target;
      r.priority = input.priority;
      break;
    }
    case 'SRV': {
      if (!data || !intIn(data.priority, 0, 65535) || !intIn(data.weight, 0, 65535) || !intIn(data.port, 0, 65535) || typeof data.target !== 'string') {
        throw invalid('DNS Validation Error: SRV data needs priority, weight, port and target', 9007);
      }
      const target = data.target.toLowerCase().replace(/\.$/, '');
      r.data = { priority: data.priority, weight: data.weight, port: data.port, target };
      r.priority = data.priority;
      r.content = `${data.weight} ${data.port} ${target}`;
      break;
    }
    case 'CAA': {
      if (!data || !intIn(data.flags, 0, 255) || typeof data.tag !== 'string' || typeof data.value !== 'string') {
        throw invalid('DNS Validation Error: CAA data needs flags, tag and value', 9007);
      }
      r.data = { flags: data.flags, tag: data.tag, value: data.value };
      r.content = `${data.flags} ${data.tag} "${data.value}"`;
      break;
    }
  }
  return r;
}

/** The rules between records of one zone: CNAME alone at its name, no two identical records. */
export function checkNeighbours(r: SimRecord, others: Iterable<SimRecord>): void {
  for (const o of others) {
    if (o.id === r.id || o.name !== r.name) continue;
    if (o.type === r.type && o.content === r.content && JSON.stringify(o.data ?? null) === JSON.stringify(r.data ?? null) && o.priority === r.priority) {
      throw new SimApiError(400, 81057, 'An identical record already exists.');
    }
    if (r.type === 'CNAME') throw new SimApiError(400, 81053, 'An A, AAAA, or CNAME record with that host already exists.');
    if (o.type === 'CNAME') throw new SimApiError(400, 81054, 'A CNAME record with that host already exists.');
  }
}

/** Cloudflare's list order here: name, then type, then content. */
export function compareRecords(a: SimRecord, b: SimRecord): number {
  return a.name < b.name ? -1 : a.name > b.name ? 1 : a.type < b.type ? -1 : a.type > b.type ? 1 : a.content < b.content ? -1 : a.content > b.content ? 1 : 0;
}
