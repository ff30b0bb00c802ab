// Credentials, throttling, server errors and garbage: clear errors, retries where safe, and
// nothing written or deleted on an answer the provider cannot read.
import test from 'ava';
import { ExternalController } from '../../../src/controller/index.js';
import type { Endpoint, GlobalDnsEntry } from '../../../src/model/index.js';
import { EndpointStore } from '../../../src/sources/index.js';
import type { ProviderCall } from '../../../providers/index.js';
import { countCalls, EMPTY, lines, provider, readSets, rr, seedSets, SIM_KEY, withSim, ZONE } from './fixture.js';
import { InstantClock } from '../../support/clock.js';
import { desiredFor } from '../../support/desired.js';
import { ManualClock } from '../../support/clock.js';

test('a wrong AccessKey secret: SignatureDoesNotMatch, said to be an authentication failure, secret never shown', async (t) => {
  await withSim({}, async (sim) => {
    const secret = 'wrong-secret-do-not-print';
    const p = provider(sim, { accessKeySecret: secret });
    const e = await t.throwsAsync(() => p.zones());
    t.regex(e?.message ?? '', /^alidns 127\.0\.0\.1:\d+: list domains \(page 1\): authentication failed: SignatureDoesNotMatch: Specified signature is not matched with our calculation\. \(is the AccessKey secret right\?\) \(HTTP 400, RequestId [-0-9A-F]+\)$/);
    t.false((e?.message ?? '').includes(secret));
    t.false((e?.message ?? '').includes('string to sign'), 'the server string to sign is not echoed');
    t.is((e as { code?: string }).code, 'SignatureDoesNotMatch');
    t.is(countCalls(sim, 'DescribeDomains'), 1, 'an authentication failure is not retried');
    const r = await p.apply({ id: 'x', name: ZONE }, { ...EMPTY, creates: [rr('a.example.org 600 A 192.0.2.1')] });
    t.regex(r.results[0].error ?? '', /AddDomainRecord a A 192\.0\.2\.1: authentication failed: SignatureDoesNotMatch/);
    t.deepEqual(sim.records(ZONE), []);
  });
});

