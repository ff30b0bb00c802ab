// Standalone mode with Route53: a config (no management cluster) whose entry names a Route53
// provider. The real CLI writes the records and their ownership companions through the real
// AWS SDK to the Route53 simulator, leaves foreign records alone, follows manifest edits, and
// `globaldns plan` shows a pending change without making it.
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import test from 'ava';
import { cliPath, ingressYaml, startGlobaldns } from '../support/globaldns.js';
import { waitFor } from '../support/wait.js';
import { startRoute53Sim } from '../support/route53-sim/index.js';

const run = promisify(execFile);
const env = { AWS_ACCESS_KEY_ID: 'AKIDEXAMPLE', AWS_SECRET_ACCESS_KEY: 'not-a-real-secret', AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true' };

const until = <T>(what: string, f: () => T | undefined, ms = 15_000): Promise<T> => waitFor(f, ms, what, { intervalMs: 100, retryErrors: false });

test('records and ownership TXT reach Route53; foreign records stay; plan shows without applying', async (t) => {
  t.timeout(90_000);
  const sim = await startRoute53Sim();
  t.teardown(() => sim.stop());
  const zoneId = sim.createZone('example.test');
  sim.seed(zoneId, { name: 'shop.example.test.', type: 'MX', ttl: 300, values: ['10 mail.example.test.'] });
  sim.seed(zoneId, { name: 'taken.example.test.', type: 'A', ttl: 300, values: ['203.0.113.9'] });

  const config = {
    dns: { listen: ['127.0.0.1:5353'] },
    zones: [{ apex: 'local.test' }],
    clusters: [{ name: 'east', manifests: 'clusters/east' }, { name: 'west', manifests: 'clusters/west' }],
    providers: [
      { name: 'embedded', type: 'embedded' },
      { name: 'r53', type: 'route53', ownerId: 'gdns-e2e', route53: { endpoint: sim.url, hostedZoneIds: [zoneId] } },
    ],
    sync: { debounce: '50ms', resync: false },
    entries: [
      { fqdn: 'shop.example.test', ttl: 60, provider: 'r53', targets: [{ cluster: 'east' }, { cluster: 'west' }] },
      { fqdn: 'taken.example.test', ttl: 60, provider: 'r53', targets: [{ cluster: 'east' }] },
    ],
  };
  const g = await startGlobaldns({
    configYaml: config,
    env,
    ipv6: false,
    readyName: 'local.test',
    files: {
      'clusters/east/shop.yaml': ingressYaml({ name: 'shop', hostname: 'shop.example.test,taken.example.test', ips: ['192.0.2.10'] }),
      'clusters/west/shop.yaml': ingressYaml({ name: 'shop', hostname: 'shop.example.test', ips: ['198.51.100.20'] }),
    },
  });
  t.teardown(() => g.cleanup());

  const find = (name: string, type: string) => sim.records(zoneId).find((r) => r.name === name && r.type === type);
  const a = await until('shop A in Route53', () => find('shop.example.test.', 'A'));
  t.deepEqual([...(a.values ?? [])].sort(), ['192.0.2.10', '198.51.100.20']);
  t.is(a.ttl, 60);
  const txt = await until('the ownership record', () => find('_globaldns-a.shop.example.test.', 'TXT'));
  t.regex((txt.values ?? [])[0] ?? '', /heritage=globaldns,globaldns\/owner=gdns-e2e/);
  t.deepEqual(find('shop.example.test.', 'MX')?.values, ['10 mail.example.test.'], 'a foreign record at the same name stays');
  t.deepEqual(find('taken.example.test.', 'A')?.values, ['203.0.113.9'], 'a foreign record of the same name and type is never overwritten');
  t.true(g.logs().includes('taken.example.test'), 'the conflict is reported');

  // A manifest edit reaches Route53 as an update.
  await g.writeFile('clusters/west/shop.yaml', ingressYaml({ name: 'shop', hostname: 'shop.example.test', ips: ['198.51.100.21'] }));
  await until('the update', () => (find('shop.example.test.', 'A')?.values ?? []).includes('198.51.100.21') || undefined);
  await g.stop();

  // Stopped: an edit made now is only a plan until a sync applies it.
  await g.writeFile('clusters/east/shop.yaml', ingressYaml({ name: 'shop', hostname: 'shop.example.test,taken.example.test', ips: ['192.0.2.11'] }));
  const changeCalls = sim.calls.filter((c) => c.op === 'ChangeResourceRecordSets').length;
  const { stdout } = await run(process.execPath, [cliPath, 'plan', '--config', g.configPath], { env: { ...process.env, ...env }, timeout: 60_000 });
  t.regex(stdout, /r53 example\.test \(\w+\): 1 change, 1 conflict/);
  t.regex(stdout, /~ shop\.example\.test A 60 192\.0\.2\.10 198\.51\.100\.21 -> 60 192\.0\.2\.11 198\.51\.100\.21/);
  t.regex(stdout, /! taken\.example\.test A: /);
  t.is(sim.calls.filter((c) => c.op === 'ChangeResourceRecordSets').length, changeCalls, 'plan changes nothing');
});

test('a role to assume: the CLI writes with the role credentials STS hands out', async (t) => {
  t.timeout(60_000);
  const { startStsSim } = await import('../support/sts-sim/index.js');
  const sts = await startStsSim();
  t.teardown(() => sts.stop());
  const sim = await startRoute53Sim();
  t.teardown(() => sim.stop());
  const zoneId = sim.createZone('example.test');
  const role = 'arn:aws:iam::123456789012:role/globaldns';
  const g = await startGlobaldns({
    configYaml: {
      dns: { listen: ['127.0.0.1:5353'] },
      zones: [{ apex: 'local.test' }],
      clusters: [{ name: 'east', manifests: 'clusters/east' }],
      providers: [{ name: 'r53', type: 'route53', route53: { endpoint: sim.url, hostedZoneIds: [zoneId], roleArn: role } }],
      sync: { debounce: '50ms', resync: false },
      entries: [{ fqdn: 'shop.example.test', provider: 'r53', targets: [{ cluster: 'east' }] }],
    },
    env: { ...env, GLOBALDNS_STS_ENDPOINT: sts.url },
    ipv6: false,
    readyName: 'local.test',
    files: { 'clusters/east/shop.yaml': ingressYaml({ name: 'shop', hostname: 'shop.example.test', ips: ['192.0.2.10'] }) },
  });
  t.teardown(() => g.cleanup());
  await until('shop A in Route53', () => sim.records(zoneId).find((r) => r.name === 'shop.example.test.' && r.type === 'A'));
  t.true(sts.calls.some((c) => c.roleArn === role && c.signedBy === env.AWS_ACCESS_KEY_ID), 'STS asked with the base credentials');
  t.deepEqual([...new Set(sim.calls.map((c) => c.accessKeyId))], [sts.accessKeyFor(role)], 'Route53 only ever sees the role key');
});
