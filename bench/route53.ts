// Route53 batching benchmark: how many API calls a burst of Ingress changes costs.
//
// In this process: the Route53 simulator (test/support/route53-sim, an HTTP server) with one
// hosted zone, a Route53Provider on the real AWS SDK pointed at it (dummy credentials, the
// provider's production defaults: 5 requests a second, its own retries), an EndpointStore and
// an ExternalController with one binding (policy sync) and one wildcard entry `*.bench.test`
// governing every name, with its default debounce (200 ms quiet, 1 s at most) and no
// scheduled resync, so that everything between two explicit resyncs is the measured window.
//
// Seed: 1,000 Ingresses (app-N.bench.test, one IP each) published at start (A + ownership TXT).
// Phase 1: the load-balancer address of all 1,000 Ingresses changes, spread evenly over one
// second; wait until every record in the simulator is the desired one, then a quiet period;
// count ChangeResourceRecordSets and ListResourceRecordSets calls in that window from the
// simulator's call log. Then an explicit resync must find nothing to repair (the controller's
// cached view of the zone was right).
// Phase 2 (throttled_phase): the same, three bursts in a row, with the simulator throttling
// 50% of calls and answering 5% with 500/503 (fault RNG seed random per run, or BENCH_SEED).
//
// The simulator also enforces Route53's own 5 requests/s per account (answers Throttling
// beyond it), so phase 1 shows whether the provider ever exceeds it.
//
// Prints exactly one JSON line on stdout; progress goes to stderr.
//
//   npm run bench:route53
//   BENCH_CHANGES=2000 npm run bench:route53         (more names and changes)
//   BENCH_SPREAD_MS=3000 npm run bench:route53       (spread the burst over 3 s)
//   BENCH_SEED=42 BENCH_THROTTLED_ROUNDS=5 npm run bench:route53   (fault RNG seed; bursts under faults)
import { performance } from 'node:perf_hooks';
import os from 'node:os';
import { ExternalController } from '../src/controller/index.js';
import type { EntrySyncStatus } from '../src/controller/index.js';
import type { Logger } from '../src/kernel/index.js';
import type { Endpoint, GlobalDnsEntry, Plan } from '../src/model/index.js';
import { EndpointStore } from '../src/sources/index.js';
import { Route53Provider } from '../providers/index.js';
import type { ApplyResult, DnsProvider, Zone } from '../providers/index.js';
import { decorate } from '../providers/decorate.js';
import { startRoute53Sim, type Route53Sim, type SimCall, type SimFaults } from '../test/support/route53-sim/index.js';
import { makeLog, round, sleep } from './kube-bench.js';
import { desiredFor } from '../test/support/desired.js';
import { machineFields } from './proc.js';

const CHANGES = Number(process.env.BENCH_CHANGES ?? 1000);
const SPREAD_MS = Number(process.env.BENCH_SPREAD_MS ?? 1000);
/** After convergence, keep counting this long: late or repeated calls would show here. */
const QUIET_MS = 2000;
/** A phase that has not converged by then is reported as such. */
const CONVERGE_TIMEOUT_MS = 60_000;
const POLL_MS = 5;
const FULL_CHECK_MS = 500;
/** Seed of the simulator's fault RNG: random unless given, so runs sample different faults. */
const SEED = Number(process.env.BENCH_SEED ?? 1 + Math.floor(Math.random() * 1_000_000));
const THROTTLE_FAULTS: SimFaults = { throttleShare: 0.5, errorShare: 0.05 };
/** Bursts under faults: one burst is only ~2 requests, too few to sample the faults. */
const THROTTLED_ROUNDS = Number(process.env.BENCH_THROTTLED_ROUNDS ?? 3);

const APEX = 'bench.test';
const CLUSTER = 'east';
const OWNER = 'gdns-bench';
const TTL = 60;
const log = makeLog('bench:route53');

const sum = (xs: readonly number[]): number => xs.reduce((a, b) => a + b, 0);
const hostname = (i: number): string => `app-${i}.${APEX}`;
/** A distinct address per name and phase (record data only; nothing is ever sent there). */
const addressOf = (phase: number, i: number): string => `10.${phase}.${(i >> 8) & 255}.${i & 255}`;

function ingress(i: number, ip: string): Endpoint {
  return { cluster: CLUSTER, namespace: 'bench', kind: 'Ingress', name: `app-${i}`, hostnames: [hostname(i)], targets: [ip] };
}

