import type { Socket } from 'node:net';
import { addressBytes, cidrContains } from '../config/index.js';
import type { Cidr } from '../config/index.js';

/**
 * Request and response header rewriting, on Node's flat raw header arrays ([name, value, ...])
 * so that no header object is built per request.
 */

/** Hop-by-hop headers (RFC 9110 7.6.1) and the framing ones; never forwarded as they came. */
const HOP_BY_HOP: Record<string, true> = {
  connection: true,
  'keep-alive': true,
  'proxy-connection': true,
  'proxy-authenticate': true,
  'proxy-authorization': true,
  te: true,
  trailer: true,
  'transfer-encoding': true,
  upgrade: true,
  'http2-settings': true,
  // 100-continue is answered towards the client by the proxy itself.
  expect: true,
};

const FORWARDING: Record<string, 1 | 2 | 3 | 4> = {
  'x-forwarded-for': 1,
  'x-forwarded-proto': 2,
  'x-forwarded-host': 3,
  forwarded: 4,
};

/** The facts about a client connection the forwarding headers need, computed once per connection. */
export interface ClientFacts {
  address: string;
  /** The peer is a trusted proxy: its X-Forwarded-* and Forwarded are kept and appended to. */
  trusted: boolean;
  /** `for=` value of Forwarded (IPv6 quoted and bracketed). */
  forwardedFor: string;
  /** The last Forwarded element built on this connection, and the Host it was for (keep-alive reuses it). */
  lastHost?: string;
  lastForwarded?: string;
}

/**
 * Lengths of the hop-by-hop names: most headers are ruled out by their length alone, before
 * any lower-casing.
 */
const HOP_LENGTHS: boolean[] = [];
for (const name of Object.keys({ connection: 1, 'keep-alive': 1, 'proxy-connection': 1, 'proxy-authenticate': 1, 'proxy-authorization': 1, te: 1, trailer: 1, 'transfer-encoding': 1, upgrade: 1, 'http2-settings': 1, expect: 1 })) HOP_LENGTHS[name.length] = true;

const kFacts = Symbol('globaldns.clientFacts');
type FactSocket = Socket & { [kFacts]?: ClientFacts };

export function clientFacts(socket: Socket, trusted: readonly Cidr[]): ClientFacts {
  const s = socket as FactSocket;
  const cached = s[kFacts];
  if (cached) return cached;
  let address = socket.remoteAddress ?? '';
  if (address.startsWith('::ffff:') && address.indexOf('.') > 0) address = address.slice(7);
  let isTrusted = false;
  if (trusted.length > 0) {
    const bytes = addressBytes(address);
    if (bytes) isTrusted = trusted.some((c) => cidrContains(c, bytes));
  }
  const facts: ClientFacts = { address, trusted: isTrusted, forwardedFor: address.includes(':') ? `"[${address}]"` : address };
  s[kFacts] = facts;
  return facts;
}

/**
 * Upstream request headers from the client's raw headers: hop-by-hop ones and any the
 * Connection header names dropped, Host kept (HTTP/2's :authority becomes Host), and the
 * forwarding headers set. From an untrusted client, incoming forwarding headers are dropped
 * and replaced: a client must not be able to claim another address.
 */
export function upstreamRequestHeaders(raw: readonly string[], host: string, proto: 'http' | 'https', client: ClientFacts): string[] {
  const out: string[] = [];
  let connectionTokens: string[] | undefined;
  let xff: string | undefined;
  let xfp: string | undefined;
  let xfh: string | undefined;
  let fwd: string | undefined;
  for (let i = 0; i < raw.length; i += 2) {
    const name = raw[i];
    if (name.charCodeAt(0) === 58 /* : */) continue; // HTTP/2 pseudo-headers
    const lower = name.toLowerCase();
    // Host is set below; the body's framing is the connection's (Content-Length or chunked, written with the head).
    if (lower === 'host' || lower === 'content-length') continue;
    if (HOP_BY_HOP[lower] === true) {
      if (lower === 'connection') (connectionTokens ??= []).push(...raw[i + 1].toLowerCase().split(','));
      continue;
    }
    const f = FORWARDING[lower];
    if (f !== undefined) {
      if (client.trusted) {
        const v = raw[i + 1];
        // Repeated headers are one list (RFC 9110 5.3).
        if (f === 1) xff = xff === undefined ? v : `${xff}, ${v}`;
        else if (f === 2) xfp ??= v;
        else if (f === 3) xfh ??= v;
        else fwd = fwd === undefined ? v : `${fwd}, ${v}`;
      }
      continue;
    }
    out.push(name, raw[i + 1]);
  }
  if (connectionTokens !== undefined) removeNamed(out, connectionTokens);
  let forwarded = client.lastHost === host ? client.lastForwarded! : undefined;
  if (forwarded === undefined || !forwarded.endsWith(proto)) {
    forwarded = `for=${client.forwardedFor};host=${quoteIfNeeded(host)};proto=${proto}`;
    client.lastHost = host;
    client.lastForwarded = forwarded;
  }
  out.push(
    'host',
    host,
    'x-forwarded-for',
    xff === undefined ? client.address : `${xff}, ${client.address}`,
    'x-forwarded-proto',
    xfp ?? proto,
    'x-forwarded-host',
    xfh ?? host,
    'forwarded',
    fwd === undefined ? forwarded : `${fwd}, ${forwarded}`,
  );
  return out;
}

function quoteIfNeeded(v: string): string {
  return /^[A-Za-z0-9!#$%&'*+.^_`|~-]+$/.test(v) ? v : `"${v.replace(/["\\]/g, '\\$&')}"`;
}

function removeNamed(out: string[], tokens: string[]): void {
  const names = new Set(tokens.map((t) => t.trim()).filter((t) => t !== '' && t !== 'close' && t !== 'keep-alive'));
  if (names.size === 0) return;
  for (let i = out.length - 2; i >= 0; i -= 2) if (names.has(out[i].toLowerCase())) out.splice(i, 2);
}

/**
 * Client response headers from the upstream's: hop-by-hop ones dropped, and those its
 * Connection header names; the client side adds its own framing (and HTTP/2 has none).
 */
export function clientResponseHeaders(raw: readonly string[]): string[] {
  const out: string[] = [];
  let connectionTokens: string[] | undefined;
  for (let i = 0; i < raw.length; i += 2) {
    const name = raw[i];
    if (HOP_LENGTHS[name.length] !== true) {
      out.push(name, raw[i + 1]);
      continue;
    }
    const lower = name.toLowerCase();
    if (HOP_BY_HOP[lower] === true) {
      // Almost every upstream says just "keep-alive" (or "close"): nothing named to remove.
      if (lower === 'connection' && !ONLY_FRAMING_TOKEN.test(raw[i + 1])) (connectionTokens ??= []).push(...raw[i + 1].toLowerCase().split(','));
      continue;
    }
    out.push(name, raw[i + 1]);
  }
  if (connectionTokens !== undefined) removeNamed(out, connectionTokens);
  return out;
}

const ONLY_FRAMING_TOKEN = /^\s*(keep-alive|close)\s*$/i;
