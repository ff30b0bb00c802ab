// The Route53 factory: settings defaults and patterns, credentials from `secret(key)` (any
// accepted spelling) or the default chain, roleArn through STS, and where requests go: the
// `endpoint` setting from the YAML config, only the operator's environment for a resource.
import test from 'ava';
import { buildProvider, route53Factory, route53ResourceSettings, route53Settings, ROUTE53_SECRET_SPELLINGS, ROUTE53_ENDPOINT_ENV, STS_ENDPOINT_ENV } from '../../../providers/index.js';
import type { DnsProvider } from '../../../providers/index.js';
import { ROUTE53_SECRET_KEYS as VIEW_SECRET_KEYS } from '../../../src/sources/index.js';
import { startStsSim } from '../../support/sts-sim/index.js';
import { CREDENTIALS, withSim } from './fixture.js';

const secrets = (data: Record<string, string>) => (key: string) => data[key];
const none = () => undefined;

test('settings: defaults, ids without their prefix, names canonical', (t) => {
  const r = route53Settings.safeParse({ hostedZoneIds: ['/hostedzone/Z0123456789ABCDEFGHIJ', 'hostedzone/Z1D633PJN98FT9', 'Z0001SIM00000000'], domainFilters: ['Example.ORG.'] });
  if (!r.success) return t.fail(JSON.stringify(r.error.issues));
  t.deepEqual(r.data, { region: 'us-east-1', hostedZoneIds: ['Z0123456789ABCDEFGHIJ', 'Z1D633PJN98FT9', 'Z0001SIM00000000'], domainFilters: ['example.org'], rateLimitPerSecond: 5 });
  t.is(r.data.zoneType, undefined, 'both kinds of zone unless zoneType says');
  t.is(route53Factory.type, 'route53');
  t.deepEqual(route53Factory.secretKeys, ['access-key-id', 'secret-access-key', 'session-token']);
});

test('settings: what is refused, naming the field', (t) => {
  const cases: [unknown, string][] = [
    [{ region: 'Ireland' }, 'region: not an AWS region (like eu-west-1)'],
    [{ zoneType: 'both' }, 'zoneType: must be public or private'],
    [{ hostedZoneIds: ['z0123abc'] }, 'hostedZoneIds.0: not a Route53 hosted zone id (like Z0123456789ABCDEFGHIJ)'],
    [{ hostedZoneIds: ['0123ABC'] }, 'hostedZoneIds.0: not a Route53 hosted zone id (like Z0123456789ABCDEFGHIJ)'],
    [{ hostedZoneIds: [`Z${'A'.repeat(32)}`] }, 'hostedZoneIds.0: not a Route53 hosted zone id (like Z0123456789ABCDEFGHIJ)'],
    [{ domainFilters: ['*.example.org'] }, 'domainFilters.0: not a valid domain name'],
    [{ rateLimitPerSecond: 0 }, 'rateLimitPerSecond: Number must be greater than 0'],
    [{ roleArn: 'arn:aws:iam::123:role/x' }, 'roleArn: not an IAM role ARN (like arn:aws:iam::123456789012:role/globaldns)'],
    [{ endpoint: 'localhost' }, 'endpoint: not a URL (like http://localhost:4566)'],
    [{ accessKeyId: 'AKID' }, ": Unrecognized key(s) in object: 'accessKeyId'"],
  ];
  for (const [input, message] of cases) {
    const r = route53Settings.safeParse(input);
    t.deepEqual(r.success ? [] : r.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`), [message], JSON.stringify(input));
  }
  // A resource may not choose the endpoint: the operator's environment does.
  const r = route53ResourceSettings.safeParse({ endpoint: 'http://127.0.0.1:1' });
  t.deepEqual(r.success ? [] : r.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`), [`endpoint: not allowed in a resource (it would send the Secret's keys elsewhere); the operator sets ${ROUTE53_ENDPOINT_ENV}`]);
});

test('the management view demands the keys the factory reads', (t) => {
  const [ids, secretKeys] = VIEW_SECRET_KEYS;
  t.deepEqual([...ids].sort(), [...ROUTE53_SECRET_SPELLINGS['access-key-id']].sort());
  t.deepEqual([...secretKeys].sort(), [...ROUTE53_SECRET_SPELLINGS['secret-access-key']].sort());
});

async function zoneNames(p: DnsProvider): Promise<string[]> {
  return (await p.zones()).map((z) => z.name);
}

