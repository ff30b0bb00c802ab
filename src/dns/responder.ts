/**
 * Turns one query message into one response message (or none). Transport-agnostic: UDP and
 * TCP both call `respond`, passing the largest response the transport can carry.
 *
 * Fast path: parse the header and question from the raw bytes, look the answer up in the
 * cache, copy it, patch ID, RD/CD and the question's letter case. Everything else (errors,
 * cache misses, truncation) goes through `build`, which consults the zone snapshot.
 */
import { AnswerCache, EdnsMode, type CachedAnswer } from './answer-cache.js';
import { MessageWriter } from './writer.js';
import { splitRdata } from './rdata.js';
import { CLASS_IN, DO_BIT, EXT_RCODE_BADVERS, FLAG, RCODE, TYPE, parseQuery, type Edns } from './wire.js';
import { LookupKind, type WireRRset } from './zone.js';
import type { ZoneStore } from './zone-store.js';

export interface ResponderOptions {
  /** The UDP payload size we advertise and never exceed (RFC 6891 §6.2.5; 1232 per DNS Flag Day 2020). */
  udpPayloadMax?: number;
}

/** Upper bound on rotations kept per answer; larger RRsets rotate in steps. */
const MAX_VARIANTS = 16;
/** Cap on TCP messages (RFC 1035 §4.2.2: a 16-bit length prefix). */
export const TCP_MAX = 65535;

export class Responder {
  readonly cache = new AnswerCache();
  private readonly udpMax: number;

  constructor(private readonly zones: ZoneStore, opts: ResponderOptions = {}) {
    this.udpMax = Math.max(512, Math.min(opts.udpPayloadMax ?? 1232, 65535));
    zones.onChange((apex, structural) => (structural ? this.cache.clear() : this.cache.clearZone(apex)));
  }

  /**
   * @param maxSize the largest response the transport carries: TCP_MAX, or 0 for UDP, where the
   *   limit is 512 or the client's EDNS size, capped at ours.
   * @returns the response, or null when the query must be dropped.
   */
  respond(msg: Buffer, maxSize: number): Buffer | null {
    const q = parseQuery(msg);
    if (q.kind === 'drop') return null;
    if (q.kind === 'error') return this.errorResponse(msg, q.id, q.flags, q.rcode, q.questionEnd, q.edns);

    const edns = q.edns;
    const limit = maxSize > 0 ? maxSize : edns ? Math.max(512, Math.min(edns.udpSize, this.udpMax)) : 512;
    if (edns && edns.version > 0) return this.errorResponse(msg, q.id, q.flags, EXT_RCODE_BADVERS, q.questionEnd, edns);
    const mode = !edns ? EdnsMode.None : edns.dnssecOk ? EdnsMode.EdnsDo : EdnsMode.Edns;

    // Other classes (CH version.bind, HS, NONE, ...) are not served. Checked before the cache:
    // its entries are IN answers keyed without a class, and a copied answer keeps the
    // query's name but not its class.
    if (q.qclass !== CLASS_IN) return this.errorResponse(msg, q.id, q.flags, RCODE.REFUSED, q.questionEnd, edns);

    let cached = this.cache.get(q.name, q.qtype, mode);
    if (!cached) {
      if (q.qtype === TYPE.AXFR || q.qtype === TYPE.IXFR || q.qtype === TYPE.OPT) {
        // Zone transfers are not served (and never cached: only a miss gets here).
        return this.errorResponse(msg, q.id, q.flags, RCODE.REFUSED, q.questionEnd, edns);
      }
      const zone = this.zones.find(q.name);
      if (!zone) return this.errorResponse(msg, q.id, q.flags, RCODE.REFUSED, q.questionEnd, edns);
      // Every endpoint down and the entry asks for SERVFAIL (a miss only: marking clears the zone's cache).
      if ((q.qtype === TYPE.A || q.qtype === TYPE.AAAA || q.qtype === TYPE.ANY) && this.zones.isServfail(q.name)) {
        return this.errorResponse(msg, q.id, q.flags, RCODE.SERVFAIL, q.questionEnd, edns);
      }
      cached = this.build(zone.lookup(q.name, q.qtype), msg.subarray(12, q.questionEnd), q.name, edns);
      // Escaped names (a '.' inside a label) are rare and never worth a cache slot.
      if (!q.name.includes('\\')) this.cache.set(zone.apex, q.name, q.qtype, mode, cached);
    }

    let answer = cached.variants[0];
    if (cached.variants.length > 1) {
      answer = cached.variants[cached.next];
      cached.next = (cached.next + 1) % cached.variants.length;
    }
    if (answer.length > limit) return this.truncated(msg, q.id, q.flags, q.questionEnd, edns, answer.readUInt16BE(2));

    const out = Buffer.allocUnsafe(answer.length);
    answer.copy(out);
    out[0] = msg[0];
    out[1] = msg[1];
    out[2] |= msg[2] & (FLAG.RD >> 8);
    out[3] |= msg[3] & FLAG.CD;
    msg.copy(out, 12, 12, q.nameEnd);
    return out;
  }

