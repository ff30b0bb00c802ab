// A plan's changes as RFC 2136 update units: each change's prerequisites and updates,
// which travel in one UPDATE message or not at all. Pure: no I/O.
//
// The prerequisites make the server refuse a change when the zone is not as it was read
// (RFC 2136 §2.4, §3.2):
//   create → "RRset does not exist" (class NONE, type T); a CNAME also "name is not in use"
//            (class NONE, type ANY); any other type "no CNAME at the name". BIND silently
//            ignores a CNAME added beside other data and other data added beside a CNAME
//            (§3.4.2.2); these prerequisites make both fail visibly (YXDOMAIN / YXRRSET).
//   update → "RRset exists (value dependent)" with the values read (class IN, TTL 0),
//            then delete the RRset (class ANY) and add the new values.
//   delete → "RRset exists (value dependent)", then delete the RRset.
import type { RecordSet } from '../../src/model/index.js';
import { describeChange, type PlanChange } from '../provider.js';
import { encodeRdata, MODEL_TYPE_CODES } from './rdata.js';
import { CLASS, encodeRR, TYPE } from './wire.js';

export interface Unit {
  /** indexes of the plan changes this unit reports for (two when a record and its ownership companion travel together) */
  indexes: number[];
  /** deletes are sent before updates, updates before creates (a name may change from CNAME to A) */
  phase: 0 | 1 | 2;
  prereqs: Buffer[];
  updates: Buffer[];
  /** encoded size of prereqs and updates */
  size: number;
  /** 'create www.example.org A' */
  what: string;
  /**
   * Upsert-only (the zone cannot be transferred): what to send when the create finds the set
   * already there: a replace guarded by our ownership companion holding the plan's value.
   */
  replace?: Unit;
  /** why the replace may fail: said when it does */
  replaceGuard?: string;
}

const EMPTY = Buffer.alloc(0);

function typeCode(r: RecordSet): number {
  return MODEL_TYPE_CODES[r.type];
}

/** "RRset does not exist". */
function rrsetAbsent(name: string, type: number): Buffer {
  return encodeRR({ name, type, class: CLASS.NONE, ttl: 0, rdata: EMPTY });
}

/** "Name is not in use". */
function nameUnused(name: string): Buffer {
  return encodeRR({ name, type: TYPE.ANY, class: CLASS.NONE, ttl: 0, rdata: EMPTY });
}

/** "RRset exists (value dependent)": one RR per value, TTL 0. */
function rrsetHolds(r: RecordSet): Buffer[] {
  return r.values.map((v) => encodeRR({ name: r.name, type: typeCode(r), class: CLASS.IN, ttl: 0, rdata: encodeRdata(r.type, v) }));
}

function deleteRrset(r: RecordSet): Buffer {
  return encodeRR({ name: r.name, type: typeCode(r), class: CLASS.ANY, ttl: 0, rdata: EMPTY });
}

function add(r: RecordSet): Buffer[] {
  return r.values.map((v) => encodeRR({ name: r.name, type: typeCode(r), class: CLASS.IN, ttl: r.ttl, rdata: encodeRdata(r.type, v) }));
}

/** The prerequisites that keep a created set from landing beside a CNAME, or a CNAME beside data. */
function cnameRules(r: RecordSet): Buffer[] {
  return r.type === 'CNAME' ? [nameUnused(r.name)] : [rrsetAbsent(r.name, TYPE.CNAME)];
}

function inZone(name: string, zone: string): boolean {
  return name === zone || name.endsWith(`.${zone}`);
}

/** Checks what the wire cannot say; throws with the reason. */
function check(r: RecordSet, zone: string): void {
  if (!inZone(r.name, zone)) throw new Error(`${r.name} is not in zone ${zone}`);
  if (r.setIdentifier !== undefined || r.weight !== undefined) throw new Error('weighted record sets (setIdentifier) cannot be written with RFC 2136');
  if (r.values.length === 0) throw new Error('a record set needs at least one value');
  if (r.type === 'CNAME' && r.values.length !== 1) throw new Error('a CNAME set holds exactly one value');
  if (!Number.isInteger(r.ttl) || r.ttl < 0 || r.ttl > 0x7fffffff) throw new Error(`TTL ${r.ttl} is not 0..2147483647`);
}

function unit(indexes: number[], phase: Unit['phase'], what: string, prereqs: Buffer[], updates: Buffer[]): Unit {
  const size = [...prereqs, ...updates].reduce((n, b) => n + b.length, 0);
  return { indexes, phase, prereqs, updates, size, what };
}

