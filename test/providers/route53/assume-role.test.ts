// An assumed role: the provider asks STS for the role's temporary credentials with the base
// credentials, and signs every Route53 call with the temporary ones, never the base keys.
import test from 'ava';
import { startStsSim } from '../../support/sts-sim/index.js';
import { CREDENTIALS, provider, rr, withSim } from './fixture.js';

test('roleArn: Route53 is called with the role credentials from STS', async (t) => {
  const sts = await startStsSim();
  t.teardown(() => sts.stop());
  await withSim({}, async (sim) => {
    const id = sim.createZone('example.test');
    const role = 'arn:aws:iam::123456789012:role/globaldns';
    const p = provider(sim, { roleArn: role, stsEndpoint: sts.url });
    const [zone] = await p.zones();
    const result = await p.apply(zone, { creates: [rr('shop.example.test. 60 A 192.0.2.1')], updates: [], deletes: [] });
    t.is(result.failed, 0, JSON.stringify(result.results.map((r) => r.error)));
    t.deepEqual(sim.records(id).filter((r) => r.type === 'A').map((r) => r.name), ['shop.example.test.']);
    t.is(sts.calls.length, 1, 'one AssumeRole, reused for later calls');
    t.like(sts.calls[0], { action: 'AssumeRole', roleArn: role, sessionName: 'globaldns', signedBy: CREDENTIALS.accessKeyId });
    const keys = new Set(sim.calls.map((c) => c.accessKeyId));
    t.deepEqual([...keys], [sts.accessKeyFor(role)], 'every Route53 call is signed with the temporary key');
  });
});