/** Records of ours in the simulator that differ from `want` (name → address); 0 = converged. */
function mismatches(sim: Route53Sim, zoneId: string, want: ReadonlyMap<string, string>): number {
  let wrong = 0;
  let seenA = 0;
  let seenTxt = 0;
  for (const r of sim.records(zoneId)) {
    const name = r.name.replace(/\.$/, '');
    if (r.type === 'A') {
      seenA++;
      const ip = want.get(name);
      if (ip === undefined || r.ttl !== TTL || r.values?.length !== 1 || r.values[0] !== ip) wrong++;
    } else if (r.type === 'TXT') {
      seenTxt++;
      const owned = name.startsWith('_globaldns-a.') && want.has(name.slice('_globaldns-a.'.length));
      if (!owned || !(r.values ?? []).some((v) => v.includes(`globaldns/owner=${OWNER}`))) wrong++;
    }
  }
  return wrong + Math.abs(want.size - seenA) + Math.abs(want.size - seenTxt);
}

/**
 * Polls until the simulator holds the desired records. The full check (every record) is not
 * cheap and runs in this process, so it runs only after a new successful
 * ChangeResourceRecordSets (the only way the zone changes) and at least every
 * FULL_CHECK_MS; the cheap poll every POLL_MS only looks at the call log.
 */
async function waitConverged(sim: Route53Sim, zoneId: string, want: ReadonlyMap<string, string>, t0: number): Promise<number | undefined> {
  let seenOk = -1;
  let lastFull = -Infinity;
  for (;;) {
    const ok = sim.calls.reduce((n, c) => n + (c.op === 'ChangeResourceRecordSets' && c.status === 200 ? 1 : 0), 0);
    const now = performance.now();
    if (ok !== seenOk || now - lastFull >= FULL_CHECK_MS) {
      seenOk = ok;
      lastFull = now;
      if (mismatches(sim, zoneId, want) === 0) return performance.now() - t0;
    }
    if (now - t0 > CONVERGE_TIMEOUT_MS) return undefined;
    await sleep(POLL_MS);
  }
}

/** Applies `CHANGES` address changes spread evenly over `SPREAD_MS`; returns the time it took. */
async function burst(store: EndpointStore, phase: number, want: Map<string, string>): Promise<number> {
  const t0 = performance.now();
  let done = 0;
  while (done < CHANGES) {
    const due = Math.min(CHANGES, Math.ceil(((performance.now() - t0) / SPREAD_MS) * CHANGES));
    for (; done < due; done++) {
      const ip = addressOf(phase, done);
      store.upsert(ingress(done, ip));
      want.set(hostname(done), ip);
    }
    if (done < CHANGES) await sleep(1);
  }
  return performance.now() - t0;
}

/** One provider.apply() as the controller made it: when (Date.now()), how many plan changes, how long. */
interface ApplyTiming {
  at: number;
  planChanges: number;
  ms: number;
}

/** The Route53 provider with each apply() timed: splits planning (before) from the API (inside). */
interface TimedProvider {
  provider: DnsProvider;
  applies: ApplyTiming[];
}

/** A decorator (providers/decorate.ts): the alias capability and the rest stay the provider's own. */
function timedProvider(inner: DnsProvider): TimedProvider {
  const applies: ApplyTiming[] = [];
  const provider = decorate(inner, {
    async apply(zone: Zone, plan: Plan, signal?: AbortSignal): Promise<ApplyResult> {
      const at = Date.now();
      const t0 = performance.now();
      const out = await inner.apply(zone, plan, signal);
      applies.push({ at, planChanges: plan.creates.length + plan.updates.length + plan.deletes.length, ms: round(performance.now() - t0, 1) });
      return out;
    },
  });
  return { provider, applies };
}

interface CallSummary {
  change_calls: number;
  change_calls_ok: number;
  list_calls: number;
  other_calls: number;
  throttled: number;
  errors_5xx: number;
  invalid_change_batch: number;
  /** Change elements in successful ChangeResourceRecordSets calls. */
  record_changes: number;
  changes_per_call: number[];
  /** Arrival of each successful ChangeResourceRecordSets call, ms after the first Ingress change. */
  change_call_at_ms: number[];
}

function summarise(calls: readonly SimCall[], wallT0: number): CallSummary {
  const change = calls.filter((c) => c.op === 'ChangeResourceRecordSets');
  const ok = change.filter((c) => c.status === 200);
  return {
    change_calls: change.length,
    change_calls_ok: ok.length,
    list_calls: calls.filter((c) => c.op === 'ListResourceRecordSets').length,
    other_calls: calls.filter((c) => c.op !== 'ChangeResourceRecordSets' && c.op !== 'ListResourceRecordSets').length,
    throttled: calls.filter((c) => c.code === 'Throttling').length,
    errors_5xx: calls.filter((c) => c.status >= 500).length,
    invalid_change_batch: calls.filter((c) => c.code === 'InvalidChangeBatch').length,
    record_changes: ok.reduce((n, c) => n + (c.changes ?? 0), 0),
    changes_per_call: ok.map((c) => c.changes ?? 0),
    change_call_at_ms: ok.map((c) => c.time - wallT0),
  };
}

