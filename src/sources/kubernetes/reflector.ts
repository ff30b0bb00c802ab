import { Backoff } from '../../kernel/index.js';
import type { Clock, Random, TimerHandle } from '../../kernel/index.js';
import { describeFailure } from './errors.js';
import type { KubeApi, KubeObject, ResourceKind, WatchHandle } from './api.js';

/** What a reflector tells its owner. Handlers may throw; a throw is reported, never fatal. */
export interface ReflectorHandler {
  /** The full content after a list; the owner diffs it against what it had (deletions during an outage). */
  replaced(items: KubeObject[]): void;
  /** One change seen by the watch. */
  changed(type: 'ADDED' | 'MODIFIED' | 'DELETED', object: KubeObject): void;
  /** Listed and watching. Called after every successful (re)start. */
  healthy(): void;
  /** A list or watch failed, e.g. `watch ingresses: 401 Unauthorized`; a restart is scheduled. */
  failed(reason: string): void;
  /** A handler above threw; the event is dropped, the watch goes on. */
  handlerError(error: unknown, object: KubeObject | undefined): void;
}

export interface ReflectorOptions<K extends string = ResourceKind> {
  kind: K;
  api: KubeApi<K>;
  /** The resource as named in messages (`list globaldnses: …`). Default: the plural of a cluster-source kind, else the kind. */
  resource?: string;
  handler: ReflectorHandler;
  clock: Clock;
  random: Random;
  backoff: { initialMs: number; maxMs: number };
  /** A list or watch that shows no sign of life for this long is abandoned and restarted. */
  watchdogMs: number;
  /** Healthy for this long, the backoff starts again from its first delay. Default: 2 × the backoff cap, at least 10 s. */
  resetAfterMs?: number;
}

const PLURAL: Record<string, string> = { Namespace: 'namespaces', Ingress: 'ingresses', Service: 'services' };

/** One list-then-watch run; a run that ends is replaced by a new one, never revived. */
interface Attempt {
  phase: 'list' | 'watch';
  done: boolean;
  startedAt: number;
  handle?: WatchHandle;
  /** The server said our resourceVersion is too old (410): re-list. */
  gone: boolean;
  /** This run began with a list (rather than resuming a watch). */
  listed: boolean;
  /** An ERROR event other than 410. */
  streamError?: string;
}

/**
 * Keeps one kind of object of one cluster in view: list, then watch from the list's
 * resourceVersion, and start over whatever happens.
 *
 * - A clean end of a watch (the server's `timeoutSeconds`, a proxy closing it) resumes from
 *   the last resourceVersion at once; the server replays what happened in between.
 * - 410 Gone (history compacted) re-lists at once.
 * - Any error (refused, reset, 5xx, 401, a failed list, a watchdog timeout) re-lists after
 *   an exponential backoff with jitter, reset after a healthy period. Re-listing after an
 *   error, rather than resuming, lets the owner diff the full content against what it had.
 * - A watchdog abandons a list or watch silent for longer than `watchdogMs`. The watch asks
 *   the server to end it cleanly well before that, and asks for bookmarks, so a healthy but
 *   quiet watch is never mistaken for a dead one.
 * - `stop()` aborts what runs; nothing restarts after it (the AbortError the abort causes
 *   arrives for an attempt that is no longer current and is ignored).
 */
export class Reflector<K extends string = ResourceKind> {
  private readonly opts: Required<ReflectorOptions<K>>;
  private readonly backoff: Backoff;
  private current: Attempt | undefined;
  private resourceVersion = '';
  private stopped = true;
  private retryTimer: TimerHandle | undefined;
  private watchdog: TimerHandle | undefined;
  private healthySince: number | undefined;

  constructor(opts: ReflectorOptions<K>) {
    this.opts = { resetAfterMs: Math.max(10_000, 2 * opts.backoff.maxMs), resource: PLURAL[opts.kind] ?? opts.kind, ...opts };
    this.backoff = new Backoff({ ...opts.backoff, random: opts.random });
  }

  get kind(): K {
    return this.opts.kind;
  }

  /** Failures since the backoff was last reset. */
  get failures(): number {
    return this.backoff.attempts;
  }

  start(): void {
    if (!this.stopped) return;
    this.stopped = false;
    this.resourceVersion = '';
    void this.run();
  }

  stop(): void {
    this.stopped = true;
    this.retryTimer?.cancel();
    this.watchdog?.cancel();
    this.retryTimer = this.watchdog = undefined;
    const attempt = this.current;
    this.current = undefined;
    attempt?.handle?.abort();
  }

