/**
 * An immutable, wire-ready snapshot of one zone, and the lookup over it.
 *
 * A snapshot is built off to the side and swapped in by the ZoneStore in one assignment; a
 * query reads exactly one snapshot. Two ways to build one: from a whole ZoneContent, or as a
 * patch of the previous snapshot for a few names (what the controller does per change). Both
 * reuse encoded RRsets whose record sets did not change.
 */
import type { RecordSet, ZoneContent } from '../model/index.js';
import { encodeHinfoRdata, encodeRdataSet, encodeSoaRdata, TYPE_CODE } from './rdata.js';
import { TYPE } from './wire.js';
import { sourcesOf, ZoneTree, type WireRRset, type ZoneNode } from './zone-tree.js';

export type { WireRRset } from './zone-tree.js';

export const enum LookupKind {
  Answer,
  NoData,
  NameError,
  Referral,
}

export interface LookupResult {
  kind: LookupKind;
  /** The answer section, in order (CNAME chain links first). Owner '' means "the query name". */
  answer: WireRRset[];
  authority: WireRRset[];
  additional: WireRRset[];
  /** False for referrals: below a zone cut we are not authoritative. */
  authoritative: boolean;
}

/** The zone's own data: everything but the records. */
export type ZoneSettings = Omit<ZoneContent, 'records'>;

/** Record sets by owner name; an empty list removes the name's data. */
export type NameChanges = ReadonlyMap<string, readonly RecordSet[]>;

/** Picks the serial once it is known whether the served data changed. */
export type SerialFor = (changed: boolean) => number;

/** CNAME chains longer than this are cut short (loops included). */
const MAX_CHAIN = 8;

/** HINFO answer for ANY queries, as RFC 8482 §4.2 suggests. */
const RFC8482_HINFO = encodeHinfoRdata('RFC8482', '');

export class ZoneSnapshot {
  readonly apex: string;
  readonly serial: number;
  readonly settings: ZoneSettings;
  /** Record sets left out because they could not be served (outside the zone, bad value). */
  readonly problems: string[];
  /** True when the served data differs from the previous snapshot (or there was none). */
  readonly changed: boolean;
  private readonly tree: ZoneTree;
  /** SOA as used in negative answers: TTL = min(SOA TTL, MINIMUM) (RFC 2308 §3). */
  private readonly negativeSoa: WireRRset;
  /** Number of NS sets below the apex; lookups skip the zone-cut walk when there are none. */
  private readonly cuts: number;

  private constructor(settings: ZoneSettings, tree: ZoneTree, cuts: number, problems: string[], changed: boolean, serial: number) {
    this.apex = settings.apex;
    this.settings = { ...settings, soa: { ...settings.soa, serial } };
    this.serial = serial;
    this.tree = tree;
    this.cuts = cuts;
    this.problems = problems;
    this.changed = changed;
    const soaRdata = encodeSoaRdata(this.settings.soa);
    const soa: WireRRset = { name: this.apex, type: TYPE.SOA, ttl: settings.soa.ttl, slab: soaRdata, at: 0, len: soaRdata.length, count: 1 };
    this.negativeSoa = { ...soa, ttl: Math.min(settings.soa.ttl, settings.soa.minimum) };
    const ns: WireRRset = {
      name: this.apex,
      type: TYPE.NS,
      ttl: settings.nsTtl,
      ...encodeRdataSet('NS', settings.ns),
      count: settings.ns.length,
      targets: settings.ns.map(lower),
    };
    const apexData = (tree.get(this.apex)?.rrsets ?? []).filter((r) => r.type !== TYPE.SOA && r.type !== TYPE.NS);
    tree.set(this.apex, [soa, ns, ...apexData]);
  }

