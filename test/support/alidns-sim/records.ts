// The Alidns simulator's record store: one record per value, the API's checks (duplicates,
// CNAME conflicts, TTL per edition, locked records) and its error codes. No HTTP here.
import { isIPv4, isIPv6 } from 'node:net';

export type SimEdition = 'free' | 'personal' | 'enterprise-standard' | 'enterprise-ultimate';

export const SIM_EDITIONS: Readonly<Record<SimEdition, { minTtl: number; versionCode: string; versionName: string }>> = {
  free: { minTtl: 600, versionCode: 'mianfei', versionName: 'Alibaba Cloud DNS Free Edition' },
  personal: { minTtl: 600, versionCode: 'version_personal', versionName: 'Personal Edition' },
  'enterprise-standard': { minTtl: 60, versionCode: 'version_enterprise_basic', versionName: 'Enterprise Standard Edition' },
  'enterprise-ultimate': { minTtl: 1, versionCode: 'version_enterprise_advanced', versionName: 'Enterprise Ultimate Edition' },
};

export const SIM_MAX_TTL = 86_400;

export interface SimRecord {
  RecordId: string;
  DomainName: string;
  RR: string;
  Type: string;
  Value: string;
  TTL: number;
  Line: string;
  Status: 'ENABLE' | 'DISABLE';
  Locked: boolean;
  Weight: number;
  /** MX only. */
  Priority?: number;
}

export interface SimDomain {
  DomainId: string;
  DomainName: string;
  edition: SimEdition;
  records: Map<string, SimRecord>;
}

/** An API error: HTTP status, Alidns's Code and Message. */
export class SimApiError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
  ) {
    super(message);
  }
}

const TYPES = new Set(['A', 'AAAA', 'CNAME', 'TXT', 'MX', 'NS', 'SRV', 'CAA', 'PTR', 'REDIRECT_URL', 'FORWARD_URL']);
const RR_LABEL = /^(\*|[a-z0-9_](?:[a-z0-9_-]{0,61}[a-z0-9_])?)$/;

const invalid = (name: string) => new SimApiError(400, 'InvalidParameter', `The specified value of parameter "${name}" is not valid.`);
const missing = (name: string) => new SimApiError(400, 'MissingParameter', `The input parameter "${name}" that is mandatory for processing this request is not supplied.`);

/** What AddDomainRecord / UpdateDomainRecord write. */
export interface RecordInput {
  RR: string;
  Type: string;
  Value: string;
  TTL: number;
  Line: string;
  Priority?: number;
}

/** Reads and checks the record parameters of an Add/Update request against the domain's edition. */
export function recordInput(q: URLSearchParams, domain: SimDomain): RecordInput {
  const RR = q.get('RR');
  const Type = q.get('Type');
  const Value = q.get('Value');
  if (RR === null || RR === '') throw missing('RR');
  if (Type === null || Type === '') throw missing('Type');
  if (Value === null || Value === '') throw missing('Value');
  const rr = RR.toLowerCase();
  if (rr !== '@' && !rr.split('.').every((l, i) => RR_LABEL.test(l) && (l !== '*' || i === 0))) {
    throw new SimApiError(400, 'InvalidRR.Format', `The host record "${RR}" is not valid.`);
  }
  const type = Type.toUpperCase();
  if (!TYPES.has(type)) throw invalid('Type');
  if (type === 'A' && !isIPv4(Value)) throw new SimApiError(400, 'InvalidParameter', `The value "${Value}" of an A record must be an IPv4 address.`);
  if (type === 'AAAA' && !isIPv6(Value)) throw new SimApiError(400, 'InvalidParameter', `The value "${Value}" of an AAAA record must be an IPv6 address.`);
  if ((type === 'CNAME' || type === 'NS' || type === 'MX') && !/^[a-z0-9_.*-]+$/i.test(Value)) throw invalid('Value');
  let TTL = 600;
  const ttlRaw = q.get('TTL');
  if (ttlRaw !== null) {
    TTL = Number(ttlRaw);
    if (!Number.isInteger(TTL) || TTL > SIM_MAX_TTL || TTL < 1) throw invalid('TTL');
    const { minTtl } = SIM_EDITIONS[domain.edition];
    if (TTL < minTtl) {
      throw new SimApiError(400, 'QuotaExceeded.TTL', `The TTL ${TTL} is below the minimum TTL ${minTtl} of the domain's DNS edition.`);
    }
  }
  let Priority: number | undefined;
  if (type === 'MX') {
    const p = q.get('Priority');
    if (p === null) throw missing('Priority');
    Priority = Number(p);
    if (!Number.isInteger(Priority) || Priority < 1 || Priority > 50) throw invalid('Priority');
  }
  return { RR: rr, Type: type, Value, TTL, Line: q.get('Line') || 'default', Priority };
}

