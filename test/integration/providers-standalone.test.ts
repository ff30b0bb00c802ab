// The issue-5 providers through the real CLI in standalone mode: the YAML names an RFC 2136
// provider (real knotd with a TSIG key), a PowerDNS provider (real pdns_server), a Cloudflare
// provider whose token is wrong (simulator) and an Alidns provider whose endpoint does not
// answer. The two good ones get their records; the two bad ones show a clear error in the
// status API and in /metrics; the process stays up and no secret reaches the log.
import { writeFile } from 'node:fs/promises';
import path from 'node:path';
import test from 'ava';
import { freePort } from '../support/ports.js';
import { ingressYaml, startGlobaldns } from '../support/globaldns.js';
import { waitFor } from '../support/wait.js';
import { startPdns } from '../support/pdns.js';
import { startCloudflareSim } from '../support/cloudflare-sim/index.js';
import { startRfc2136World } from '../providers/rfc2136/backend.js';
import { readZone } from '../providers/powerdns/backend.js';

const until = <T>(what: string, f: () => Promise<T | undefined>, ms = 30_000): Promise<T> => waitFor(f, ms, what, { intervalMs: 200, retryErrors: true });

test('good providers publish while a bad-credential and an unreachable one report clear errors', async (t) => {
  t.timeout(120_000);
  const knot = await startRfc2136World('knot');
  t.teardown(() => knot.stop());
  const pdns = await startPdns({ zones: ['pdns.test'] });
  t.teardown(() => pdns.stop());
  const cf = await startCloudflareSim({ tokens: ['the-right-token'] });
  t.teardown(() => cf.stop());
  cf.createZone('cf.test');
  const closed = await freePort({ ipv6: false });

  const config = {
    dns: { listen: ['127.0.0.1:5353'] },
    zones: [{ apex: 'local.test' }],
    clusters: [{ name: 'east', manifests: 'clusters/east' }],
    providers: [
      { name: 'embedded', type: 'embedded' },
      { name: 'knot', type: 'rfc2136', ownerId: 'gdns', rfc2136: { zones: ['example.org'], servers: [`127.0.0.1:${knot.port}`], tsigKeyName: knot.key.name, tsigAlgorithm: knot.key.algorithm }, secretFile: 'secrets/knot.yaml' },
      { name: 'pdns', type: 'powerdns', ownerId: 'gdns', powerdns: { url: pdns.url, zones: ['pdns.test'] } },
      { name: 'cf', type: 'cloudflare', ownerId: 'gdns', cloudflare: { baseUrl: cf.url, zones: ['cf.test'], rateLimitPerSecond: 100 }, secretFile: 'secrets/cf.yaml' },
      { name: 'ali', type: 'alidns', ownerId: 'gdns', alidns: { endpoint: `http://127.0.0.1:${closed}`, zones: ['ali.test'] } },
    ],
    sync: { debounce: '50ms', resync: false },
    entries: [
      { fqdn: 'shop.example.org', ttl: 600, provider: 'knot', targets: [{ cluster: 'east' }] },
      { fqdn: 'shop.pdns.test', ttl: 600, provider: 'pdns', targets: [{ cluster: 'east' }] },
      { fqdn: 'shop.cf.test', ttl: 600, provider: 'cf', targets: [{ cluster: 'east' }] },
      { fqdn: 'shop.ali.test', ttl: 600, provider: 'ali', targets: [{ cluster: 'east' }] },
    ],
  };
  const wrongToken = 'wrong-token-must-not-be-logged';
  const aliSecret = 'ali-secret-must-not-be-logged';
  const g = await startGlobaldns({
    configYaml: config,
    ipv6: false,
    readyName: 'local.test',
    files: {
      'clusters/east/shop.yaml': ingressYaml({ name: 'shop', hostname: 'shop.example.org,shop.pdns.test,shop.cf.test,shop.ali.test', ips: ['192.0.2.10'] }),
      'secrets/knot.yaml': `tsig-secret: ${knot.key.secret}\n`,
      'secrets/cf.yaml': `api-token: ${wrongToken}\n`,
    },
    // The PowerDNS key and the Alidns keys through the environment instead of a file.
    env: { GLOBALDNS_SECRET_PDNS_API_KEY: pdns.apiKey, GLOBALDNS_SECRET_ALI_ACCESS_KEY_ID: 'LTAIexample', GLOBALDNS_SECRET_ALI_ACCESS_KEY_SECRET: aliSecret },
  });
  t.teardown(() => g.cleanup());

  // The good ones: records and their ownership companions, read back from the daemons.
  const knotA = await until('shop A in knot', async () => (await knot.read()).find((r) => r.name === 'shop.example.org' && r.type === 'A'));
  t.deepEqual(knotA.values, ['192.0.2.10']);
  t.truthy((await knot.read()).find((r) => r.name === '_globaldns-a.shop.example.org' && r.type === 'TXT'), 'ownership companion in knot');
  const pdnsA = await until('shop A in pdns', async () => (await readZone(pdns, 'pdns.test')).find((r) => r.name === 'shop.pdns.test' && r.type === 'A'));
  t.deepEqual(pdnsA.values, ['192.0.2.10']);

  // The bad ones: a clear error per name in the status API, counted in /metrics.
  type Status = { names: { fqdn: string; sync?: { synced: boolean; reason: string; message: string }; lastError?: string }[]; providers?: { provider: string; lastError?: string }[] };
  const status = await until('errors for the bad providers', async () => {
    const s = (await (await fetch(`${g.adminUrl}/api/v1/status`)).json()) as Status;
    const cfName = s.names.find((n) => n.fqdn === 'shop.cf.test');
    const aliName = s.names.find((n) => n.fqdn === 'shop.ali.test');
    return cfName?.sync && !cfName.sync.synced && aliName?.sync && !aliName.sync.synced ? s : undefined;
  });
  const cfName = status.names.find((n) => n.fqdn === 'shop.cf.test')!;
  const aliName = status.names.find((n) => n.fqdn === 'shop.ali.test')!;
  t.regex(`${cfName.sync?.message} ${cfName.lastError}`, /authentication|token|403/i, `cloudflare says credentials: ${cfName.sync?.message}`);
  t.regex(`${aliName.sync?.message} ${aliName.lastError}`, /ECONNREFUSED|unreachable|connect/i, `alidns says unreachable: ${aliName.sync?.message}`);
  t.true(status.names.find((n) => n.fqdn === 'shop.example.org')?.sync?.synced, 'knot synced');
  t.true(status.names.find((n) => n.fqdn === 'shop.pdns.test')?.sync?.synced, 'pdns synced');

  const metrics = await (await fetch(`${g.adminUrl}/metrics`)).text();
  const errorCalls = (provider: string) =>
    metrics
      .split('\n')
      .filter((l) => l.startsWith('globaldns_provider_api_calls_total{') && l.includes(`provider="${provider}"`) && l.includes('outcome="error"'))
      .reduce((n, l) => n + Number(l.split(' ').pop()), 0);
  t.true(errorCalls('cf') > 0, 'cloudflare errors counted');
  t.true(errorCalls('ali') > 0, 'alidns errors counted');
  t.is(errorCalls('knot'), 0);
  t.true(metrics.includes('globaldns_provider_api_calls_total{provider="knot"'), 'knot calls counted');

  // Still serving, and the embedded DNS still answers.
  t.true(g.alive());
  const logs = g.logs();
  for (const secret of [wrongToken, aliSecret, knot.key.secret, pdns.apiKey]) t.false(logs.includes(secret), 'no secret in the log');
  // A change still reaches the good providers after the bad ones failed.
  await writeFile(path.join(g.dir, 'clusters/east/shop.yaml'), ingressYaml({ name: 'shop', hostname: 'shop.example.org,shop.pdns.test,shop.cf.test,shop.ali.test', ips: ['192.0.2.11'] }));
  await until('knot follows the change', async () => ((await knot.read()).find((r) => r.name === 'shop.example.org' && r.type === 'A')?.values[0] === '192.0.2.11' ? true : undefined));
  await until('pdns follows the change', async () => ((await readZone(pdns, 'pdns.test')).find((r) => r.name === 'shop.pdns.test' && r.type === 'A')?.values[0] === '192.0.2.11' ? true : undefined));
});

