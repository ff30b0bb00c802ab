import test from 'ava';
import { LeaderElector, MemoryLeaseApi, NotLeaderError, type Lease, type LeaseApi, type LeaseSpec, type LeaderElectorOptions } from '../../src/controller/leader/index.js';
import { sleep, type Clock } from '../../src/kernel/index.js';
import { ManualClock } from '../support/clock.js';
import { seededRandom } from '../support/random.js';

const NS = 'globaldns';
const NAME = 'globaldns-leader';

const rng = seededRandom;

/**
 * One replica's clock on the shared manual time: its timers, and local readings with arbitrary
 * offsets (only differences on one clock may matter), monotonic and wall apart.
 */
function replicaClock(time: ManualClock, clockOffset = 0, wallOffset = 0): Clock {
  return {
    now: () => 1_700_000_000_000 + time.now() + wallOffset,
    monotonic: () => time.now() + clockOffset,
    setTimeout: (fn, ms) => time.setTimeout(fn, ms),
  };
}

interface Tracked {
  elector: LeaderElector;
  started: number;
  stopped: number;
  leaders: string[];
  signals: AbortSignal[];
}

function elector(
  time: ManualClock,
  api: MemoryLeaseApi,
  identity: string,
  extra: Partial<LeaderElectorOptions> & { clockOffset?: number; wallOffset?: number } = {},
): Tracked {
  const { clockOffset = 0, wallOffset = 0, ...rest } = extra;
  const tracked: Tracked = { elector: undefined as unknown as LeaderElector, started: 0, stopped: 0, leaders: [], signals: [] };
  tracked.elector = new LeaderElector({
    api,
    namespace: NS,
    name: NAME,
    identity,
    leaseDurationMs: 15_000,
    renewDeadlineMs: 10_000,
    retryPeriodMs: 2_000,
    clock: replicaClock(time, clockOffset, wallOffset),
    random: () => 0.5,
    onStartedLeading: (signal) => {
      tracked.started++;
      tracked.signals.push(signal);
    },
    onStoppedLeading: () => {
      tracked.stopped++;
    },
    onNewLeader: (id) => tracked.leaders.push(id),
    ...rest,
  });
  return tracked;
}

test('acquires a missing lease, creates it, and renews it every retry period', async (t) => {
  const time = new ManualClock();
  const api = new MemoryLeaseApi();
  const a = elector(time, api, 'a');
  a.elector.start();
  await time.advance(0);
  t.true(a.elector.isLeader());
  t.is(a.started, 1);
  t.deepEqual(a.leaders, ['a']);
  const first = api.get(NS, NAME);
  t.is(first?.spec.holderIdentity, 'a');
  t.is(first?.spec.leaseDurationSeconds, 15);
  t.is(first?.spec.leaseTransitions, 0);
  t.regex(first?.spec.renewTime ?? '', /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{6}Z$/);

  await time.advance(2_000);
  const second = api.get(NS, NAME);
  t.not(second?.resourceVersion, first?.resourceVersion);
  t.not(second?.spec.renewTime, first?.spec.renewTime);
  t.is(second?.spec.acquireTime, first?.spec.acquireTime);
  await time.advance(60_000);
  t.true(a.elector.isLeader());
  t.is(a.started, 1);
  t.is(a.stopped, 0);
  // renewals go straight to a compare-and-swap on the version we wrote: no read per renewal
  const renewals = api.calls.filter((c) => c.op === 'replace' && c.outcome === 'ok').length;
  t.true(renewals >= 30);
  t.is(api.calls.filter((c) => c.op === 'read').length, 1);
  const fence = a.elector.fence();
  t.is(fence.identity, 'a');
  t.false(fence.signal.aborted);
  t.true(fence.validForMs > 0 && fence.validForMs <= 10_000);
  await a.elector.stop();
});