  /** A snapshot of a whole zone; RRsets unchanged from `previous` are taken over encoded. */
  static build(content: ZoneContent, previous?: ZoneSnapshot, serialFor: SerialFor = () => content.soa.serial): ZoneSnapshot {
    const { records, ...settings } = content;
    const tree = ZoneTree.empty(settings.apex);
    const problems: string[] = [];
    let changed = !previous || !sameSettings(previous.settings, settings);
    let cuts = 0;
    let sets = 0;
    // One pass, no grouping map: a name seen again is re-encoded with all of its sets so far.
    for (const rs of records) {
      const name = lower(rs.name);
      const sofar = tree.get(name)?.rrsets;
      const mine = sofar && sofar.length > 0 ? sofar.filter((r) => r.source !== undefined) : undefined;
      const list = mine && mine.length > 0 ? [...mine.flatMap(sourcesOf), rs] : [rs];
      const rrsets = encodeName(settings.apex, name, list, previous?.tree.get(name), problems);
      if (!rrsets.reused) changed = true;
      if (mine) {
        cuts -= countCuts(settings.apex, name, mine);
        sets -= mine.length;
      }
      cuts += countCuts(settings.apex, name, rrsets.wire);
      sets += rrsets.wire.length;
      tree.set(name, rrsets.wire);
    }
    if (previous && !changed && sets !== previous.dataSets()) changed = true;
    return new ZoneSnapshot(settings, tree, cuts, problems, changed, serialFor(changed) >>> 0);
  }

  /** The previous snapshot with the data at a few names replaced: O(names changed + map copy). */
  static patch(previous: ZoneSnapshot, changes: NameChanges, serialFor: SerialFor): ZoneSnapshot {
    const tree = previous.tree.clone();
    const problems: string[] = [];
    let changed = false;
    let cuts = previous.cuts;
    for (const [rawName, list] of changes) {
      const name = lower(rawName);
      const before = previous.tree.get(name);
      const own = (before?.rrsets ?? []).filter((r) => r.source !== undefined);
      const rrsets = encodeName(previous.apex, name, list, before, problems);
      if (!rrsets.reused || rrsets.wire.length !== own.length) changed = true;
      cuts += countCuts(previous.apex, name, rrsets.wire) - countCuts(previous.apex, name, own);
      tree.set(name, rrsets.wire);
    }
    return new ZoneSnapshot(previous.settings, tree, cuts, problems, changed, serialFor(changed) >>> 0);
  }

  /** The zone as a ZoneContent (for the state snapshot): settings plus every record set served. */
  content(): ZoneContent {
    const records: RecordSet[] = [];
    for (const node of this.tree.nodes()) for (const r of node.rrsets) records.push(...sourcesOf(r));
    return { ...this.settings, records };
  }

  /** Number of owner names holding data. */
  get size(): number {
    let n = 0;
    for (const node of this.tree.nodes()) if (node.rrsets.length > 0) n++;
    return n;
  }

  private dataSets(): number {
    let n = 0;
    for (const node of this.tree.nodes()) for (const r of node.rrsets) if (r.source !== undefined) n++;
    return n;
  }