/** One change as a unit; throws (RdataError, or a plain Error) when it cannot be written. */
export function changeUnit(index: number, c: PlanChange, zone: string): Unit {
  const what = describeChange(c);
  switch (c.action) {
    case 'create':
      check(c.record, zone);
      return unit([index], 2, what, [rrsetAbsent(c.record.name, typeCode(c.record)), ...cnameRules(c.record)], add(c.record));
    case 'update':
      check(c.from, zone);
      check(c.to, zone);
      if (c.from.name !== c.to.name || c.from.type !== c.to.type) throw new Error(`an update must keep name and type (${c.from.name} ${c.from.type} → ${c.to.name} ${c.to.type})`);
      return unit([index], 1, what, rrsetHolds(c.from), [deleteRrset(c.from), ...add(c.to)]);
    case 'delete':
      check(c.record, zone);
      return unit([index], 0, what, rrsetHolds(c.record), [deleteRrset(c.record)]);
  }
}

/**
 * The name of a record set's ownership companion, as the planner names it
 * (src/planner/ownership.ts): `_globaldns-<type>.<name>`; a wildcard's `*` label is replaced
 * by `_globaldns-<type>-wildcard`.
 */
export function companionName(name: string, type: string): string {
  const t = type.toLowerCase();
  if (name === '*') return `_globaldns-${t}-wildcard`;
  if (name.startsWith('*.')) return `_globaldns-${t}-wildcard.${name.slice(2)}`;
  return `_globaldns-${t}.${name}`;
}

/**
 * Units for a zone that cannot be transferred (upsert-only): the plan holds only creates,
 * made against an empty view of the zone. A record and its ownership companion (a TXT create
 * in the same plan) travel as one unit, so the companion is never written without the
 * record. When the create finds the set there (YXRRSET, or YXDOMAIN for a CNAME), it is
 * retried as a replace whose prerequisite is the companion already holding the plan's
 * value: only a set that was ours before this plan is overwritten. The guard is checked
 * against the zone before the replace, and the companion is written only by its own unit,
 * so no earlier message of this plan can make a foreign set look ours.
 * A create without a companion in the plan succeeds on a set already holding exactly the
 * plan's values, and never overwrites one.
 */
export function upsertUnits(creates: { index: number; record: RecordSet }[], zone: string): { units: Unit[]; errors: { index: number; error: string }[] } {
  const byKey = new Map(creates.filter((c) => c.record.type === 'TXT').map((c) => [c.record.name, c]));
  const consumed = new Set<number>();
  // Records first, so that each claims its companion before the companion stands alone.
  const ordered = [...creates].sort((a, b) => Number(isCompanion(a.record)) - Number(isCompanion(b.record)) || a.index - b.index);
  const units: Unit[] = [];
  const errors: { index: number; error: string }[] = [];
  for (const c of ordered) {
    if (consumed.has(c.index)) continue;
    const r = c.record;
    const what = describeChange({ action: 'create', record: r });
    try {
      check(r, zone);
      const companion = isCompanion(r) ? undefined : byKey.get(companionName(r.name, r.type));
      if (companion && !consumed.has(companion.index)) {
        check(companion.record, zone);
        consumed.add(companion.index);
        const C = companion.record;
        const u = unit([c.index, companion.index], 2, what, [rrsetAbsent(r.name, typeCode(r)), ...cnameRules(r), rrsetAbsent(C.name, TYPE.TXT)], [...add(r), ...add(C)]);
        u.replace = unit(u.indexes, 2, what, [...rrsetHolds(C), ...(r.type === 'CNAME' ? [] : [rrsetAbsent(r.name, TYPE.CNAME)])], [deleteRrset(r), ...add(r), deleteRrset(C), ...add(C)]);
        u.replaceGuard = `it exists and is not ours: its ownership record ${C.name} TXT does not hold our value`;
        units.push(u);
      } else {
        const u = unit([c.index], 2, what, [rrsetAbsent(r.name, typeCode(r)), ...cnameRules(r)], add(r));
        // Already exactly as planned: nothing to write, and nothing foreign overwritten.
        u.replace = unit([c.index], 2, what, rrsetHolds(r), []);
        u.replaceGuard = 'it exists with other values and no ownership record of ours comes with it in the plan';
        units.push(u);
      }
      consumed.add(c.index);
    } catch (e) {
      errors.push({ index: c.index, error: (e as Error).message });
      consumed.add(c.index);
    }
  }
  return { units, errors };
}

function isCompanion(r: RecordSet): boolean {
  return r.type === 'TXT' && /^_globaldns-[a-z0-9]+(-wildcard)?(\.|$)/.test(r.name);
}
