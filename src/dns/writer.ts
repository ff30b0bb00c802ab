/**
 * Writes DNS messages with owner-name compression (RFC 1035 §4.1.4). RDATA comes pre-encoded
 * from the zone snapshot; only owner names are compressed, which is where nearly all the
 * repetition is (every answer record repeats the question name).
 */

export class MessageWriter {
  private buf: Buffer;
  private pos = 0;
  /** Name suffix → offset where it was written, for compression pointers. */
  private readonly offsets = new Map<string, number>();

  constructor(size = 512) {
    this.buf = Buffer.alloc(size);
  }

  get length(): number {
    return this.pos;
  }

  header(id: number, flags: number, qd: number, an: number, ns: number, ar: number): void {
    this.ensure(12);
    const b = this.buf;
    b.writeUInt16BE(id, 0);
    b.writeUInt16BE(flags, 2);
    b.writeUInt16BE(qd, 4);
    b.writeUInt16BE(an, 6);
    b.writeUInt16BE(ns, 8);
    b.writeUInt16BE(ar, 10);
    this.pos = 12;
  }

  /** Sets the counts once the sections are written. */
  counts(an: number, ns: number, ar: number): void {
    this.buf.writeUInt16BE(an, 6);
    this.buf.writeUInt16BE(ns, 8);
    this.buf.writeUInt16BE(ar, 10);
  }

  /**
   * Copies the question as the client sent it (keeping its letter case, RFC 1035 §7.1 and the
   * 0x20 trick) and registers its suffixes under the canonical `name` so later owners compress
   * against it. `raw` is the question section: name, type, class.
   */
  question(raw: Buffer, name?: string): void {
    const start = this.pos;
    this.ensure(raw.length);
    raw.copy(this.buf, start);
    this.pos += raw.length;
    this.offsets.set('', start);
    if (name === undefined || name.includes('\\')) return; // escaped labels: the text form does not mirror the wire labels
    let off = start;
    let n = name;
    while (n.length > 0 && off < 0x3fff) {
      this.offsets.set(n, off);
      off += 1 + raw[off - start];
      const dot = n.indexOf('.');
      n = dot < 0 ? '' : n.slice(dot + 1);
    }
  }

  rr(owner: string, type: number, klass: number, ttl: number, rdata: Buffer): void {
    if (owner === '') this.pointer(this.offsets.get('') ?? 12);
    else this.name(owner);
    this.ensure(8 + rdata.length);
    const b = this.buf;
    b.writeUInt16BE(type, this.pos);
    b.writeUInt16BE(klass, this.pos + 2);
    b.writeUInt32BE(ttl >>> 0, this.pos + 4);
    rdata.copy(b, this.pos + 8);
    this.pos += 8 + rdata.length;
  }

  /** Every record of an encoded set (`rdata` = RDLENGTH + RDATA, repeated) under one owner. */
  rrset(owner: string, type: number, klass: number, ttl: number, slab: Buffer, at: number, len: number): number {
    let n = 0;
    for (let off = at; off + 2 <= at + len; n++) {
      const end = off + 2 + slab.readUInt16BE(off);
      this.rr(owner, type, klass, ttl, slab.subarray(off, end));
      off = end;
    }
    return n;
  }

  /** An OPT pseudo-record (RFC 6891 §6.1.2). */
  opt(udpSize: number, extRcode: number, version: number, flags: number): void {
    this.ensure(11);
    const b = this.buf;
    b[this.pos] = 0;
    b.writeUInt16BE(41, this.pos + 1);
    b.writeUInt16BE(udpSize, this.pos + 3);
    b[this.pos + 5] = extRcode;
    b[this.pos + 6] = version;
    b.writeUInt16BE(flags, this.pos + 7);
    b.writeUInt16BE(0, this.pos + 9);
    this.pos += 11;
  }

  /** A copy of the message written so far. */
  finish(): Buffer {
    return Buffer.from(this.buf.subarray(0, this.pos));
  }

  private name(name: string): void {
    let n = name;
    while (n.length > 0) {
      const known = this.offsets.get(n);
      if (known !== undefined) {
        this.pointer(known);
        return;
      }
      if (this.pos < 0x3fff) this.offsets.set(n, this.pos);
      const dot = n.indexOf('.');
      const label = dot < 0 ? n : n.slice(0, dot);
      const bytes = Buffer.byteLength(label, 'latin1');
      this.ensure(1 + bytes);
      this.buf[this.pos] = bytes;
      this.buf.write(label, this.pos + 1, 'latin1');
      this.pos += 1 + bytes;
      n = dot < 0 ? '' : n.slice(dot + 1);
    }
    this.ensure(1);
    this.buf[this.pos++] = 0;
  }

  private pointer(offset: number): void {
    this.ensure(2);
    this.buf.writeUInt16BE(0xc000 | offset, this.pos);
    this.pos += 2;
  }

  private ensure(n: number): void {
    if (this.pos + n <= this.buf.length) return;
    const next = Buffer.alloc(Math.max(this.buf.length * 2, this.pos + n));
    this.buf.copy(next, 0, 0, this.pos);
    this.buf = next;
  }
}