interface PhaseResult {
  converged: boolean;
  converge_ms: number | null;
  burst_ms: number;
  calls: CallSummary;
  resync: { change_calls: number; list_calls: number; drift_repaired: boolean };
  failed_statuses: number;
  /** provider.apply() calls in the window: start (ms after the first change), plan changes, duration. */
  applies: { at_ms: number; plan_changes: number; ms: number }[];
}

async function phase(
  n: number,
  sim: Route53Sim,
  zoneId: string,
  store: EndpointStore,
  controller: ExternalController,
  want: Map<string, string>,
  statuses: EntrySyncStatus[],
  timed: TimedProvider,
): Promise<PhaseResult> {
  const mark = sim.calls.length;
  const applyMark = timed.applies.length;
  const statusMark = statuses.length;
  const wallT0 = Date.now();
  const t0 = performance.now();
  const burstMs = await burst(store, n, want);
  log(`phase ${n}: ${CHANGES} changes in ${round(burstMs, 1)} ms`);
  const convergeMs = await waitConverged(sim, zoneId, want, t0);
  if (convergeMs === undefined) log(`phase ${n}: NOT converged after ${CONVERGE_TIMEOUT_MS} ms: ${mismatches(sim, zoneId, want)} records wrong`);
  else log(`phase ${n}: converged ${round(convergeMs, 1)} ms after the first change`);
  await sleep(QUIET_MS);
  const calls = summarise(sim.calls.slice(mark), wallT0);
  const applies = timed.applies.slice(applyMark).map((a) => ({ at_ms: a.at - wallT0, plan_changes: a.planChanges, ms: a.ms }));
  log(`phase ${n}: calls`, JSON.stringify(calls));
  log(`phase ${n}: provider.apply()`, JSON.stringify(applies));

  // The end of the window: a resync re-reads the zone; with a right cache it changes nothing.
  const resyncMark = sim.calls.length;
  await controller.resync();
  const rc = sim.calls.slice(resyncMark);
  const resync = {
    change_calls: rc.filter((c) => c.op === 'ChangeResourceRecordSets').length,
    list_calls: rc.filter((c) => c.op === 'ListResourceRecordSets').length,
    drift_repaired: rc.some((c) => c.op === 'ChangeResourceRecordSets' && c.status === 200),
  };
  if (resync.change_calls > 0) log(`phase ${n}: the resync wrote ${resync.change_calls} change calls: the controller's view had drifted`);
  const failed = statuses.slice(statusMark).filter((s) => !s.synced).length;
  return { converged: convergeMs !== undefined, converge_ms: convergeMs === undefined ? null : round(convergeMs, 1), burst_ms: round(burstMs, 1), calls, resync, failed_statuses: failed, applies };
}

