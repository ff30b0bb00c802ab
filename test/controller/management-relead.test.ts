// A leader that steps down while a status write is waiting for its debounce, then leads again,
// writes statuses again: once, the cleared debounce timer was never forgotten, every later
// status was skipped as "already scheduled", and resources showed stale statuses (while DNS
// served the new answers) until a restart.
import test from 'ava';
import { globalDns, provider, startRuntimeWorld, statusOf, ingress, ready } from './management-runtime-world.js';
import { waitFor } from '../support/wait.js';

test('step down with a status write pending, lead again: a later change gets its status within a second', async (t) => {
  const w = await startRuntimeWorld({ runtime: { statusDebounceMs: 300 } });
  t.teardown(() => w.close());
  const { mgmt, store, lease, elector } = w;
  const endpoints = (name: string) => statusOf(mgmt, name).endpoints?.join(' ');
  const log = () => w.lines.slice(-20).join('\n');
  mgmt.apply(provider('internal', { type: 'embedded' }));
  mgmt.apply(globalDns('app', 'app.internal.test', 'internal'));
  store.upsert(ingress('east', 'app', 'app.internal.test', ['10.0.0.5']));
  await waitFor(() => (ready(mgmt, 'app')?.status === 'True' && endpoints('app') === '10.0.0.5' ? true : undefined), 10_000, () => `app: ${JSON.stringify(statusOf(mgmt, 'app'))}\n${log()}`);
  t.true(elector.isLeader());

  // A change whose status waits 300 ms; meanwhile the Lease API goes away and the leader's
  // clock passes its renewal deadline: it steps down at its next attempt (100 ms period).
  store.upsert(ingress('east', 'app', 'app.internal.test', ['10.0.0.6']));
  lease.down = true;
  w.skew(5000);
  await waitFor(() => (w.lines.some((l) => l.includes('stopped leading')) ? true : undefined), 2000, () => `still leading\n${log()}`);
  t.is(endpoints('app'), '10.0.0.5', 'the pending write was not made after stepping down');

  lease.down = false;
  await waitFor(() => (elector.isLeader() ? true : undefined), 3000, () => `not leading again\n${log()}`);

  // Leading again: the change made while away, a change made now and a new resource all get
  // their statuses promptly.
  const t0 = Date.now();
  store.upsert(ingress('east', 'app', 'app.internal.test', ['10.0.0.7']));
  mgmt.apply(globalDns('api', 'api.internal.test', 'internal'));
  store.upsert(ingress('east', 'api', 'api.internal.test', ['10.0.0.8']));
  await waitFor(() => (endpoints('app') === '10.0.0.7' ? true : undefined), 3000, () => `app: ${JSON.stringify(statusOf(mgmt, 'app'))}\n${log()}`);
  await waitFor(() => (ready(mgmt, 'api')?.status === 'True' && endpoints('api') === '10.0.0.8' ? true : undefined), 3000, () => `api: ${JSON.stringify(statusOf(mgmt, 'api'))}\n${log()}`);
  const ms = Date.now() - t0;
  t.log(`statuses written ${ms} ms after the changes`);
  t.true(ms < 1000, `statuses took ${ms} ms`);
});
