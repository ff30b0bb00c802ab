import { performance } from 'node:perf_hooks';
import test, { type ExecutionContext } from 'ava';
import { KubeConfig } from '@kubernetes/client-node';
import { kubeLeaseApi, LeaderElector, NotLeaderError } from '../../src/controller/leader/index.js';
import { startFakeKube, type FakeKube } from '../support/fake-kube/index.js';

// Three replicas in one process, each with its own KubeConfig and connections, real timers,
// against the fake API server over HTTPS.
const LEASE_MS = 1_500;
const RENEW_DEADLINE_MS = 1_000;
const RETRY_MS = 200;
const JITTER = 0.2;
const NS = 'globaldns-system';
const NAME = 'globaldns-leader';

const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

interface Interval {
  id: string;
  from: number;
  to: number | undefined;
}

/** Samples every replica every 20 ms; keeps leadership intervals and any instant with two leaders. */
class Replicas {
  readonly electors: LeaderElector[] = [];
  readonly intervals: Interval[] = [];
  readonly overlaps: number[] = [];
  /** guarded writes made while another replica also believed it led (must stay empty) */
  readonly unsafeWrites: string[] = [];
  writes = 0;
  private readonly sampler: NodeJS.Timeout;
  private readonly open = new Map<string, Interval>();

  constructor(fake: FakeKube, count: number) {
    for (let i = 0; i < count; i++) {
      const kc = new KubeConfig();
      kc.loadFromString(fake.kubeconfig(`replica-${i}`));
      const id = `globaldns-${i}`;
      const elector: LeaderElector = new LeaderElector({
        api: kubeLeaseApi(kc),
        namespace: NS,
        name: NAME,
        identity: id,
        leaseDurationMs: LEASE_MS,
        renewDeadlineMs: RENEW_DEADLINE_MS,
        retryPeriodMs: RETRY_MS,
        jitter: JITTER,
        // What a provider writer does: fenced writes every 10 ms until leadership ends.
        onStartedLeading: (signal) => void this.write(elector, signal),
      });
      this.electors.push(elector);
    }
    this.sampler = setInterval(() => this.sample(), 20);
  }

  private async write(elector: LeaderElector, signal: AbortSignal): Promise<void> {
    while (!signal.aborted) {
      try {
        await elector.guard(async () => {
          this.writes++;
          const others = this.electors.filter((e) => e !== elector && e.isLeader());
          if (others.length > 0) this.unsafeWrites.push(`${elector.identity} wrote while ${others.map((e) => e.identity).join(', ')} led`);
        });
      } catch (err) {
        if (!(err instanceof NotLeaderError)) throw err;
        return;
      }
      await sleep(10);
    }
  }

  start(): void {
    for (const e of this.electors) e.start();
  }

  sample(): LeaderElector[] {
    const now = performance.now();
    const leaders = this.electors.filter((e) => e.isLeader());
    if (leaders.length > 1) this.overlaps.push(now);
    for (const e of this.electors) {
      const open = this.open.get(e.identity);
      if (leaders.includes(e) && !open) {
        const iv: Interval = { id: e.identity, from: now, to: undefined };
        this.open.set(e.identity, iv);
        this.intervals.push(iv);
      } else if (!leaders.includes(e) && open) {
        open.to = now;
        this.open.delete(e.identity);
      }
    }
    return leaders;
  }

  /** Polls every 5 ms until `pred` holds; returns the time it held (or undefined after `timeoutMs`). */
  async waitFor(pred: (leaders: LeaderElector[]) => boolean, timeoutMs: number): Promise<number | undefined> {
    const end = performance.now() + timeoutMs;
    while (performance.now() < end) {
      if (pred(this.electors.filter((e) => e.isLeader()))) return performance.now();
      await sleep(5);
    }
    return undefined;
  }

  /** No two recorded leadership intervals overlap. */
  checkIntervals(t: ExecutionContext): void {
    const sorted = [...this.intervals].sort((a, b) => a.from - b.from);
    for (let i = 1; i < sorted.length; i++) {
      const prev = sorted[i - 1];
      t.true(prev.to !== undefined && prev.to <= sorted[i].from, `${prev.id} and ${sorted[i].id} led at the same time`);
    }
    t.deepEqual(this.overlaps, []);
    t.deepEqual(this.unsafeWrites, []);
  }

  async stopAll(): Promise<void> {
    clearInterval(this.sampler);
    await Promise.all(this.electors.map((e) => e.stop()));
  }
}

async function setup(t: ExecutionContext): Promise<{ fake: FakeKube; replicas: Replicas }> {
  const fake = await startFakeKube();
  const replicas = new Replicas(fake, 3);
  t.teardown(async () => {
    await replicas.stopAll();
    await fake.stop();
  });
  replicas.start();
  const first = await replicas.waitFor((l) => l.length === 1, 2_000);
  t.truthy(first, 'someone leads after start');
  return { fake, replicas };
}

