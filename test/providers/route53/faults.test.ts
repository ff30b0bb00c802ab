// Route53Provider under pressure: throttling, 5xx and PriorRequestNotComplete are retried with
// backoff until the zone converges, with no change lost or applied twice; the account's
// request rate is never exceeded.
import test from 'ava';
import type { Plan, RecordSet } from '../../../src/model/index.js';
import { TokenBucket, type Route53RecordSet } from '../../../providers/index.js';
import { InstantClock } from '../../support/clock.js';
import { provider, rr, seededRandom, withSim, zoneLines } from './fixture.js';
import type { Route53Sim } from '../../support/route53-sim/index.js';

const key = (r: RecordSet): string => `${r.name}|${r.type}`;

/** A tiny diff over the names the test manages (app-*), the planner's job in the real thing. */
function diff(current: readonly Route53RecordSet[], desired: readonly RecordSet[]): Plan {
  const mine = new Map(current.filter((r) => r.name.startsWith('app-')).map((r) => [key(r), r]));
  const want = new Map(desired.map((r) => [key(r), r]));
  const plan: Plan = { creates: [], updates: [], deletes: [] };
  for (const [k, to] of want) {
    const from = mine.get(k);
    if (!from) plan.creates.push(to);
    else if (from.ttl !== to.ttl || [...from.values].sort().join() !== [...to.values].sort().join()) plan.updates.push({ from, to });
  }
  for (const [k, from] of mine) if (!want.has(k)) plan.deletes.push(from);
  return plan;
}

function size(p: Plan): number {
  return p.creates.length + p.updates.length + p.deletes.length;
}

function line(r: RecordSet): string {
  return `${r.name}. ${r.ttl} ${r.type} ${[...r.values].sort().join(' ')}`;
}

test('50% throttled, 10% 5xx, 10% PriorRequestNotComplete: the zone converges, no change lost or applied twice', async (t) => {
  await withSim({ seed: 3 }, async (sim: Route53Sim) => {
    const id = sim.createZone('example.org');
    sim.seed(id, { name: 'foreign.example.org', type: 'A', ttl: 300, values: ['198.51.100.1'] });
    sim.faults({ throttleShare: 0.5, errorShare: 0.1, priorRequestNotCompleteShare: 0.1 });
    const p = provider(sim, { maxAttempts: 6, limits: { maxChanges: 40 }, random: seededRandom(11) });
    const zone = { id, name: 'example.org' };
    let expectedRoute53Changes = 0;
    let rounds = 0;

    async function converge(desired: RecordSet[]): Promise<void> {
      for (let round = 0; round < 10; round++) {
        rounds++;
        let current: Route53RecordSet[];
        try {
          current = await p.records(zone);
        } catch {
          continue; // a read that ran out of attempts: the next resync reads again
        }
        const plan = diff(current, desired);
        if (size(plan) === 0) return;
        const result = await p.apply(zone, plan);
        for (const r of result.results) {
          if (r.ok) expectedRoute53Changes += r.change.action === 'update' ? 2 : 1;
          else t.regex(r.error ?? '', /^(Throttling|InternalFailure|ServiceUnavailable|PriorRequestNotComplete):/, 'only retryable failures');
        }
      }
      t.fail('did not converge within 10 rounds');
    }

    const v1 = Array.from({ length: 200 }, (_, i) => rr(`app-${i}.example.org. 60 A 10.0.${i >> 8}.${i & 255}`));
    await converge(v1);
    t.deepEqual(zoneLines(sim, id), [...v1.map(line), 'foreign.example.org. 300 A 198.51.100.1'].sort(sortLikeRoute53));

    const v2 = v1
      .slice(40)
      .map((r, i) => (i < 60 ? { ...r, ttl: 30, values: [...r.values, '192.0.2.1'] } : r))
      .concat(Array.from({ length: 20 }, (_, i) => rr(`app-new-${i}.example.org. 60 AAAA 2001:db8::${i + 1}`)));
    await converge(v2);
    t.deepEqual(zoneLines(sim, id), [...v2.map(line), 'foreign.example.org. 300 A 198.51.100.1'].sort(sortLikeRoute53));

    const changeCalls = sim.calls.filter((c) => c.op === 'ChangeResourceRecordSets');
    const applied = changeCalls.filter((c) => c.status === 200).reduce((n, c) => n + (c.changes ?? 0), 0);
    t.is(applied, expectedRoute53Changes, 'every applied change was asked for once');
    t.is(applied, 200 + 60 * 2 + 40 + 20);
    t.true(sim.calls.filter((c) => c.throttled).length > sim.calls.length / 3, 'faults happened');
    t.true(sim.calls.some((c) => c.status >= 500) && sim.calls.some((c) => c.code === 'PriorRequestNotComplete'));
    t.log(`${sim.calls.length} calls, ${rounds} rounds, ${changeCalls.length} change requests`);
  });
});

