// DNS messages for RFC 2136 at the byte level. dns-packet knows neither class NONE nor
// RRs without rdata (both needed by UPDATE prerequisites and deletes) nor TSIG, so messages
// are built here, uncompressed, and replies are walked here to find each RR's bytes.
// Rdata of the model's types goes through dns-packet's codecs (rdata.ts).

export const TYPE = { A: 1, NS: 2, CNAME: 5, SOA: 6, PTR: 12, MX: 15, TXT: 16, AAAA: 28, SRV: 33, OPT: 41, TSIG: 250, AXFR: 252, ANY: 255, CAA: 257 } as const;
export const CLASS = { IN: 1, NONE: 254, ANY: 255 } as const;
export const OPCODE = { QUERY: 0, UPDATE: 5 } as const;

const RCODE_NAMES: Record<number, string> = {
  0: 'NOERROR',
  1: 'FORMERR',
  2: 'SERVFAIL',
  3: 'NXDOMAIN',
  4: 'NOTIMP',
  5: 'REFUSED',
  6: 'YXDOMAIN',
  7: 'YXRRSET',
  8: 'NXRRSET',
  9: 'NOTAUTH',
  10: 'NOTZONE',
  16: 'BADSIG',
  17: 'BADKEY',
  18: 'BADTIME',
  19: 'BADMODE',
  20: 'BADNAME',
  21: 'BADALG',
  22: 'BADTRUNC',
  23: 'BADCOOKIE',
};

/** 'NOTAUTH', 'BADSIG', or 'RCODE42' for a code without a name. */
export function rcodeName(code: number): string {
  return RCODE_NAMES[code] ?? `RCODE${code}`;
}

/** A malformed name, record or message (ours to send, or a server's reply). */
export class WireError extends Error {
  override readonly name = 'WireError';
}

/** One resource record to send; `rdata` without its length prefix (empty for prerequisites and deletes). */
export interface WireRR {
  name: string;
  type: number;
  class: number;
  ttl: number;
  rdata: Buffer;
}

/**
 * A presentation name ('www.example.org', trailing dot optional, '' or '.' for the root) in
 * uncompressed wire form. Lower-cased: the canonical form TSIG needs (RFC 8945 §4.3.3), and
 * DNS names compare case-insensitively anyway.
 */
export function encodeName(name: string): Buffer {
  const n = name.endsWith('.') ? name.slice(0, -1) : name;
  if (n === '') return Buffer.from([0]);
  const parts: Buffer[] = [];
  let total = 1;
  for (const label of n.toLowerCase().split('.')) {
    const bytes = Buffer.from(label, 'utf8');
    if (bytes.length === 0) throw new WireError(`name ${JSON.stringify(name)}: empty label`);
    if (bytes.length > 63) throw new WireError(`name ${JSON.stringify(name)}: label longer than 63 octets`);
    parts.push(Buffer.from([bytes.length]), bytes);
    total += bytes.length + 1;
  }
  if (total > 255) throw new WireError(`name ${JSON.stringify(name)}: longer than 255 octets`);
  parts.push(Buffer.from([0]));
  return Buffer.concat(parts);
}

export function encodeRR(rr: WireRR): Buffer {
  const name = encodeName(rr.name);
  const fixed = Buffer.alloc(10);
  fixed.writeUInt16BE(rr.type, 0);
  fixed.writeUInt16BE(rr.class, 2);
  fixed.writeUInt32BE(rr.ttl >>> 0, 4);
  fixed.writeUInt16BE(rr.rdata.length, 8);
  return Buffer.concat([name, fixed, rr.rdata]);
}

export interface MessageParts {
  id: number;
  opcode: number;
  /** header flag bits other than QR and opcode (AA, TC, RD, ...), as in the flags word */
  flags?: number;
  /** UPDATE: the zone section */
  question: { name: string; type: number; class: number }[];
  /** UPDATE: prerequisites, already encoded (encodeRR) */
  answer?: Buffer[];
  /** UPDATE: updates, already encoded */
  authority?: Buffer[];
  additional?: Buffer[];
}

