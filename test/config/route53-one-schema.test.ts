// One schema for a Route53 settings block: the YAML config's `providers[].route53` and a
// GlobalDNSProvider's `spec.route53` accept the same settings and refuse the same ones with the
// same messages, only the path before the field differs. (A resource also refuses `endpoint`,
// which only the operator sets, and inline credentials with a message of its own.)
import test from 'ava';
import YAML from 'yaml';
import { parseConfig, parseGlobalDnsProvider } from '../../src/config/index.js';
import { yamlProviderProblems } from '../../src/controller/index.js';
import { providerSettingsProblems } from '../../src/app/validate.js';

async function viaYaml(settings: unknown): Promise<string[]> {
  const text = YAML.stringify({ providers: [{ name: 'r53', type: 'route53', route53: settings }], entries: [] });
  const config = parseConfig(text, { baseDir: '/' });
  return (await yamlProviderProblems(config)).map((p) => p.replace(/^providers\[0\]\.route53/, '<block>'));
}

async function viaResource(settings: unknown): Promise<string[]> {
  const r = parseGlobalDnsProvider({ apiVersion: 'globaldns.io/v1alpha1', kind: 'GlobalDNSProvider', metadata: { name: 'r53' }, spec: { type: 'route53', route53: settings } });
  if (!r.ok) return r.problems.map((p) => p.replace(/^spec\.route53/, '<block>'));
  return (await providerSettingsProblems(r.value)).map((p) => p.replace(/^spec\.route53/, '<block>'));
}

const accepted: unknown[] = [
  {},
  { region: 'eu-west-1' },
  { region: 'us-gov-west-1', zoneType: 'private', hostedZoneIds: ['Z0123456789ABCDEFGHIJ', '/hostedzone/Z1D633PJN98FT9'] },
  { zoneType: 'public', domainFilters: ['Example.ORG.', 'team.example.com'], rateLimitPerSecond: 2.5 },
  { roleArn: 'arn:aws:iam::123456789012:role/path/globaldns', hostedZoneIds: [] },
];

const refused: [unknown, string[]][] = [
  [{ region: 'Ireland' }, ['<block>.region: not an AWS region (like eu-west-1)']],
  [{ region: '' }, ['<block>.region: not an AWS region (like eu-west-1)']],
  [{ zoneType: 'both' }, ['<block>.zoneType: must be public or private']],
  [{ hostedZoneIds: ['z0123abc', '0123ABC', '/hostedzone/'] }, [0, 1, 2].map((i) => `<block>.hostedZoneIds[${i}]: not a Route53 hosted zone id (like Z0123456789ABCDEFGHIJ)`)],
  [{ hostedZoneIds: 'Z0123ABC' }, ['<block>.hostedZoneIds: Expected array, received string']],
  [{ domainFilters: ['*.example.org', 'bad name'] }, ['<block>.domainFilters[0]: not a valid domain name', '<block>.domainFilters[1]: not a valid domain name']],
  [{ rateLimitPerSecond: 0 }, ['<block>.rateLimitPerSecond: Number must be greater than 0']],
  [{ rateLimitPerSecond: 5000 }, ['<block>.rateLimitPerSecond: Number must be less than or equal to 1000']],
  [{ roleArn: 'root' }, ['<block>.roleArn: not an IAM role ARN (like arn:aws:iam::123456789012:role/globaldns)']],
  [{ zone: 'example.org' }, ["<block>: Unrecognized key(s) in object: 'zone'"]],
];

test('the YAML config and a resource accept the same Route53 settings', async (t) => {
  for (const settings of accepted) {
    t.deepEqual(await viaYaml(settings), [], JSON.stringify(settings));
    t.deepEqual(await viaResource(settings), [], JSON.stringify(settings));
  }
});

test('the YAML config and a resource refuse the same Route53 settings with the same messages', async (t) => {
  for (const [settings, expected] of refused) {
    t.deepEqual(await viaYaml(settings), expected, `YAML ${JSON.stringify(settings)}`);
    t.deepEqual(await viaResource(settings), expected, `resource ${JSON.stringify(settings)}`);
  }
});

test('only the operator sets the endpoint: the YAML config may, a resource may not', async (t) => {
  t.deepEqual(await viaYaml({ endpoint: 'http://127.0.0.1:4566' }), []);
  t.deepEqual(await viaResource({ endpoint: 'http://127.0.0.1:4566' }), ["<block>.endpoint: not allowed in a resource (it would send the Secret's keys elsewhere); the operator sets GLOBALDNS_ROUTE53_ENDPOINT"]);
});
