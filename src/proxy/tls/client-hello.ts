// Reads the SNI name and the ALPN offer out of the first bytes of a TLS connection, before any
// TLS library sees them. Node's SNICallback runs before the ALPN offer is known, so TLS-ALPN-01
// (RFC 8737: answer `acme-tls/1` with a challenge certificate) needs this peek in front of the
// HTTPS listener. Pure: bytes in, facts out; never throws.
//
// Wire layout (RFC 8446 5.1 and 4.1.2, RFC 6066 3, RFC 7301 3.1): TLS records (type 22 =
// handshake, version, 16-bit length) carry a handshake message (type 1 = ClientHello, 24-bit
// length): legacy version, 32 random bytes, session id, cipher suites, compression methods,
// then extensions (16-bit type, 16-bit length). A ClientHello may span several records
// (large post-quantum key shares do); their fragments are joined.

export interface ClientHello {
  /** server_name (host_name) as sent, lowercased; absent when the client sent no SNI */
  servername?: string;
  /** the ALPN protocols offered, in the client's order (empty without the extension) */
  alpn: string[];
}

/** 'incomplete': more bytes may complete it; 'not-tls': not a ClientHello, or malformed. */
export type ClientHelloResult = ClientHello | 'incomplete' | 'not-tls';

/** Most bytes worth reading before giving up on a ClientHello (real ones are under 2 KiB). */
export const CLIENT_HELLO_PEEK_LIMIT = 16 * 1024;

const RECORD_HANDSHAKE = 22;
const HANDSHAKE_CLIENT_HELLO = 1;
const EXT_SERVER_NAME = 0x0000;
const EXT_ALPN = 0x0010;
const NAME_TYPE_HOST = 0;

export function parseClientHello(data: Uint8Array): ClientHelloResult {
  const handshake = joinHandshakeRecords(data);
  if (typeof handshake === 'string') return handshake;
  try {
    return readClientHello(handshake);
  } catch {
    // A length that points past the message: malformed, whatever it claims to be.
    return 'not-tls';
  }
}

/**
 * The handshake message from consecutive handshake records: its 4-byte header and body, or
 * 'incomplete' / 'not-tls'. Stops at the first record that completes the message.
 */
function joinHandshakeRecords(data: Uint8Array): Uint8Array | 'incomplete' | 'not-tls' {
  const parts: Uint8Array[] = [];
  let joined = 0;
  let offset = 0;
  let wanted = -1; // handshake message length + 4, once the header is in
  for (;;) {
    if (offset + 5 > data.length) return data.length - offset > 0 && !plausibleRecordStart(data, offset) ? 'not-tls' : 'incomplete';
    if (!plausibleRecordStart(data, offset)) return 'not-tls';
    const length = (data[offset + 3] << 8) | data[offset + 4];
    // RFC 8446 5.1: a handshake record is never empty and at most 2^14 bytes.
    if (length === 0 || length > 16384) return 'not-tls';
    const end = offset + 5 + length;
    const fragment = data.subarray(offset + 5, Math.min(end, data.length));
    parts.push(fragment);
    joined += fragment.length;
    if (wanted < 0 && joined >= 4) {
      const head = concat(parts, 4);
      if (head[0] !== HANDSHAKE_CLIENT_HELLO) return 'not-tls';
      wanted = 4 + ((head[1] << 16) | (head[2] << 8) | head[3]);
      if (wanted > CLIENT_HELLO_PEEK_LIMIT) return 'not-tls';
    }
    if (wanted >= 0 && joined >= wanted) return concat(parts, wanted);
    if (end > data.length) return 'incomplete';
    offset = end;
  }
}

/** Content type handshake and a record version of 3.x (SSL 3.0 to TLS 1.3 all use 0x03xx). */
function plausibleRecordStart(data: Uint8Array, offset: number): boolean {
  if (data[offset] !== RECORD_HANDSHAKE) return false;
  return offset + 1 >= data.length || data[offset + 1] === 3;
}

function concat(parts: Uint8Array[], length: number): Uint8Array {
  const out = new Uint8Array(length);
  let at = 0;
  for (const p of parts) {
    const n = Math.min(p.length, length - at);
    out.set(p.subarray(0, n), at);
    at += n;
    if (at === length) break;
  }
  return out;
}

/** A bounds-checked reader: any read past the end throws (caught by the caller). */
class Reader {
  constructor(
    private readonly bytes: Uint8Array,
    private at = 0,
    private readonly end = bytes.length,
  ) {}

  get remaining(): number {
    return this.end - this.at;
  }

  u8(): number {
    this.need(1);
    return this.bytes[this.at++];
  }

  u16(): number {
    this.need(2);
    const v = (this.bytes[this.at] << 8) | this.bytes[this.at + 1];
    this.at += 2;
    return v;
  }

  skip(n: number): void {
    this.need(n);
    this.at += n;
  }

  /** A sub-reader over the next n bytes (and skips them here). */
  take(n: number): Reader {
    this.need(n);
    const r = new Reader(this.bytes, this.at, this.at + n);
    this.at += n;
    return r;
  }

  bytesOf(n: number): Uint8Array {
    this.need(n);
    const v = this.bytes.subarray(this.at, this.at + n);
    this.at += n;
    return v;
  }

  private need(n: number): void {
    if (n < 0 || this.at + n > this.end) throw new RangeError('past the end');
  }
}

function readClientHello(message: Uint8Array): ClientHello {
  const r = new Reader(message, 4);
  r.skip(2); // legacy_version
  r.skip(32); // random
  r.skip(r.u8()); // legacy_session_id
  r.skip(r.u16()); // cipher_suites
  r.skip(r.u8()); // legacy_compression_methods
  const hello: ClientHello = { alpn: [] };
  if (r.remaining === 0) return hello; // no extensions at all (old clients)
  const extensions = r.take(r.u16());
  while (extensions.remaining > 0) {
    const type = extensions.u16();
    const body = extensions.take(extensions.u16());
    if (type === EXT_SERVER_NAME) {
      const name = readServerName(body);
      if (name !== undefined) hello.servername = name;
    } else if (type === EXT_ALPN) {
      hello.alpn = readAlpn(body);
    }
  }
  return hello;
}

function readServerName(body: Reader): string | undefined {
  const list = body.take(body.u16());
  while (list.remaining > 0) {
    const type = list.u8();
    const name = list.bytesOf(list.u16());
    if (type === NAME_TYPE_HOST) return Buffer.from(name).toString('latin1').toLowerCase();
  }
  return undefined;
}

function readAlpn(body: Reader): string[] {
  const list = body.take(body.u16());
  const out: string[] = [];
  while (list.remaining > 0) out.push(Buffer.from(list.bytesOf(list.u8())).toString('latin1'));
  return out;
}