test('a leader that cannot renew keeps trying, then steps down exactly at the renew deadline', async (t) => {
  const time = new ManualClock();
  const api = new MemoryLeaseApi();
  const a = elector(time, api, 'a');
  a.elector.start();
  await time.advance(0);
  await time.advance(4_000); // renewed at t=2000 and t=4000
  t.true(a.elector.isLeader());
  const lastRenewSent = 4_000;
  api.down = true;
  const before = api.calls.length;
  await time.advance(lastRenewSent + 10_000 - 1 - time.t);
  t.true(a.elector.isLeader(), 'still inside renewDeadline');
  t.true(api.calls.length - before >= 4, 'kept retrying');
  const signal = a.signals[0];
  t.false(signal.aborted);
  await time.advance(1);
  t.false(a.elector.isLeader());
  t.is(a.stopped, 1);
  t.true(signal.aborted);
  t.throws(() => a.elector.fence(), { instanceOf: NotLeaderError });
  await t.throwsAsync(a.elector.guard(async () => 'written'), { instanceOf: NotLeaderError });

  // The API comes back: nobody else took the lease, so it is still ours and we lead again.
  api.down = false;
  await time.advance(2_500);
  t.true(a.elector.isLeader());
  t.is(a.started, 2);
  t.false(a.signals[1].aborted);
  await a.elector.stop();
});

test('isLeader turns false at the deadline even if the deadline timer has not run yet', async (t) => {
  const time = new ManualClock();
  const api = new MemoryLeaseApi();
  const a = elector(time, api, 'a');
  a.elector.start();
  await time.advance(0);
  api.down = true;
  // Move the clock without running timers, as a blocked event loop would.
  time.t += 10_000;
  t.false(a.elector.isLeader());
  t.throws(() => a.elector.fence(), { instanceOf: NotLeaderError });
  t.is(a.stopped, 1, 'fence() noticed and stepped down');
  await a.elector.stop();
});

test('a follower never takes over while the holder keeps renewing', async (t) => {
  const time = new ManualClock();
  const api = new MemoryLeaseApi();
  const a = elector(time, api, 'a');
  const b = elector(time, api, 'b');
  a.elector.start();
  await time.advance(0);
  b.elector.start();
  await time.advance(120_000);
  t.true(a.elector.isLeader());
  t.false(b.elector.isLeader());
  t.is(b.started, 0);
  t.deepEqual(b.leaders, ['a']);
  t.is(b.elector.currentLeader(), 'a');
  await a.elector.stop();
  await b.elector.stop();
});

for (
  const [skew, renewTime] of [
    ['far in the future', '2099-01-01T00:00:00.000000Z'],
    ['far in the past', '1999-01-01T00:00:00.000000Z'],
  ] as const
) {
  test(`takeover only after leaseDuration of local observation, with the remote renewTime ${skew}`, async (t) => {
    const time = new ManualClock();
    const api = new MemoryLeaseApi();
    time.t = 50_000;
    // A holder that died right after writing this; its wall clock was wrong.
    api.set(NS, NAME, { holderIdentity: 'dead', leaseDurationSeconds: 15, renewTime, acquireTime: renewTime, leaseTransitions: 3 });
    const b = elector(time, api, 'b', { clockOffset: -987_654, wallOffset: 123_456 });
    b.elector.start();
    await time.advance(0); // first observation at local t0
    await time.advance(15_000 - 1);
    t.false(b.elector.isLeader(), 'not before leaseDuration has passed since b first saw the lease');
    t.is(b.started, 0);
    await time.advance(1 + 1);
    t.true(b.elector.isLeader(), 'right at expiry, not a retry period later');
    const lease = api.get(NS, NAME);
    t.is(lease?.spec.holderIdentity, 'b');
    t.is(lease?.spec.leaseTransitions, 4);
    t.deepEqual(b.leaders, ['dead', 'b']);
    await b.elector.stop();
  });
}

