/**
 * An immutable, wire-ready snapshot of one zone, and the lookup over it.
 *
 * A snapshot is built off to the side from a ZoneContent and swapped in by the ZoneStore in
 * one assignment; a query reads exactly one snapshot.
 */
import type { RecordSet, ZoneContent } from '../model/index.js';
import { encodeHinfoRdata, encodeRdata, encodeSoaRdata, TYPE_CODE } from './rdata.js';
import { TYPE } from './wire.js';

/** One RRset in wire form: every rdata already holds RDLENGTH + RDATA. */
export interface WireRRset {
  /** Owner name, canonical. For a wildcard synthesis the responder writes the query name instead. */
  name: string;
  type: number;
  ttl: number;
  rdata: Buffer[];
  /** For NS/MX/SRV: target names, so additional-section addresses can be found. */
  targets?: string[];
  /** The record set it was encoded from; lets the next snapshot reuse it when unchanged. */
  source?: RecordSet;
}

/** Whether SOA fields (serial aside), NS names and NS TTL are the same. */
function sameApexData(a: ZoneContent, b: ZoneContent): boolean {
  const x = a.soa;
  const y = b.soa;
  return x.mname === y.mname && x.rname === y.rname && x.refresh === y.refresh && x.retry === y.retry &&
    x.expire === y.expire && x.minimum === y.minimum && x.ttl === y.ttl && a.nsTtl === b.nsTtl &&
    a.ns.length === b.ns.length && a.ns.every((n, i) => n === b.ns[i]);
}

/** The RRsets at one owner name; empty for an empty non-terminal. */
type ZoneNode = WireRRset[];
const EMPTY_NODE: ZoneNode = Object.freeze([]) as unknown as ZoneNode;

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

/** CNAME chains longer than this are cut short (loops included). */
const MAX_CHAIN = 8;

/** HINFO answer for ANY queries, as RFC 8482 §4.2 suggests. */
const RFC8482_HINFO = encodeHinfoRdata('RFC8482', '');

export class ZoneSnapshot {
  readonly apex: string;
  readonly serial: number;
  readonly content: ZoneContent;
  /** Record sets left out because they could not be served (outside the zone, bad value). */
  readonly problems: string[] = [];
  /** True when the served data differs from `previous` (or there was none); serials follow it. */
  readonly changed: boolean;
  private readonly nodes = new Map<string, ZoneNode>();
  private readonly soa: WireRRset;
  /** SOA as used in negative answers: TTL = min(SOA TTL, MINIMUM) (RFC 2308 §3). */
  private readonly negativeSoa: WireRRset;
  private readonly hasCuts: boolean;

  /**
   * Builds a snapshot. With `previous`, record sets whose TTL and values did not change are
   * taken over already encoded, so a one-name change to a large zone costs a map rebuild, not a
   * re-encode. `serialFor(changed)` picks the SOA serial once the change is known.
   */
  constructor(content: ZoneContent, previous?: ZoneSnapshot, serialFor: (changed: boolean) => number = () => content.soa.serial) {
    this.apex = content.apex;
    let changed = !previous || !sameApexData(previous.content, content);
    const ns: WireRRset = {
      name: this.apex, type: TYPE.NS, ttl: content.nsTtl,
      rdata: content.ns.map((n) => encodeRdata('NS', n)), targets: content.ns.map(lower),
    };
    this.nodes.set(this.apex, [ns]);
    let cuts = false;
    let served = 0;
    for (const rs of content.records) {
      if (rs.values.length === 0) continue;
      if (rs.type === 'NS' && rs.name === this.apex) continue; // the apex NS set comes from content.ns
      const name = lower(rs.name);
      if (!(name === this.apex || name.endsWith('.' + this.apex) || this.apex === '')) {
        this.problems.push(`${rs.name} ${rs.type}: outside zone ${this.apex}`);
        continue;
      }
      let wire = previous?.reusable(name, rs);
      if (!wire) {
        try {
          wire = toWire(name, rs);
        } catch (err) {
          this.problems.push(`${rs.name} ${rs.type}: ${(err as Error).message}`);
          continue;
        }
        changed = true;
      }
      if (rs.type === 'NS') cuts = true;
      served++;
      this.add(wire);
    }
    if (previous && !changed && served !== previous.served) changed = true;
    this.served = served;
    this.changed = changed;
    this.hasCuts = cuts;
    this.serial = serialFor(changed) >>> 0;
    this.content = { ...content, soa: { ...content.soa, serial: this.serial } };
    this.soa = { name: this.apex, type: TYPE.SOA, ttl: content.soa.ttl, rdata: [encodeSoaRdata(this.content.soa)] };
    this.negativeSoa = { ...this.soa, ttl: Math.min(content.soa.ttl, content.soa.minimum) };
    this.nodes.get(this.apex)?.unshift(this.soa);
  }

