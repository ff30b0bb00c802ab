// What a provider's contract backend gives the contract suite and bench:providers. Kept apart
// from contract.ts (which registers ava tests) so the benchmark can load backends outside ava.
import type { RecordSet } from '../../src/model/index.js';
import type { DnsProvider, ProviderCallObserver } from '../../providers/index.js';

/** The zone every contract world holds. */
export const CONTRACT_ZONE = 'example.org';
/** TTLs valid for every provider's default settings (Alidns's free edition starts at 600). */
export const TTL = 600;
export const TTL2 = 900;

export interface ContractWorld {
  /** Writes exactly the zone `example.org`: `zones()` returns it and nothing else. */
  provider: DnsProvider;
  /** Someone else's records, written straight into the backend, not through the provider. */
  seed(records: RecordSet[]): Promise<void>;
  /**
   * The zone as the backend holds it, read without the provider (dig/kdig AXFR against a
   * daemon, the simulator's own state, the HTTP API), SOA and apex NS left out. Names
   * canonical (lower case, no trailing dot), TXT values as text (unquoted), CNAME targets
   * canonical.
   */
  read(): Promise<RecordSet[]>;
  /** A provider for the same zone with wrong credentials (bad TSIG secret, wrong API key). */
  badCredentials(): DnsProvider;
  /** A provider for the same zone pointed at a loopback address where nothing listens. */
  unreachable(): DnsProvider;
  stop(): Promise<void>;
}

export interface ContractBackend {
  /** As in bench output and test titles: 'route53', 'rfc2136-bind', 'powerdns'. */
  name: string;
  /**
   * A fresh backend holding an empty `example.org` (its SOA and NS only). `observe`, when
   * given, is passed to the world's provider (bench:providers counts API calls with it).
   */
  start(opts?: { observe?: ProviderCallObserver }): Promise<ContractWorld>;
}