test('expiry and deadlines run on the monotonic reading; a wall-clock step only shows in the Lease times', async (t) => {
  const time = new ManualClock();
  const api = new MemoryLeaseApi();
  const step = { a: 0, b: 0 };
  const stepped = (who: 'a' | 'b'): Clock => {
    const base = replicaClock(time);
    return { ...base, now: () => base.now() + step[who] };
  };
  const a = elector(time, api, 'a', { clock: stepped('a') });
  const b = elector(time, api, 'b', { clock: stepped('b') });
  a.elector.start();
  await time.advance(0);
  b.elector.start();
  await time.advance(1_000);
  // The leader's wall clock steps back an hour, the follower's forward a day (NTP, a VM resume).
  step.a = -3_600_000;
  step.b = 86_400_000;
  await time.advance(60_000);
  t.true(a.elector.isLeader(), 'the leader keeps its deadline');
  t.is(a.stopped, 0);
  t.false(b.elector.isLeader(), 'the follower does not see the lease expire');
  t.is(b.started, 0);
  const renewTime = Date.parse(api.get(NS, NAME)?.spec.renewTime ?? '');
  t.true(renewTime <= 1_700_000_000_000 + time.t - 3_600_000 && renewTime > 1_700_000_000_000 + time.t - 3_600_000 - 2_000, 'renewTime is wall time');
  // The leader crashes: the follower waits the lease duration on its monotonic reading.
  await a.elector.stop();
  const killedAt = time.t;
  while (!b.elector.isLeader()) await time.advance(100);
  const took = time.t - killedAt;
  t.true(took >= 15_000 - 2_000 && took <= 15_000 + 2_000 * 1.2 + 100, `takeover after ${took} ms`);
  const acquireTime = Date.parse(api.get(NS, NAME)?.spec.acquireTime ?? '');
  const bWall = 1_700_000_000_000 + time.t + 86_400_000;
  t.true(acquireTime <= bWall && acquireTime > bWall - 100, "acquireTime is the new holder's wall time");
  await b.elector.stop();
});

test("each renewal seen restarts the follower's expiry clock, whatever renewTime says", async (t) => {
  const time = new ManualClock();
  const api = new MemoryLeaseApi();
  api.set(NS, NAME, { holderIdentity: 'other', leaseDurationSeconds: 15, renewTime: '2000-01-01T00:00:00.000000Z' });
  const b = elector(time, api, 'b');
  b.elector.start();
  await time.advance(0);
  // Another implementation renews every 10 s but always writes the same (stale) renewTime.
  for (let i = 0; i < 6; i++) {
    await time.advance(10_000);
    const cur = api.get(NS, NAME);
    api.set(NS, NAME, { ...cur?.spec });
  }
  t.false(b.elector.isLeader());
  await time.advance(15_000 + 2_000 * 1.2 + 10);
  t.true(b.elector.isLeader());
  await b.elector.stop();
});

test('a holder announcing a longer lease than ours is waited for that long', async (t) => {
  const time = new ManualClock();
  const api = new MemoryLeaseApi();
  api.set(NS, NAME, { holderIdentity: 'old-config', leaseDurationSeconds: 60 });
  const b = elector(time, api, 'b');
  b.elector.start();
  await time.advance(59_000);
  t.false(b.elector.isLeader());
  await time.advance(3_000);
  t.true(b.elector.isLeader());
  await b.elector.stop();
});