export function encodeMessage(m: MessageParts): Buffer {
  const header = Buffer.alloc(12);
  header.writeUInt16BE(m.id & 0xffff, 0);
  header.writeUInt16BE(((m.opcode & 0xf) << 11) | ((m.flags ?? 0) & 0x07ff), 2);
  header.writeUInt16BE(m.question.length, 4);
  header.writeUInt16BE(m.answer?.length ?? 0, 6);
  header.writeUInt16BE(m.authority?.length ?? 0, 8);
  header.writeUInt16BE(m.additional?.length ?? 0, 10);
  const questions = m.question.map((q) => {
    const fixed = Buffer.alloc(4);
    fixed.writeUInt16BE(q.type, 0);
    fixed.writeUInt16BE(q.class, 2);
    return Buffer.concat([encodeName(q.name), fixed]);
  });
  return Buffer.concat([header, ...questions, ...(m.answer ?? []), ...(m.authority ?? []), ...(m.additional ?? [])]);
}

/** A name read from a message (compression pointers followed), lower case, no trailing dot. */
export function decodeName(buf: Buffer, offset: number): { name: string; end: number } {
  const labels: string[] = [];
  let pos = offset;
  let end = -1;
  let jumps = 0;
  let length = 1;
  for (;;) {
    if (pos >= buf.length) throw new WireError('name runs past the end of the message');
    const len = buf[pos];
    if (len === 0) {
      if (end < 0) end = pos + 1;
      break;
    }
    if ((len & 0xc0) === 0xc0) {
      if (pos + 1 >= buf.length) throw new WireError('compression pointer runs past the end of the message');
      if (end < 0) end = pos + 2;
      // A pointer must go backwards; with a bounded number of jumps no loop can hang us.
      const target = buf.readUInt16BE(pos) & 0x3fff;
      if (target >= pos || ++jumps > 64) throw new WireError('bad compression pointer');
      pos = target;
      continue;
    }
    if ((len & 0xc0) !== 0) throw new WireError('bad label type');
    if (pos + 1 + len > buf.length) throw new WireError('label runs past the end of the message');
    length += len + 1;
    if (length > 255) throw new WireError('name longer than 255 octets');
    labels.push(buf.toString('latin1', pos + 1, pos + 1 + len));
    pos += 1 + len;
  }
  const name = Buffer.from(labels.join('.'), 'latin1').toString('utf8').toLowerCase();
  return { name, end };
}

export type Section = 'answer' | 'authority' | 'additional';

/** Where one RR of a reply sits, with its header fields. */
export interface RRView {
  section: Section;
  /** first byte of the owner name */
  start: number;
  name: string;
  type: number;
  class: number;
  ttl: number;
  /** first byte of the rdata (after RDLENGTH) */
  rdataStart: number;
  rdlength: number;
}

export interface MessageView {
  id: number;
  qr: boolean;
  opcode: number;
  tc: boolean;
  rcode: number;
  questions: { name: string; type: number; class: number }[];
  records: RRView[];
}

/** Walks a whole message (throws WireError on anything malformed). */
export function walkMessage(buf: Buffer): MessageView {
  if (buf.length < 12) throw new WireError(`message of ${buf.length} bytes is shorter than a header`);
  const flags = buf.readUInt16BE(2);
  const counts = [4, 6, 8, 10].map((o) => buf.readUInt16BE(o));
  const view: MessageView = {
    id: buf.readUInt16BE(0),
    qr: (flags & 0x8000) !== 0,
    opcode: (flags >> 11) & 0xf,
    tc: (flags & 0x0200) !== 0,
    rcode: flags & 0xf,
    questions: [],
    records: [],
  };
  let pos = 12;
  for (let i = 0; i < counts[0]; i++) {
    const { name, end } = decodeName(buf, pos);
    if (end + 4 > buf.length) throw new WireError('question runs past the end of the message');
    view.questions.push({ name, type: buf.readUInt16BE(end), class: buf.readUInt16BE(end + 2) });
    pos = end + 4;
  }
  const sections: [Section, number][] = [['answer', counts[1]], ['authority', counts[2]], ['additional', counts[3]]];
  for (const [section, count] of sections) {
    for (let i = 0; i < count; i++) {
      const start = pos;
      const { name, end } = decodeName(buf, pos);
      if (end + 10 > buf.length) throw new WireError('record header runs past the end of the message');
      const rdlength = buf.readUInt16BE(end + 8);
      if (end + 10 + rdlength > buf.length) throw new WireError('rdata runs past the end of the message');
      view.records.push({
        section,
        start,
        name,
        type: buf.readUInt16BE(end),
        class: buf.readUInt16BE(end + 2),
        ttl: buf.readUInt32BE(end + 4),
        rdataStart: end + 10,
        rdlength,
      });
      pos = end + 10 + rdlength;
    }
  }
  return view;
}
