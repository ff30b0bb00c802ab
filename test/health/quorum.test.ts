// The quorum over vantages on plain data: which vantages count, what a majority needs, and
// when a vantage that reaches nothing is left out.
import test from 'ava';
import { combine, isCutOff, nextExpiry } from '../../src/health/index.js';
import type { Vantage } from '../../src/health/index.js';

const INTERVAL = 5000;

/** A vantage reporting at `at` with `verdicts` of keys; its counts are those of the verdicts unless given. */
function vantage(name: string, verdicts: Record<string, 'healthy' | 'unhealthy'>, at = 0, counts?: { healthy: number; unhealthy: number }): Vantage {
  const values = Object.values(verdicts);
  return {
    name,
    reportedAt: at,
    healthy: counts?.healthy ?? values.filter((h) => h === 'healthy').length,
    unhealthy: counts?.unhealthy ?? values.filter((h) => h === 'unhealthy').length,
    of: (key) => verdicts[key],
  };
}

test('down only when more than half of the vantages that judged it say down; a tie stays up', (t) => {
  const a = (h: 'healthy' | 'unhealthy') => ({ k: h, other: 'healthy' as const });
  t.like(combine('k', INTERVAL, [vantage('r1', a('unhealthy')), vantage('r2', a('healthy')), vantage('r3', a('healthy'))], 0), { health: 'healthy', agree: ['r2', 'r3'], disagree: ['r1'] });
  t.like(combine('k', INTERVAL, [vantage('r1', a('unhealthy')), vantage('r2', a('unhealthy')), vantage('r3', a('healthy'))], 0), { health: 'unhealthy', agree: ['r1', 'r2'], disagree: ['r3'] });
  t.like(combine('k', INTERVAL, [vantage('r1', a('unhealthy')), vantage('r2', a('healthy'))], 0), { health: 'healthy' }, 'a tie never fails over');
  t.like(combine('k', INTERVAL, [vantage('r1', a('unhealthy'))], 0), { health: 'unhealthy', agree: ['r1'] }, 'one vantage (standalone) decides alone');
});

test('vantages that have not judged a key do not count; none judged it: unknown', (t) => {
  const r1 = vantage('r1', { k: 'unhealthy', x: 'healthy' });
  const r2 = vantage('r2', { x: 'healthy' });
  const r3 = vantage('r3', { x: 'healthy' });
  t.like(combine('k', INTERVAL, [r1, r2, r3], 0), { health: 'unhealthy', agree: ['r1'], disagree: [] });
  t.deepEqual(combine('nobody', INTERVAL, [r1, r2, r3], 0), { health: 'unknown', agree: [], disagree: [], cutOff: [] });
});

test('a report older than 3 intervals is not counted', (t) => {
  const stale = vantage('r1', { k: 'unhealthy', x: 'healthy' }, 0);
  const fresh = vantage('r2', { k: 'healthy' }, 20_000);
  t.like(combine('k', INTERVAL, [stale, fresh, vantage('r3', { k: 'unhealthy', x: 'healthy' }, 20_000)], 15_000), { health: 'unhealthy' }, 'at exactly 3 intervals it still counts');
  t.like(combine('k', INTERVAL, [stale, fresh, vantage('r3', { k: 'unhealthy', x: 'healthy' }, 20_000)], 15_001), { health: 'healthy', agree: ['r2'], disagree: ['r3'] });
  t.like(combine('k', 10_000, [stale, fresh, vantage('r3', { k: 'unhealthy', x: 'healthy' }, 20_000)], 15_001), { health: 'unhealthy', agree: ['r1', 'r3'] }, 'freshness follows the key’s own interval');
});

test('a vantage that reaches none of its endpoints is left out, so its broken network fails nothing over', (t) => {
  // r1 is cut off: everything it judged is down; r2 and r3 reach the endpoint.
  const r1 = vantage('r1', { k: 'unhealthy', x: 'unhealthy' });
  const r2 = vantage('r2', { k: 'unhealthy', x: 'healthy' });
  const r3 = vantage('r3', { k: 'healthy', x: 'healthy' });
  t.true(isCutOff(r1));
  t.false(isCutOff(r2));
  t.deepEqual(combine('k', INTERVAL, [r1, r2, r3], 0), { health: 'healthy', agree: ['r3'], disagree: ['r2'], cutOff: ['r1'] }, 'counted, r1 and r2 would make it down');
  // Two cut-off vantages out of three: the one that reaches things decides.
  const r2off = vantage('r2', { k: 'unhealthy' });
  t.like(combine('k', INTERVAL, [r1, r2off, r3], 0), { health: 'healthy', agree: ['r3'], cutOff: ['r1', 'r2'] });
});

test('when every vantage looks cut off, everything really is down: all of them count', (t) => {
  const all = ['r1', 'r2', 'r3'].map((n) => vantage(n, { k: 'unhealthy' }));
  t.deepEqual(combine('k', INTERVAL, all, 0), { health: 'unhealthy', agree: ['r1', 'r2', 'r3'], disagree: [], cutOff: [] });
  // A stale vantage that reached things does not rescue them.
  t.like(combine('k', INTERVAL, [...all, vantage('r4', { k: 'healthy' }, -20_000)], 0), { health: 'unhealthy' });
});

test('cut off is judged on the whole report (its counts), not on the verdicts a bounded report kept', (t) => {
  const truncated = vantage('r1', { k: 'unhealthy' }, 0, { healthy: 500, unhealthy: 1 });
  t.false(isCutOff(truncated));
  t.like(combine('k', INTERVAL, [truncated, vantage('r2', { k: 'unhealthy', x: 'healthy' }), vantage('r3', { k: 'healthy' })], 0), { health: 'unhealthy', agree: ['r1', 'r2'] });
  t.false(isCutOff({ healthy: 0, unhealthy: 0 }), 'a vantage that judged nothing yet is not cut off');
});

test('nextExpiry is the first moment a report stops being fresh for one of the intervals', (t) => {
  const vs = [vantage('r1', {}, 1000), vantage('r2', {}, 4000)];
  t.is(nextExpiry(vs, [1000, 5000], 2000), 4001);
  t.is(nextExpiry(vs, [1000, 5000], 4001), 7001);
  t.is(nextExpiry(vs, [1000], 7001), undefined);
});