test("stop({ release: true }) hands the lease over at the follower's next attempt", async (t) => {
  const time = new ManualClock();
  const api = new MemoryLeaseApi();
  const a = elector(time, api, 'a');
  const b = elector(time, api, 'b');
  a.elector.start();
  await time.advance(0);
  b.elector.start();
  await time.advance(7_000);
  t.true(a.elector.isLeader());
  const stopped = a.elector.stop({ release: true });
  await time.advance(0);
  await stopped;
  t.false(a.elector.isLeader());
  t.is(a.stopped, 1);
  t.true(a.signals[0].aborted);
  const released = api.get(NS, NAME);
  t.is(released?.spec.holderIdentity, undefined);
  t.is(released?.spec.leaseDurationSeconds, 1);
  const stopAt = time.t;
  while (!b.elector.isLeader() && time.t - stopAt < 15_000) await time.advance(100);
  t.true(b.elector.isLeader());
  t.true(time.t - stopAt <= 2_000 * 1.2 + 100, `handover took ${time.t - stopAt} ms`);
  t.is(api.get(NS, NAME)?.spec.leaseTransitions, 1);
  await b.elector.stop();
});

test('stop() without release sends nothing more: the follower waits for expiry', async (t) => {
  const time = new ManualClock();
  const api = new MemoryLeaseApi();
  const a = elector(time, api, 'a');
  const b = elector(time, api, 'b');
  a.elector.start();
  await time.advance(0);
  b.elector.start();
  await time.advance(5_000);
  await a.elector.stop();
  const killedAt = time.t;
  const aCalls = api.calls.length;
  while (!b.elector.isLeader()) await time.advance(100);
  const took = time.t - killedAt;
  t.true(took >= 15_000 - 2_000 && took <= 15_000 + 2_000 * 1.2 + 100, `takeover after ${took} ms`);
  t.is(a.stopped, 1);
  t.true(api.calls.slice(aCalls).every((c) => c.spec?.holderIdentity !== 'a'));
  await b.elector.stop();
});

test('release waits for guarded writes, and skips the release if they outlast the timeout', async (t) => {
  const time = new ManualClock();
  const api = new MemoryLeaseApi();
  const a = elector(time, api, 'a');
  a.elector.start();
  await time.advance(0);
  let writeSawAbort = false;
  const write = a.elector.guard(async (signal) => {
    await sleep(time, 300);
    writeSawAbort = signal.aborted;
    return 'done';
  });
  const stopped = a.elector.stop({ release: true, timeoutMs: 1_000 });
  await time.advance(0);
  t.is(api.get(NS, NAME)?.spec.holderIdentity, 'a', 'not released while a write runs');
  await time.advance(300);
  await stopped;
  t.is(await write, 'done');
  t.true(writeSawAbort);
  t.is(api.get(NS, NAME)?.spec.holderIdentity, undefined);

  const b = elector(time, api, 'b');
  b.elector.start();
  await time.advance(0);
  t.true(b.elector.isLeader());
  const hung = b.elector.guard(() => new Promise<void>(() => {}));
  void hung;
  const stoppedB = b.elector.stop({ release: true, timeoutMs: 1_000 });
  await time.advance(1_000);
  await stoppedB;
  t.is(api.get(NS, NAME)?.spec.holderIdentity, 'b', 'a write that may still land keeps the lease until expiry');
});

test('two candidates racing on the same version: one wins, the other gets 409 and follows', async (t) => {
  const time = new ManualClock();
  const api = new MemoryLeaseApi();
  api.set(NS, NAME, { holderIdentity: '', leaseDurationSeconds: 1 });
  // Hold every read until both candidates have read: both then replace on the same version.
  let reads = 0;
  let release: () => void = () => {};
  const bothRead = new Promise<void>((resolve) => (release = resolve));
  api.gate = async (op) => {
    if (op !== 'read') return;
    if (++reads === 2) release();
    await bothRead;
  };
  const a = elector(time, api, 'a');
  const b = elector(time, api, 'b');
  a.elector.start();
  b.elector.start();
  await time.advance(0);
  api.gate = undefined;
  const replaces = api.calls.filter((c) => c.op === 'replace');
  t.deepEqual(replaces.map((c) => c.outcome).sort(), ['conflict', 'ok']);
  t.is(replaces[0].ifVersion, replaces[1].ifVersion);
  t.is([a, b].filter((x) => x.elector.isLeader()).length, 1);
  await time.advance(30_000);
  t.is([a, b].filter((x) => x.elector.isLeader()).length, 1);
  t.is(a.started + b.started, 1);
  await a.elector.stop();
  await b.elector.stop();
});

