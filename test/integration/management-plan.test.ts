// `globaldns plan` in management mode: the resources are read once and merged with the YAML, the
// plan is printed, and nothing is written (no Route53 change, no Lease, no status, no Event).
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import test from 'ava';
import { ingress } from './kube-world.js';
import { credentialsSecret, EMBEDDED_APEX, embeddedProvider, globalDns, route53Provider, simRecords, startMgmtWorld, waitFor } from './management-world.js';
import { cliPath } from '../support/globaldns.js';

const run = promisify(execFile);

test('plan with management: resources merged with the YAML, changes printed, nothing written', async (t) => {
  const w = await startMgmtWorld();
  t.teardown(() => w.close());
  const { mgmt, east, west, sim, zoneId } = w;
  east.apply(ingress({ name: 'web', namespace: 'shop', hosts: 'www.example.org', ips: ['203.0.113.10'] }));
  west.apply(ingress({ name: 'web', namespace: 'shop', hosts: 'www.example.org', ips: ['203.0.113.20'] }));
  east.apply(ingress({ name: 'api', namespace: 'shop', hosts: 'api.example.org', ips: ['203.0.113.11'] }));
  east.apply(ingress({ name: 'intra', namespace: 'shop', hosts: `app.${EMBEDDED_APEX}`, ips: ['10.0.0.5'] }));
  mgmt.apply(credentialsSecret());
  mgmt.apply(route53Provider('route53-main'));
  mgmt.apply(embeddedProvider('emb'));
  mgmt.apply(globalDns('shop', 'web', 'www.example.org', 'route53-main', ['east', 'west']));

  // A replica writes the first state, then stops.
  const g = await w.replica('replica-0');
  await waitFor(() => (simRecords(sim, zoneId, 'www.example.org').includes('A 60 203.0.113.10 203.0.113.20') ? true : undefined), 10_000, () => `www: ${simRecords(sim, zoneId, 'www.example.org').join(' | ')}\n${g.logs().split('\n').slice(-20).join('\n')}`);
  await g.stop();

  // Meanwhile: an endpoint moves, new entries arrive (one on the embedded provider), one is broken.
  west.apply(ingress({ name: 'web', namespace: 'shop', hosts: 'www.example.org', ips: ['203.0.113.21'] }));
  mgmt.apply(globalDns('shop', 'api', 'api.example.org', 'route53-main', ['east']));
  mgmt.apply(globalDns('shop', 'intra', `app.${EMBEDDED_APEX}`, 'emb', ['east']));
  mgmt.apply(globalDns('shop', 'lost', 'lost.example.org', 'no-such-provider', ['east']));
  const changeCalls = sim.calls.filter((c) => c.op === 'ChangeResourceRecordSets').length;
  const requestsBefore = mgmt.requests.length;

  const { stdout } = await run(process.execPath, [cliPath, 'plan', '--config', g.configPath], {
    env: { ...process.env, GLOBALDNS_ROUTE53_ENDPOINT: sim.url, AWS_EC2_METADATA_DISABLED: 'true' },
    timeout: 60_000,
  });
  t.regex(stdout, /^problem {3}GlobalDNS shop\/lost: spec\.providerRef: no GlobalDNSProvider "no-such-provider"$/m);
  t.regex(stdout, new RegExp(`^embedded  app\\.${EMBEDDED_APEX.replace('.', '\\.')} 60 A 10\\.0\\.0\\.5$`, 'm'));
  t.regex(stdout, /^route53-main example\.org \(\S+\): 3 changes, 0 conflicts$/m);
  t.regex(stdout, /~ www\.example\.org A 60 203\.0\.113\.10 203\.0\.113\.20 -> 60 203\.0\.113\.10 203\.0\.113\.21/);
  t.regex(stdout, /\+ api\.example\.org 60 A 203\.0\.113\.11/);
  t.regex(stdout, /\+ _globaldns-a\.api\.example\.org 60 TXT heritage=globaldns,globaldns\/owner=route53-main/, 'with its ownership TXT');

  t.is(sim.calls.filter((c) => c.op === 'ChangeResourceRecordSets').length, changeCalls, 'no Route53 change');
  const writes = mgmt.requests.slice(requestsBefore).filter((r) => r.method !== 'GET');
  t.deepEqual(writes.map((r) => `${r.method} ${r.path}`), [], 'no Lease, status, finalizer or Event written to the management cluster');
  t.deepEqual(simRecords(sim, zoneId, 'api.example.org'), [], 'the plan was not applied');
});
