// QuorumVerdicts on a manual clock: this replica's checker (scripted probes) combined with other
// replicas' reports. What the stage reads (verdict, since, recovered, onChange) as vantages
// agree, disagree, go stale or look cut off. Interval 1 s, failureThreshold 3, successThreshold 2.
import test from 'ava';
import { hashKey, HealthChecker, probeTarget, QuorumVerdicts } from '../../src/health/index.js';
import type { ProbeTarget } from '../../src/health/index.js';
import { silentLogger } from '../../src/kernel/index.js';
import { ManualClock } from '../support/clock.js';
import { httpCheck } from './fixtures.js';

const check = httpCheck();

type H = 'healthy' | 'unhealthy';

function world() {
  const clock = new ManualClock();
  /** address → whether this replica's probe of it passes. */
  const up = new Map<string, boolean>();
  const checker = new HealthChecker({
    clock,
    random: () => 0,
    concurrency: 8,
    logger: silentLogger,
    prober: async (spec) => ((up.get(spec.address) ?? true) ? { ok: true, reason: 'status 200', durationMs: 1 } : { ok: false, reason: 'connect ECONNREFUSED', durationMs: 1 }),
  });
  const transitions: { address: string; from: string; to: string; at: number; agree: string[] }[] = [];
  const quorum = new QuorumVerdicts({
    local: checker,
    self: 'r1',
    logger: silentLogger,
    clock,
    onTransition: (target, from, to, q) => transitions.push({ address: target.spec.address, from: from.health, to: to.health, at: clock.now(), agree: q.agree }),
  });
  const A = probeTarget(check, '127.0.0.2', 'shop.example.test');
  const B = probeTarget(check, '127.0.0.3', 'shop.example.test');
  const targets: Record<string, ProbeTarget> = { '127.0.0.2': A, '127.0.0.3': B };
  const changes: string[][] = [];
  quorum.onChange((keys) => changes.push([...keys].map((k) => Object.values(targets).find((t) => t.key === k)?.spec.address ?? k)));
  quorum.want('shop.example.test', [A, B]);
  let seq = 0;
  /** One write of `vantage`'s report: its verdicts by address. */
  const report = (vantage: string, verdicts: Record<string, H>) => {
    const up = Object.entries(verdicts).filter(([, h]) => h === 'healthy').map(([a]) => hashKey(targets[a].key));
    const down = Object.entries(verdicts).filter(([, h]) => h === 'unhealthy').map(([a]) => hashKey(targets[a].key));
    quorum.report({ vantage, seq: ++seq, healthy: up.length, unhealthy: down.length, up, down });
  };
  /** `n` intervals, the given vantages reporting at the start of each (heartbeats). */
  const run = async (n: number, reports: Record<string, Record<string, H>> = {}) => {
    for (let i = 0; i < n; i++) {
      for (const [v, r] of Object.entries(reports)) report(v, r);
      await clock.advance(1000);
    }
  };
  const health = (address: string) => quorum.verdict(targets[address].key)?.health;
  const stop = () => (quorum.stop(), checker.stop());
  return { clock, up, checker, quorum, A, B, report, run, health, changes, transitions, stop };
}

const bothUp = { '127.0.0.2': 'healthy', '127.0.0.3': 'healthy' } as const;

test('one replica that cannot reach an endpoint changes nothing while the others can', async (t) => {
  const w = world();
  w.up.set('127.0.0.2', false);
  await w.run(6, { r2: bothUp, r3: bothUp });
  t.is(w.checker.verdict(w.A.key)?.health, 'unhealthy', 'this replica alone judged it down');
  t.is(w.health('127.0.0.2'), 'healthy');
  t.deepEqual(w.quorum.vantages(w.A.key), { health: 'healthy', agree: ['r2', 'r3'], disagree: ['r1'], cutOff: [] });
  t.deepEqual(w.transitions.map((x) => `${x.address} ${x.from}→${x.to}`), ['127.0.0.2 unknown→healthy', '127.0.0.3 unknown→healthy'], 'judged once, never down');
  t.is(w.quorum.verdict(w.A.key)?.last?.reason, 'connect ECONNREFUSED', "the status still shows this replica's last probe");
  w.stop();
});

test('down when a majority says so; its own since; recovered on the way back up', async (t) => {
  const w = world();
  await w.run(3, { r2: bothUp, r3: bothUp });
  t.is(w.health('127.0.0.2'), 'healthy');
  const downFor = { '127.0.0.2': 'unhealthy', '127.0.0.3': 'healthy' } as const;
  w.changes.length = 0;
  w.report('r2', downFor);
  await w.clock.advance(0);
  t.is(w.health('127.0.0.2'), 'healthy', 'one of three');
  w.report('r3', downFor);
  t.is(w.health('127.0.0.2'), 'unhealthy', 'two of three');
  t.like(w.quorum.verdict(w.A.key), { since: w.clock.now(), recovered: false });
  t.deepEqual(w.changes, [['127.0.0.2']], 'one change, for the endpoint that changed');
  t.deepEqual(w.quorum.vantages(w.A.key)?.agree, ['r2', 'r3']);
  // The endpoint comes back for both; the damping (failureThreshold × interval) has passed.
  await w.run(3, { r2: downFor, r3: downFor });
  await w.run(1, { r2: bothUp, r3: bothUp });
  t.is(w.health('127.0.0.2'), 'healthy');
  t.true(w.quorum.verdict(w.A.key)?.recovered, 'failback counts from here');
  w.stop();
});

