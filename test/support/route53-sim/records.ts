// Route53's record-set semantics, apart from HTTP: name normalisation, list order,
// validation of values, and atomic change batches with Route53's own error messages.

import { isIP } from 'node:net';

export interface SimAliasTarget {
  hostedZoneId: string;
  dnsName: string;
  evaluateTargetHealth: boolean;
}

/** A record set as Route53 stores it: names with a trailing dot, '*' as \052, values as sent. */
export interface SimRecordSet {
  name: string;
  type: string;
  ttl?: number;
  values?: string[];
  alias?: SimAliasTarget;
  setIdentifier?: string;
  weight?: number;
}

export type SimAction = 'CREATE' | 'DELETE' | 'UPSERT';

export interface SimChange {
  action: SimAction;
  record: SimRecordSet;
}

/** The limits Route53 puts on one ChangeResourceRecordSets request. */
export const MAX_RECORDS_PER_REQUEST = 1000;
export const MAX_VALUE_CHARS_PER_REQUEST = 32_000;

const SUPPORTED_TYPES = new Set(['A', 'AAAA', 'CAA', 'CNAME', 'DS', 'HTTPS', 'MX', 'NAPTR', 'NS', 'PTR', 'SOA', 'SPF', 'SRV', 'SSHFP', 'SVCB', 'TLSA', 'TXT']);

/** Lower case, one trailing dot, '*' labels written \052 as Route53 returns them. */
export function normalizeSimName(name: string): string {
  let n = name.trim().toLowerCase();
  if (!n.endsWith('.')) n += '.';
  return n
    .split('.')
    .map((label) => (label === '*' ? '\\052' : label))
    .join('.');
}

export function recordKey(r: Pick<SimRecordSet, 'name' | 'type' | 'setIdentifier'>): string {
  return `${r.name}|${r.type}|${r.setIdentifier ?? ''}`;
}

/** Route53 lists names with their labels reversed (com.example.www), then by type. */
export function compareNames(a: string, b: string): number {
  const la = a.replace(/\.$/, '').split('.').reverse();
  const lb = b.replace(/\.$/, '').split('.').reverse();
  for (let i = 0; i < Math.min(la.length, lb.length); i++) {
    if (la[i] !== lb[i]) return la[i] < lb[i] ? -1 : 1;
  }
  return la.length - lb.length;
}

export function compareRecords(a: SimRecordSet, b: SimRecordSet): number {
  return (
    compareNames(a.name, b.name) ||
    (a.type < b.type ? -1 : a.type > b.type ? 1 : 0) ||
    ((a.setIdentifier ?? '') < (b.setIdentifier ?? '') ? -1 : (a.setIdentifier ?? '') > (b.setIdentifier ?? '') ? 1 : 0)
  );
}

function describe(r: SimRecordSet): string {
  const id = r.setIdentifier === undefined ? '' : `, set-identifier='${r.setIdentifier}'`;
  return `[name='${r.name}', type='${r.type}'${id}]`;
}

/** The character strings of a TXT/SPF value, or an error text as Route53 words it. */
function checkTxt(value: string): string | undefined {
  let i = 0;
  let strings = 0;
  while (i < value.length) {
    if (value[i] === ' ') {
      i++;
      continue;
    }
    let bytes = 0;
    if (value[i] === '"') {
      i++;
      let closed = false;
      while (i < value.length) {
        const c = value[i];
        if (c === '"') {
          closed = true;
          i++;
          break;
        }
        if (c === '\\') {
          if (/^[0-7]{3}$/.test(value.slice(i + 1, i + 4))) i += 4;
          else i += 2;
          bytes++;
          continue;
        }
        bytes += Buffer.byteLength(c);
        i++;
      }
      if (!closed) return `Invalid Resource Record: 'FATAL problem: InvalidCharacterString (Value should be enclosed in quotation marks) encountered with '${value}''`;
    } else {
      while (i < value.length && value[i] !== ' ') {
        if (value[i] === '"') return `Invalid Resource Record: 'FATAL problem: InvalidCharacterString (Value should be enclosed in quotation marks) encountered with '${value}''`;
        bytes++;
        i++;
      }
    }
    if (bytes > 255) return `Invalid Resource Record: 'FATAL problem: CharacterStringTooLong (Value is too long) encountered with '${value}''`;
    strings++;
  }
  return strings === 0 ? `Invalid Resource Record: 'FATAL problem: InvalidCharacterString (Value should be enclosed in quotation marks) encountered with '${value}''` : undefined;
}

function checkValue(type: string, value: string): string | undefined {
  switch (type) {
    case 'A':
      return isIP(value) === 4 ? undefined : `Invalid Resource Record: 'FATAL problem: ARRDATAIllegalIPv4Address (Value is not a valid IPv4 address) encountered with '${value}''`;
    case 'AAAA':
      return isIP(value) === 6 ? undefined : `Invalid Resource Record: 'FATAL problem: AAAARRDATAIllegalIPv6Address (Value is not a valid IPv6 address) encountered with '${value}''`;
    case 'TXT':
    case 'SPF':
      return checkTxt(value);
    case 'CNAME':
    case 'NS':
    case 'PTR':
      return /^[^\s]+$/.test(value) ? undefined : `Invalid Resource Record: 'FATAL problem: DomainLabelEmpty (Domain label is empty) encountered with '${value}''`;
    default:
      return value.trim() === '' ? `Invalid Resource Record: 'FATAL problem: empty value'` : undefined;
  }
}