/** Route53 list order for the zone lines of this test (all names one label below the apex). */
function sortLikeRoute53(a: string, b: string): number {
  const [na, , ta] = a.split(' ');
  const [nb, , tb] = b.split(' ');
  return na < nb ? -1 : na > nb ? 1 : ta < tb ? -1 : ta > tb ? 1 : 0;
}

test('bounded attempts with exponential backoff (injected clock), then an error with context', async (t) => {
  await withSim({}, async (sim) => {
    const id = sim.createZone('example.org');
    sim.faults({ throttleShare: 1 });
    const clock = new InstantClock();
    const p = provider(sim, { clock, random: () => 0, rateLimitPerSecond: 5, maxAttempts: 4, baseDelayMs: 100, maxDelayMs: 5000 });
    const err = await t.throwsAsync(p.records({ id, name: 'example.org' }));
    t.is(err?.message, `route53: list records of example.org (${id}): Throttling: Rate exceeded`);
    t.is(sim.calls.length, 4);
    // backoff 100, 200, 400; the token bucket adds 100 ms before the second try (5/s)
    t.deepEqual(clock.sleeps, [100, 100, 200, 400]);
  });
});

test('the token bucket never lets more than the rate through in any second (injected clock)', async (t) => {
  await withSim({}, async (sim) => {
    const id = sim.createZone('example.org');
    const clock = new InstantClock();
    const times: number[] = [];
    class Recording extends TokenBucket {
      override async take(): Promise<void> {
        await super.take();
        times.push(clock.now());
      }
    }
    const p = provider(sim, { rateLimiter: new Recording(5, 1, clock), limits: { maxChanges: 2 } });
    const creates = Array.from({ length: 30 }, (_, i) => rr(`h${i}.example.org. 60 A 10.0.0.${i}`));
    const result = await p.apply({ id, name: 'example.org' }, { creates, updates: [], deletes: [] });
    t.is(result.applied, 30);
    t.is(times.length, 15);
    for (const start of times) t.true(times.filter((x) => x >= start && x < start + 1000).length <= 5);
    t.is(times[times.length - 1] - times[0], 14 * 200);
  });
});

// serial: alone on the event loop, so arrival times at the simulator are the send times
test.serial('5 requests a second against a simulator enforcing 5 a second: never throttled (real time)', async (t) => {
  await withSim({ rateLimitPerSecond: 5 }, async (sim) => {
    const id = sim.createZone('example.org');
    for (let i = 0; i < 700; i++) sim.seed(id, { name: `h${i}.example.org`, type: 'A', ttl: 60, values: ['192.0.2.1'] });
    const p = provider(sim, { rateLimitPerSecond: 5, limits: { maxChanges: 4 } });
    const zone = { id, name: 'example.org' };
    const started = Date.now();
    t.is((await p.records(zone)).length, 701);
    const creates = Array.from({ length: 32 }, (_, i) => rr(`new${i}.example.org. 60 A 10.0.0.${i}`));
    t.is((await p.apply(zone, { creates, updates: [], deletes: [] })).applied, 32);
    const times = sim.calls.map((c) => c.time);
    t.is(times.length, 3 + 8);
    t.is(sim.calls.filter((c) => c.throttled).length, 0);
    for (const start of times) t.true(times.filter((x) => x >= start && x < start + 800).length <= 5);
    t.true(Date.now() - started >= 10 * 200 - 50);
  });
});

test('a provider faster than the account limit is throttled and still applies everything (one injected clock)', async (t) => {
  const clock = new InstantClock();
  await withSim({ rateLimitPerSecond: 5, now: () => clock.now() }, async (sim) => {
    const id = sim.createZone('example.org');
    const p = provider(sim, { clock, rateLimitPerSecond: 50, limits: { maxChanges: 1 }, baseDelayMs: 100, maxDelayMs: 400 });
    const creates = Array.from({ length: 10 }, (_, i) => rr(`h${i}.example.org. 60 A 10.0.0.${i}`));
    const result = await p.apply({ id, name: 'example.org' }, { creates, updates: [], deletes: [] });
    t.like(result, { applied: 10, failed: 0 });
    t.true(sim.calls.filter((c) => c.throttled).length >= 3, 'the 5-request burst runs out');
    t.is(sim.calls.filter((c) => c.status === 200).length, 10);
    // 10 requests at 5/s with a burst of 5 need at least a second
    t.true(clock.now() >= 1000, `${clock.now()} ms`);
  });
});
