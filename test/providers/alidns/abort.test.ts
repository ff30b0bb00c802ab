// AlidnsProvider under an AbortSignal (shutdown, a provider replaced): the request in flight is
// cancelled, and no retry or backoff is sat out.
import test from 'ava';
import { EMPTY, provider, rr, withSim, ZONE } from './fixture.js';
import { waitFor } from '../../support/wait.js';

const zone = { id: 'x', name: ZONE };

test('an API that never answers in time: apply, records and zones end soon after the abort', async (t) => {
  await withSim({}, async (sim) => {
    sim.faults({ latencyMs: 60_000 });
    const p = provider(sim);
    const plan = { ...EMPTY, creates: [rr('a.example.org 600 A 192.0.2.1'), rr('b.example.org 600 A 192.0.2.2'), rr('c.example.org 600 A 192.0.2.3')] };

    let t0 = Date.now();
    const r = await p.apply(zone, plan, AbortSignal.timeout(50));
    t.true(Date.now() - t0 < 1000, `apply returned in ${Date.now() - t0} ms`);
    t.is(r.failed, 3);
    t.true(r.results.every((x) => !x.ok && /aborted: the controller stopped/.test(x.error ?? '')), JSON.stringify(r.results));

    t0 = Date.now();
    await t.throwsAsync(p.records(zone, AbortSignal.timeout(50)), { message: /list records of example\.org \(page 1\): .*aborted: the controller stopped/ });
    t.true(Date.now() - t0 < 1000);
    t0 = Date.now();
    await t.throwsAsync(p.zones(AbortSignal.timeout(50)), { message: /list domains \(page 1\): .*aborted/ });
    t.true(Date.now() - t0 < 1000);
    t.deepEqual(sim.records(ZONE), [], 'nothing written');
  });
});

test('a 500 followed by a long backoff: the wait ends at the abort, no retry is sent', async (t) => {
  await withSim({}, async (sim) => {
    sim.failNext('error');
    const p = provider(sim, { baseDelayMs: 60_000, maxDelayMs: 120_000 });
    // Aborted once the first call has failed (not after a fixed delay, which a loaded machine may outrun).
    const abort = new AbortController();
    const applying = p.apply(zone, { ...EMPTY, creates: [rr('a.example.org 600 A 192.0.2.1')] }, abort.signal);
    await waitFor(() => (sim.calls.some((c) => c.action === 'AddDomainRecord') ? true : undefined), 10_000, 'the first AddDomainRecord reaches the simulator');
    const t0 = Date.now();
    abort.abort();
    const r = await applying;
    t.true(Date.now() - t0 < 1000, `apply returned ${Date.now() - t0} ms after the abort`);
    t.is(r.failed, 1);
    t.regex(r.results[0].error ?? '', /AddDomainRecord a A 192\.0\.2\.1: .*aborted: the controller stopped/);
    t.is(sim.calls.filter((c) => c.action === 'AddDomainRecord').length, 1, 'no retry after the abort');
  });
});

test('an already aborted signal sends nothing', async (t) => {
  await withSim({}, async (sim) => {
    const r = await provider(sim).apply(zone, { ...EMPTY, creates: [rr('a.example.org 600 A 192.0.2.1')] }, AbortSignal.abort());
    t.is(r.failed, 1);
    t.is(sim.calls.length, 0);
  });
});