/** Duplicates (same RR, type, line and value) and CNAME beside anything else on the same RR and line. */
function checkAgainstOthers(domain: SimDomain, r: RecordInput, self?: string): void {
  for (const o of domain.records.values()) {
    if (o.RecordId === self || o.RR !== r.RR || o.Line !== r.Line) continue;
    if (o.Type === r.Type && o.Value === r.Value) throw new SimApiError(400, 'DomainRecordDuplicate', 'The domain record is duplicated.');
    if (o.Type === 'CNAME' || r.Type === 'CNAME') {
      throw new SimApiError(400, 'DomainRecordConflict', 'The domain record is conflict with other records.');
    }
  }
}

export function addRecord(domain: SimDomain, r: RecordInput, id: string): SimRecord {
  checkAgainstOthers(domain, r);
  const rec: SimRecord = { RecordId: id, DomainName: domain.DomainName, ...r, Status: 'ENABLE', Locked: false, Weight: 1 };
  if (rec.Priority === undefined) delete rec.Priority;
  domain.records.set(id, rec);
  return rec;
}

export function findRecord(domains: Iterable<SimDomain>, id: string | null): { domain: SimDomain; record: SimRecord } {
  if (id === null || id === '') throw missing('RecordId');
  for (const domain of domains) {
    const record = domain.records.get(id);
    if (record) return { domain, record };
  }
  throw new SimApiError(400, 'DomainRecordNotBelongToUser', 'The DNS record does not exist or does not belong to you.');
}

export function updateRecord(domain: SimDomain, old: SimRecord, r: RecordInput): SimRecord {
  if (old.Locked) throw new SimApiError(400, 'DomainRecordLocked', 'The DNS record is locked and cannot be changed.');
  const same = old.RR === r.RR && old.Type === r.Type && old.Value === r.Value && old.TTL === r.TTL && old.Line === r.Line && old.Priority === r.Priority;
  if (same) throw new SimApiError(400, 'DomainRecordDuplicate', 'The domain record is duplicated.');
  checkAgainstOthers(domain, r, old.RecordId);
  const rec: SimRecord = { ...old, ...r };
  if (r.Priority === undefined) delete rec.Priority;
  domain.records.set(old.RecordId, rec);
  return rec;
}

export function deleteRecord(domain: SimDomain, rec: SimRecord): void {
  if (rec.Locked) throw new SimApiError(400, 'DomainRecordLocked', 'The DNS record is locked and cannot be deleted.');
  domain.records.delete(rec.RecordId);
}

/** DescribeDomainRecords' filters: RRKeyWord and ValueKeyWord match parts, TypeKeyWord the whole type. */
export function filterRecords(domain: SimDomain, q: URLSearchParams): SimRecord[] {
  const rr = q.get('RRKeyWord')?.toLowerCase();
  const type = q.get('TypeKeyWord')?.toUpperCase();
  const value = q.get('ValueKeyWord')?.toLowerCase();
  return [...domain.records.values()].filter(
    (r) => (!rr || r.RR.includes(rr)) && (!type || r.Type === type) && (!value || r.Value.toLowerCase().includes(value)),
  );
}
