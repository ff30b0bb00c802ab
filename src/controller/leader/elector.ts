import { monotonicNow, silentLogger, systemClock, type Clock, type Logger, type TimerHandle } from '../../kernel/index.js';
import { LeaseConflictError, type Lease, type LeaseApi, type LeaseSpec } from './lease-api.js';

export interface LeaderElectorOptions {
  api: LeaseApi;
  namespace: string;
  /** the Lease's name */
  name: string;
  /** this replica, unique among the candidates (the pod name) */
  identity: string;
  /** How long a follower waits, on its own clock, after it last saw the Lease change before it may take it. */
  leaseDurationMs?: number;
  /** How long a leader may go without a confirmed renewal before it stops acting. Must be < leaseDurationMs. */
  renewDeadlineMs?: number;
  /** Pause between attempts (a leader's renewals; a follower's reads). */
  retryPeriodMs?: number;
  /** Retries wait retryPeriod × (1 + jitter × random()). */
  jitter?: number;
  /**
   * How much earlier than leaseDuration a follower may take over (default 0). A follower sees a
   * renewal up to one poll after it was made; with this set to one poll (retryPeriod × (1 +
   * jitter)) a crashed leader is replaced within leaseDuration of its crash instead of within
   * leaseDuration + one poll. Safe while renewDeadline + followerLead < leaseDuration, which the
   * constructor checks: the leader has stopped acting before the earliest takeover.
   */
  followerLeadMs?: number;
  /** Bound on one API call; a call still unanswered then counts as failed. */
  requestTimeoutMs?: number;
  /**
   * Timers and time (default systemClock). Every expiry decision is made on its monotonic reading
   * (`monotonicNow(clock)`: `performance.now()` on systemClock, so a wall-clock step never
   * shortens or stretches a lease); the Lease's acquireTime/renewTime, informational only, are
   * written from its `now()` (wall time on systemClock).
   */
  clock?: Clock;
  random?: () => number;
  /** Called on each start of leadership with a signal aborted when it ends. */
  onStartedLeading?: (signal: AbortSignal) => void;
  onStoppedLeading?: () => void;
  /** Called when the observed holder changes to a new non-empty identity (ours included). */
  onNewLeader?: (identity: string) => void;
  logger?: Logger;
}

export interface StopOptions {
  /** Clear the holder (leaseDurationSeconds 1) so a follower takes over at its next attempt instead of after expiry. */
  release?: boolean;
  /** Bound on waiting for guarded writes and the release call (default: requestTimeoutMs). */
  timeoutMs?: number;
}

/** What a writer holds while it may write: the leadership signal and how long the fence is good for. */
export interface LeadershipFence {
  identity: string;
  /** aborted when this leadership ends */
  signal: AbortSignal;
  /** milliseconds until the leader must stop unless it renews meanwhile */
  validForMs: number;
}

export class NotLeaderError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'NotLeaderError';
  }
}

interface Observation {
  holder: string;
  resourceVersion: string;
  spec: LeaseSpec;
  /** local monotonic time at which this (holder, renewTime, resourceVersion) was first seen */
  at: number;
  key: string;
}

/** The elector's timers hold the process open, as they always did: someone waits on each (the loop until stop()). */
const KEEP_ALIVE = { keepAlive: true };

/** `2024-05-01T10:00:00.123000Z`: the MicroTime form the API server uses. */
function microTime(epochMs: number): string {
  return new Date(epochMs).toISOString().replace(/Z$/, '000Z');
}

function message(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}

/**
 * Leader election on a `coordination.k8s.io/v1` Lease. See README.md for the safety argument;
 * in short: a leader acts only until (send time of its last confirmed write) + renewDeadline,
 * and a follower takes over only leaseDuration (> renewDeadline) after it *saw* that write,
 * both measured on local monotonic clocks, and only by a compare-and-swap on what it saw.
 */
export class LeaderElector {
  private readonly api: LeaseApi;
  private readonly namespace: string;
  private readonly name: string;
  readonly identity: string;
  private readonly leaseDurationMs: number;
  private readonly renewDeadlineMs: number;
  private readonly retryPeriodMs: number;
  private readonly jitter: number;
  private readonly followerLeadMs: number;
  private readonly requestTimeoutMs: number;
  private readonly clock: Clock;
  private readonly random: () => number;
  private readonly opts: LeaderElectorOptions;
  private readonly log: Logger;