test('validate names a bad provider settings block with its path', async (t) => {
  const g = await import('node:child_process');
  const { cliPath } = await import('../support/globaldns.js');
  const { mkdtemp } = await import('node:fs/promises');
  const os = await import('node:os');
  const dir = await mkdtemp(path.join(os.tmpdir(), 'gdns-validate-'));
  const file = path.join(dir, 'globaldns.yaml');
  await writeFile(
    file,
    [
      'zones: [{ apex: local.test }]',
      'clusters: [{ name: east, manifests: . }]',
      'providers:',
      '  - { name: embedded, type: embedded }',
      '  - { name: knot, type: rfc2136, rfc2136: { zones: [example.org], servers: ["not a server"], tsigAlgorithm: hmac-nope } }',
      '  - { name: cf, type: cloudflare, cloudflare: { zones: [cf.test] }, secretFile: missing.yaml }',
    ].join('\n'),
  );
  const r = g.spawnSync(process.execPath, [cliPath, 'validate', '--config', file], { encoding: 'utf8' });
  t.is(r.status, 1);
  t.regex(r.stderr, /providers\[1\]\.rfc2136\.servers/);
  t.regex(r.stderr, /providers\[1\]\.rfc2136\.tsigAlgorithm/);
  t.regex(r.stderr, /providers\[2\]\.secretFile: .*missing\.yaml.*ENOENT/);
});
