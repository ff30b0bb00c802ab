// CloudflareProvider against a misbehaving or strict API: paging, both auth schemes, bad
// credentials, 429 with Retry-After, 5xx, garbage bodies, the per-user rate limit.
import test from 'ava';
import type { ProviderCall } from '../../../providers/index.js';
import { CloudflareProvider, cloudflareFactory } from '../../../providers/index.js';
import { InstantClock } from '../../support/clock.js';
import { freePort } from '../../support/ports.js';
import { EMPTY, provider, rr, withSim, ZONE } from './fixture.js';

const zone = (id: string) => ({ id, name: ZONE });

/** A clock whose sleeps pass at once and are recorded. */
const fakeClock = () => new InstantClock();

test('records are read over several pages', async (t) => {
  await withSim({}, async (sim, id) => {
    for (let i = 0; i < 23; i++) sim.seed(id, { name: `p${i}.example.org`, type: 'A', ttl: 600, content: `192.0.2.${i + 1}` });
    const sets = await provider(sim, { perPage: 5 }).records(zone(id));
    t.is(sets.length, 23);
    const lists = sim.calls.filter((c) => c.op === 'ListRecords').map((c) => new URL(c.path, 'http://x').searchParams);
    t.deepEqual(lists.map((q) => q.get('page')), ['1', '2', '3', '4', '5']);
    t.true(lists.every((q) => q.get('per_page') === '5'));
  });
});

test('zones by name, by id, listed over pages, and narrowed by domainFilters', async (t) => {
  await withSim({}, async (sim, id) => {
    const extra = Array.from({ length: 60 }, (_, i) => sim.createZone(`z${String(i).padStart(2, '0')}.example.net`));
    t.deepEqual(await provider(sim, { zones: [ZONE] }).zones(), [{ id, name: ZONE }]);
    t.deepEqual(await provider(sim, { zoneIds: [extra[3]] }).zones(), [{ id: extra[3], name: 'z03.example.net' }]);
    const all = await provider(sim).zones();
    t.is(all.length, 61);
    t.true(sim.calls.filter((c) => c.op === 'ListZones' && !c.path.includes('name=')).length >= 2, 'listed over pages of 50');
    t.deepEqual(await provider(sim, { domainFilters: ['example.org'] }).zones(), [{ id, name: ZONE }]);
    const missing = await t.throwsAsync(provider(sim, { zones: ['nope.example.com'] }).zones());
    t.regex(missing?.message ?? '', /zone nope\.example\.com not found/);
  });
});

test('an API token goes as Bearer, a global key as X-Auth-Email + X-Auth-Key; both work through the factory', async (t) => {
  await withSim({}, async (sim, id) => {
    const settings = cloudflareFactory.settings.safeParse({ zones: [ZONE], baseUrl: sim.url, rateLimitPerSecond: 1000 });
    if (!settings.success) return t.fail(JSON.stringify(settings.error.issues));
    const secrets: Record<string, Record<string, string>> = {
      token: { 'api-token': sim.token },
      key: { 'api-key': sim.key.key, email: sim.key.email },
    };
    for (const [kind, s] of Object.entries(secrets)) {
      const p = cloudflareFactory.create({ name: `cf-${kind}`, settings: settings.data, secret: (k) => s[k] });
      const before = sim.calls.length;
      const r = await p.apply(zone(id), { ...EMPTY, creates: [rr(`${kind}.example.org 600 A 192.0.2.1`)] });
      t.is(r.failed, 0);
      t.true(sim.calls.slice(before).every((c) => c.auth === kind && c.status === 200), kind);
    }
    t.throws(() => cloudflareFactory.create({ name: 'cf', settings: settings.data, secret: (k) => (k === 'api-key' ? 'k' : undefined) }), { message: /secret email missing/ });
    t.throws(() => cloudflareFactory.create({ name: 'cf', settings: settings.data, secret: () => undefined }), { message: /no credentials: give secret api-token, or api-key and email/ });
  });
});

test('settings are checked with errors that name the field', (t) => {
  const r = cloudflareFactory.settings.safeParse({ zoneIds: ['xyz'], perPage: 2, proxied: 'yes', apiToken: 'inline' });
  t.false(r.success);
  if (r.success) return;
  const paths = r.error.issues.map((i) => i.path.join('.'));
  t.true(paths.includes('zoneIds.0') && paths.includes('perPage') && paths.includes('proxied'));
  t.true(r.error.issues.some((i) => /apiToken/.test(i.message)), 'credentials are not settings');
  const ok = cloudflareFactory.settings.safeParse({});
  t.true(ok.success);
  if (ok.success) t.like(ok.data, { proxied: false, baseUrl: 'https://api.cloudflare.com/client/v4', rateLimitPerSecond: 4, batchSize: 200 });
});

test('a bad token: 403 9109 said as an authentication failure, never retried, the token not in the message', async (t) => {
  await withSim({}, async (sim, id) => {
    const calls: ProviderCall[] = [];
    const bad = provider(sim, { credentials: { apiToken: 'wrong-token-value' }, observe: (c) => calls.push(c) });
    const e = await t.throwsAsync(bad.records(zone(id)));
    t.regex(e?.message ?? '', /^cloudflare http:\/\/127\.0\.0\.1:\d+\/client\/v4: GET dns_records: authentication failed \(HTTP 403: 9109 Invalid access token\)/);
    t.false((e?.message ?? '').includes('wrong-token-value'));
    t.is(sim.calls.length, 1);
    t.deepEqual(calls.map((c) => c.outcome), ['error']);
    const badKey = provider(sim, { credentials: { apiKey: 'nope', email: sim.key.email } });
    const r = await badKey.apply(zone(id), { ...EMPTY, creates: [rr('x.example.org 600 A 192.0.2.1')] });
    t.regex(r.results[0].error ?? '', /authentication failed \(HTTP 403: 9103 Unknown X-Auth-Key or X-Auth-Email\)/);
  });
});