test.serial('three replicas: one leader, and a killed leader is replaced after the lease expires', async (t) => {
  const { fake, replicas } = await setup(t);
  await sleep(1_000);
  const [leader] = replicas.sample();
  t.truthy(leader);
  const lease = fake.get('Lease', NS, NAME) as { spec: { holderIdentity?: string; leaseDurationSeconds?: number } };
  t.is(lease.spec.holderIdentity, leader.identity);
  t.is(lease.spec.leaseDurationSeconds, 2);

  // Crash: no release, nothing more sent.
  const killedAt = performance.now();
  await leader.stop();
  const next = await replicas.waitFor((l) => l.length === 1, 4_000);
  t.truthy(next);
  const took = (next ?? Infinity) - killedAt;
  t.log(`takeover ${Math.round(took)} ms after the kill (lease ${LEASE_MS} ms, retry ${RETRY_MS} ms)`);
  // Lower bound: the dead leader renewed at most one retry period before the kill.
  t.true(took >= LEASE_MS - RETRY_MS - 50, `took ${took} ms`);
  // Upper bound: lease + the follower's observation lag (one jittered poll) + three round trips (read, read, replace).
  t.true(took <= LEASE_MS + RETRY_MS * (1 + JITTER) + 400, `took ${took} ms`);
  t.not(replicas.electors.find((e) => e.isLeader()), leader);
  await sleep(500);
  replicas.sample();
  replicas.checkIntervals(t);
  t.true(replicas.writes > 50);
});

test.serial('stop({ release: true }) (SIGTERM) hands over within a second', async (t) => {
  const { fake, replicas } = await setup(t);
  await sleep(500);
  const [leader] = replicas.sample();
  const stoppedAt = performance.now();
  await leader.stop({ release: true });
  const releasedAfter = performance.now() - stoppedAt;
  t.false(leader.isLeader());
  const released = fake.get('Lease', NS, NAME) as { spec: { holderIdentity?: string } };
  t.not(released.spec.holderIdentity, leader.identity);
  const next = await replicas.waitFor((l) => l.length === 1, 2_000);
  t.truthy(next);
  const took = (next ?? Infinity) - stoppedAt;
  t.log(`handover ${Math.round(took)} ms after stop({ release: true }) (the release took ${Math.round(releasedAfter)} ms)`);
  t.true(took < 1_000, `took ${took} ms`);
  await sleep(300);
  replicas.sample();
  replicas.checkIntervals(t);
});

test.serial('API server down: the leader steps down within the renew deadline, nobody leads, then someone leads again', async (t) => {
  const { fake, replicas } = await setup(t);
  await sleep(500);
  const [leader] = replicas.sample();
  t.truthy(leader);
  const downAt = performance.now();
  await fake.goDown();
  const steppedDown = await replicas.waitFor((l) => l.length === 0, 2_000);
  t.truthy(steppedDown);
  const after = (steppedDown ?? Infinity) - downAt;
  t.log(`leader stopped ${Math.round(after)} ms into the outage (renew deadline ${RENEW_DEADLINE_MS} ms)`);
  t.true(after <= RENEW_DEADLINE_MS + 100, `stepped down after ${after} ms`);
  // The last renewal went out at most one retry period (plus its round trip) before the outage.
  t.true(after >= RENEW_DEADLINE_MS - 2 * RETRY_MS, `stepped down after ${after} ms`);

  // Nobody leads for the rest of a 2.5 s outage (longer than the lease).
  const quietUntil = downAt + 2_500;
  let ledDuringOutage = 0;
  while (performance.now() < quietUntil) {
    if (replicas.sample().length > 0) ledDuringOutage++;
    await sleep(10);
  }
  t.is(ledDuringOutage, 0);

  const upAt = performance.now();
  await fake.comeUp();
  const back = await replicas.waitFor((l) => l.length === 1, 3_000);
  t.truthy(back);
  t.log(`someone leads ${Math.round((back ?? Infinity) - upAt)} ms after the API server came back`);
  t.true((back ?? Infinity) - upAt < 1_000);
  await sleep(500);
  t.is(replicas.sample().length, 1);
  replicas.checkIntervals(t);
});

test.serial('brief 500s and connection resets shorter than the renew deadline do not move leadership', async (t) => {
  const { fake, replicas } = await setup(t);
  await sleep(300);
  const [leader] = replicas.sample();
  fake.failNext(500, 2);
  await sleep(300);
  fake.resetConnections();
  await sleep(300);
  fake.failNext(503, 1);
  await sleep(600);
  t.deepEqual(replicas.sample(), [leader]);
  t.is(replicas.intervals.length, 1, 'one uninterrupted leadership');
  replicas.checkIntervals(t);
});
