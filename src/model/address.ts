import { isIP } from 'node:net';

/** 'A' for an IPv4 literal, 'AAAA' for IPv6, undefined for anything else (a hostname). */
export function addressType(value: string): 'A' | 'AAAA' | undefined {
  const v = isIP(value);
  return v === 4 ? 'A' : v === 6 ? 'AAAA' : undefined;
}