test('an unknown AccessKey ID: InvalidAccessKeyId.NotFound (HTTP 404)', async (t) => {
  await withSim({}, async (sim) => {
    const e = await t.throwsAsync(() => provider(sim, { accessKeyId: 'LTAI-nobody' }).zones());
    t.regex(e?.message ?? '', /authentication failed: InvalidAccessKeyId\.NotFound: Specified access key is not found\. \(is the AccessKey ID right\?\) \(HTTP 404/);
  });
});

test('an unreachable endpoint: ECONNREFUSED with the address, after a bounded number of tries', async (t) => {
  await withSim({}, async (sim) => {
    const calls: ProviderCall[] = [];
    await sim.stop();
    const p = provider(sim, { maxAttempts: 3, observe: (c) => calls.push(c) });
    const e = await t.throwsAsync(() => p.zones());
    t.regex(e?.message ?? '', /^alidns 127\.0\.0\.1:\d+: list domains \(page 1\): 127\.0\.0\.1:\d+: connect ECONNREFUSED 127\.0\.0\.1:\d+$/);
    t.is(calls.length, 3);
    t.true(calls.every((c) => c.outcome === 'error' && c.operation === 'DescribeDomains'));
  });
});

test('Throttling.User is retried with backoff, each try observed as throttled, whether answered 400 or 429', async (t) => {
  for (const status of [400, 429]) {
    await withSim({}, async (sim) => {
      sim.faults({ throttleStatus: status });
      const calls: ProviderCall[] = [];
      // Sleeps pass at once; the simulator checks request timestamps against the wall clock.
      const clock = new InstantClock(Date.now);
      const p = provider(sim, {
        observe: (c) => calls.push(c),
        clock,
        baseDelayMs: 100,
        maxDelayMs: 1000,
      });
      sim.failNext('throttle', 'throttle', 'throttle');
      const zones = await p.zones();
      t.deepEqual(zones.map((z) => z.name), [ZONE]);
      t.deepEqual(calls.map((c) => c.outcome), ['throttled', 'throttled', 'throttled', 'ok']);
      t.deepEqual(sim.calls.map((c) => c.status), [status, status, status, 200]);
      // Backoff doubles: 50–100 ms, 100–200 ms, 200–400 ms (the token bucket sleeps too, briefly).
      const backoffs = clock.sleeps.filter((ms) => ms >= 50);
      t.is(backoffs.length, 3);
      t.true(backoffs[0] <= 100 && backoffs[1] >= 100 && backoffs[1] <= 200 && backoffs[2] >= 200 && backoffs[2] <= 400, backoffs.join(','));
    });
  }
});

test('throttled past maxAttempts: the change fails naming Throttling.User, the others apply', async (t) => {
  await withSim({}, async (sim) => {
    const p = provider(sim, { maxAttempts: 2, concurrency: 1 });
    const [zone] = await p.zones();
    sim.failNext('throttle', 'throttle');
    const r = await p.apply(zone, { ...EMPTY, creates: [rr('a.example.org 600 A 192.0.2.1'), rr('b.example.org 600 A 192.0.2.2')] });
    t.deepEqual(r.results.map((x) => x.ok), [false, true]);
    t.regex(r.results[0].error ?? '', /^AddDomainRecord a A 192\.0\.2\.1: Throttling\.User: Request was denied due to user flow control\. \(HTTP 400/);
    t.deepEqual(lines(readSets(sim)), ['b.example.org 600 A 192.0.2.2']);
  });
});

test('InternalError and ServiceUnavailable are retried; the record is written once', async (t) => {
  await withSim({}, async (sim) => {
    const p = provider(sim);
    const [zone] = await p.zones();
    sim.failNext('error', 'unavailable');
    const r = await p.apply(zone, { ...EMPTY, creates: [rr('www.example.org 600 A 192.0.2.1')] });
    t.is(r.failed, 0);
    t.deepEqual(sim.calls.filter((c) => c.action === 'AddDomainRecord').map((c) => c.status), [500, 503, 200]);
    t.deepEqual(lines(readSets(sim)), ['www.example.org 600 A 192.0.2.1']);
  });
});

test('a rate limit the provider keeps: no call is throttled by the simulator at the same rate', async (t) => {
  await withSim({ rateLimitPerSecond: 20 }, async (sim) => {
    const p = provider(sim, { rateLimitPerSecond: 20 });
    const [zone] = await p.zones();
    const many = Array.from({ length: 25 }, (_, i) => rr(`r${i}.example.org 600 A 192.0.2.${i + 1}`));
    const started = Date.now();
    const r = await p.apply(zone, { ...EMPTY, creates: many });
    t.is(r.failed, 0);
    t.is(sim.calls.filter((c) => c.throttled).length, 0);
    t.true(Date.now() - started >= 1000, '25 calls at 20 a second take over a second');
  });
});

test('garbage replies: reads fail with a clear error, a write is not repeated, nothing changes', async (t) => {
  await withSim({}, async (sim) => {
    seedSets(sim, [rr('keep.example.org 600 A 203.0.113.1')]);
    const p = provider(sim, { maxAttempts: 2 });
    const [zone] = await p.zones();
    sim.faults({ garbageShare: 1 });
    const e = await t.throwsAsync(() => p.records(zone));
    t.regex(e?.message ?? '', /^alidns 127\.0\.0\.1:\d+: list records of example\.org \(page 1\): unreadable reply to DescribeDomainRecords \(HTTP 200\): not JSON: /);
    const r = await p.apply(zone, { ...EMPTY, creates: [rr('new.example.org 600 A 192.0.2.1')], deletes: [rr('keep.example.org 600 A 203.0.113.1')] });
    t.deepEqual(r.results.map((x) => x.ok), [false, false]);
    t.regex(r.results[0].error ?? '', /unreadable reply to AddDomainRecord/);
    t.is(countCalls(sim, 'AddDomainRecord'), 1, 'a write answered with garbage is not sent again');
    t.deepEqual(lines(readSets(sim)), ['keep.example.org 600 A 203.0.113.1']);
  });
});

test('a reply of the wrong shape is refused before it is trusted', async (t) => {
  await withSim({}, async (sim) => {
    // DescribeDomains answered by something that is JSON but not Alidns's: a proxy's error page.
    const { createServer } = await import('node:http');
    const fake = createServer((_q, res) => res.end(JSON.stringify({ RequestId: 'x', TotalCount: 1, Domains: { Domain: [{ DomainName: 7 }] } })));
    await new Promise<void>((r) => fake.listen(0, '127.0.0.1', r));
    t.teardown(() => void fake.close());
    const port = (fake.address() as { port: number }).port;
    const e = await t.throwsAsync(() => provider(sim, { endpoint: `http://127.0.0.1:${port}` }).zones());
    t.regex(e?.message ?? '', /unreadable reply to DescribeDomains: Domains\.Domain\.0\.DomainId: Required/);
  });
});

const entries: GlobalDnsEntry[] = ['shop', 'api'].map((n) => ({ fqdn: `${n}.${ZONE}`, ttl: 600, provider: 'ali', targets: [{ cluster: 'east' }] }));
const ingress = (name: string, ip: string): Endpoint => ({ cluster: 'east', namespace: 'default', kind: 'Ingress', name, hostnames: [`${name}.${ZONE}`], targets: [ip] });

test('through the controller: garbage never crashes it nor deletes a kept record; sane answers converge', async (t) => {
  await withSim({ seed: 5 }, async (sim) => {
    const p = provider(sim, { maxAttempts: 3, maxDelayMs: 20 });
    const errors: string[] = [];
    const logger = { debug() {}, info() {}, warn: (o: object) => errors.push(JSON.stringify(o)), error: (o: object) => errors.push(JSON.stringify(o)) };
    const store = new EndpointStore();
    store.upsert(ingress('shop', '192.0.2.1'));
    store.upsert(ingress('api', '192.0.2.2'));
    const clock = new ManualClock();
    const controller = new ExternalController({
      desired: desiredFor({ entries, store, lookup: async () => ({ v4: [], v6: [] }), clock }),
      bindings: [{ name: 'ali', provider: p, ownerId: 'gdns', policy: 'sync' }],
      logger,
      resync: false,
      debounceMs: 10,
      maxDelayMs: 50,
      retryInitialMs: 20,
      retryMaxMs: 50,
      clock,
    });
    t.teardown(() => controller.stop());
    await controller.start();
    const values = (name: string) => readSets(sim).find((s) => s.name === `${name}.${ZONE}` && s.type === 'A')?.values;
    t.deepEqual(values('api'), ['192.0.2.2']);

    sim.faults({ garbageShare: 1 });
    store.upsert(ingress('shop', '192.0.2.9'));
    await controller.resync();
    // The debounce and the retries of the failed apply, then what is in flight has ended.
    await clock.advance(200);
    await controller.flush();
    t.true(errors.length > 0, 'the failures are reported');
    t.deepEqual(values('api'), ['192.0.2.2'], 'a record still wanted is never deleted on a garbage read');
    t.deepEqual(values('shop'), ['192.0.2.1'], 'garbage answers applied nothing');

    sim.faults({});
    await clock.advance(300);
    await controller.resync();
    t.deepEqual(values('shop'), ['192.0.2.9'], 'converged once answers are sane');
    t.deepEqual(values('api'), ['192.0.2.2']);
    t.true(errors.every((line) => !line.includes(SIM_KEY.accessKeySecret)), 'no secret in any log line');
  });
});