  private phase: 'new' | 'running' | 'stopped' = 'new';
  private leading = false;
  /** local monotonic time after which this replica must not act as leader */
  private validUntil = Number.NEGATIVE_INFINITY;
  private leadership: AbortController | undefined;
  private observed: Observation | undefined;
  private reportedLeader = '';
  private timer: TimerHandle | undefined;
  private deadlineTimer: TimerHandle | undefined;
  private inflight: Promise<void> | undefined;
  private readonly guarded = new Set<Promise<unknown>>();
  private failing = false;

  constructor(opts: LeaderElectorOptions) {
    this.opts = opts;
    this.api = opts.api;
    this.namespace = opts.namespace;
    this.name = opts.name;
    this.identity = opts.identity;
    this.leaseDurationMs = opts.leaseDurationMs ?? 15_000;
    this.renewDeadlineMs = opts.renewDeadlineMs ?? 10_000;
    this.retryPeriodMs = opts.retryPeriodMs ?? 2_000;
    this.jitter = opts.jitter ?? 0.2;
    this.followerLeadMs = opts.followerLeadMs ?? 0;
    this.requestTimeoutMs = opts.requestTimeoutMs ?? Math.max(this.retryPeriodMs, this.renewDeadlineMs / 2);
    this.clock = opts.clock ?? systemClock;
    this.random = opts.random ?? Math.random;
    this.log = opts.logger ?? silentLogger;
    if (!opts.identity) throw new Error('leader election: identity must not be empty');
    if (!(this.renewDeadlineMs < this.leaseDurationMs)) {
      throw new Error(
        `leader election: renewDeadline (${this.renewDeadlineMs} ms) must be shorter than leaseDuration (${this.leaseDurationMs} ms)`,
      );
    }
    if (!(this.followerLeadMs >= 0 && this.renewDeadlineMs + this.followerLeadMs < this.leaseDurationMs)) {
      throw new Error(
        `leader election: renewDeadline + followerLead (${this.renewDeadlineMs + this.followerLeadMs} ms) must be shorter than leaseDuration (${this.leaseDurationMs} ms)`,
      );
    }
    if (!(this.retryPeriodMs * (1 + this.jitter) < this.renewDeadlineMs)) {
      throw new Error(
        `leader election: retryPeriod × (1 + jitter) (${this.retryPeriodMs * (1 + this.jitter)} ms) must be shorter than renewDeadline (${this.renewDeadlineMs} ms)`,
      );
    }
  }

  start(): void {
    if (this.phase !== 'new') throw new Error(`leader election ${this.where()}: start() called twice`);
    this.phase = 'running';
    this.log.info({ lease: this.where(), identity: this.identity }, 'leader election: started');
    this.schedule(0);
  }

  /** True while this replica may act as leader: it leads and its last renewal is younger than renewDeadline. */
  isLeader(): boolean {
    return this.leading && this.now() < this.validUntil;
  }

  /** The holder last seen on the Lease ('' when free or never read). */
  currentLeader(): string {
    return this.observed?.holder ?? '';
  }

  /**
   * Check right before an external write. Throws `NotLeaderError` unless this replica leads and
   * its lease cannot have been taken yet. The write should also honour `signal`, and finish within
   * `validForMs` + (leaseDuration − renewDeadline) to stay inside the safety margin.
   */
  fence(): LeadershipFence {
    const now = this.now();
    if (!this.leading || !this.leadership || now >= this.validUntil) {
      if (this.leading) this.checkDeadline();
      throw new NotLeaderError(`${this.identity} does not hold lease ${this.where()}`);
    }
    return { identity: this.identity, signal: this.leadership.signal, validForMs: this.validUntil - now };
  }

  /** `fence()`, then `write(signal)`; a release on stop waits for guarded writes still running. */
  async guard<T>(write: (signal: AbortSignal) => Promise<T>): Promise<T> {
    const { signal } = this.fence();
    const p = write(signal);
    this.guarded.add(p);
    try {
      return await p;
    } finally {
      this.guarded.delete(p);
    }
  }

