import test from 'ava';
import { Backoff, backoffDelay } from '../../src/kernel/index.js';

test('delays double from the initial delay up to the cap, and stay there', (t) => {
  const b = new Backoff({ initialMs: 1000, maxMs: 30_000, random: () => 0 });
  const delays = Array.from({ length: 8 }, () => b.next());
  t.deepEqual(delays, [1000, 2000, 4000, 8000, 16000, 30000, 30000, 30000]);
});

test('jitter only shortens a delay, by at most a fifth, so the cap holds', (t) => {
  const b = new Backoff({ initialMs: 1000, maxMs: 30_000, random: () => 0.999999 });
  const delays = Array.from({ length: 7 }, () => b.next());
  t.deepEqual(delays, [800, 1600, 3200, 6400, 12800, 24000, 24000]);
  const seq = [0.1, 0.5, 0.9];
  const c = new Backoff({ initialMs: 1000, maxMs: 4000, random: () => seq.shift() ?? 0 });
  t.deepEqual([c.next(), c.next(), c.next()], [980, 1800, 3280]);
});

test('reset starts again from the first delay; a long outage never overflows', (t) => {
  const b = new Backoff({ initialMs: 1000, maxMs: 30_000, random: () => 0 });
  for (let i = 0; i < 5000; i++) b.next();
  t.is(b.next(), 30_000);
  b.reset();
  t.is(b.attempts, 0);
  t.is(b.next(), 1000);
});

test('bad settings are refused with the values', (t) => {
  t.throws(() => new Backoff({ initialMs: 0, maxMs: 10, random: Math.random }), { message: /0 < initialMs <= maxMs, got 0 and 10/ });
  t.throws(() => new Backoff({ initialMs: 20, maxMs: 10, random: Math.random }), { message: /got 20 and 10/ });
});

test('backoffDelay: retry n waits min(max, initial·2ⁿ⁻¹), less up to `jitter` of it', (t) => {
  const o = { initialMs: 100, maxMs: 1000 };
  t.deepEqual([1, 2, 3, 4, 5].map((n) => backoffDelay(n, o, () => 0)), [100, 200, 400, 800, 1000]);
  t.is(backoffDelay(1, o, () => 1), 80);
  t.is(backoffDelay(3, { ...o, jitter: 0.5 }, () => 1), 200);
  t.is(backoffDelay(3, { ...o, jitter: 0.5 }, () => 0.5), 300);
  t.is(backoffDelay(5000, o, () => 0), 1000);
});
