// Failures the operator must understand at a glance: a wrong API key, a server that is down,
// a zone that is gone, a server that answers 5xx (retried with backoff, then a clear error), a
// hung server (timed out), a garbage reply — each a clear error naming the provider and server,
// never a crash, never the key, and never a write that was not asked for.
import test from 'ava';
import { PowerDnsProvider, type PowerDnsProviderOptions } from '../../../providers/index.js';
import { startPdns, type Pdns } from '../../support/pdns.js';
import { freePort } from '../../support/ports.js';
import { seededRandom } from '../../support/random.js';
import { axfr } from './axfr.js';
import { startFaultProxy, type FaultProxy } from './fault-proxy.js';
import { callLog, EMPTY, find, freshZone, logOnFailure, rr } from './fixture.js';

let pdns: Pdns | undefined;
test.before(async () => {
  pdns = await startPdns({ zones: [] });
});
test.after.always(async () => {
  await pdns?.stop();
});
test.afterEach.always((t) => logOnFailure(t, pdns));

const make = (o: Partial<PowerDnsProviderOptions> = {}) => new PowerDnsProvider({ url: pdns!.url, apiKey: pdns!.apiKey, maxAttempts: 3, baseDelayMs: 20, maxDelayMs: 100, random: seededRandom(3), ...o });

async function withProxy<T>(f: (proxy: FaultProxy) => Promise<T>): Promise<T> {
  const proxy = await startFaultProxy(pdns!.url);
  try {
    return await f(proxy);
  } finally {
    await proxy.stop();
  }
}

test.serial('a wrong API key: "authentication failed (check the API key)", HTTP 401, the key never shown, nothing written', async (t) => {
  const zone = await freshZone(pdns!, 'badkey');
  const log = callLog();
  const bad = make({ apiKey: 'wrong-key-6f1c', observe: log.observe });
  const e1 = await t.throwsAsync(() => bad.zones());
  t.regex(e1?.message ?? '', /^powerdns \(PowerDNS http:\/\/127\.0\.0\.1:\d+, server localhost\): list zones: authentication failed \(check the API key\): HTTP 401/);
  const e2 = await t.throwsAsync(() => bad.records(zone));
  t.regex(e2?.message ?? '', /read zone t\d+-badkey\.test: authentication failed/);
  const applied = await bad.apply(zone, { ...EMPTY, creates: [rr(zone.name, 'www 300 A 192.0.2.1'), rr(zone.name, 'api 300 A 192.0.2.2')] });
  t.deepEqual(applied.results.map((r) => r.ok), [false, false]);
  t.regex(applied.results[0].error ?? '', /authentication failed \(check the API key\)/);
  for (const m of [e1?.message, e2?.message, applied.results[0].error]) t.false((m ?? '').includes('wrong-key-6f1c'), 'the key is not in the message');
  t.is(log.count('GET zones', 'error'), 1, 'a 401 is not retried');
  t.is(find(await axfr(pdns!.dnsPort, zone.name), `www.${zone.name}`, 'A'), undefined);
});

test.serial('an unreachable server: ECONNREFUSED with the address, after the configured attempts', async (t) => {
  const port = await freePort({ ipv6: false });
  const log = callLog();
  const started = Date.now();
  const e = await t.throwsAsync(() => make({ url: `http://127.0.0.1:${port}`, observe: log.observe }).zones());
  t.regex(e?.message ?? '', new RegExp(`cannot reach http://127\\.0\\.0\\.1:${port}: ECONNREFUSED.*\\(after 3 attempts\\)`));
  t.is(log.count('GET zones', 'error'), 3, 'retried: a server may be restarting');
  t.true(Date.now() - started < 10_000);
});

test.serial('a zone deleted after it was listed: a clear error, not an empty zone', async (t) => {
  const prov = make();
  const zone = { id: 'gone.example.', name: 'gone.example' };
  const e = await t.throwsAsync(() => prov.records(zone));
  t.regex(e?.message ?? '', /zone gone\.example \(id gone\.example\.\) does not exist on the server \(HTTP 404\)/);
  const r = await prov.apply(zone, { ...EMPTY, creates: [rr('gone.example', 'www 300 A 192.0.2.1')] });
  t.is(r.failed, 1);
  t.regex(r.results[0].error ?? '', /does not exist on the server/);
});

