// CloudflareProvider under an AbortSignal (shutdown, a provider replaced): the request in
// flight is cancelled, and no retry, backoff or Retry-After wait is sat out.
import test from 'ava';
import { EMPTY, provider, rr, withSim, ZONE } from './fixture.js';
import { waitFor } from '../../support/wait.js';

const zone = (id: string) => ({ id, name: ZONE });
const abortAfter = (ms: number) => AbortSignal.timeout(ms);

test('an API that never answers in time: apply, records and zones end soon after the abort', async (t) => {
  await withSim({}, async (sim, id) => {
    sim.faults({ latencyMs: 60_000 });
    const p = provider(sim, { zones: [ZONE] });
    const plan = { ...EMPTY, creates: [rr('a.example.org 600 A 192.0.2.1'), rr('b.example.org 600 A 192.0.2.2')] };

    let t0 = Date.now();
    const r = await p.apply(zone(id), plan, abortAfter(50));
    t.true(Date.now() - t0 < 1000, `apply returned in ${Date.now() - t0} ms`);
    t.is(r.failed, 2);
    t.true(r.results.every((x) => !x.ok && /aborted: the controller stopped/.test(x.error ?? '')), JSON.stringify(r.results));

    t0 = Date.now();
    await t.throwsAsync(p.records(zone(id), abortAfter(50)), { message: /GET dns_records: aborted: the controller stopped/ });
    t.true(Date.now() - t0 < 1000);
    t0 = Date.now();
    await t.throwsAsync(p.zones(abortAfter(50)), { message: /GET zones: aborted/ });
    t.true(Date.now() - t0 < 1000);
    t.deepEqual(sim.records(id), [], 'nothing written');
  });
});

test('a batch throttled with a long Retry-After: the wait ends at the abort, the change fails as aborted', async (t) => {
  await withSim({}, async (sim, id) => {
    // The zone's read passes; the batch is told to come back in 300 s.
    sim.script({ kind: 'pass' }, { kind: 'throttle', retryAfterSeconds: 300 });
    // Aborted once the batch has been throttled (not after a fixed delay: on a loaded machine
    // the zone read alone may take longer than any delay picked here).
    const abort = new AbortController();
    const applying = provider(sim).apply(zone(id), { ...EMPTY, creates: [rr('a.example.org 600 A 192.0.2.1')] }, abort.signal);
    await waitFor(() => (sim.calls.some((c) => c.op === 'Batch') ? true : undefined), 10_000, 'the batch reaches the simulator');
    const t0 = Date.now();
    abort.abort();
    const r = await applying;
    t.true(Date.now() - t0 < 1000, `apply returned ${Date.now() - t0} ms after the abort`);
    t.is(r.failed, 1);
    t.regex(r.results[0].error ?? '', /POST dns_records\/batch: aborted: the controller stopped/);
    t.is(sim.calls.filter((c) => c.op === 'Batch').length, 1, 'no retry after the abort');
  });
});

test('an already aborted signal sends nothing', async (t) => {
  await withSim({}, async (sim, id) => {
    const r = await provider(sim).apply(zone(id), { ...EMPTY, creates: [rr('a.example.org 600 A 192.0.2.1')] }, AbortSignal.abort());
    t.is(r.failed, 1);
    t.is(sim.calls.length, 0);
  });
});
