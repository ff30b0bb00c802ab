// Alibaba Cloud's RPC request signature, version 1.0 (HMAC-SHA1), as its "Signature mechanism"
// page documents it. Pure functions: the caller supplies the timestamp and the nonce.
import { createHmac } from 'node:crypto';

/**
 * RFC 3986 percent-encoding as Alibaba Cloud wants it: only A-Z a-z 0-9 - _ . ~ stay as they
 * are; a space is %20 (never +), '*' is %2A. encodeURIComponent leaves ! ' ( ) * alone, so
 * those are encoded by hand.
 */
export function percentEncode(value: string): string {
  return encodeURIComponent(value).replace(/[!'()*]/g, (c) => '%' + c.charCodeAt(0).toString(16).toUpperCase());
}

/** The parameters (Signature excluded) sorted by name, each name and value encoded, joined by '&'. */
export function canonicalQuery(params: Readonly<Record<string, string>>): string {
  return Object.keys(params)
    .filter((k) => k !== 'Signature')
    // Byte order of the names (they are ASCII), as the documentation's lexicographic sort.
    .sort((a, b) => (a < b ? -1 : a > b ? 1 : 0))
    .map((k) => `${percentEncode(k)}=${percentEncode(params[k])}`)
    .join('&');
}

/** 'GET&%2F&' + the encoded canonical query. */
export function stringToSign(method: 'GET' | 'POST', params: Readonly<Record<string, string>>): string {
  return `${method}&${percentEncode('/')}&${percentEncode(canonicalQuery(params))}`;
}

/** Base64(HMAC-SHA1(secret + '&', StringToSign)). */
export function rpcSignature(method: 'GET' | 'POST', params: Readonly<Record<string, string>>, accessKeySecret: string): string {
  return createHmac('sha1', `${accessKeySecret}&`).update(stringToSign(method, params), 'utf8').digest('base64');
}

/** ISO 8601 UTC without milliseconds, the form the API accepts: 2016-02-23T12:46:24Z. */
export function rpcTimestamp(ms: number): string {
  return new Date(ms).toISOString().replace(/\.\d{3}Z$/, 'Z');
}