test('two candidates creating the missing lease at once: one create wins', async (t) => {
  const time = new ManualClock();
  const api = new MemoryLeaseApi();
  let reads = 0;
  let release: () => void = () => {};
  const bothRead = new Promise<void>((resolve) => (release = resolve));
  api.gate = async (op) => {
    if (op !== 'read') return;
    if (++reads === 2) release();
    await bothRead;
  };
  const a = elector(time, api, 'a');
  const b = elector(time, api, 'b');
  a.elector.start();
  b.elector.start();
  await time.advance(0);
  api.gate = undefined;
  const creates = api.calls.filter((c) => c.op === 'create');
  t.deepEqual(creates.map((c) => c.outcome).sort(), ['conflict', 'ok']);
  t.is([a, b].filter((x) => x.elector.isLeader()).length, 1);
  await a.elector.stop();
  await b.elector.stop();
});

test('a renewal whose answer was lost but which landed: 409 on the next renewal, re-read, still ours', async (t) => {
  const time = new ManualClock();
  const api = new MemoryLeaseApi();
  const a = elector(time, api, 'a', { requestTimeoutMs: 3_000 });
  a.elector.start();
  await time.advance(0);
  // The next renewal commits but its answer takes 4 s: the elector gives up on it at 3 s.
  api.after = async (op) => {
    if (op === 'replace') {
      api.after = undefined;
      await sleep(time, 4_000);
    }
  };
  await time.advance(2_000 + 3_000 + 2_000 * 1.2 + 10);
  t.true(a.elector.isLeader());
  t.is(a.started, 1, 'never stepped down');
  const outcomes = api.calls.map((c) => `${c.op}:${c.outcome}`);
  t.true(outcomes.includes('replace:conflict'));
  t.is(api.get(NS, NAME)?.spec.holderIdentity, 'a');
  await a.elector.stop();
});

/** One replica's view of a shared store: its own network, which a test can cut or slow down. */
class Link implements LeaseApi {
  partitioned = false;
  /** the next answer to a replace arrives this much later (the write itself lands at once) */
  slowNextReplace = 0;
  /** the next read reaches the store this much later */
  slowNextReadRequest = 0;
  constructor(
    private readonly inner: LeaseApi,
    private readonly time: ManualClock,
  ) {}
  async read(namespace: string, name: string): Promise<Lease | undefined> {
    if (this.partitioned) throw new Error('partitioned');
    const delay = this.slowNextReadRequest;
    this.slowNextReadRequest = 0;
    if (delay > 0) await sleep(this.time, delay);
    return this.inner.read(namespace, name);
  }
  async create(namespace: string, name: string, spec: LeaseSpec): Promise<Lease> {
    if (this.partitioned) throw new Error('partitioned');
    return this.inner.create(namespace, name, spec);
  }
  async replace(namespace: string, name: string, rv: string, spec: LeaseSpec): Promise<Lease> {
    if (this.partitioned) throw new Error('partitioned');
    const lease = await this.inner.replace(namespace, name, rv, spec);
    const delay = this.slowNextReplace;
    this.slowNextReplace = 0;
    if (delay > 0) await sleep(this.time, delay);
    return lease;
  }
}

