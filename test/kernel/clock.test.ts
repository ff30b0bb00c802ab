import test from 'ava';
import { sleep, systemClock } from '../../src/kernel/index.js';
import { ManualClock, settle } from '../support/clock.js';

test('sleep resolves once the clock has moved on by its delay', async (t) => {
  const clock = new ManualClock();
  let done = false;
  void sleep(clock, 100).then(() => (done = true));
  await clock.advance(99);
  t.false(done);
  await clock.advance(1);
  t.true(done);
});

test('sleep rejects with the reason as soon as the signal aborts, and cancels its timer', async (t) => {
  const clock = new ManualClock();
  const ac = new AbortController();
  const p = sleep(clock, 100, ac.signal);
  t.deepEqual(clock.pending(), [100]);
  ac.abort(new Error('stopping'));
  await t.throwsAsync(p, { message: 'stopping' });
  t.deepEqual(clock.pending(), []);
  await settle();
  await t.throwsAsync(sleep(clock, 5, ac.signal), { message: 'stopping' });
  t.deepEqual(clock.pending(), []);
});

test('sleep on the system clock waits in real time', async (t) => {
  const started = Date.now();
  await sleep(systemClock, 20);
  t.true(Date.now() - started >= 15);
});