async function main(): Promise<void> {
  const tStart = Date.now();
  const load0 = os.loadavg()[0];
  const warnings: string[] = [];
  const logger: Logger = {
    debug() {},
    info() {},
    warn(obj, msg) {
      warnings.push(`${msg ?? ''} ${JSON.stringify(obj)}`);
    },
    error(obj, msg) {
      warnings.push(`ERROR ${msg ?? ''} ${JSON.stringify(obj)}`);
      log('controller error:', msg, JSON.stringify(obj));
    },
  };
  const sim = await startRoute53Sim({ seed: SEED, rateLimitPerSecond: 5 });
  let controller: ExternalController | undefined;
  try {
    const zoneId = sim.createZone(APEX);
    const timed = timedProvider(
      new Route53Provider({
        endpoint: sim.url,
        region: 'us-east-1',
        credentials: { accessKeyId: 'AKIDEXAMPLE', secretAccessKey: 'secret' },
        zoneIds: [zoneId],
      }),
    );
    const entries: GlobalDnsEntry[] = [{ fqdn: `*.${APEX}`, ttl: TTL, provider: 'route53', targets: [{ cluster: CLUSTER }] }];
    const store = new EndpointStore();
    const statuses: EntrySyncStatus[] = [];
    controller = new ExternalController({
      desired: desiredFor({ entries, store, lookup: async () => ({ v4: [], v6: [] }) }),
      bindings: [{ name: 'route53', provider: timed.provider, ownerId: OWNER, policy: 'sync' }],
      logger,
      resync: false,
      onStatus: (s) => statuses.push(s),
    });

    // Seed: 1,000 names published by the controller's first sync.
    const want = new Map<string, string>();
    for (let i = 0; i < CHANGES; i++) {
      store.upsert(ingress(i, addressOf(0, i)));
      want.set(hostname(i), addressOf(0, i));
    }
    const seedT0 = performance.now();
    await controller.start();
    const seedMs = await waitConverged(sim, zoneId, want, seedT0);
    if (seedMs === undefined) throw new Error(`seed never converged: ${mismatches(sim, zoneId, want)} records wrong`);
    const seedCalls = summarise(sim.calls, Date.now());
    log(`seeded ${CHANGES} names in ${round(seedMs, 1)} ms:`, JSON.stringify({ change: seedCalls.change_calls, list: seedCalls.list_calls, other: seedCalls.other_calls }));
    await sleep(500);

    const p1 = await phase(1, sim, zoneId, store, controller, want, statuses, timed);

    sim.faults(THROTTLE_FAULTS);
    log(`phase 2: faults ${JSON.stringify(THROTTLE_FAULTS)}, ${THROTTLED_ROUNDS} bursts`);
    const rounds: PhaseResult[] = [];
    for (let r = 0; r < THROTTLED_ROUNDS; r++) rounds.push(await phase(2 + r, sim, zoneId, store, controller, want, statuses, timed));
    sim.faults({});

    for (const w of warnings.slice(0, 10)) log('controller:', w);
    if (warnings.length > 10) log(`... ${warnings.length - 10} more controller warnings`);

    const line = {
      bench: 'route53',
      changes: CHANGES,
      change_calls: p1.calls.change_calls,
      list_calls_between_resyncs: p1.calls.list_calls,
      converged: p1.converged,
      converge_ms: p1.converge_ms,
      burst_ms: p1.burst_ms,
      record_changes: p1.calls.record_changes,
      changes_per_call: p1.calls.changes_per_call,
      change_call_at_ms: p1.calls.change_call_at_ms,
      applies: p1.applies,
      other_calls: p1.calls.other_calls,
      throttled: p1.calls.throttled,
      resync_after: p1.resync,
      failed_statuses: p1.failed_statuses,
      throttled_phase: {
        faults: THROTTLE_FAULTS,
        seed: SEED,
        rounds: THROTTLED_ROUNDS,
        converged: rounds.every((p) => p.converged),
        converge_ms: rounds.map((p) => p.converge_ms),
        burst_ms: rounds.map((p) => p.burst_ms),
        change_calls: rounds.map((p) => p.calls.change_calls),
        change_calls_ok: rounds.map((p) => p.calls.change_calls_ok),
        list_calls_between_resyncs: sum(rounds.map((p) => p.calls.list_calls)),
        other_calls: sum(rounds.map((p) => p.calls.other_calls)),
        throttled: sum(rounds.map((p) => p.calls.throttled)),
        errors_5xx: sum(rounds.map((p) => p.calls.errors_5xx)),
        invalid_change_batch: sum(rounds.map((p) => p.calls.invalid_change_batch)),
        record_changes: rounds.map((p) => p.calls.record_changes),
        applies: rounds.map((p) => p.applies),
        resync_after: {
          change_calls: sum(rounds.map((p) => p.resync.change_calls)),
          list_calls: rounds.map((p) => p.resync.list_calls),
          drift_repaired: rounds.some((p) => p.resync.drift_repaired),
        },
        failed_statuses: sum(rounds.map((p) => p.failed_statuses)),
      },
      seed: { converge_ms: round(seedMs, 1), change_calls: seedCalls.change_calls, list_calls: seedCalls.list_calls, other_calls: seedCalls.other_calls },
      debounce_ms: 200,
      max_delay_ms: 1000,
      provider_rate_per_s: 5,
      targets: { change_calls: 3, list_calls_between_resyncs: 0 },
      controller_warnings: warnings.length,
      ...machineFields(load0, tStart),
    };
    process.stdout.write(JSON.stringify(line) + '\n');
  } finally {
    await controller?.stop().catch((e: unknown) => log('controller stop:', e));
    await sim.stop().catch((e: unknown) => log('sim stop:', e));
  }
}

main().then(
  () => process.exit(0),
  (err: unknown) => {
    log('failed:', err instanceof Error ? (err.stack ?? err.message) : err);
    process.exit(1);
  },
);
