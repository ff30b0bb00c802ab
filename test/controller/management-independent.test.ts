// One provider that does not answer holds back no other (README: "the other providers keep
// working"). A Route53 provider whose endpoint refuses every connection (its client retries for
// many seconds) sits beside a real PowerDNS: a new entry of the PowerDNS provider, and a new
// PowerDNS provider, get their records and Ready statuses as fast as without it. Once, every
// provider's first sync waited on every provider's read, and adding a provider rebuilt (and
// re-read) them all: 17-19 s instead of under 3.
import test from 'ava';
import { credentials, globalDns, ingress, powerdns, ready, route53, secret, startRuntimeWorld, statusOf } from './management-runtime-world.js';
import { startPdns } from '../support/pdns.js';
import { freePort } from '../support/ports.js';
import { waitFor } from '../support/wait.js';

test('a Route53 provider that cannot be reached does not slow the PowerDNS entries and providers beside it', async (t) => {
  const pdns = await startPdns({ zones: ['pdns.test', 'other.test'] });
  t.teardown(() => pdns.stop());
  // Nothing listens there: every request is refused, and the provider retries with backoff.
  const closed = await freePort({ ipv6: false });
  const w = await startRuntimeWorld({ route53Endpoint: `http://127.0.0.1:${closed}` });
  t.teardown(() => w.close());
  const { mgmt, store } = w;
  const log = () => w.lines.slice(-20).join('\n');
  const inPdns = async (zone: string, name: string) => {
    const r = await pdns.api('GET', `/zones/${zone}.`);
    return (r.json as { rrsets?: { name: string; type: string }[] }).rrsets?.some((x) => x.name === `${name}.` && x.type === 'A') === true;
  };
  /** ms from now until the entry is Ready and its record is in PowerDNS. */
  const timeToReady = async (entry: string, zone: string, name: string): Promise<number> => {
    const t0 = Date.now();
    await waitFor(async () => (ready(mgmt, entry)?.status === 'True' && (await inPdns(zone, name)) ? true : undefined), 30_000, () => `${entry}: ${JSON.stringify(statusOf(mgmt, entry))}\n${log()}`, { intervalMs: 20 });
    return Date.now() - t0;
  };
  for (const [n, name] of [['a', 'a.pdns.test'], ['b', 'b.pdns.test'], ['c', 'c.other.test'], ['r', 'r.example.org']]) store.upsert(ingress('east', n, name, ['192.0.2.10']));

  // Without the unreachable provider: the time to beat.
  mgmt.apply(secret('pdns-key', { 'api-key': pdns.apiKey }));
  mgmt.apply(powerdns('pdns', pdns.url, ['pdns.test']));
  mgmt.apply(globalDns('a', 'a.pdns.test', 'pdns'));
  const alone = await timeToReady('a', 'pdns.test', 'a.pdns.test');

  // The unreachable provider arrives with an entry, and is retrying.
  mgmt.apply(credentials());
  mgmt.apply(route53('aws'));
  mgmt.apply(globalDns('r', 'r.example.org', 'aws'));
  await waitFor(() => (w.lines.some((l) => l.includes('external providers') && l.includes('aws')) ? true : undefined), 5000, log);

  // A new entry of the working provider, then a new working provider.
  mgmt.apply(globalDns('b', 'b.pdns.test', 'pdns'));
  const entryBeside = await timeToReady('b', 'pdns.test', 'b.pdns.test');
  mgmt.apply(secret('pdns2-key', { 'api-key': pdns.apiKey }));
  mgmt.apply(powerdns('pdns2', pdns.url, ['other.test']));
  mgmt.apply(globalDns('c', 'c.other.test', 'pdns2'));
  const providerBeside = await timeToReady('c', 'other.test', 'c.other.test');
  t.log(`Ready: alone ${alone} ms; beside an unreachable provider: new entry ${entryBeside} ms, new provider ${providerBeside} ms`);

  // Still failing meanwhile: the comparison was made against a provider that does not answer.
  t.not(ready(mgmt, 'r')?.status, 'True');
  t.falsy(w.providers.providerStates().find((p) => p.provider === 'aws')?.lastSyncAt, 'the unreachable provider never synced');
  const bound = Math.max(3000, alone + 2000);
  t.true(entryBeside < bound, `new entry beside it: ${entryBeside} ms (alone: ${alone} ms)`);
  t.true(providerBeside < bound, `new provider beside it: ${providerBeside} ms (alone: ${alone} ms)`);
});
