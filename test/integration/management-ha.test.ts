// Three `globaldns serve` replicas against one management fake cluster and one Route53
// simulator: at most one writes at any time (checked against the simulator's call log), a
// killed leader is replaced within the lease duration, a SIGTERM hands over within a second.
import test from 'ava';
import { ingress } from './kube-world.js';
import { credentialsSecret, globalDns, LEASE_NAME, LEASE_NS, route53Provider, simRecords, sleep, startMgmtWorld, waitFor } from './management-world.js';
import type { Globaldns } from '../support/globaldns.js';

interface Interval {
  identity: string;
  start: number;
  end: number;
}

/** The `writing as` … `wrote as` intervals a replica logged; an unclosed one ends at `endIfOpen`. */
function writeIntervals(g: Globaldns, endIfOpen: number): Interval[] {
  const out: Interval[] = [];
  let open: { identity: string; start: number } | undefined;
  for (const line of g.logs().split('\n')) {
    let j: { msg?: unknown; time?: unknown; identity?: unknown };
    try {
      j = JSON.parse(line) as typeof j;
    } catch {
      continue;
    }
    if (typeof j.msg !== 'string' || typeof j.time !== 'string') continue;
    const time = Date.parse(j.time);
    if (j.msg.startsWith('writing as ')) {
      // One apply at a time per replica and provider: nested starts would be a bug of their own.
      open = { identity: j.msg.slice('writing as '.length), start: time };
    } else if (j.msg.startsWith('wrote as ') && open) {
      out.push({ ...open, end: time });
      open = undefined;
    }
  }
  if (open) out.push({ ...open, end: endIfOpen });
  return out;
}

test('three replicas: one writer at a time; kill -9 → new leader within the lease; SIGTERM → handover within a second', async (t) => {
  const w = await startMgmtWorld({ lease: { duration: '3s', renewDeadline: '2s', retryPeriod: '300ms' } });
  t.teardown(() => w.close());
  const { mgmt, east, west, sim, zoneId } = w;
  const www = () => simRecords(sim, zoneId, 'www.example.org').filter((r) => r.startsWith('A '));

  mgmt.apply(credentialsSecret());
  mgmt.apply(route53Provider('route53-main'));
  mgmt.apply(globalDns('shop', 'web', 'www.example.org', 'route53-main', ['east', 'west']));
  east.apply(ingress({ name: 'web', namespace: 'shop', hosts: 'www.example.org', ips: ['203.0.113.10'] }));
  west.apply(ingress({ name: 'web', namespace: 'shop', hosts: 'www.example.org', ips: ['203.0.113.20'] }));

  // The Lease's holder over time, as the API server has it: watched from before the replicas
  // start, so that the first write already falls after a recorded holder.
  const holders: { at: number; holder: string }[] = [];
  const holder = () => ((mgmt.get('Lease', LEASE_NS, LEASE_NAME)?.spec as { holderIdentity?: string } | undefined)?.holderIdentity ?? '');
  let watching = true;
  const watcher = (async () => {
    while (watching) {
      const h = holder();
      if (holders.at(-1)?.holder !== h) holders.push({ at: Date.now(), holder: h });
      await sleep(10);
    }
  })();
  t.teardown(() => {
    watching = false;
  });
  const replicas = await Promise.all(['replica-0', 'replica-1', 'replica-2'].map((id) => w.replica(id)));
  const byId = new Map(replicas.map((g, i) => [`replica-${i}`, g]));

  const logs = () => [...byId].map(([id, g]) => `--- ${id}\n${g.logs().split('\n').slice(-15).join('\n')}`).join('\n');

  await waitFor(() => (www()[0] === 'A 60 203.0.113.10 203.0.113.20' ? true : undefined), 10_000, () => `www: ${www().join(' | ')}\n${logs()}`);
  const first = await waitFor(() => holder() || undefined, 5000, () => 'no leader');
  t.true(byId.has(first));

  west.apply(ingress({ name: 'web', namespace: 'shop', hosts: 'www.example.org', ips: ['203.0.113.21'] }));
  await waitFor(() => (www()[0] === 'A 60 203.0.113.10 203.0.113.21' ? true : undefined), 8000, () => `www: ${www().join(' | ')}\n${logs()}`);

  // kill -9 the leader: a follower takes over once the lease expires on its own clock.
  const killedAt = Date.now();
  byId.get(first)?.proc.kill('SIGKILL');
  const second = await waitFor(() => (holder() !== first && holder() !== '' ? holder() : undefined), 8000, () => `holder still ${holder()}\n${logs()}`);
  const takeover = Date.now() - killedAt;
  t.log(`kill -9 → ${second} leads after ${takeover} ms`);
  // Within the lease duration (3 s): followers count it from one poll before they saw the
  // last renewal. The slack is this test's own polling of the Lease and one API round trip.
  t.true(takeover <= 3000 + 300, `takeover after kill took ${takeover} ms`);
  east.apply(ingress({ name: 'web', namespace: 'shop', hosts: 'www.example.org', ips: ['203.0.113.11'] }));
  await waitFor(() => (www()[0] === 'A 60 203.0.113.11 203.0.113.21' ? true : undefined), 8000, () => `www: ${www().join(' | ')}\n${logs()}`);

  // SIGTERM the new leader: it releases the Lease, the last replica takes it at its next poll.
  const termAt = Date.now();
  const stopped = byId.get(second)?.stop();
  const third = await waitFor(() => (holder() !== second && holder() !== '' ? holder() : undefined), 5000, () => `holder still ${holder()}\n${logs()}`);
  const handover = Date.now() - termAt;
  t.log(`SIGTERM → ${third} leads after ${handover} ms`);
  t.true(handover <= 1000, `handover after SIGTERM took ${handover} ms`);
  t.not(third, first);
  t.like(await stopped, { code: 0 });
  west.apply(ingress({ name: 'web', namespace: 'shop', hosts: 'www.example.org', ips: ['203.0.113.22'] }));
  await waitFor(() => (www()[0] === 'A 60 203.0.113.11 203.0.113.22' ? true : undefined), 8000, () => `www: ${www().join(' | ')}\n${logs()}`);
  await sleep(300);
  watching = false;
  await watcher;

  // Never two writers: the replicas' write intervals do not overlap, and every change the
  // simulator received falls inside the interval of the replica then holding the Lease.
  const intervals = [...byId].flatMap(([id, g]) => writeIntervals(g, id === first ? killedAt : Date.now())).sort((a, b) => a.start - b.start);
  t.true(new Set(intervals.map((i) => i.identity)).size >= 3, `writers: ${JSON.stringify(intervals)}`);
  for (let i = 1; i < intervals.length; i++) {
    const a = intervals[i - 1];
    const b = intervals[i];
    if (!a || !b) continue;
    t.true(a.end <= b.start || a.identity === b.identity, `overlapping writes: ${JSON.stringify(a)} and ${JSON.stringify(b)}`);
  }
  const changes = sim.calls.filter((c) => c.op === 'ChangeResourceRecordSets');
  t.true(changes.length >= 4);
  for (const c of changes) {
    const within = intervals.filter((i) => c.time >= i.start - 5 && c.time <= i.end + 5);
    t.is(within.length, 1, `change at ${c.time} within ${JSON.stringify(within)}`);
    const lead = holders.filter((h) => h.at <= c.time).at(-1)?.holder;
    t.is(within[0]?.identity ?? '', lead ?? '', `change at ${c.time} by ${within[0]?.identity} while the Lease said ${lead}`);
  }
  // Every replica serves the embedded zone whatever the election says (the survivor at least).
  t.true(byId.get(third)?.alive());
});
