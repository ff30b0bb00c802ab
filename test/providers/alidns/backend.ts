// The contract backend for Alidns: a fresh simulator holding an empty example.org (free
// edition), read and seeded through the simulator's own state.
import type { ContractBackend } from '../world.js';
import { freePort } from '../../support/ports.js';
import { startAlidnsSim } from '../../support/alidns-sim/index.js';
import { provider, readSets, seedSets, ZONE } from './fixture.js';

export const backend: ContractBackend = {
  name: 'alidns',
  async start(opts = {}) {
    const sim = await startAlidnsSim();
    sim.createDomain(ZONE);
    const deadPort = await freePort({ ipv6: false });
    return {
      provider: provider(sim, { zones: [ZONE], observe: opts.observe }),
      async seed(records) {
        seedSets(sim, records);
      },
      async read() {
        return readSets(sim);
      },
      badCredentials: () => provider(sim, { zones: [ZONE], accessKeySecret: 'not-the-secret' }),
      unreachable: () => provider(sim, { zones: [ZONE], endpoint: `http://127.0.0.1:${deadPort}` }),
      stop: () => sim.stop(),
    };
  },
};
