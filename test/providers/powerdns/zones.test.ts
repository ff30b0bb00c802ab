// zones(): the server's writable zones, narrowed by the configured names and domain filters;
// secondary zones are never offered; a configured zone the server lacks is named in the error.
import test from 'ava';
import { PowerDnsProvider, powerdnsFactory, type PowerDnsProviderOptions } from '../../../providers/index.js';
import { startPdns, type Pdns } from '../../support/pdns.js';
import { logOnFailure } from './fixture.js';

let pdns: Pdns | undefined;
test.before(async () => {
  pdns = await startPdns({ zones: ['example.org', 'sub.example.org', 'example.com', 'other.net'] });
  // A secondary zone: its primary writes it, so the API must not be used to.
  const r = await pdns.api('POST', '/zones', { name: 'mirror.example.org.', kind: 'Slave', masters: ['127.0.0.1:1'] });
  if (r.status !== 201) throw new Error(`create secondary: ${r.status} ${r.body}`);
});
test.after.always(async () => {
  await pdns?.stop();
});
test.afterEach.always((t) => logOnFailure(t, pdns));

const make = (o: Partial<PowerDnsProviderOptions> = {}) => new PowerDnsProvider({ url: pdns!.url, apiKey: pdns!.apiKey, ...o });
const names = async (p: PowerDnsProvider) => (await p.zones()).map((z) => `${z.name} ${z.id}`);

test.serial('without filters: every writable zone, ids as PowerDNS spells them, secondaries left out', async (t) => {
  t.deepEqual(await names(make()), ['example.com example.com.', 'example.org example.org.', 'other.net other.net.', 'sub.example.org sub.example.org.']);
});

test.serial('domainFilters keep zones at, below and above the filter', async (t) => {
  t.deepEqual(await names(make({ domainFilters: ['example.org'] })), ['example.org example.org.', 'sub.example.org sub.example.org.']);
  t.deepEqual(await names(make({ domainFilters: ['www.sub.example.org.'] })), ['example.org example.org.', 'sub.example.org sub.example.org.']);
  t.deepEqual(await names(make({ domainFilters: ['Other.NET', 'example.com'] })), ['example.com example.com.', 'other.net other.net.']);
  t.deepEqual(await names(make({ domainFilters: ['nothing.invalid'] })), []);
});

test.serial('configured zones: only those, in any spelling; then narrowed by domainFilters', async (t) => {
  t.deepEqual(await names(make({ zones: ['EXAMPLE.com.', 'other.net'] })), ['example.com example.com.', 'other.net other.net.']);
  t.deepEqual(await names(make({ zones: ['example.com', 'example.org'], domainFilters: ['example.org'] })), ['example.org example.org.']);
});

test.serial('a configured zone the server lacks, or a secondary one, is named in the error', async (t) => {
  const e = await t.throwsAsync(() => make({ zones: ['example.org', 'missing.example', 'mirror.example.org'] }).zones());
  t.regex(e?.message ?? '', /missing\.example \(no such zone\)/);
  t.regex(e?.message ?? '', /mirror\.example\.org \(a secondary zone/);
  t.regex(e?.message ?? '', /^powerdns \(PowerDNS http:\/\/127\.0\.0\.1:\d+, server localhost\)/, 'names the provider and server');
});

test.serial('a wrong server id says so', async (t) => {
  const e = await t.throwsAsync(() => make({ serverId: 'ns-east' }).zones());
  t.regex(e?.message ?? '', /server ns-east\).*no such server id \(HTTP 404\)/);
});

test.serial('the factory builds a provider from settings and the api-key secret', async (t) => {
  const parsed = powerdnsFactory.settings.safeParse({ url: pdns!.url, domainFilters: ['example.com'] });
  if (!parsed.success) throw new Error(JSON.stringify(parsed.error.issues));
  t.like(parsed.data, { serverId: 'localhost', timeoutMs: 30_000, batchSize: 1000 });
  const p = powerdnsFactory.create({ name: 'pdns-east', settings: parsed.data, secret: (k) => (k === 'api-key' ? `${pdns!.apiKey}\n` : undefined) });
  t.is(p.name, 'pdns-east');
  t.deepEqual((await p.zones()).map((z) => z.name), ['example.com']);

  t.throws(() => powerdnsFactory.create({ name: 'pdns-east', settings: parsed.data, secret: () => undefined }), { message: /pdns-east: secret 'api-key' is missing/ });
  const typo = powerdnsFactory.settings.safeParse({ url: pdns!.url, serverID: 'x' });
  t.false(typo.success, 'an unknown setting is an error, not ignored');
  const inline = powerdnsFactory.settings.safeParse({ apiKey: 'inline' });
  t.false(inline.success, 'the key is a secret, never a setting');
  const badUrl = powerdnsFactory.settings.safeParse({ url: 'ftp://127.0.0.1' });
  t.false(badUrl.success);
  t.deepEqual(powerdnsFactory.secretKeys, ['api-key']);
});
