// The Route53 provider's contract backend: the Route53 simulator (test/support/route53-sim)
// speaking the real REST/XML API to the real AWS SDK inside Route53Provider.
import type { RecordSet, RRType } from '../../../src/model/index.js';
import { Route53Provider, quoteTxt, unquoteTxt, type ProviderCallObserver } from '../../../providers/index.js';
import { startRoute53Sim, type SimRecordSet } from '../../support/route53-sim/index.js';
import { CONTRACT_ZONE, type ContractBackend, type ContractWorld } from '../world.js';
import { CREDENTIALS, seededRandom } from './fixture.js';

/** Targets that Route53 stores with a trailing dot. */
const NAME_VALUED = new Set(['CNAME', 'NS', 'PTR']);

function toSim(r: RecordSet): SimRecordSet {
  const values = r.values.map((v) => (r.type === 'TXT' ? quoteTxt(v) : NAME_VALUED.has(r.type) ? `${v}.` : r.type === 'MX' ? `${v}.` : v));
  return { name: `${r.name}.`, type: r.type, ttl: r.ttl, values };
}

function fromSim(r: SimRecordSet): RecordSet {
  const name = r.name.replace(/\.$/, '').replace(/\\052/g, '*');
  const values = (r.values ?? []).map((v) => (r.type === 'TXT' ? unquoteTxt(v) : NAME_VALUED.has(r.type) || r.type === 'MX' ? v.replace(/\.$/, '') : v));
  return { name, type: r.type as RRType, ttl: r.ttl ?? 0, values };
}

export const backend: ContractBackend = {
  name: 'route53',
  async start(opts = {}): Promise<ContractWorld> {
    const sim = await startRoute53Sim({ seed: 11, accessKeyIds: [CREDENTIALS.accessKeyId] });
    const zoneId = sim.createZone(CONTRACT_ZONE);
    const make = (o: { endpoint?: string; accessKeyId?: string; observe?: ProviderCallObserver } = {}) =>
      new Route53Provider({
        name: 'route53',
        endpoint: o.endpoint ?? sim.url,
        region: 'us-east-1',
        credentials: { ...CREDENTIALS, accessKeyId: o.accessKeyId ?? CREDENTIALS.accessKeyId },
        zoneIds: [zoneId],
        rateLimitPerSecond: 1000,
        baseDelayMs: 5,
        maxDelayMs: 50,
        maxAttempts: 3,
        random: seededRandom(7),
        observe: o.observe,
      });
    return {
      provider: make({ observe: opts.observe }),
      async seed(records) {
        for (const r of records) sim.seed(zoneId, toSim(r));
      },
      async read() {
        return sim
          .records(zoneId)
          .filter((r) => !(r.name === `${CONTRACT_ZONE}.` && (r.type === 'SOA' || r.type === 'NS')))
          .map(fromSim);
      },
      badCredentials: () => make({ accessKeyId: 'AKIDWRONGWRONGWRONG' }),
      // Port 9 (discard) on loopback: nothing listens there in the test machines.
      unreachable: () => make({ endpoint: 'http://127.0.0.1:9' }),
      stop: () => sim.stop(),
    };
  },
};
