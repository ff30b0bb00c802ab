/**
 * Raw reading of DNS queries. The hot path looks at the bytes directly (RFC 1035 §4.1):
 * header checks run before anything is decoded, so garbage costs a few comparisons and
 * never an exception.
 */

export const TYPE = {
  A: 1,
  NS: 2,
  CNAME: 5,
  SOA: 6,
  PTR: 12,
  HINFO: 13,
  MX: 15,
  TXT: 16,
  AAAA: 28,
  SRV: 33,
  OPT: 41,
  IXFR: 251,
  AXFR: 252,
  ANY: 255,
  CAA: 257,
} as const;

export const RCODE = { NOERROR: 0, FORMERR: 1, SERVFAIL: 2, NXDOMAIN: 3, NOTIMP: 4, REFUSED: 5 } as const;
/** Extended RCODE 16 (RFC 6891 §6.1.3): upper 8 bits go in the OPT TTL field, lower 4 bits in the header. */
export const EXT_RCODE_BADVERS = 16;

export const CLASS_IN = 1;

/** Flag bits in the second 16-bit header word. */
export const FLAG = { QR: 0x8000, AA: 0x0400, TC: 0x0200, RD: 0x0100, RA: 0x0080, AD: 0x0020, CD: 0x0010 } as const;

export const DO_BIT = 0x8000;

export interface Edns {
  udpSize: number;
  version: number;
  dnssecOk: boolean;
}

/** What a query's bytes say, as far as we need it. */
export type ParsedQuery =
  | { kind: 'drop' }
  | { kind: 'error'; id: number; flags: number; rcode: number; questionEnd: number; edns?: Edns }
  | {
    kind: 'query';
    id: number;
    flags: number;
    opcode: number;
    /** The question name, lower-cased, in presentation form without the trailing dot ('' = root). */
    name: string;
    qtype: number;
    qclass: number;
    /** Offset just past the question section. */
    questionEnd: number;
    /** Offset just past the question name. */
    nameEnd: number;
    edns?: Edns;
  };

const DROP: ParsedQuery = { kind: 'drop' };

/** Room for a 254-octet name with every octet escaped. */
const nameScratch = Buffer.allocUnsafe(512);

/**
 * Parses a query. Returns 'drop' when no answer should be sent (too short to hold a header, or
 * QR=1: answering responses invites reflection loops), 'error' with an rcode when the header can
 * be read but the rest cannot be served (FORMERR, NOTIMP), else the question and EDNS data.
 */
export function parseQuery(msg: Buffer): ParsedQuery {
  const len = msg.length;
  if (len < 12) return DROP;
  const id = (msg[0] << 8) | msg[1];
  const flags = (msg[2] << 8) | msg[3];
  if (flags & FLAG.QR) return DROP;
  const opcode = (flags >> 11) & 0xf;
  const qd = (msg[4] << 8) | msg[5];
  const an = (msg[6] << 8) | msg[7];
  const ns = (msg[8] << 8) | msg[9];
  const ar = (msg[10] << 8) | msg[11];
  if (opcode !== 0) return { kind: 'error', id, flags, rcode: RCODE.NOTIMP, questionEnd: 12 };
  if (qd !== 1 || an !== 0 || ns !== 0) return { kind: 'error', id, flags, rcode: RCODE.FORMERR, questionEnd: 12 };

  // Question name: uncompressed labels only (a query has nothing earlier to point at). The
  // canonical text form is built in one pass into a scratch buffer: ASCII lower-cased (RFC 4343),
  // and '.' or '\\' inside a label escaped so it can never read as a label boundary.
  let pos = 12;
  let out = 0;
  let wire = 0;
  for (;;) {
    if (pos >= len) return formErr(id, flags);
    const l = msg[pos];
    if (l === 0) {
      pos++;
      break;
    }
    if (l > 63) return formErr(id, flags);
    wire += l + 1;
    if (wire > 254 || pos + 1 + l > len) return formErr(id, flags);
    if (out > 0) nameScratch[out++] = 0x2e;
    for (let i = pos + 1, end = pos + 1 + l; i < end; i++) {
      let c = msg[i];
      if (c >= 0x41 && c <= 0x5a) c |= 0x20;
      else if (c === 0x2e || c === 0x5c) nameScratch[out++] = 0x5c;
      nameScratch[out++] = c;
    }
    pos += 1 + l;
  }
  const name = nameScratch.toString('latin1', 0, out);
  const nameEnd = pos;
  if (pos + 4 > len) return formErr(id, flags);
  const qtype = (msg[pos] << 8) | msg[pos + 1];
  const qclass = (msg[pos + 2] << 8) | msg[pos + 3];
  pos += 4;
  const questionEnd = pos;

  let edns: Edns | undefined;
  for (let i = 0; i < ar; i++) {
    // Only an OPT pseudo-record is meaningful in a query's additional section (TSIG is not supported).
    if (pos + 11 > len || msg[pos] !== 0) return formErr(id, flags, questionEnd);
    const type = (msg[pos + 1] << 8) | msg[pos + 2];
    const rdlen = (msg[pos + 9] << 8) | msg[pos + 10];
    if (type !== TYPE.OPT || edns !== undefined || pos + 11 + rdlen > len) return formErr(id, flags, questionEnd);
    edns = {
      udpSize: (msg[pos + 3] << 8) | msg[pos + 4],
      version: msg[pos + 6],
      dnssecOk: (((msg[pos + 7] << 8) | msg[pos + 8]) & DO_BIT) !== 0,
    };
    pos += 11 + rdlen;
  }
  if (pos !== len) return formErr(id, flags, questionEnd, edns);
  return { kind: 'query', id, flags, opcode, name, qtype, qclass, questionEnd, nameEnd, edns };
}

function formErr(id: number, flags: number, questionEnd = 12, edns?: Edns): ParsedQuery {
  return { kind: 'error', id, flags, rcode: RCODE.FORMERR, questionEnd, edns };
}
