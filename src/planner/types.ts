import type { Soa } from '../model/index.js';

/** Addresses a load-balancer hostname resolved to. */
export interface ResolvedAddresses {
  v4: readonly string[];
  v6: readonly string[];
}

export type ResolvedHostnames = ReadonlyMap<string, ResolvedAddresses>;

/** An endpoint's claim of a name that the entries do not allow; it never changes DNS. */
export interface RejectedClaim {
  /** endpointKey of the claiming object. */
  key: string;
  fqdn: string;
  reason: string;
}

/** The zone settings zoneContent needs; structurally a config ZoneConfig fits. */
export interface ZoneSettings {
  apex: string;
  ns: readonly string[];
  nsTtl: number;
  soa: Omit<Soa, 'serial'>;
}