test('a YAML provider: its endpoint setting, keys from its secret in any accepted spelling', async (t) => {
  await withSim({ accessKeyIds: [CREDENTIALS.accessKeyId] }, async (sim) => {
    sim.createZone('example.org');
    for (const [id, secret] of [['access-key-id', 'secret-access-key'], ['accessKeyId', 'secretAccessKey'], ['AWS_ACCESS_KEY_ID', 'AWS_SECRET_ACCESS_KEY'], ['accessKey', 'secretKey']]) {
      const p = await buildProvider({ type: 'route53', name: 'r53', settings: { endpoint: sim.url }, secret: secrets({ [id]: CREDENTIALS.accessKeyId, [secret]: CREDENTIALS.secretAccessKey }), at: 'providers[0].route53', env: {} });
      t.deepEqual(await zoneNames(p), ['example.org'], id);
    }
    t.deepEqual([...new Set(sim.calls.map((c) => c.accessKeyId))], [CREDENTIALS.accessKeyId]);
    // The resource variable is not the YAML config's: its endpoint setting wins.
    const p = await buildProvider({ type: 'route53', name: 'r53', settings: { endpoint: sim.url }, secret: secrets({ 'access-key-id': CREDENTIALS.accessKeyId, 'secret-access-key': CREDENTIALS.secretAccessKey }), at: 'providers[0].route53', env: { [ROUTE53_ENDPOINT_ENV]: 'http://127.0.0.1:1' } });
    t.deepEqual(await zoneNames(p), ['example.org']);
  });
});

test('a resource: requests go where the operator environment says, never where the settings say', async (t) => {
  await withSim({ accessKeyIds: [CREDENTIALS.accessKeyId] }, async (sim) => {
    sim.createZone('example.org');
    const secret = secrets({ accessKeyId: CREDENTIALS.accessKeyId, secretAccessKey: CREDENTIALS.secretAccessKey });
    const p = await buildProvider({ type: 'route53', name: 'r53', settings: { domainFilters: ['example.org'] }, secret, at: 'spec.route53', origin: 'resource', env: { [ROUTE53_ENDPOINT_ENV]: sim.url } });
    t.deepEqual(await zoneNames(p), ['example.org']);
    await t.throwsAsync(
      buildProvider({ type: 'route53', name: 'r53', settings: { endpoint: sim.url }, secret, at: 'spec.route53', origin: 'resource', env: {} }),
      { message: `spec.route53.endpoint: not allowed in a resource (it would send the Secret's keys elsewhere); the operator sets ${ROUTE53_ENDPOINT_ENV}` },
    );
    // Even settings that bypassed the check never pick the endpoint of a resource's provider.
    const direct = route53Factory.create({ name: 'r53', settings: { region: 'us-east-1', hostedZoneIds: [], domainFilters: [], rateLimitPerSecond: 5, endpoint: 'http://127.0.0.1:1' }, secret, origin: 'resource', env: { [ROUTE53_ENDPOINT_ENV]: sim.url } });
    t.deepEqual(await zoneNames(direct), ['example.org']);
  });
});

test('half a key pair is an error naming the missing key, never a value', (t) => {
  const e = t.throws(() => route53Factory.create({ name: 'r53', settings: { region: 'us-east-1', hostedZoneIds: [], domainFilters: [], rateLimitPerSecond: 5 }, secret: secrets({ accessKeyId: 'AKIDHALF' }) }));
  t.is(e?.message, 'route53 provider r53: secret secret-access-key is missing (static credentials need access-key-id and secret-access-key)');
  t.throws(() => route53Factory.create({ name: 'r53', settings: { region: 'us-east-1', hostedZoneIds: [], domainFilters: [], rateLimitPerSecond: 5 }, secret: secrets({ 'secret-access-key': 'shh' }) }), { message: /secret access-key-id is missing/ });
  // No keys at all: the SDK's default chain, nothing to complain about yet.
  t.notThrows(() => route53Factory.create({ name: 'r53', settings: { region: 'us-east-1', hostedZoneIds: [], domainFilters: [], rateLimitPerSecond: 5 }, secret: none }));
});

test('roleArn: the secret keys ask STS (at the operator environment endpoint) for the role; Route53 sees only the role key', async (t) => {
  const sts = await startStsSim();
  t.teardown(() => sts.stop());
  await withSim({}, async (sim) => {
    sim.createZone('example.org');
    const role = 'arn:aws:iam::123456789012:role/globaldns';
    for (const origin of ['config', 'resource'] as const) {
      const p = await buildProvider({
        type: 'route53',
        name: 'r53',
        settings: { roleArn: role, ...(origin === 'config' ? { endpoint: sim.url } : {}) },
        secret: secrets({ 'access-key-id': CREDENTIALS.accessKeyId, 'secret-access-key': CREDENTIALS.secretAccessKey }),
        at: 'spec.route53',
        origin,
        env: { [STS_ENDPOINT_ENV]: sts.url, ...(origin === 'resource' ? { [ROUTE53_ENDPOINT_ENV]: sim.url } : {}) },
      });
      t.deepEqual(await zoneNames(p), ['example.org'], origin);
    }
    t.is(sts.calls.length, 2, 'one AssumeRole per provider');
    for (const c of sts.calls) t.like(c, { action: 'AssumeRole', roleArn: role, sessionName: 'globaldns', signedBy: CREDENTIALS.accessKeyId });
    t.deepEqual([...new Set(sim.calls.map((c) => c.accessKeyId))], [sts.accessKeyFor(role)]);
  });
});
