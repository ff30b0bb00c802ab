// The contract backend for Cloudflare: a fresh simulator holding an empty example.org, read
// through the simulator's own state (never through the provider).

import type { ContractBackend, ContractWorld } from '../world.js';
import { startCloudflareSim } from '../../support/cloudflare-sim/index.js';
import { freePort } from '../../support/ports.js';
import { provider, seedBody, simSets, ZONE } from './fixture.js';

export const backend: ContractBackend = {
  name: 'cloudflare',
  async start(opts = {}): Promise<ContractWorld> {
    const sim = await startCloudflareSim();
    const zoneId = sim.createZone(ZONE);
    const downPort = await freePort();
    return {
      provider: provider(sim, { zones: [ZONE], observe: opts.observe }),
      async seed(records) {
        for (const r of records) for (const v of r.values) sim.seed(zoneId, seedBody({ ...r, values: [v] }));
      },
      async read() {
        return simSets(sim, zoneId);
      },
      badCredentials: () => provider(sim, { zones: [ZONE], credentials: { apiToken: 'not-the-token' } }),
      unreachable: () => provider(sim, { zones: [ZONE], baseUrl: `http://127.0.0.1:${downPort}/client/v4` }),
      stop: () => sim.stop(),
    };
  },
};