  /**
   * Lookup, RFC 1034 §4.3.2 with RFC 4592 wildcards:
   * 1. Walk down from the apex; an NS set below the apex is a zone cut and gives a referral.
   * 2. If the name exists: its RRset of the type, else its CNAME (followed inside the zone),
   *    else NODATA. An empty non-terminal exists and so gives NODATA, never a wildcard.
   * 3. If it does not: find the closest encloser; if '*.<closest encloser>' exists, answer
   *    from it as if it were the query name; else NXDOMAIN.
   * Negative answers carry the SOA in the authority section.
   */
  lookup(qname: string, qtype: number): LookupResult {
    const answer: WireRRset[] = [];
    let name = qname;
    let owner = ''; // '' = write the query name
    for (let hop = 0; hop <= MAX_CHAIN; hop++) {
      if (this.cuts > 0) {
        const cut = this.findCut(name, qtype);
        if (cut) {
          if (answer.length > 0) return this.result(LookupKind.Answer, answer);
          return { kind: LookupKind.Referral, answer: [], authority: [cut], additional: this.glue(cut), authoritative: false };
        }
      }
      // A wildcard answers under the name asked for (RFC 4592 §2.1.1), so `owner` stays as it is.
      let node: readonly WireRRset[] | undefined = this.tree.get(name)?.rrsets;
      if (!node) {
        const source = this.wildcardFor(name);
        if (!source) {
          return answer.length > 0
            ? this.result(LookupKind.NameError, answer, [this.negativeSoa])
            : this.result(LookupKind.NameError, [], [this.negativeSoa]);
        }
        node = source;
      }
      const ownerName = owner;
      if (qtype === TYPE.ANY) {
        if (node.length === 0) return this.result(LookupKind.NoData, answer, [this.negativeSoa]);
        answer.push({ name: ownerName, type: TYPE.HINFO, ttl: Math.min(...node.map((r) => r.ttl)), slab: RFC8482_HINFO, at: 0, len: RFC8482_HINFO.length, count: 1 });
        return this.result(LookupKind.Answer, answer);
      }
      const exact = node.find((r) => r.type === qtype);
      if (exact) {
        answer.push(ownerName === exact.name ? exact : { ...exact, name: ownerName });
        return this.result(LookupKind.Answer, answer, [], this.additionalFor(exact));
      }
      const cname = node.find((r) => r.type === TYPE.CNAME);
      if (!cname) return this.result(LookupKind.NoData, answer, [this.negativeSoa]);
      answer.push(ownerName === cname.name ? cname : { ...cname, name: ownerName });
      const target = cnameTarget(cname);
      if (target === undefined || !(target === this.apex || target.endsWith('.' + this.apex))) {
        return this.result(LookupKind.Answer, answer);
      }
      if (target === qname || answer.some((r) => r.name === target)) return this.result(LookupKind.Answer, answer); // loop
      name = target;
      owner = target;
    }
    return this.result(LookupKind.Answer, answer);
  }

  private result(kind: LookupKind, answer: WireRRset[], authority: WireRRset[] = [], additional: WireRRset[] = []): LookupResult {
    return { kind, answer, authority, additional, authoritative: true };
  }

  private wildcardFor(name: string): readonly WireRRset[] | undefined {
    let n = name;
    while (n !== this.apex) {
      const dot = n.indexOf('.');
      if (dot < 0) return undefined;
      n = n.slice(dot + 1);
      if (this.tree.has(n)) {
        // n is the closest encloser.
        const source = this.tree.get(n === '' ? '*' : `*.${n}`)?.rrsets;
        return source && source.length > 0 ? source : undefined;
      }
    }
    return undefined;
  }

  /** The NS set of the highest zone cut at or above `name` (below the apex). DS would live above the cut. */
  private findCut(name: string, qtype: number): WireRRset | undefined {
    const labels = name.length > this.apex.length ? name.slice(0, name.length - this.apex.length - (this.apex ? 1 : 0)).split('.') : [];
    let n = this.apex;
    for (let i = labels.length - 1; i >= 0; i--) {
      n = n === '' ? labels[i] : `${labels[i]}.${n}`;
      const ns = this.tree.get(n)?.rrsets.find((r) => r.type === TYPE.NS);
      if (ns && !(n === name && qtype === 43 /* DS */)) return ns;
    }
    return undefined;
  }

  private glue(cut: WireRRset): WireRRset[] {
    return this.addresses(cut.targets ?? []);
  }

  private additionalFor(rs: WireRRset): WireRRset[] {
    if (!rs.targets || rs.type === TYPE.CNAME) return [];
    return this.addresses(rs.targets);
  }

  private addresses(names: string[]): WireRRset[] {
    const out: WireRRset[] = [];
    for (const t of names) {
      const node = this.tree.get(t);
      if (!node) continue;
      for (const r of node.rrsets) if (r.type === TYPE.A || r.type === TYPE.AAAA) out.push(r);
    }
    return out;
  }
}

/**
 * Encodes the record sets of one name, reusing the previous node's RRsets where a set is
 * unchanged. `reused` is true only when every set was reused.
 */
