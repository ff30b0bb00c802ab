import { addressType } from '../model/index.js';

/**
 * One spelling per address, so that 2001:DB8::1 and 2001:db8:0::1 from two clusters are
 * de-duplicated. The WHATWG URL parser already implements RFC 5952 canonical IPv6 text.
 */
export function canonicalAddress(ip: string): string {
  if (addressType(ip) !== 'AAAA') return ip;
  return new URL(`http://[${ip}]/`).hostname.slice(1, -1);
}

/** Numeric order, so that answers and snapshots are stable and diffs are readable. */
export function compareAddresses(a: string, b: string): number {
  const ka = sortKey(a);
  const kb = sortKey(b);
  return ka < kb ? -1 : ka > kb ? 1 : 0;
}

function sortKey(ip: string): string {
  if (addressType(ip) === 'A') return ip.split('.').map((o) => o.padStart(3, '0')).join('.');
  const [head, tail] = canonicalAddress(ip).split('::');
  const h = head ? head.split(':') : [];
  const t = tail !== undefined && tail !== '' ? tail.split(':') : [];
  const groups = tail === undefined ? h : [...h, ...Array<string>(8 - h.length - t.length).fill('0'), ...t];
  return groups.map((g) => g.padStart(4, '0')).join(':');
}

export function uniqueSortedAddresses(ips: Iterable<string>): string[] {
  // Keys computed once per address, not once per comparison: names with many addresses are
  // planned on every change of any of their clusters.
  const keyed = [...new Set([...ips].map(canonicalAddress))].map((ip) => [sortKey(ip), ip] as const);
  keyed.sort((a, b) => (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0));
  return keyed.map(([, ip]) => ip);
}
