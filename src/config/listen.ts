import { isIP } from 'node:net';

export interface ListenAddress {
  host: string;
  port: number;
}

/**
 * Parses `host:port` (IPv6 as `[::1]:5353`). Only IP literals are accepted: binding to a
 * name would make the served address depend on the resolver at start-up.
 * Port 0 is allowed (the OS picks one), which tests rely on.
 */
export function parseListenAddress(text: string): ListenAddress {
  const m = /^\[([^\]]+)\]:(\d+)$/.exec(text) ?? /^([^:[\]]+):(\d+)$/.exec(text);
  if (!m) throw new Error(`not a listen address "${text}" (expected host:port or [v6]:port)`);
  const host = m[1];
  const port = Number(m[2]);
  const family = isIP(host);
  if (family === 0) throw new Error(`not an IP address "${host}" in listen address "${text}"`);
  if (text.startsWith('[') !== (family === 6)) {
    throw new Error(`IPv6 listen addresses must be bracketed, like [::1]:5353 ("${text}")`);
  }
  if (!Number.isInteger(port) || port > 65535) throw new Error(`port out of range in "${text}"`);
  return { host, port };
}
