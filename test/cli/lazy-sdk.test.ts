// Provider client code loads only when a config names the provider: `globaldns validate`
// (which loads the whole CLI, the config and every named provider's factory, as `serve` does
// before it starts) run with a module resolve hook that logs every URL the process imports.
// Without Route53 in the config or the resources, no @aws-sdk module is ever resolved.
import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import test from 'ava';
import YAML from 'yaml';
import { cliPath } from '../support/globaldns.js';

const dir = mkdtempSync(join(tmpdir(), 'gdns-lazy-'));
writeFileSync(
  join(dir, 'hooks.mjs'),
  `import { appendFileSync } from 'node:fs';
let log;
export function initialize(data) { log = data.log; }
export async function resolve(specifier, context, next) {
  const r = await next(specifier, context);
  appendFileSync(log, r.url + '\\n');
  return r;
}
`,
);
writeFileSync(
  join(dir, 'register.mjs'),
  `import { register } from 'node:module';
register(new URL('./hooks.mjs', import.meta.url), { data: { log: process.env.IMPORT_LOG } });
`,
);

/** Every module URL `globaldns validate <args>` resolved, and its exit code. */
function importsOf(name: string, args: string[]): Promise<{ code: number; stderr: string; urls: string[] }> {
  const log = join(dir, `${name}.log`);
  writeFileSync(log, '');
  return new Promise((resolve) => {
    execFile(process.execPath, ['--import', pathToFileURL(join(dir, 'register.mjs')).href, cliPath, 'validate', ...args], { timeout: 60_000, env: { ...process.env, IMPORT_LOG: log } }, (err, _stdout, stderr) => {
      resolve({ code: err ? (typeof err.code === 'number' ? err.code : 1) : 0, stderr, urls: readFileSync(log, 'utf8').split('\n').filter(Boolean) });
    });
  });
}

function config(file: string, provider: Record<string, unknown>): string {
  const path = join(dir, file);
  writeFileSync(path, YAML.stringify({ zones: [{ apex: 'example.test' }], providers: [{ name: 'embedded', type: 'embedded' }, provider], entries: [] }));
  return path;
}

const sdk = (urls: string[]) => urls.filter((u) => u.includes('/@aws-sdk/'));

test('a config and resources without Route53 never load the AWS SDK', async (t) => {
  const cfg = config('rfc2136.yaml', { name: 'ns1', type: 'rfc2136', rfc2136: { zones: ['example.test'], servers: ['127.0.0.1:5300'] } });
  const res = join(dir, 'powerdns.yaml');
  writeFileSync(res, YAML.stringify({ apiVersion: 'globaldns.io/v1alpha1', kind: 'GlobalDNSProvider', metadata: { name: 'pdns' }, spec: { type: 'powerdns', powerdns: { url: 'http://127.0.0.1:8081' } } }));
  const r = await importsOf('without', ['--config', cfg, '--resources', res]);
  t.is(r.code, 0, r.stderr);
  t.true(r.urls.some((u) => u.includes('/providers/rfc2136/')), 'the hook sees the rfc2136 factory load');
  t.true(r.urls.some((u) => u.includes('/providers/powerdns/')), 'the hook sees the powerdns factory load');
  t.deepEqual(sdk(r.urls), []);
  t.false(r.urls.some((u) => /\/providers\/route53\/(index|factory|provider)\.js$/.test(u)), 'no Route53 provider code either');
});

test('a config naming Route53 loads it (the check above can see it)', async (t) => {
  const cfg = config('route53.yaml', { name: 'r53', type: 'route53', route53: { region: 'eu-west-1' } });
  const r = await importsOf('with', ['--config', cfg]);
  t.is(r.code, 0, r.stderr);
  t.true(sdk(r.urls).some((u) => u.includes('/@aws-sdk/client-route-53/')), sdk(r.urls).join('\n'));
});
