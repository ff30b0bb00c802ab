import { addressType } from '../model/index.js';
import type { RecordSet } from '../model/index.js';

/**
 * A provider's alias capability: true for a load-balancer hostname the provider can point an
 * A/AAAA record set at directly (Route53 alias records to AWS load balancers). Planning for
 * such a provider writes the hostname itself as the set's value instead of flattening it.
 */
export type AliasHostnames = (hostname: string) => boolean;

/**
 * An alias set: an A/AAAA set whose values are host names, not addresses. Only a provider
 * with an alias type can hold one; it keeps no TTL of its own (Route53 reads it back as 0).
 */
export function isAliasSet(r: Pick<RecordSet, 'type' | 'values'>): boolean {
  return (r.type === 'A' || r.type === 'AAAA') && r.values.length > 0 && r.values.every((v) => addressType(v.trim()) === undefined);
}

/**
 * One spelling of an alias target: lower case, no trailing dot, without the `dualstack.`
 * prefix Route53 puts before Application/Classic load-balancer names.
 */
export function canonicalAliasTarget(hostname: string): string {
  const h = hostname.trim().toLowerCase().replace(/\.$/, '');
  return h.startsWith('dualstack.') ? h.slice('dualstack.'.length) : h;
}
