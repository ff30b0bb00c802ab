// What maps to what between globaldns' RecordSet (canonical names, presentation values) and
// Route53's ResourceRecordSet (names with a trailing dot and \DDD escapes, quoted TXT, aliases).

import type { ResourceRecordSet } from '@aws-sdk/client-route-53';
import { normalizeName, RR_TYPES } from '../../src/model/index.js';
import type { RecordSet, RRType } from '../../src/model/index.js';
import { respellValue, withTrailingDot, type ValueSpelling } from '../presentation.js';
import { elbAliasZoneId, parseElbHostname } from './alias.js';
import { quoteTxtStrings, unquoteTxtStrings, type TxtSpelling } from '../txt.js';

export interface Route53AliasTarget {
  hostedZoneId: string;
  /** Canonical: lower case, no trailing dot. */
  dnsName: string;
  evaluateTargetHealth: boolean;
}

/**
 * A RecordSet as Route53 can hold it. An alias is an A/AAAA set whose single value is the
 * alias target's name and whose `alias` says where it points; Route53 keeps no TTL for an
 * alias (the target's applies), so `ttl` is 0 when read back and ignored when written.
 */
export interface Route53RecordSet extends RecordSet {
  alias?: Route53AliasTarget;
}

export interface WireOptions {
  /** Extra alias hosted zone ids, keyed '<alb-clb|nlb>/<region>'. */
  aliasHostedZoneIds?: Readonly<Record<string, string>>;
  /** EvaluateTargetHealth on load-balancer aliases (default true). */
  evaluateTargetHealth?: boolean;
}

const KNOWN_TYPES = new Set<string>(RR_TYPES);

/** Route53's TXT: every octet outside printable ASCII as \DDD in OCTAL (not RFC 1035's decimal). */
const ROUTE53_TXT: TxtSpelling = { escapeBase: 8, nonAscii: 'escape' };

/** 'a "b"' → '"a \"b\""'; text longer than 255 octets becomes several strings. */
export function quoteTxt(text: string): string {
  return quoteTxtStrings(text, ROUTE53_TXT);
}

/** The text of a Route53 TXT value: its strings decoded and joined into one text. */
export function unquoteTxt(value: string): string {
  return unquoteTxtStrings(value, ROUTE53_TXT);
}

/** Route53 escapes octets outside [a-z0-9-_] as \DDD ('*' is \052); decode, then canonicalise. */
export function fromWireName(name: string): string {
  return normalizeName(name.replace(/\\([0-7]{3})/g, (_, oct: string) => String.fromCharCode(parseInt(oct, 8))));
}

export const toWireName = withTrailingDot;

/** Route53 takes host names absolute, in the case they are given. */
const TO_WIRE: ValueSpelling = { txt: quoteTxt, host: withTrailingDot };
const FROM_WIRE: ValueSpelling = { txt: unquoteTxt, host: normalizeName };

export function toWireValue(type: RRType, value: string): string {
  return respellValue(type, value, TO_WIRE);
}

export function fromWireValue(type: RRType, value: string): string {
  return respellValue(type, value, FROM_WIRE);
}

/** Route53's record set, or undefined for types globaldns does not model (SOA, DS, ...). */
export function fromWire(r: ResourceRecordSet): Route53RecordSet | undefined {
  if (r.Name === undefined || r.Type === undefined || !KNOWN_TYPES.has(r.Type)) return undefined;
  const type = r.Type as RRType;
  const out: Route53RecordSet = { name: fromWireName(r.Name), type, ttl: r.TTL ?? 0, values: [] };
  if (r.AliasTarget) {
    const dnsName = normalizeName(r.AliasTarget.DNSName ?? '');
    out.values = [dnsName];
    out.alias = {
      hostedZoneId: r.AliasTarget.HostedZoneId ?? '',
      dnsName,
      evaluateTargetHealth: r.AliasTarget.EvaluateTargetHealth ?? false,
    };
  } else {
    out.values = (r.ResourceRecords ?? []).map((rr) => fromWireValue(type, rr.Value ?? ''));
  }
  if (r.SetIdentifier !== undefined) out.setIdentifier = r.SetIdentifier;
  if (r.Weight !== undefined) out.weight = r.Weight;
  return out;
}

/**
 * Route53's record set for a RecordSet. An A/AAAA set whose only value is an AWS load-balancer
 * hostname becomes an alias to it. Throws (with the reason) when the set cannot be written.
 */
export function toWire(r: Route53RecordSet, o: WireOptions = {}): ResourceRecordSet {
  const out: ResourceRecordSet = { Name: toWireName(r.name), Type: r.type };
  if (r.setIdentifier !== undefined) out.SetIdentifier = r.setIdentifier;
  if (r.weight !== undefined) out.Weight = r.weight;
  if (r.alias !== undefined) {
    out.AliasTarget = {
      HostedZoneId: r.alias.hostedZoneId,
      DNSName: withTrailingDot(r.alias.dnsName),
      EvaluateTargetHealth: r.alias.evaluateTargetHealth,
    };
    return out;
  }
  if (r.type === 'A' || r.type === 'AAAA') {
    const lb = r.values.length === 1 ? parseElbHostname(r.values[0]) : undefined;
    if (lb !== undefined) {
      out.AliasTarget = {
        HostedZoneId: elbAliasZoneId(lb, o.aliasHostedZoneIds),
        DNSName: withTrailingDot(r.values[0].toLowerCase()),
        EvaluateTargetHealth: o.evaluateTargetHealth ?? true,
      };
      return out;
    }
    if (r.values.some((v) => parseElbHostname(v) !== undefined)) {
      throw new Error(`${r.name} ${r.type}: an alias has one target, got ${r.values.length} values; give each load balancer its own set identifier`);
    }
  }
  if (r.values.length === 0) throw new Error(`${r.name} ${r.type}: a record set needs at least one value`);
  out.TTL = r.ttl;
  out.ResourceRecords = r.values.map((v) => ({ Value: toWireValue(r.type, v) }));
  return out;
}

/** What a record set costs against a request's limits: ResourceRecord elements and value characters. */
export function wireCost(r: ResourceRecordSet): { records: number; chars: number } {
  if (r.ResourceRecords === undefined) return { records: 1, chars: r.AliasTarget?.DNSName?.length ?? 0 };
  let chars = 0;
  for (const rr of r.ResourceRecords) chars += rr.Value?.length ?? 0;
  return { records: r.ResourceRecords.length, chars };
}