test.serial('5xx answers are retried with backoff; the change then lands', async (t) => {
  const zone = await freshZone(pdns!, 'retry');
  await withProxy(async (proxy) => {
    // The first two requests of each kind fail: 503 then 500; the third passes.
    const seen = new Map<string, number>();
    proxy.setFaults((_n, method) => {
      const k = (seen.get(method) ?? 0) + 1;
      seen.set(method, k);
      return k === 1 ? { kind: 'status', status: 503, body: 'busy' } : k === 2 ? { kind: 'status', status: 500 } : { kind: 'pass' };
    });
    const log = callLog();
    const prov = make({ url: proxy.url, observe: log.observe });
    const r = await prov.apply(zone, { ...EMPTY, creates: [rr(zone.name, 'www 300 A 192.0.2.1')] });
    t.is(r.failed, 0, JSON.stringify(r.results));
    t.deepEqual(proxy.calls.map((c) => `${c.method} ${c.status}`), ['GET 503', 'GET 500', 'GET 200', 'PATCH 503', 'PATCH 500', 'PATCH 204']);
    t.is(log.count('GET zone', 'error'), 2);
    t.is(log.count('PATCH zone', 'ok'), 1);
  });
  t.deepEqual(find(await axfr(pdns!.dnsPort, zone.name), `www.${zone.name}`, 'A')?.values, ['192.0.2.1']);
});

test.serial("a server that keeps answering 500: the change fails with the server's words, the process goes on", async (t) => {
  const zone = await freshZone(pdns!, 'down');
  await withProxy(async (proxy) => {
    proxy.setFaults((_n, method) => (method === 'PATCH' ? { kind: 'status', status: 500, body: JSON.stringify({ error: 'Backend error: database is locked' }) } : { kind: 'pass' }));
    const r = await make({ url: proxy.url }).apply(zone, { ...EMPTY, creates: [rr(zone.name, 'a 300 A 192.0.2.1'), rr(zone.name, 'b 300 A 192.0.2.2')] });
    t.deepEqual(r.results.map((x) => x.ok), [false, false]);
    t.regex(r.results[0].error ?? '', /PATCH t\d+-down\.test: server error \(HTTP 500\): Backend error: database is locked \(after 3 attempts\)/);
    t.is(proxy.calls.filter((c) => c.method === 'PATCH').length, 3, 'a 5xx is not split: it blames no record');
  });
});

test.serial('a hung server: timed out, with the address', async (t) => {
  await withProxy(async (proxy) => {
    proxy.setFaults(() => ({ kind: 'hang' }));
    const started = Date.now();
    const e = await t.throwsAsync(() => make({ url: proxy.url, timeoutMs: 300, maxAttempts: 2 }).zones());
    t.regex(e?.message ?? '', /list zones: timed out after 300 ms talking to http:\/\/127\.0\.0\.1:\d+ \(after 2 attempts\)/);
    t.true(Date.now() - started < 5000);
  });
});

test.serial('a garbage reply is an error, and apply writes nothing it could not check', async (t) => {
  const zone = await freshZone(pdns!, 'garbage');
  await withProxy(async (proxy) => {
    proxy.setFaults((_n, method) => (method === 'GET' ? { kind: 'status', status: 200, body: '<html>proxy login</html>' } : { kind: 'pass' }));
    const prov = make({ url: proxy.url });
    const e = await t.throwsAsync(() => prov.records(zone));
    t.regex(e?.message ?? '', /read zone t\d+-garbage\.test: the server's reply is not JSON: "<html>proxy login/);
    proxy.setFaults((_n, method) => (method === 'GET' ? { kind: 'status', status: 200, body: JSON.stringify({ rrsets: [{ name: 'x.', type: 'A' }] }) } : { kind: 'pass' }));
    const e2 = await t.throwsAsync(() => prov.records(zone));
    t.regex(e2?.message ?? '', /unexpected reply: rrsets\.0\.ttl: Required/);
    const r = await prov.apply(zone, { ...EMPTY, creates: [rr(zone.name, 'www 300 A 192.0.2.1')] });
    t.is(r.failed, 1);
    t.is(proxy.calls.filter((c) => c.method === 'PATCH').length, 0, 'no PATCH without a good read');
  });
});