test('429 waits at least Retry-After, then the call goes through', async (t) => {
  await withSim({}, async (sim, id) => {
    const clock = fakeClock();
    const calls: ProviderCall[] = [];
    const p = provider(sim, { clock, observe: (c) => calls.push(c) });
    sim.script({ kind: 'throttle', retryAfterSeconds: 7 }, { kind: 'throttle', retryAfterSeconds: 2 });
    const r = await p.apply(zone(id), { ...EMPTY, creates: [rr('a.example.org 600 A 192.0.2.1')] });
    t.is(r.failed, 0);
    t.true(clock.sleeps.filter((ms) => ms >= 7000).length >= 1 && clock.sleeps.filter((ms) => ms >= 2000).length >= 2, `slept ${clock.sleeps.join(', ')}`);
    t.deepEqual(calls.map((c) => `${c.operation} ${c.outcome}`), ['GET dns_records throttled', 'GET dns_records throttled', 'GET dns_records ok', 'POST dns_records/batch ok']);
    t.deepEqual(sim.calls.map((c) => c.status), [429, 429, 200, 200]);
  });
});

test('5xx (JSON 500 and an HTML 502 from the edge) are retried with backoff; a batch is applied once', async (t) => {
  await withSim({}, async (sim, id) => {
    const clock = fakeClock();
    const p = provider(sim, { clock });
    const records = [rr('a.example.org 600 A 192.0.2.1')];
    await p.apply(zone(id), { ...EMPTY, creates: records });
    sim.script({ kind: 'error', status: 502 }, { kind: 'error', status: 500 });
    const r = await p.apply(zone(id), { ...EMPTY, creates: [rr('b.example.org 600 A 192.0.2.2')] });
    t.is(r.failed, 0);
    t.is(clock.sleeps.filter((ms) => ms >= 2).length, 2, 'two backoffs (the rest are the 1 ms token-bucket waits)');
    t.is(sim.records(id).length, 2);
    // Out of attempts: the error says what the server said.
    sim.script(...Array.from({ length: 3 }, () => ({ kind: 'error' as const, status: 502 as const })));
    const e = await t.throwsAsync(provider(sim, { clock, maxAttempts: 3 }).records(zone(id)));
    t.regex(e?.message ?? '', /GET dns_records: server error \(HTTP 502: 502 Bad Gateway/);
  });
});

test('garbage JSON: a clear error, and nothing is deleted', async (t) => {
  await withSim({}, async (sim, id) => {
    const p = provider(sim);
    const keep = rr('keep.example.org 600 A 192.0.2.1');
    await p.apply(zone(id), { ...EMPTY, creates: [keep] });
    sim.script({ kind: 'garbage' });
    const e = await t.throwsAsync(p.records(zone(id)));
    t.regex(e?.message ?? '', /GET dns_records: unreadable answer \(not the API's JSON/);
    // The apply's own read gets garbage: no change is attempted.
    sim.script({ kind: 'garbage' });
    const before = sim.calls.length;
    const r = await p.apply(zone(id), { ...EMPTY, deletes: [keep] });
    t.is(r.failed, 1);
    t.regex(r.results[0].error ?? '', /unreadable answer/);
    t.false(sim.calls.slice(before).some((c) => c.op === 'Batch'));
    t.is(sim.records(id).length, 1, 'keep.example.org still there');
  });
});

test('garbage answering a batch: reported as of unknown fate, not retried blindly', async (t) => {
  await withSim({}, async (sim, id) => {
    const p = provider(sim);
    sim.script({ kind: 'pass' }, { kind: 'garbage' });
    const r = await p.apply(zone(id), { ...EMPTY, creates: [rr('a.example.org 600 A 192.0.2.1')] });
    t.is(r.failed, 1);
    t.regex(r.results[0].error ?? '', /POST dns_records\/batch: unreadable answer .*may or may not have been applied/);
    t.is(sim.calls.filter((c) => c.op === 'Batch').length, 1);
  });
});

test('an unreachable API: ECONNREFUSED with the address, retried a bounded number of times', async (t) => {
  const calls: ProviderCall[] = [];
  const port = await freePort();
  const p = new CloudflareProvider({ baseUrl: `http://127.0.0.1:${port}/client/v4`, credentials: { apiToken: 't' }, baseDelayMs: 5, observe: (c) => calls.push(c), maxAttempts: 3 });
  const e = await t.throwsAsync(p.zones());
  t.regex(e?.message ?? '', new RegExp(`127\\.0\\.0\\.1:${port}/client/v4: GET zones: cannot connect: .*ECONNREFUSED`));
  t.deepEqual(calls.map((c) => c.outcome), ['error', 'error', 'error']);
});

test('the per-user rate limit: the provider keeps under it; past it the API answers 429 until the window moves on', async (t) => {
  const windowMs = 1000;
  await withSim({ rateLimit: { requests: 4, windowMs } }, async (sim, id) => {
    // 3 requests a second against a limit of 4 a second: never refused.
    const p = provider(sim, { rateLimitPerSecond: 3 });
    for (let i = 0; i < 6; i++) await p.records(zone(id));
    t.false(sim.calls.some((c) => c.status === 429));
    // Too fast: refused, retried after Retry-After, done.
    const fast = provider(sim, { rateLimitPerSecond: 1000 });
    const started = Date.now();
    for (let i = 0; i < 8; i++) await fast.records(zone(id));
    t.true(sim.calls.some((c) => c.status === 429 && c.throttled));
    t.true(Date.now() - started >= 900, 'waited for the window');
  });
});