  /**
   * Stop campaigning and stop leading (the leadership signal is aborted, onStoppedLeading called).
   * Without `release` nothing more is sent: followers take over once the lease expires, as after
   * a crash. With `release`, once guarded writes have settled, the Lease is handed back so a
   * follower takes it at its next attempt.
   */
  async stop(options: StopOptions = {}): Promise<void> {
    if (this.phase === 'stopped') return;
    const wasRunning = this.phase === 'running';
    this.phase = 'stopped';
    if (this.timer !== undefined) this.timer.cancel();
    this.timer = undefined;
    this.stepDown('stopping');
    if (!options.release || !wasRunning) return;
    const timeoutMs = options.timeoutMs ?? this.requestTimeoutMs;
    const deadline = this.now() + timeoutMs;
    // Our own renewal may be in flight; let it land so the release is conditioned on the newest version.
    if (this.inflight) await this.settle([this.inflight], deadline);
    if (this.guarded.size > 0 && !(await this.settle([...this.guarded], deadline))) {
      this.log.warn(
        { lease: this.where(), identity: this.identity, writes: this.guarded.size },
        'leader election: guarded writes still running at stop; not releasing the lease, followers take over at expiry',
      );
      return;
    }
    try {
      await this.release(deadline);
    } catch (err) {
      this.log.warn({ lease: this.where(), identity: this.identity, err: message(err) }, 'leader election: release failed; followers take over at expiry');
    }
  }

  // ---- the loop ----------------------------------------------------------------------------

  /** Monotonic milliseconds: every expiry and deadline decision is made on this reading. */
  private now(): number {
    return monotonicNow(this.clock);
  }

  /** Epoch milliseconds, for the Lease's informational acquireTime/renewTime only. */
  private wallTime(): number {
    return this.clock.now();
  }

  private where(): string {
    return `${this.namespace}/${this.name}`;
  }

  private schedule(delayMs: number): void {
    if (this.timer !== undefined) this.timer.cancel();
    this.timer = this.clock.setTimeout(
      () => {
        this.timer = undefined;
        void this.tick();
      },
      Math.max(0, delayMs),
      KEEP_ALIVE,
    );
  }

  private async tick(): Promise<void> {
    if (this.phase !== 'running') return;
    let next = this.retryDelay();
    const attempt = this.attempt().then(
      (delay) => {
        next = delay;
        if (this.failing) this.log.info({ lease: this.where(), identity: this.identity }, 'leader election: lease API reachable again');
        this.failing = false;
      },
      (err: unknown) => this.failed(err),
    );
    this.inflight = attempt;
    await attempt;
    if (this.inflight === attempt) this.inflight = undefined;
    if (this.phase === 'running') this.schedule(next);
  }

  private retryDelay(): number {
    return this.retryPeriodMs * (1 + this.jitter * this.random());
  }

  /** When a follower should look again: its next poll, or the moment the lease it watches expires. */
  private followerDelay(): number {
    const poll = this.retryDelay();
    if (!this.observed || this.observed.holder === '') return poll;
    const untilExpiry = this.observed.at + this.effectiveDurationMs(this.observed.spec) - this.now();
    return Math.min(poll, Math.max(0, untilExpiry) + 1);
  }

  /** One read/decide/write round. Resolves with the delay before the next round. */
  private async attempt(): Promise<number> {
    const obs = this.observed;
    if (this.leading && obs && obs.holder === this.identity) {
      // Renew against the version we wrote last; a 409 means someone wrote since: read and decide.
      const sentAt = this.now();
      try {
        const lease = await this.call(this.api.replace(this.namespace, this.name, obs.resourceVersion, this.renewedSpec(obs.spec)));
        this.wrote(lease, sentAt);
        return this.retryPeriodMs;
      } catch (err) {
        if (!(err instanceof LeaseConflictError)) throw err;
      }
    }
    if (this.phase !== 'running') return this.retryDelay(); // stopped meanwhile: send nothing more

    const current = await this.call(this.api.read(this.namespace, this.name));
    if (this.phase !== 'running') return this.retryDelay();
    if (!current) {
      const sentAt = this.now();
      try {
        this.wrote(await this.call(this.api.create(this.namespace, this.name, this.acquiredSpec(undefined))), sentAt);
        return this.retryPeriodMs;
      } catch (err) {
        if (err instanceof LeaseConflictError) return this.retryDelay();
        throw err;
      }
    }
    this.observe(current, this.now());
    const holder = current.spec.holderIdentity ?? '';
    if (holder !== '' && holder !== this.identity && !this.expired()) {
      if (this.leading) this.stepDown(`lease taken by ${holder}`);
      return this.followerDelay();
    }
    const spec = holder === this.identity ? this.renewedSpec(current.spec) : this.acquiredSpec(current.spec);
    if (holder !== this.identity) {
      this.log.info(
        { lease: this.where(), identity: this.identity, previous: holder || undefined },
        holder === '' ? 'leader election: lease is free, acquiring' : 'leader election: lease expired by local observation, acquiring',
      );
    }
    const sentAt = this.now();
    try {
      this.wrote(await this.call(this.api.replace(this.namespace, this.name, current.resourceVersion, spec)), sentAt);
      return this.leading ? this.retryPeriodMs : this.retryDelay();
    } catch (err) {
      if (err instanceof LeaseConflictError) {
        this.log.debug({ lease: this.where(), identity: this.identity }, 'leader election: lost a race for the lease');
        if (this.leading) this.checkDeadline();
        return this.retryDelay();
      }
      throw err;
    }
  }