/** Shape errors of one change, before it meets the zone's state. */
function checkChange(c: SimChange, zoneName: string): string[] {
  const r = c.record;
  const errors: string[] = [];
  if (!SUPPORTED_TYPES.has(r.type)) return [`Invalid request: unsupported type ${r.type}`];
  if (r.name !== zoneName && !r.name.endsWith('.' + zoneName)) {
    return [`RRSet with DNS name ${r.name} is not permitted in zone ${zoneName}`];
  }
  const hasRecords = r.values !== undefined && r.values.length > 0;
  if (r.alias === undefined ? !hasRecords || r.ttl === undefined : hasRecords || r.ttl !== undefined) {
    errors.push(
      `Invalid request: Expected exactly one of [AliasTarget, all of [TTL, and ResourceRecords], or TrafficPolicyInstanceId], but found ${r.alias === undefined ? 'none' : 'more than one'} in Change with [Action=${c.action}, Name=${r.name}, Type=${r.type}, SetIdentifier=${r.setIdentifier ?? 'null'}]`,
    );
  }
  if (r.alias !== undefined && r.type !== 'A' && r.type !== 'AAAA' && r.type !== 'CNAME' && r.type !== 'TXT') {
    errors.push(`Invalid request: alias records of type ${r.type} are not supported`);
  }
  if ((r.setIdentifier === undefined) !== (r.weight === undefined)) {
    errors.push(`Invalid request: SetIdentifier and Weight must be given together in Change with [Action=${c.action}, Name=${r.name}, Type=${r.type}]`);
  }
  if (r.type === 'CNAME' && r.name === zoneName) {
    errors.push(`RRSet of type CNAME with DNS name ${r.name} is not permitted at apex in zone ${zoneName}`);
  }
  if (r.type === 'CNAME' && (r.values?.length ?? 0) > 1) {
    errors.push(`RRSet of type CNAME with DNS name ${r.name} has more than one value`);
  }
  for (const v of r.values ?? []) {
    const e = checkValue(r.type, v);
    if (e !== undefined) errors.push(e);
  }
  return errors;
}

function sameSet(a: SimRecordSet, b: SimRecordSet): boolean {
  const va = [...(a.values ?? [])].sort();
  const vb = [...(b.values ?? [])].sort();
  const aliasEqual = a.alias === undefined || b.alias === undefined
    ? a.alias === b.alias
    : a.alias.hostedZoneId === b.alias.hostedZoneId &&
      normalizeSimName(a.alias.dnsName) === normalizeSimName(b.alias.dnsName) &&
      a.alias.evaluateTargetHealth === b.alias.evaluateTargetHealth;
  return a.ttl === b.ttl && a.weight === b.weight && aliasEqual && va.length === vb.length && va.every((v, i) => v === vb[i]);
}

/** Request-level limits: ResourceRecord elements and value characters, UPSERT counted twice. */
export function checkLimits(changes: readonly SimChange[]): string | undefined {
  let records = 0;
  let chars = 0;
  for (const c of changes) {
    const factor = c.action === 'UPSERT' ? 2 : 1;
    for (const v of c.record.values ?? []) {
      records += factor;
      chars += v.length * factor;
    }
  }
  if (changes.length > MAX_RECORDS_PER_REQUEST || records > MAX_RECORDS_PER_REQUEST) {
    return `Number of records limit of ${MAX_RECORDS_PER_REQUEST} exceeded.`;
  }
  if (chars > MAX_VALUE_CHARS_PER_REQUEST) return `Number of records characters limit of ${MAX_VALUE_CHARS_PER_REQUEST} exceeded.`;
  return undefined;
}

/**
 * Applies a batch to a copy of `current` and returns the new map, or the messages of every
 * change that failed: Route53 applies all of a batch or none of it.
 */
export function applyBatch(
  current: ReadonlyMap<string, SimRecordSet>,
  changes: readonly SimChange[],
  zoneName: string,
): { ok: true; records: Map<string, SimRecordSet> } | { ok: false; messages: string[] } {
  const limit = checkLimits(changes);
  if (limit !== undefined) return { ok: false, messages: [limit] };
  const next = new Map(current);
  const messages: string[] = [];
  for (const c of changes) {
    const shape = checkChange(c, zoneName);
    if (shape.length > 0) {
      messages.push(...shape);
      continue;
    }
    const r = c.record;
    const key = recordKey(r);
    const existing = next.get(key);
    if (c.action === 'CREATE' && existing) {
      messages.push(`Tried to create resource record set ${describe(r)} but it already exists`);
      continue;
    }
    if (c.action === 'DELETE') {
      if (!existing) messages.push(`Tried to delete resource record set ${describe(r)} but it was not found`);
      else if (!sameSet(existing, r)) messages.push(`Tried to delete resource record set ${describe(r)} but the values provided do not match the current values`);
      else next.delete(key);
      continue;
    }
    const conflict = [...next.values()].find(
      (o) => o.name === r.name && recordKey(o) !== key && (o.type === 'CNAME') !== (r.type === 'CNAME'),
    );
    if (conflict) {
      messages.push(
        `RRSet of type ${r.type} with DNS name ${r.name} is not permitted because a conflicting RRSet of type ${conflict.type} with the same DNS name already exists in zone ${zoneName}`,
      );
      continue;
    }
    next.set(key, { ...r });
  }
  if (messages.length === 0) {
    if (!next.has(recordKey({ name: zoneName, type: 'SOA' }))) messages.push('A HostedZone must contain exactly one SOA record.');
    if (!next.has(recordKey({ name: zoneName, type: 'NS' }))) messages.push('A HostedZone must contain at least one NS record for the zone itself.');
  }
  return messages.length > 0 ? { ok: false, messages } : { ok: true, records: next };
}