  /** Record sets served, apex SOA and NS not counted. */
  private readonly served: number;

  /** Number of owner names holding data. */
  get size(): number {
    let n = 0;
    for (const node of this.nodes.values()) if (node.length > 0) n++;
    return n;
  }

  /** The encoded set for `rs` if this snapshot serves exactly the same set. */
  private reusable(name: string, rs: RecordSet): WireRRset | undefined {
    const wire = this.nodes.get(name)?.find((r) => r.source !== undefined && r.type === TYPE_CODE[rs.type]);
    const src = wire?.source;
    if (!wire || !src || src.ttl !== rs.ttl || src.values.length !== rs.values.length) return undefined;
    for (let i = 0; i < rs.values.length; i++) if (src.values[i] !== rs.values[i]) return undefined;
    return wire;
  }

  private add(rs: WireRRset): void {
    const node = this.nodes.get(rs.name);
    if (!node) {
      this.nodes.set(rs.name, [rs]);
      this.addEmptyNonTerminals(rs.name);
      return;
    }
    if (node === EMPTY_NODE) {
      this.nodes.set(rs.name, [rs]);
      return;
    }
    const i = node.findIndex((r) => r.type === rs.type);
    if (i < 0) {
      node.push(rs);
      return;
    }
    // Two record sets of one name and type: serve them as one, built anew (never reused).
    const same = node[i];
    node[i] = {
      name: rs.name, type: rs.type, ttl: Math.min(same.ttl, rs.ttl), rdata: [...same.rdata, ...rs.rdata],
      targets: same.targets || rs.targets ? [...(same.targets ?? []), ...(rs.targets ?? [])] : undefined,
    };
  }

  /** Every name between an owner and the apex exists (RFC 4592 §2.2.2), even with no data. */
  private addEmptyNonTerminals(name: string): void {
    let n = name;
    while (n !== this.apex) {
      const dot = n.indexOf('.');
      if (dot < 0) return;
      n = n.slice(dot + 1);
      if (this.nodes.has(n)) return;
      this.nodes.set(n, EMPTY_NODE);
    }
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
      if (this.hasCuts) {
        const cut = this.findCut(name, qtype);
        if (cut) {
          if (answer.length > 0) return this.result(LookupKind.Answer, answer);
          return { kind: LookupKind.Referral, answer: [], authority: [cut], additional: this.glue(cut), authoritative: false };
        }
      }
      // A wildcard answers under the name asked for (RFC 4592 §2.1.1), so `owner` stays as it is.
      let node: ZoneNode | undefined = this.nodes.get(name);
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
        answer.push({ name: ownerName, type: TYPE.HINFO, ttl: Math.min(...node.map((r) => r.ttl)), rdata: [RFC8482_HINFO] });
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

  private wildcardFor(name: string): ZoneNode | undefined {
    let n = name;
    while (n !== this.apex) {
      const dot = n.indexOf('.');
      if (dot < 0) return undefined;
      n = n.slice(dot + 1);
      if (this.nodes.has(n)) {
        // n is the closest encloser.
        const source = this.nodes.get(n === '' ? '*' : `*.${n}`);
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
      const ns = this.nodes.get(n)?.find((r) => r.type === TYPE.NS);
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
      const node = this.nodes.get(t);
      if (!node) continue;
      for (const r of node) if (r.type === TYPE.A || r.type === TYPE.AAAA) out.push(r);
    }
    return out;
  }
}

function toWire(name: string, rs: RecordSet): WireRRset {
  const type = TYPE_CODE[rs.type];
  const wire: WireRRset = { name, type, ttl: rs.ttl, rdata: rs.values.map((v) => encodeRdata(rs.type, v)), source: rs };
  if (rs.type === 'NS' || rs.type === 'CNAME' || rs.type === 'PTR') wire.targets = rs.values.map((v) => lower(stripDot(v)));
  else if (rs.type === 'MX') wire.targets = rs.values.map((v) => lower(stripDot(v.trim().split(/\s+/)[1] ?? '')));
  else if (rs.type === 'SRV') wire.targets = rs.values.map((v) => lower(stripDot(v.trim().split(/\s+/)[3] ?? '')));
  return wire;
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
