// The PowerDNS provider's contract backend: a real pdns_server (sqlite3 backend) per world.
// `read()` is an AXFR from the daemon's DNS port (what it serves, decoded from the wire);
// `seed()` writes foreign records with direct PATCHes, not through the provider.
import type { RecordSet } from '../../../src/model/index.js';
import { PowerDnsProvider, type PowerDnsProviderOptions } from '../../../providers/index.js';
import { startPdns, type Pdns } from '../../support/pdns.js';
import { freePort } from '../../support/ports.js';
import { seededRandom } from '../../support/random.js';
import { CONTRACT_ZONE, type ContractBackend, type ContractWorld } from '../world.js';
import { axfr } from './axfr.js';

/** Presentation form for seeding only: ASCII text in one quoted string (the tests' foreign values are short). */
function seedContent(r: RecordSet, v: string): string {
  if (r.type === 'TXT') return `"${v.replace(/[\\"]/g, (c) => `\\${c}`)}"`;
  if (r.type === 'CNAME' || r.type === 'NS' || r.type === 'PTR') return `${v}.`;
  if (r.type === 'MX' || r.type === 'SRV') return `${v}.`;
  return v;
}

/** Writes record sets straight through the API (REPLACE), as another tool would. */
export async function seedRecords(pdns: Pdns, zone: string, records: RecordSet[]): Promise<void> {
  const rrsets = records.map((r) => ({
    name: `${r.name}.`,
    type: r.type,
    ttl: r.ttl,
    changetype: 'REPLACE',
    records: r.values.map((v) => ({ content: seedContent(r, v), disabled: false })),
  }));
  const res = await pdns.api('PATCH', `/zones/${zone}.`, { rrsets });
  if (res.status !== 204) throw new Error(`seed: HTTP ${res.status} ${res.body}`);
}

/** The zone as served over AXFR, without SOA and apex NS. */
export async function readZone(pdns: Pdns, zone: string): Promise<RecordSet[]> {
  return (await axfr(pdns.dnsPort, zone)).filter((r) => !(r.name === zone && r.type === 'NS'));
}

/** A provider on this daemon, fast retries, deterministic jitter. */
export function pdnsProvider(pdns: Pdns, o: Partial<PowerDnsProviderOptions> = {}): PowerDnsProvider {
  return new PowerDnsProvider({
    name: 'powerdns',
    url: pdns.url,
    apiKey: pdns.apiKey,
    zones: [CONTRACT_ZONE],
    maxAttempts: 3,
    baseDelayMs: 20,
    maxDelayMs: 200,
    timeoutMs: 20_000,
    random: seededRandom(5),
    ...o,
  });
}

export const backend: ContractBackend = {
  name: 'powerdns',
  async start(opts = {}): Promise<ContractWorld> {
    const pdns = await startPdns({ zones: [CONTRACT_ZONE] });
    const closedPort = await freePort({ ipv6: false });
    return {
      provider: pdnsProvider(pdns, { observe: opts.observe }),
      seed: (records) => seedRecords(pdns, CONTRACT_ZONE, records),
      read: () => readZone(pdns, CONTRACT_ZONE),
      badCredentials: () => pdnsProvider(pdns, { apiKey: 'not-the-key' }),
      unreachable: () => pdnsProvider(pdns, { url: `http://127.0.0.1:${closedPort}` }),
      stop: () => pdns.stop(),
    };
  },
};