  private build(
    result: ReturnType<import('./zone.js').ZoneSnapshot['lookup']>,
    question: Buffer,
    name: string,
    edns: Edns | undefined,
  ): CachedAnswer {
    const rcode = result.kind === LookupKind.NameError ? RCODE.NXDOMAIN : RCODE.NOERROR;
    const flags = FLAG.QR | (result.authoritative ? FLAG.AA : 0) | rcode;
    // Rotate the first address RRset of the answer with more than one record.
    const rotateIndex = result.answer.findIndex((r) => (r.type === TYPE.A || r.type === TYPE.AAAA) && r.count > 1);
    const rotations = rotateIndex < 0 ? 1 : Math.min(result.answer[rotateIndex].count, MAX_VARIANTS);
    const step = rotateIndex < 0 ? 0 : Math.ceil(result.answer[rotateIndex].count / MAX_VARIANTS);
    const variants: Buffer[] = [];
    for (let v = 0; v < rotations; v++) {
      const answer = rotateIndex < 0 ? result.answer : result.answer.map((r, i) => (i === rotateIndex ? rotate(r, v * step) : r));
      const w = new MessageWriter(512);
      w.header(0, flags, 1, 0, 0, 0);
      w.question(question, name);
      const an = writeSection(w, answer);
      const ns = writeSection(w, result.authority);
      let ar = writeSection(w, result.additional);
      if (edns) {
        w.opt(this.udpMax, 0, 0, edns.dnssecOk ? DO_BIT : 0);
        ar++;
      }
      w.counts(an, ns, ar);
      variants.push(w.finish());
    }
    return { variants, next: 0 };
  }

  /** Header (+ question) (+ OPT) with an rcode; extended rcodes split between header and OPT. */
  private errorResponse(msg: Buffer, id: number, qflags: number, rcode: number, questionEnd: number, edns?: Edns): Buffer {
    const opcode = qflags & 0x7800;
    const flags = FLAG.QR | opcode | (qflags & (FLAG.RD | FLAG.CD)) | (rcode & 0xf);
    const w = new MessageWriter(64 + questionEnd);
    const qd = questionEnd > 12 ? 1 : 0;
    w.header(id, flags, qd, 0, 0, 0);
    if (qd) w.question(msg.subarray(12, questionEnd));
    if (edns) {
      w.opt(this.udpMax, rcode >> 4, 0, edns.dnssecOk ? DO_BIT : 0);
      w.counts(0, 0, 1);
    }
    return w.finish();
  }

  /** TC=1 with the question and OPT only: the client retries over TCP (RFC 7766 §5). */
  private truncated(msg: Buffer, id: number, qflags: number, questionEnd: number, edns: Edns | undefined, fullFlags: number): Buffer {
    const out = this.errorResponse(msg, id, qflags, fullFlags & 0xf, questionEnd, edns);
    out.writeUInt16BE(out.readUInt16BE(2) | FLAG.TC | (fullFlags & FLAG.AA), 2);
    return out;
  }
}

function writeSection(w: MessageWriter, rrsets: WireRRset[]): number {
  let n = 0;
  for (const rs of rrsets) n += w.rrset(rs.name, rs.type, CLASS_IN, rs.ttl, rs.slab, rs.at, rs.len);
  return n;
}

function rotate(rs: WireRRset, by: number): WireRRset {
  const k = by % rs.count;
  if (k === 0) return rs;
  const records = splitRdata(rs.slab, rs.at, rs.len);
  const slab = Buffer.concat([...records.slice(k), ...records.slice(0, k)]);
  return { ...rs, slab, at: 0, len: slab.length };
}
