// The probe schedule on a manual clock with a scripted prober: probes are spread over the
// interval, never more than `concurrency` in flight, a slow probe never piles up, the source
// address reaches every probe, and a target no name needs stops being probed.
import test from 'ava';
import { HealthChecker, probeTarget } from '../../src/health/index.js';
import type { ProbeResult, ProbeSpec } from '../../src/health/index.js';
import { silentLogger } from '../../src/kernel/index.js';
import { ManualClock } from '../support/clock.js';
import { httpCheck } from './fixtures.js';

const check = httpCheck({ path: '/', failureThreshold: 2 });

function world(o: { concurrency?: number; answerAfterMs?: number; random?: () => number } = {}) {
  const clock = new ManualClock();
  const started: { at: number; spec: ProbeSpec; source?: string }[] = [];
  let inFlight = 0;
  let maxInFlight = 0;
  const checker = new HealthChecker({
    clock,
    random: o.random ?? (() => 0.5),
    concurrency: o.concurrency ?? 100,
    sourceAddress: '127.0.0.9',
    logger: silentLogger,
    prober: (spec, opts) => {
      started.push({ at: clock.now(), spec, source: opts?.sourceAddress });
      inFlight++;
      maxInFlight = Math.max(maxInFlight, inFlight);
      return new Promise<ProbeResult>((resolve) => {
        clock.setTimeout(() => {
          inFlight--;
          resolve({ ok: true, reason: 'status 200', durationMs: o.answerAfterMs ?? 10 });
        }, o.answerAfterMs ?? 10);
      });
    },
  });
  return { clock, checker, started, max: () => maxInFlight };
}

test('new targets are probed at once, then each on its own random phase of the interval', async (t) => {
  let i = 0;
  const w = world({ random: () => (i++ % 10) / 10 });
  w.checker.want('a.example.test', Array.from({ length: 10 }, (_, n) => probeTarget(check, `127.0.1.${n}`, 'a.example.test')));
  await w.clock.advance(0);
  t.deepEqual(w.started.map((s) => s.at), Array<number>(10).fill(0), 'a new endpoint does not wait for its verdict');
  await w.clock.advance(999);
  t.deepEqual(w.started.slice(10).map((s) => s.at), [100, 200, 300, 400, 500, 600, 700, 800, 900], 'then spread (the one at phase 0 waits a whole interval)');
  await w.clock.advance(1000);
  t.deepEqual(w.started.slice(19).map((s) => s.at), [1000, 1100, 1200, 1300, 1400, 1500, 1600, 1700, 1800, 1900], 'and they keep their phase');
  t.true(w.started.every((s) => s.source === '127.0.0.9'), 'every probe leaves from the source address');
  w.checker.stop();
});

test('never more than `concurrency` probes in flight; the others wait their turn', async (t) => {
  const w = world({ concurrency: 3, answerAfterMs: 50, random: () => 0 });
  w.checker.want('a.example.test', Array.from({ length: 12 }, (_, n) => probeTarget(check, `127.0.1.${n}`, 'a.example.test')));
  await w.clock.advance(999);
  t.is(w.max(), 3);
  t.is(w.started.length, 12, 'all twelve probed within the interval anyway');
  t.is(w.checker.load().inFlight, 0);
  w.checker.stop();
});

test('a probe slower than the interval is not started again while it runs', async (t) => {
  const w = world({ answerAfterMs: 2500, random: () => 0 });
  w.checker.want('a.example.test', [probeTarget(check, '127.0.1.1', 'a.example.test')]);
  await w.clock.advance(5000);
  t.deepEqual(w.started.map((s) => s.at), [0, 3000], 'ticks at 1 s and 2 s skipped, 3 s runs');
  t.is(w.max(), 1);
  w.checker.stop();
});

test('names share a probe; it stops when the last name lets go; the same address under another check is another probe', async (t) => {
  const w = world({ random: () => 0 });
  const p = probeTarget(check, '127.0.1.1', 'shop.example.test');
  w.checker.want('a', [p]);
  w.checker.want('b', [p, probeTarget({ ...check, path: '/healthz' }, '127.0.1.1', 'shop.example.test')]);
  t.is([...w.checker.keys()].length, 2);
  w.checker.want('a', []);
  t.is([...w.checker.keys()].length, 2, 'b still needs it');
  w.checker.want('b', []);
  t.is([...w.checker.keys()].length, 0);
  await w.clock.advance(3000);
  t.is(w.started.length, 0, 'nothing probed once nobody wants it');
  t.not(probeTarget(check, '127.0.1.1', 'a.test').key, probeTarget(check, '127.0.1.1', 'b.test').key, 'the Host header is part of an http probe');
  const tcp = { ...check, type: 'tcp' as const };
  t.is(probeTarget(tcp, '127.0.1.1', 'a.test').key, probeTarget(tcp, '127.0.1.1', 'b.test').key, 'a tcp probe has no Host');
});

test('a prober that throws or rejects is a failed probe, not a crash', async (t) => {
  const clock = new ManualClock();
  let n = 0;
  const checker = new HealthChecker({
    clock,
    random: () => 0,
    concurrency: 4,
    logger: silentLogger,
    prober: () => {
      n++;
      if (n % 2 === 1) throw new Error('boom');
      return Promise.reject(new Error('bang'));
    },
  });
  const p = probeTarget({ ...check, failureThreshold: 2 }, '127.0.1.1', 'a.test');
  checker.want('a', [p]);
  await clock.advance(1500);
  t.is(checker.verdict(p.key)?.health, 'unhealthy');
  t.regex(checker.verdict(p.key)?.last?.reason ?? '', /^probe failed: (boom|bang)$/);
  checker.stop();
});