  private failed(err: unknown): void {
    const fields = { lease: this.where(), identity: this.identity, err: message(err), leading: this.leading };
    if (!this.failing) this.log.warn(fields, 'leader election: lease API call failed; retrying');
    else this.log.debug(fields, 'leader election: lease API call failed; retrying');
    this.failing = true;
    if (this.leading) this.checkDeadline();
  }

  /** Bound a call: an unanswered call counts as failed (if it lands later, the version check catches it). */
  private call<T>(p: Promise<T>): Promise<T> {
    return new Promise<T>((resolve, reject) => {
      const t = this.clock.setTimeout(
        () => reject(new Error(`lease ${this.where()}: no answer within ${this.requestTimeoutMs} ms`)),
        this.requestTimeoutMs,
        KEEP_ALIVE,
      );
      p.then(
        (v) => {
          t.cancel();
          resolve(v);
        },
        (e: unknown) => {
          t.cancel();
          reject(e);
        },
      );
    });
  }

  private async settle(ps: Promise<unknown>[], deadline: number): Promise<boolean> {
    let timer: TimerHandle | undefined;
    const timeout = new Promise<boolean>((resolve) => {
      timer = this.clock.setTimeout(() => resolve(false), Math.max(0, deadline - this.now()), KEEP_ALIVE);
    });
    const all = Promise.allSettled(ps).then(() => true);
    const done = await Promise.race([all, timeout]);
    timer?.cancel();
    return done;
  }

  // ---- observation and expiry -------------------------------------------------------------

  private observe(lease: Lease, arrivedAt: number): void {
    const holder = lease.spec.holderIdentity ?? '';
    const key = `${holder}\u0000${lease.spec.renewTime ?? ''}\u0000${lease.resourceVersion}`;
    if (!this.observed || this.observed.key !== key) {
      // The answer arrived after the write it shows was committed, and that write was sent after
      // its writer started its fence: so `arrivedAt` is never earlier than the holder's clock start.
      this.observed = { holder, resourceVersion: lease.resourceVersion, spec: lease.spec, at: arrivedAt, key };
    }
    if (holder !== '' && holder !== this.reportedLeader) {
      this.reportedLeader = holder;
      this.log.info({ lease: this.where(), identity: this.identity, leader: holder }, 'leader election: new leader');
      try {
        this.opts.onNewLeader?.(holder);
      } catch (err) {
        this.log.error({ lease: this.where(), err: message(err) }, 'leader election: onNewLeader threw');
      }
    } else if (holder === '') {
      this.reportedLeader = '';
    }
  }

  /**
   * The holder's lease length as this replica counts it: its own configuration (all replicas
   * share one), or longer when the holder announced more than that rounds to, so a replica with a
   * shorter setting never cuts a longer-configured leader short. The announcement is never used
   * to shorten the wait (a released Lease says 1 s but also has no holder).
   */
  private effectiveDurationMs(spec: LeaseSpec): number {
    const announced = (spec.leaseDurationSeconds ?? 0) * 1000;
    return (announced > Math.ceil(this.leaseDurationMs / 1000) * 1000 ? announced : this.leaseDurationMs) - this.followerLeadMs;
  }

  private expired(): boolean {
    const obs = this.observed;
    if (!obs || obs.holder === '') return true;
    return this.now() - obs.at >= this.effectiveDurationMs(obs.spec);
  }

  // ---- specs ------------------------------------------------------------------------------

