// selectByHealth, the pure rule that picks a name's answer from its endpoints' verdicts and
// the entry's routing, and planName with it: the table a user reads in src/health/README.md.
import test from 'ava';
import type { AddressHealth, GlobalDnsEntry } from '../../src/model/index.js';
import { planName, selectByHealth } from '../../src/planner/index.js';
import type { Candidate, HealthInput } from '../../src/planner/index.js';

const entry = (o: Partial<GlobalDnsEntry> = {}): GlobalDnsEntry => ({
  fqdn: 'shop.example.test',
  ttl: 60,
  provider: 'embedded',
  targets: [{ cluster: 'east', priority: 1 }, { cluster: 'west', priority: 2 }, { cluster: 'north', priority: 2 }],
  healthCheck: { type: 'http', port: 80, path: '/', expectStatus: [[200, 399]], intervalMs: 5000, timeoutMs: 2000, failureThreshold: 3, successThreshold: 2, verifyCertificate: false },
  ...o,
});
const failover = (failbackMs = 60_000, whenAllDown: 'serve-all' | 'servfail' = 'serve-all') => ({ routing: { policy: 'failover' as const, failbackMs, whenAllDown } });
const cands: Candidate[] = [
  { cluster: 'east', target: '192.0.2.1', addresses: ['192.0.2.1'] },
  { cluster: 'west', target: '192.0.2.2', addresses: ['192.0.2.2'] },
  { cluster: 'north', target: '192.0.2.3', addresses: ['192.0.2.3'] },
];
const input = (now: number, v: Record<string, AddressHealth>): HealthInput => ({ now, of: (a) => v[a] });
const served = (e: GlobalDnsEntry, h: HealthInput | undefined) => selectByHealth(e, cands, h).units.filter((u) => u.served).map((u) => u.target);
const H = (since = 0, recovered = false): AddressHealth => ({ health: 'healthy', since, recovered });
const D = (since = 0): AddressHealth => ({ health: 'unhealthy', since });

test('all: every healthy endpoint; unknown ones only while none is known healthy', (t) => {
  const e = entry();
  t.deepEqual(served(e, input(10, { '192.0.2.1': H(), '192.0.2.2': D() })), ['192.0.2.1'], 'the unknown 192.0.2.3 waits');
  t.deepEqual(served(e, input(10, { '192.0.2.2': D() })), ['192.0.2.1', '192.0.2.3'], 'nothing healthy: the unknown ones');
  t.deepEqual(served(e, undefined), ['192.0.2.1', '192.0.2.2', '192.0.2.3'], 'no verdicts to read: all healthy');
});

test('failover: the lowest priority group with a healthy endpoint; a group shares its traffic', (t) => {
  const e = entry(failover());
  t.deepEqual(served(e, input(10, { '192.0.2.1': H(), '192.0.2.2': H(), '192.0.2.3': H() })), ['192.0.2.1']);
  const r = selectByHealth(e, cands, input(10, { '192.0.2.1': D(), '192.0.2.2': H(), '192.0.2.3': H() }));
  t.deepEqual(r.units.filter((u) => u.served).map((u) => u.target), ['192.0.2.2', '192.0.2.3']);
  t.is(r.activeGroup, 2);
  t.is(r.recheckAt, undefined);
});

test('failback: a recovered primary waits until it has been healthy that long, and says when', (t) => {
  const e = entry(failover(60_000));
  const v = { '192.0.2.1': H(100_000, true), '192.0.2.2': H(0), '192.0.2.3': D() };
  const r = selectByHealth(e, cands, input(130_000, v));
  t.deepEqual(r.units.filter((u) => u.served).map((u) => u.target), ['192.0.2.2']);
  t.is(r.recheckAt, 160_000);
  t.deepEqual(served(e, input(160_000, v)), ['192.0.2.1']);
  // The secondary dies inside the failback: the recovered primary is better than nothing.
  t.deepEqual(served(e, input(130_000, { ...v, '192.0.2.2': D() })), ['192.0.2.1']);
  // At start (first verdicts, not a recovery) the primary is answered at once.
  t.deepEqual(served(e, input(5, { '192.0.2.1': H(1), '192.0.2.2': H(0) })), ['192.0.2.1']);
});

test('all down: every endpoint answered; servfail only flags it', (t) => {
  const down = { '192.0.2.1': D(), '192.0.2.2': D(), '192.0.2.3': D() };
  const a = selectByHealth(entry(failover()), cands, input(10, down));
  t.like(a, { allDown: true, servfail: false });
  t.is(a.units.filter((u) => u.served).length, 3);
  t.like(selectByHealth(entry(failover(60_000, 'servfail')), cands, input(10, down)), { allDown: true, servfail: true });
});

test('planName: records hold the served addresses; a load balancer is healthy when one of its addresses is', (t) => {
  const e = entry(failover());
  const endpoints = [
    { cluster: 'east', namespace: 'a', kind: 'Ingress' as const, name: 'w', hostnames: ['shop.example.test'], targets: ['192.0.2.1', 'lb.east.test'] },
    { cluster: 'west', namespace: 'a', kind: 'Ingress' as const, name: 'w', hostnames: ['shop.example.test'], targets: ['192.0.2.2'] },
  ];
  const resolved = new Map([['lb.east.test', { v4: ['192.0.2.9'], v6: ['2001:db8::9'] }]]);
  const plan = planName('shop.example.test', e, endpoints, resolved, { health: input(10, { '192.0.2.1': D(), '192.0.2.9': H(), '2001:db8::9': D(), '192.0.2.2': H() }) });
  t.deepEqual(plan.records.map((r) => [r.type, r.values]), [['A', ['192.0.2.9']]], 'east stays active through its healthy load-balancer address');
  const alias = planName('shop.example.test', e, endpoints, resolved, { aliasHostnames: (h) => h.endsWith('.east.test'), health: input(10, { '192.0.2.1': D(), '192.0.2.9': D(), '2001:db8::9': H(), '192.0.2.2': H() }) });
  t.deepEqual(alias.records.map((r) => [r.type, r.values]), [['A', ['lb.east.test']], ['AAAA', ['lb.east.test']]], 'an alias is answered while one of its addresses is healthy');
});
