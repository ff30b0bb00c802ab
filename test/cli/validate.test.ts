// `globaldns validate`: every problem at once with its path and exit 1, or "ok" and exit 0;
// for the YAML config and for GlobalDNS / GlobalDNSProvider manifests alike.
import { execFile } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import test from 'ava';
import { cliPath } from '../support/globaldns.js';

function validate(...args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    execFile(process.execPath, [cliPath, 'validate', ...args], { timeout: 30_000 }, (err, stdout, stderr) => {
      resolve({ code: err ? (typeof err.code === 'number' ? err.code : 1) : 0, stdout, stderr });
    });
  });
}

const dir = mkdtempSync(join(tmpdir(), 'gdns-validate-'));

test('the demo config and the example resources are valid', async (t) => {
  const r = await validate('--config', 'examples/globaldns.yaml', '--resources', 'deploy/examples/entries.yaml', 'deploy/examples/providers.yaml', 'deploy/examples/route53-credentials.yaml');
  t.is(r.code, 0, r.stderr);
  t.is(r.stdout, 'ok\n');
});

test('a bad config: every problem with its path, exit 1', async (t) => {
  const file = join(dir, 'bad.yaml');
  writeFileSync(file, 'dns: { listen: ["nowhere"] }\nzones: [{ apex: example.test }]\nentries:\n  - { fqdn: "bad name", targets: [{ cluster: east }] }\n');
  const r = await validate('--config', file);
  t.is(r.code, 1);
  t.regex(r.stderr, /^dns\.listen\[0\]: /m);
  t.regex(r.stderr, /^entries\[0\]\.fqdn: not a valid hostname/m);
  t.regex(r.stderr, /^entries\[0\]\.targets\[0\]\.cluster: unknown cluster "east"/m);
  t.regex(r.stderr, /3 problems in /);
});

test('bad resources: problems per document with paths; inline credentials refused', async (t) => {
  const file = join(dir, 'res.yaml');
  writeFileSync(
    file,
    [
      'apiVersion: globaldns.io/v1alpha1\nkind: GlobalDNS\nmetadata: { name: shop, namespace: web }\nspec: { fqdn: "no good", providerRef: r53, targets: [{ cluster: east }] }',
      'apiVersion: v1\nkind: Secret\nmetadata: { name: creds, namespace: web }\nstringData: { accessKeyId: AKIDEXAMPLE }',
      'apiVersion: globaldns.io/v1alpha1\nkind: GlobalDNSProvider\nmetadata: { name: r53 }\nspec: { type: route53, route53: { region: us-east-1, secretAccessKey: hunter2 } }',
    ].join('\n---\n'),
  );
  const r = await validate('--resources', file);
  t.is(r.code, 1);
  t.regex(r.stderr, /document 1 \(GlobalDNS shop\): spec\.fqdn: not a valid hostname/);
  t.regex(r.stderr, /document 3 \(GlobalDNSProvider r53\): spec\.route53\.secretAccessKey: credentials may not be written/);
  t.false(r.stderr.includes('hunter2'), 'the secret value is never echoed');
  t.false(r.stderr.includes('document 2'), 'other kinds are not ours to check');
});

test('a settings block is checked by its provider schema, named the same way in the config and in a resource', async (t) => {
  const cfg = join(dir, 'providers.yaml');
  writeFileSync(
    cfg,
    'zones: [{ apex: example.test }]\nproviders:\n  - { name: r53, type: route53, route53: { region: Ireland, hostedZoneIds: [z123] } }\n  - { name: pdns, type: powerdns, powerdns: { batchSize: 1 } }\n',
  );
  const res = join(dir, 'providers-res.yaml');
  writeFileSync(
    res,
    [
      'apiVersion: globaldns.io/v1alpha1\nkind: GlobalDNSProvider\nmetadata: { name: r53 }\nspec: { type: route53, route53: { region: Ireland, hostedZoneIds: [z123] } }',
      'apiVersion: globaldns.io/v1alpha1\nkind: GlobalDNSProvider\nmetadata: { name: pdns }\nspec: { type: powerdns, powerdns: { batchSize: 1 } }',
    ].join('\n---\n'),
  );
  const r = await validate('--config', cfg, '--resources', res);
  t.is(r.code, 1);
  for (const [config, resource] of [['providers[0].route53', 'document 1 (GlobalDNSProvider r53): spec.route53'], ['providers[1].powerdns', 'document 2 (GlobalDNSProvider pdns): spec.powerdns']]) {
    const fields = (prefix: string) => r.stderr.split('\n').filter((l) => l.includes(prefix)).map((l) => l.slice(l.indexOf(prefix) + prefix.length));
    t.true(fields(config).length > 0, r.stderr);
    t.deepEqual(fields(resource), fields(config), r.stderr);
  }
  t.regex(r.stderr, /^providers\[0\]\.route53\.region: not an AWS region/m);
  t.regex(r.stderr, /^providers\[0\]\.route53\.hostedZoneIds\[0\]: not a Route53 hosted zone id/m);
});

test('health checks: thresholds below 1, a timeout not shorter than the interval and bad status ranges are named, in the config and in a GlobalDNS', async (t) => {
  const cfg = join(dir, 'health.yaml');
  writeFileSync(
    cfg,
    'zones: [{ apex: example.test }]\nclusters: [{ name: east, manifests: east }]\nentries:\n  - fqdn: shop.example.test\n    targets: [{ cluster: east, priority: 0 }]\n    healthCheck: { failureThreshold: 0, interval: 2s, timeout: 5s, expectStatus: "2xx" }\n',
  );
  const r = await validate('--config', cfg);
  t.is(r.code, 1);
  t.regex(r.stderr, /^entries\[0\]\.targets\[0\]\.priority: must be at least 1/m);
  t.regex(r.stderr, /^entries\[0\]\.healthCheck\.failureThreshold: must be at least 1/m);
  t.regex(r.stderr, /^entries\[0\]\.healthCheck\.timeout: must be above 0 and shorter than interval/m);
  t.regex(r.stderr, /^entries\[0\]\.healthCheck\.expectStatus: not a list of status codes or ranges/m);
  const res = join(dir, 'health-res.yaml');
  writeFileSync(res, 'apiVersion: globaldns.io/v1alpha1\nkind: GlobalDNS\nmetadata: { name: shop, namespace: web }\nspec: { fqdn: shop.example.test, providerRef: r53, targets: [{ cluster: east }], healthCheck: { type: tcp, path: /x }, routing: { policy: random } }');
  const rr = await validate('--resources', res);
  t.is(rr.code, 1);
  t.regex(rr.stderr, /spec\.healthCheck\.path: only for http and https checks/);
  t.regex(rr.stderr, /spec\.routing\.policy: /);
});