  private acquiredSpec(previous: LeaseSpec | undefined): LeaseSpec {
    const t = microTime(this.wallTime());
    const transitions = previous?.leaseTransitions ?? 0;
    return {
      holderIdentity: this.identity,
      leaseDurationSeconds: Math.ceil(this.leaseDurationMs / 1000),
      acquireTime: t,
      renewTime: t,
      leaseTransitions: previous && previous.holderIdentity !== this.identity ? transitions + 1 : transitions,
    };
  }

  private renewedSpec(previous: LeaseSpec): LeaseSpec {
    const t = microTime(this.wallTime());
    return {
      ...previous,
      holderIdentity: this.identity,
      leaseDurationSeconds: Math.ceil(this.leaseDurationMs / 1000),
      acquireTime: previous.acquireTime ?? t,
      renewTime: t,
    };
  }

  // ---- leadership -------------------------------------------------------------------------

  /** A write of ours (holder = us) was confirmed; it was sent at `sentAt`. */
  private wrote(lease: Lease, sentAt: number): void {
    this.observe(lease, this.now());
    if (this.phase !== 'running') return;
    if (this.leading) this.checkDeadline(); // a renewal answered after the deadline does not extend a leadership that ended
    const validUntil = sentAt + this.renewDeadlineMs;
    if (this.now() >= validUntil) return; // too slow to act on; the next round renews first
    this.validUntil = Math.max(this.validUntil, validUntil);
    this.armDeadline();
    if (!this.leading) {
      this.leading = true;
      this.leadership = new AbortController();
      this.log.info({ lease: this.where(), identity: this.identity }, 'leader election: started leading');
      try {
        this.opts.onStartedLeading?.(this.leadership.signal);
      } catch (err) {
        this.log.error({ lease: this.where(), err: message(err) }, 'leader election: onStartedLeading threw');
      }
    }
  }

  private armDeadline(): void {
    if (this.deadlineTimer !== undefined) this.deadlineTimer.cancel();
    this.deadlineTimer = this.clock.setTimeout(
      () => {
        this.deadlineTimer = undefined;
        this.checkDeadline();
      },
      Math.max(0, this.validUntil - this.now()),
      KEEP_ALIVE,
    );
  }

  private checkDeadline(): void {
    if (!this.leading) return;
    if (this.now() >= this.validUntil) this.stepDown(`no renewal within renewDeadline (${this.renewDeadlineMs} ms)`);
    else if (this.deadlineTimer === undefined) this.armDeadline();
  }

  private stepDown(reason: string): void {
    if (this.deadlineTimer !== undefined) this.deadlineTimer.cancel();
    this.deadlineTimer = undefined;
    this.validUntil = Number.NEGATIVE_INFINITY;
    if (!this.leading) return;
    this.leading = false;
    const leadership = this.leadership;
    this.leadership = undefined;
    this.log.warn({ lease: this.where(), identity: this.identity, reason }, 'leader election: stopped leading');
    leadership?.abort(new NotLeaderError(`${this.identity} stopped leading ${this.where()}: ${reason}`));
    try {
      this.opts.onStoppedLeading?.();
    } catch (err) {
      this.log.error({ lease: this.where(), err: message(err) }, 'leader election: onStoppedLeading threw');
    }
  }

  /** Hand the Lease back if it is still ours: holder cleared, 1 s, so nobody waits for expiry. */
  private async release(deadline: number): Promise<void> {
    let lease: Lease | undefined = this.observed && this.observed.holder === this.identity
      ? { resourceVersion: this.observed.resourceVersion, spec: this.observed.spec }
      : undefined;
    for (let round = 0; round < 3 && this.now() < deadline; round++) {
      if (!lease) {
        lease = await this.call(this.api.read(this.namespace, this.name));
        if (!lease || (lease.spec.holderIdentity ?? '') !== this.identity) return;
      }
      const t = microTime(this.wallTime());
      const spec: LeaseSpec = { ...lease.spec, leaseDurationSeconds: 1, renewTime: t, acquireTime: t };
      delete spec.holderIdentity;
      try {
        await this.call(this.api.replace(this.namespace, this.name, lease.resourceVersion, spec));
        this.log.info({ lease: this.where(), identity: this.identity }, 'leader election: released the lease');
        return;
      } catch (err) {
        if (!(err instanceof LeaseConflictError)) throw err;
        lease = undefined; // someone wrote since: read again, release only if it is still ours
      }
    }
  }
}