  private async run(): Promise<void> {
    this.retryTimer = undefined;
    if (this.stopped) return;
    const { api, kind, handler, clock } = this.opts;
    const attempt: Attempt = { phase: 'list', done: false, startedAt: clock.now(), gone: false, listed: this.resourceVersion === '' };
    this.current = attempt;
    this.armWatchdog(attempt);

    if (this.resourceVersion === '') {
      let list;
      try {
        list = await api.list(kind);
      } catch (e) {
        this.fail(attempt, e);
        return;
      }
      if (attempt !== this.current) return;
      this.guard(() => handler.replaced(list.items), undefined);
      if (attempt !== this.current) return; // the handler stopped us
      this.resourceVersion = list.resourceVersion;
      this.armWatchdog(attempt);
    }

    attempt.phase = 'watch';
    let handle: WatchHandle;
    try {
      handle = await api.watch(
        kind,
        { resourceVersion: this.resourceVersion, timeoutSeconds: this.watchTimeoutSeconds() },
        (type, object) => this.onEvent(attempt, type, object),
        (err) => this.onDone(attempt, err),
      );
    } catch (e) {
      this.fail(attempt, e);
      return;
    }
    if (attempt !== this.current || attempt.done) {
      // Superseded (stop, watchdog) while connecting, or ended before we got the handle.
      if (attempt !== this.current) handle.abort();
      return;
    }
    attempt.handle = handle;
    this.healthySince ??= clock.now();
    this.guard(() => handler.healthy(), undefined);
  }

  /** Between half and three quarters of the watchdog time, jittered so watches of many clusters do not end together. */
  private watchTimeoutSeconds(): number {
    const s = (this.opts.watchdogMs / 1000) * (0.5 + 0.25 * this.opts.random());
    return Math.max(1, Math.floor(s));
  }

  private onEvent(attempt: Attempt, type: string, object: KubeObject): void {
    if (attempt !== this.current || attempt.done) return;
    this.armWatchdog(attempt);
    if (type === 'ERROR') {
      // A Status object; the server closes the watch after it.
      const code = typeof object.code === 'number' ? object.code : undefined;
      if (code === 410) attempt.gone = true;
      else attempt.streamError = describeFailure({ statusCode: code ?? 500, body: object }).message;
      return;
    }
    if (type === 'ADDED' || type === 'MODIFIED' || type === 'DELETED') {
      this.guard(() => this.opts.handler.changed(type, object), object);
    } else if (type !== 'BOOKMARK') {
      return;
    }
    const meta = object.metadata;
    const rv = typeof meta === 'object' && meta !== null ? (meta as { resourceVersion?: unknown }).resourceVersion : undefined;
    if (typeof rv === 'string' && rv !== '') this.resourceVersion = rv;
  }

  private onDone(attempt: Attempt, err: unknown): void {
    if (attempt !== this.current || attempt.done) return;
    attempt.done = true;
    if (this.stopped) return;
    const status = err ? describeFailure(err).status : undefined;
    if (attempt.gone || status === 410) {
      this.resourceVersion = '';
      // A resumed watch finding its version compacted re-lists at once; a fresh list whose
      // version is already gone is a server in trouble, and waits like any failure.
      this.restartSoon(attempt, !attempt.listed);
    } else if (err) {
      this.fail(attempt, err);
    } else if (attempt.streamError !== undefined) {
      this.fail(attempt, new Error(attempt.streamError));
    } else {
      this.restartSoon(attempt);
    }
  }

  /** A normal end: go again at once, unless the last run was too short to trust (a server closing every watch at once). */
  private restartSoon(attempt: Attempt, now = false): void {
    this.current = undefined;
    this.watchdog?.cancel();
    const { clock } = this.opts;
    const delay = !now && clock.now() - attempt.startedAt < 1000 ? this.nextDelay() : 0;
    this.schedule(delay);
  }

  private fail(attempt: Attempt, err: unknown): void {
    if (attempt !== this.current) return;
    attempt.done = true;
    this.current = undefined;
    this.watchdog?.cancel();
    attempt.handle?.abort();
    if (this.stopped) return;
    const delay = this.nextDelay();
    this.healthySince = undefined;
    // A failed watch may have missed deletions the server no longer replays; a list tells all.
    this.resourceVersion = '';
    const failure = err instanceof WatchdogTimeout ? err.message : describeFailure(err).message;
    this.guard(() => this.opts.handler.failed(`${attempt.phase} ${this.opts.resource}: ${failure}`), undefined);
    this.schedule(delay);
  }

  private nextDelay(): number {
    const { clock, resetAfterMs } = this.opts;
    if (this.healthySince !== undefined && clock.now() - this.healthySince >= resetAfterMs) this.backoff.reset();
    return this.backoff.next();
  }

  private schedule(delay: number): void {
    if (this.stopped) return;
    this.retryTimer?.cancel();
    this.retryTimer = this.opts.clock.setTimeout(() => void this.run(), delay);
  }

  private armWatchdog(attempt: Attempt): void {
    this.watchdog?.cancel();
    const ms = this.opts.watchdogMs;
    this.watchdog = this.opts.clock.setTimeout(() => {
      if (attempt !== this.current || attempt.done) return;
      this.fail(attempt, new WatchdogTimeout(`no answer for ${formatSeconds(ms)}`));
    }, ms);
  }

  private guard(fn: () => void, object: KubeObject | undefined): void {
    try {
      fn();
    } catch (e) {
      try {
        this.opts.handler.handlerError(e, object);
      } catch {
        // The error reporter itself failed; nothing sensible is left to do with it.
      }
    }
  }
}

class WatchdogTimeout extends Error {}

function formatSeconds(ms: number): string {
  return ms % 1000 === 0 ? `${ms / 1000}s` : `${(ms / 1000).toFixed(1)}s`;
}