test('the fence runs from when the renewal was sent, not when its slow answer arrived', async (t) => {
  const time = new ManualClock();
  const store = new MemoryLeaseApi();
  const linkA = new Link(store, time);
  const linkB = new Link(store, time);
  const a = elector(time, store, 'a', { api: linkA, requestTimeoutMs: 8_000 });
  const b = elector(time, store, 'b', { api: linkB, requestTimeoutMs: 8_000 });
  let overlaps = 0;
  time.onStep = () => {
    if (a.elector.isLeader() && b.elector.isLeader()) overlaps++;
  };
  a.elector.start();
  await time.advance(0);
  b.elector.start();
  await time.advance(1_000);
  linkA.slowNextReplace = 6_000; // the renewal sent at t=2000 lands at once, a hears of it at t=8000
  await time.advance(7_001);
  t.true(a.elector.isLeader());
  linkA.partitioned = true; // and then a is cut off
  await time.advance(12_000 - 1 - time.t);
  t.true(a.elector.isLeader());
  await time.advance(1);
  t.false(a.elector.isLeader(), 'stepped down 10 s after sending its last renewal');
  while (!b.elector.isLeader()) await time.advance(100);
  t.true(time.t >= 2_000 + 15_000, `b took over at ${time.t}`);
  t.is(overlaps, 0);
  await a.elector.stop();
  await b.elector.stop();
});

test('a follower counts expiry from when its read answered, not from when it asked', async (t) => {
  const time = new ManualClock();
  const store = new MemoryLeaseApi();
  const linkA = new Link(store, time);
  const linkB = new Link(store, time);
  const a = elector(time, store, 'a', { api: linkA, requestTimeoutMs: 8_000 });
  const b = elector(time, store, 'b', { api: linkB, requestTimeoutMs: 8_000 });
  let overlaps = 0;
  time.onStep = () => {
    if (a.elector.isLeader() && b.elector.isLeader()) overlaps++;
  };
  a.elector.start();
  await time.advance(0);
  b.elector.start();
  await time.advance(1_000);
  linkB.slowNextReadRequest = 6_000; // b asks at t=2200; the read is served at t=8200, after a's renewal at t=8000
  await time.advance(8_100 - time.t);
  linkA.partitioned = true; // a renewed at t=8000 and is then cut off: it must stop at t=18000
  await time.advance(18_000 - time.t);
  t.false(a.elector.isLeader());
  while (!b.elector.isLeader()) await time.advance(100);
  t.true(time.t >= 8_200 + 15_000, `b took over at ${time.t}`);
  t.is(overlaps, 0);
  await a.elector.stop();
  await b.elector.stop();
});

test('rejects settings without a safety margin', (t) => {
  const api = new MemoryLeaseApi();
  t.throws(() => new LeaderElector({ api, namespace: NS, name: NAME, identity: 'a', leaseDurationMs: 10_000, renewDeadlineMs: 10_000 }), {
    message: /renewDeadline .* must be shorter than leaseDuration/,
  });
  t.throws(() => new LeaderElector({ api, namespace: NS, name: NAME, identity: 'a', retryPeriodMs: 9_000 }), {
    message: /retryPeriod/,
  });
  t.throws(() => new LeaderElector({ api, namespace: NS, name: NAME, identity: '' }), { message: /identity/ });
});

/**
 * Randomised: five candidates with skewed clocks, a lease API with random latency (commit at a
 * random point between send and answer), random 500s, outages, crashes and releases. After every
 * event at most one replica may believe it leads, and guarded writes never interleave.
 */
