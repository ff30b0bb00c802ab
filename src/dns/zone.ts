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
}

interface ZoneNode {
  rrsets: WireRRset[];
}

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
  private readonly nodes = new Map<string, ZoneNode>();
  private readonly soa: WireRRset;
  /** SOA as used in negative answers: TTL = min(SOA TTL, MINIMUM) (RFC 2308 §3). */
  private readonly negativeSoa: WireRRset;
  private readonly hasCuts: boolean;

  constructor(content: ZoneContent) {
    this.content = content;
    this.apex = content.apex;
    this.serial = content.soa.serial;
    const soaRdata = encodeSoaRdata(content.soa);
    this.soa = { name: this.apex, type: TYPE.SOA, ttl: content.soa.ttl, rdata: [soaRdata] };
    this.negativeSoa = { ...this.soa, ttl: Math.min(content.soa.ttl, content.soa.minimum) };
    this.add(this.soa);
    this.add({
      name: this.apex, type: TYPE.NS, ttl: content.nsTtl,
      rdata: content.ns.map((n) => encodeRdata('NS', n)), targets: content.ns.map(lower),
    });
    let cuts = false;
    for (const rs of content.records) {
      if (rs.values.length === 0) continue;
      if (rs.type === 'NS' && rs.name === this.apex) continue; // the apex NS set comes from content.ns
      const name = lower(rs.name);
      if (!(name === this.apex || name.endsWith('.' + this.apex) || this.apex === '')) {
        this.problems.push(`${rs.name} ${rs.type}: outside zone ${this.apex}`);
        continue;
      }
      let wire: WireRRset;
      try {
        wire = toWire(rs);
      } catch (err) {
        this.problems.push(`${rs.name} ${rs.type}: ${(err as Error).message}`);
        continue;
      }
      if (rs.type === 'NS') cuts = true;
      this.add(wire);
    }
    this.hasCuts = cuts;
  }

  /** Number of owner names holding data. */
  get size(): number {
    let n = 0;
    for (const node of this.nodes.values()) if (node.rrsets.length > 0) n++;
    return n;
  }

  private add(rs: WireRRset): void {
    let node = this.nodes.get(rs.name);
    if (!node) {
      node = { rrsets: [] };
      this.nodes.set(rs.name, node);
      this.addEmptyNonTerminals(rs.name);
    }
    const same = node.rrsets.find((r) => r.type === rs.type);
    if (same) {
      same.rdata.push(...rs.rdata);
      same.ttl = Math.min(same.ttl, rs.ttl);
      if (rs.targets) same.targets = [...(same.targets ?? []), ...rs.targets];
    } else {
      node.rrsets.push(rs);
    }
  }

  /** Every name between an owner and the apex exists (RFC 4592 §2.2.2), even with no data. */
  private addEmptyNonTerminals(name: string): void {
    let n = name;
    while (n !== this.apex) {
      const dot = n.indexOf('.');
      if (dot < 0) return;
      n = n.slice(dot + 1);
      if (this.nodes.has(n)) return;
      this.nodes.set(n, { rrsets: [] });
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
      let node = this.nodes.get(name);
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
        if (node.rrsets.length === 0) return this.result(LookupKind.NoData, answer, [this.negativeSoa]);
        answer.push({ name: ownerName, type: TYPE.HINFO, ttl: Math.min(...node.rrsets.map((r) => r.ttl)), rdata: [RFC8482_HINFO] });
        return this.result(LookupKind.Answer, answer);
      }
      const exact = node.rrsets.find((r) => r.type === qtype);
      if (exact) {
        answer.push(ownerName === exact.name ? exact : { ...exact, name: ownerName });
        return this.result(LookupKind.Answer, answer, [], this.additionalFor(exact));
      }
      const cname = node.rrsets.find((r) => r.type === TYPE.CNAME);
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
        return source && source.rrsets.length > 0 ? source : undefined;
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
      const ns = this.nodes.get(n)?.rrsets.find((r) => r.type === TYPE.NS);
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
      for (const r of node.rrsets) if (r.type === TYPE.A || r.type === TYPE.AAAA) out.push(r);
    }
    return out;
  }
}

function toWire(rs: RecordSet): WireRRset {
  const type = TYPE_CODE[rs.type];
  const wire: WireRRset = { name: lower(rs.name), type, ttl: rs.ttl, rdata: rs.values.map((v) => encodeRdata(rs.type, v)) };
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