test("a vantage's report stops counting 3 intervals after its last write", async (t) => {
  const w = world();
  const downFor = { '127.0.0.2': 'unhealthy', '127.0.0.3': 'healthy' } as const;
  await w.run(4, { r2: downFor, r3: downFor });
  t.is(w.health('127.0.0.2'), 'unhealthy');
  const wentDown = w.quorum.verdict(w.A.key)?.since ?? 0;
  // r2 and r3 go silent (crashed without deleting their reports).
  // Their last write was at 3 s: fresh up to 6 s.
  await w.clock.advance(2000);
  t.is(w.health('127.0.0.2'), 'unhealthy', 'still fresh at 3 intervals');
  await w.clock.advance(1);
  t.is(w.health('127.0.0.2'), 'healthy', 'only this replica counts now, and it reaches the endpoint');
  t.deepEqual(w.quorum.vantages(w.A.key), { health: 'healthy', agree: ['r1'], disagree: [], cutOff: [] });
  t.true(w.clock.now() - wentDown >= 2500);
  w.stop();
});

test('a deleted report (a replica that stopped) is forgotten at once', async (t) => {
  const w = world();
  const downFor = { '127.0.0.2': 'unhealthy', '127.0.0.3': 'healthy' } as const;
  await w.run(4, { r2: downFor, r3: downFor });
  t.is(w.health('127.0.0.2'), 'unhealthy');
  w.changes.length = 0;
  w.quorum.forget('r2');
  t.is(w.health('127.0.0.2'), 'healthy', 'r3 against this replica: a tie, which stays up');
  t.deepEqual(w.changes, [['127.0.0.2']]);
  w.stop();
});

test('this replica cut off from everything is left out; when every vantage is, all count', async (t) => {
  const w = world();
  w.up.set('127.0.0.2', false);
  w.up.set('127.0.0.3', false);
  await w.run(5, { r2: bothUp });
  t.deepEqual(w.quorum.vantages(w.A.key), { health: 'healthy', agree: ['r2'], disagree: [], cutOff: ['r1'] });
  t.is(w.health('127.0.0.3'), 'healthy');
  // Now r2 loses both too: nothing tells a broken vantage from dead endpoints.
  const bothDown = { '127.0.0.2': 'unhealthy', '127.0.0.3': 'unhealthy' } as const;
  await w.run(1, { r2: bothDown });
  t.is(w.health('127.0.0.2'), 'unhealthy');
  t.deepEqual(w.quorum.vantages(w.A.key)?.agree, ['r1', 'r2']);
  w.stop();
});

test('reports flapping at every write change the combined health at most once per failureThreshold × interval', async (t) => {
  const w = world();
  await w.run(1, { r2: bothUp, r3: bothUp });
  const flap = (i: number) => ({ '127.0.0.2': i % 2 === 0 ? 'unhealthy' : 'healthy', '127.0.0.3': 'healthy' }) as const;
  w.transitions.length = 0;
  for (let i = 0; i < 30; i++) await w.run(1, { r2: flap(i), r3: flap(i) });
  const times = w.transitions.filter((x) => x.address === '127.0.0.2').map((x) => x.at);
  t.true(times.length >= 2, 'it does follow them');
  for (let i = 1; i < times.length; i++) t.true(times[i] - times[i - 1] >= 2500, `transitions at ${times.join(', ')}`);
  w.stop();
});

test("this replica's report: hashed keys of its judged verdicts, whole counts", async (t) => {
  const w = world();
  w.up.set('127.0.0.3', false);
  t.deepEqual(w.quorum.localReport(), { healthy: 0, unhealthy: 0, up: [], down: [] }, 'nothing judged yet');
  await w.run(4);
  t.deepEqual(w.quorum.localReport(), { healthy: 1, unhealthy: 1, up: [hashKey(w.A.key)], down: [hashKey(w.B.key)] });
  t.is(w.quorum.shortestInterval(), 1000);
  w.quorum.want('shop.example.test', []);
  await w.clock.advance(0);
  t.is(w.quorum.shortestInterval(), undefined, 'nothing probed: nothing to publish');
  t.is(w.quorum.verdict(w.A.key), undefined);
  w.stop();
});

test("its own report read back, and a report of this replica's identity, are not another vantage", async (t) => {
  const w = world();
  await w.run(4, { r2: bothUp });
  w.report('r1', { '127.0.0.2': 'unhealthy', '127.0.0.3': 'unhealthy' });
  t.deepEqual(w.quorum.vantages(w.A.key)?.agree, ['r1', 'r2']);
  w.stop();
});

test('a change held back by the damping is made when the damping ends, with no new report', async (t) => {
  const w = world();
  w.report('r2', bothUp);
  w.report('r3', bothUp);
  t.is(w.health('127.0.0.2'), 'healthy', 'judged at 0 s');
  await w.clock.advance(1000);
  const downFor = { '127.0.0.2': 'unhealthy', '127.0.0.3': 'healthy' } as const;
  w.report('r2', downFor);
  w.report('r3', downFor);
  t.is(w.health('127.0.0.2'), 'healthy', 'not before failureThreshold × interval (less half an interval of slack)');
  await w.clock.advance(1499);
  t.is(w.health('127.0.0.2'), 'healthy');
  await w.clock.advance(1);
  t.is(w.health('127.0.0.2'), 'unhealthy');
  t.like(w.quorum.verdict(w.A.key), { since: 2500 });
  w.stop();
});