for (const seed of [1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12]) {
  const tight = seed % 2 === 1;
  test(`randomised schedule (seed ${seed}${tight ? ', 0.5 s margin' : ''}): never two leaders`, async (t) => {
    const time = new ManualClock();
    const api = new MemoryLeaseApi();
    const random = rng(seed);
    // Latency each way up to 400 ms, or 700 ms with the tight margin (more than the margin itself).
    const latency = tight ? 700 : 400;
    api.gate = async () => {
      await sleep(time, Math.floor(random() * latency));
      if (random() < 0.15) throw new Error('injected transport error before the server');
    };
    api.after = async () => {
      await sleep(time, Math.floor(random() * latency));
    };
    const live: Tracked[] = [];
    let n = 0;
    const spawn = (): void => {
      const tr = elector(time, api, `r${++n}`, {
        clockOffset: Math.floor(random() * 1e9) - 5e8,
        wallOffset: Math.floor(random() * 1e9) - 5e8,
        ...(tight
          ? { leaseDurationMs: 3_000, renewDeadlineMs: 2_500, retryPeriodMs: 500, requestTimeoutMs: 1_000 }
          : { requestTimeoutMs: 3_000 }),
        random,
      });
      tr.elector.start();
      live.push(tr);
    };
    for (let i = 0; i < 5; i++) spawn();
    let violations = 0;
    let leaderChanges = 0;
    let last = '';
    const writes: { who: string; at: number }[] = [];
    time.onStep = () => {
      const leaders = live.filter((x) => x.elector.isLeader());
      if (leaders.length > 1) violations++;
      const now = leaders[0]?.elector.identity ?? '';
      if (now !== '' && now !== last) {
        leaderChanges++;
        last = now;
      }
      for (const l of leaders) {
        void l.elector.guard(async () => writes.push({ who: l.elector.identity, at: time.t })).catch(() => {});
      }
    };
    for (let step = 0; step < 60; step++) {
      await time.advance(Math.floor(random() * 5_000));
      const r = random();
      if (r < 0.1) api.down = !api.down;
      else if (r < 0.2) api.failNext(1 + Math.floor(random() * 5));
      else if (r < 0.3 && live.length > 1) {
        const leader = live.find((x) => x.elector.isLeader()) ?? live[0];
        live.splice(live.indexOf(leader), 1);
        void leader.elector.stop({ release: random() < 0.5 });
        spawn();
      }
    }
    api.down = false;
    api.gate = undefined;
    api.after = undefined;
    await time.advance(40_000);
    t.is(violations, 0);
    t.true(leaderChanges >= 2, `leadership moved ${leaderChanges} times`);
    t.is(live.filter((x) => x.elector.isLeader()).length, 1, 'someone leads once the API is healthy');
    // Guarded writes: never two writers at one instant.
    const byInstant = new Map<number, Set<string>>();
    for (const w of writes) byInstant.set(w.at, (byInstant.get(w.at) ?? new Set<string>()).add(w.who));
    t.true([...byInstant.values()].every((s) => s.size === 1));
    t.true(writes.length > 0);
    for (const x of live) await x.elector.stop();
  });
}

test('with followerLead = one poll, a crashed leader is replaced within the lease duration, never before the renew deadline', async (t) => {
  for (const offset of [0, 300, 700, 1_100, 1_500, 1_900]) {
    const time = new ManualClock();
    const api = new MemoryLeaseApi();
    const lead = 2_000 * 1.2;
    const a = elector(time, api, 'a', { followerLeadMs: lead });
    const b = elector(time, api, 'b', { followerLeadMs: lead });
    a.elector.start();
    await time.advance(0);
    b.elector.start();
    // Crash at a varying point between two renewals: after the last renewal a sent.
    await time.advance(6_000 + offset);
    await a.elector.stop();
    const killedAt = time.t;
    let aLeadUntil = killedAt;
    while (!b.elector.isLeader()) {
      await time.advance(50);
      if (a.elector.isLeader()) aLeadUntil = time.t;
    }
    const took = time.t - killedAt;
    t.true(took <= 15_000 + 100, `crash ${offset} ms after a renewal: takeover after ${took} ms`);
    t.true(aLeadUntil <= killedAt, 'the crashed leader never acts after its crash');
    await b.elector.stop();
  }
  const api = new MemoryLeaseApi();
  t.throws(() => new LeaderElector({ api, namespace: NS, name: NAME, identity: 'a', leaseDurationMs: 12_000, renewDeadlineMs: 10_000, followerLeadMs: 2_400 }), {
    message: /renewDeadline \+ followerLead .* must be shorter than leaseDuration/,
  });
});