function encodeName(apex: string, name: string, list: readonly RecordSet[], before: ZoneNode | undefined, problems: string[]): { wire: WireRRset[]; reused: boolean } {
  const wire: WireRRset[] = [];
  let reused = true;
  if (!(name === apex || name.endsWith('.' + apex) || apex === '')) {
    for (const rs of list) problems.push(`${rs.name} ${rs.type}: outside zone ${apex}`);
    return { wire, reused: list.length === 0 };
  }
  for (const rs of list) {
    if (rs.values.length === 0) continue;
    if (rs.type === 'NS' && name === apex) continue; // the apex NS set comes from the zone's settings
    const type = TYPE_CODE[rs.type];
    const i = wire.findIndex((w) => w.type === type);
    if (i >= 0) {
      // Two record sets of one name and type: served as one, encoded anew.
      const merged = [...sourcesOf(wire[i]), rs];
      const m = tryEncode(name, merged, problems);
      if (m) wire[i] = m;
      reused = false;
      continue;
    }
    const prev = before?.rrsets.find((r) => r.type === type && r.source !== undefined && !Array.isArray(r.source) && sameSet(r.source as RecordSet, rs));
    if (prev) {
      wire.push(prev);
      continue;
    }
    reused = false;
    const w = tryEncode(name, [rs], problems);
    if (w) wire.push(w);
  }
  return { wire, reused };
}

function tryEncode(name: string, sets: RecordSet[], problems: string[]): WireRRset | undefined {
  const first = sets[0];
  try {
    let targets: string[] | undefined;
    let ttl = first.ttl;
    let count = 0;
    for (const s of sets) {
      if (s.ttl < ttl) ttl = s.ttl;
      count += s.values.length;
      for (const v of s.values) {
        const t = targetOf(s.type, v);
        if (t !== undefined) (targets ??= []).push(t);
      }
    }
    const rdata = encodeRdataSet(first.type, sets.length === 1 ? first.values : sets.flatMap((s) => s.values));
    const wire: WireRRset = { name, type: TYPE_CODE[first.type], ttl, slab: rdata.slab, at: rdata.at, len: rdata.len, count, source: sets.length === 1 ? first : sets };
    if (targets) wire.targets = targets;
    return wire;
  } catch (err) {
    problems.push(`${first.name} ${first.type}: ${(err as Error).message}`);
    return undefined;
  }
}

function targetOf(type: RecordSet['type'], value: string): string | undefined {
  switch (type) {
    case 'NS':
    case 'CNAME':
    case 'PTR':
      return lower(stripDot(value));
    case 'MX':
      return lower(stripDot(value.trim().split(/\s+/)[1] ?? ''));
    case 'SRV':
      return lower(stripDot(value.trim().split(/\s+/)[3] ?? ''));
    default:
      return undefined;
  }
}

function sameSet(a: RecordSet, b: RecordSet): boolean {
  if (a === b) return true;
  if (a.ttl !== b.ttl || a.type !== b.type || a.values.length !== b.values.length) return false;
  for (let i = 0; i < a.values.length; i++) if (a.values[i] !== b.values[i]) return false;
  return true;
}

function countCuts(apex: string, name: string, rrsets: readonly WireRRset[]): number {
  return name !== apex && rrsets.some((r) => r.type === TYPE.NS) ? 1 : 0;
}

/** Whether SOA fields (serial aside), NS names and NS TTL are the same. */
function sameSettings(a: ZoneSettings, b: ZoneSettings): boolean {
  const x = a.soa;
  const y = b.soa;
  return x.mname === y.mname && x.rname === y.rname && x.refresh === y.refresh && x.retry === y.retry &&
    x.expire === y.expire && x.minimum === y.minimum && x.ttl === y.ttl && a.nsTtl === b.nsTtl &&
    a.ns.length === b.ns.length && a.ns.every((n, i) => n === b.ns[i]);
}

function cnameTarget(rs: WireRRset): string | undefined {
  return rs.targets?.[0];
}

function lower(s: string): string {
  return s.toLowerCase();
}

function stripDot(s: string): string {
  return s.endsWith('.') ? s.slice(0, -1) : s;
}
