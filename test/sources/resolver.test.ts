// LoadBalancerResolver on a manual clock, with DNS scripted per hostname and family: when a
// load-balancer hostname is looked up again (its TTL, clamped), what its listeners hear, what
// a failure or an unknown name leaves in place, and that only addresses are ever published.
import test from 'ava';
import { LoadBalancerResolver, nodeLookupBackend } from '../../src/sources/resolver/index.js';
import type { FamilyAnswer, LookupBackend } from '../../src/sources/resolver/index.js';
import { ManualClock } from '../support/clock.js';

/** A family's scripted reply: addresses with a TTL (seconds), or the error code node:dns would give. */
type Reply = FamilyAnswer | { code: string };

/** What node:dns calls the DNS outcomes the tests script. */
const NXDOMAIN = { code: 'ENOTFOUND' };
const NODATA = { code: 'ENODATA' };
const SERVFAIL = { code: 'ESERVFAIL' };

/**
 * DNS as a table: `dns.set(hostname, { 4: reply, 6: reply })`; a hostname or family not in it
 * is NXDOMAIN. `system` is getaddrinfo's table. Every lookup is logged in `calls`.
 */
class ScriptedDns implements LookupBackend {
  readonly table = new Map<string, { 4?: Reply; 6?: Reply }>();
  readonly hosts = new Map<string, { v4: string[]; v6: string[] }>();
  readonly calls: string[] = [];

  set(hostname: string, replies: { 4?: Reply; 6?: Reply }): void {
    this.table.set(hostname, replies);
  }

  dns(hostname: string, family: 4 | 6): Promise<FamilyAnswer> {
    this.calls.push(`dns${family} ${hostname}`);
    const reply = this.table.get(hostname)?.[family] ?? NXDOMAIN;
    if ('code' in reply) return Promise.reject(Object.assign(new Error(`${reply.code} ${hostname}`), { code: reply.code }));
    return Promise.resolve({ addresses: [...reply.addresses], ttl: reply.ttl });
  }

  system(hostname: string): Promise<{ v4: string[]; v6: string[] }> {
    this.calls.push(`system ${hostname}`);
    const a = this.hosts.get(hostname);
    if (!a) return Promise.reject(Object.assign(new Error(`getaddrinfo ENOTFOUND ${hostname}`), { code: 'ENOTFOUND' }));
    return Promise.resolve({ v4: [...a.v4], v6: [...a.v6] });
  }

  /** Lookups of `hostname` (any kind) so far. */
  count(hostname: string): number {
    return this.calls.filter((c) => c.endsWith(` ${hostname}`)).length;
  }
}

function setup(o: { minRefreshMs?: number; maxRefreshMs?: number; retryMs?: number } = {}) {
  const clock = new ManualClock();
  const dns = new ScriptedDns();
  const errors: string[] = [];
  const resolver = new LoadBalancerResolver({ backend: dns, clock, minRefreshMs: 5_000, maxRefreshMs: 60_000, retryMs: 10_000, ...o, onError: (h, e) => errors.push(`${h}: ${e.message}`) });
  const changes: string[][] = [];
  resolver.onChange((hs) => changes.push([...hs].sort()));
  return { clock, dns, resolver, changes, errors };
}

test('each answer is looked up again when its TTL runs out, clamped to [minRefresh, maxRefresh]', async (t) => {
  const { clock, dns, resolver } = setup();
  dns.set('mid.lb.test', { 4: { addresses: ['192.0.2.1'], ttl: 30 }, 6: NODATA });
  dns.set('short.lb.test', { 4: { addresses: ['192.0.2.2'], ttl: 1 }, 6: NODATA });
  dns.set('long.lb.test', { 4: { addresses: ['192.0.2.3'], ttl: 86_400 }, 6: NODATA });
  // Both families answered: the shorter TTL wins.
  dns.set('dual.lb.test', { 4: { addresses: ['192.0.2.4'], ttl: 40 }, 6: { addresses: ['2001:db8::4'], ttl: 20 } });
  await resolver.ensure(['mid.lb.test', 'short.lb.test', 'long.lb.test', 'dual.lb.test']);
  t.deepEqual(clock.pending(), [5_000, 20_000, 30_000, 60_000]);
  t.deepEqual(resolver.resolved.get('dual.lb.test'), { v4: ['192.0.2.4'], v6: ['2001:db8::4'] });

  // Each lookup asks A and AAAA: two calls.
  await clock.advance(29_999);
  t.is(dns.count('mid.lb.test'), 2, 'not before its TTL');
  t.is(dns.count('short.lb.test'), 2 * 6, 'a 1 s TTL every minRefresh (5 s): at 0, 5, 10, 15, 20, 25 s');
  await clock.advance(1);
  t.is(dns.count('mid.lb.test'), 4, 'at its TTL');
  t.is(dns.count('long.lb.test'), 2, 'a day-long TTL waits for maxRefresh');
  await clock.advance(30_000);
  t.is(dns.count('long.lb.test'), 4, 'looked up again at maxRefresh');
});

test('listeners hear the hostnames whose addresses changed on a refresh, not the unchanged ones', async (t) => {
  const { clock, dns, resolver, changes } = setup();
  dns.set('elb-1.lb.test', { 4: { addresses: ['192.0.2.1'], ttl: 10 }, 6: NODATA });
  dns.set('elb-2.lb.test', { 4: { addresses: ['192.0.2.2', '192.0.2.3'], ttl: 10 }, 6: NODATA });
  await resolver.ensure(['elb-1.lb.test', 'elb-2.lb.test']);
  t.deepEqual(changes, [], 'ensure resolves for a caller that plans right after: nothing emitted');
  t.deepEqual(resolver.resolved.get('elb-1.lb.test'), { v4: ['192.0.2.1'], v6: [] });

  // elb-1 moves; elb-2 answers the same addresses in another order.
  dns.set('elb-1.lb.test', { 4: { addresses: ['192.0.2.9'], ttl: 10 }, 6: NODATA });
  dns.set('elb-2.lb.test', { 4: { addresses: ['192.0.2.3', '192.0.2.2'], ttl: 10 }, 6: NODATA });
  await clock.advance(10_000);
  t.deepEqual(changes, [['elb-1.lb.test']]);
  t.deepEqual(resolver.resolved.get('elb-1.lb.test'), { v4: ['192.0.2.9'], v6: [] });
  t.deepEqual(resolver.resolved.get('elb-2.lb.test'), { v4: ['192.0.2.2', '192.0.2.3'], v6: [] });

  // Nothing moves: nothing heard.
  await clock.advance(10_000);
  t.deepEqual(changes, [['elb-1.lb.test']]);

  // An IPv6 address appearing is a change too.
  dns.set('elb-2.lb.test', { 4: { addresses: ['192.0.2.2', '192.0.2.3'], ttl: 10 }, 6: { addresses: ['2001:db8::2'], ttl: 10 } });
  await clock.advance(10_000);
  t.deepEqual(changes, [['elb-1.lb.test'], ['elb-2.lb.test']]);
});

test('retain forgets the hostnames no endpoint uses and cancels their timers', async (t) => {
  const { clock, dns, resolver, changes } = setup();
  dns.set('keep.lb.test', { 4: { addresses: ['192.0.2.1'], ttl: 10 }, 6: NODATA });
  dns.set('drop.lb.test', { 4: { addresses: ['192.0.2.2'], ttl: 20 }, 6: NODATA });
  await resolver.ensure(['keep.lb.test', 'drop.lb.test']);
  t.deepEqual(clock.pending(), [10_000, 20_000]);

  resolver.retain(new Set(['keep.lb.test']));
  t.deepEqual(resolver.hostnames(), ['keep.lb.test']);
  t.false(resolver.resolved.has('drop.lb.test'));
  t.deepEqual(clock.pending(), [10_000], "the forgotten hostname's refresh is cancelled");

  dns.set('drop.lb.test', { 4: { addresses: ['192.0.2.22'], ttl: 20 }, 6: NODATA });
  await clock.advance(60_000);
  t.is(dns.count('drop.lb.test'), 2, 'never looked up again');
  t.deepEqual(changes, [], 'and never reported');

  // Used again later: looked up afresh.
  await resolver.ensure(['drop.lb.test']);
  t.deepEqual(resolver.resolved.get('drop.lb.test'), { v4: ['192.0.2.22'], v6: [] });
});

test('a hostname forgotten while its lookup is in flight stays forgotten', async (t) => {
  const clock = new ManualClock();
  const dns = new ScriptedDns();
  let release!: () => void;
  const gate = new Promise<void>((r) => (release = r));
  const slow: LookupBackend = {
    dns: async (h, f) => {
      await gate;
      return dns.dns(h, f);
    },
    system: (h) => dns.system(h),
  };
  const r = new LoadBalancerResolver({ backend: slow, clock, minRefreshMs: 5_000 });
  dns.set('elb.lb.test', { 4: { addresses: ['192.0.2.1'], ttl: 10 }, 6: NODATA });
  const ensured = r.ensure(['elb.lb.test']);
  r.retain(new Set());
  release();
  await ensured;
  t.false(r.resolved.has('elb.lb.test'));
  t.deepEqual(clock.pending(), [], 'no refresh scheduled for it');
  t.deepEqual(r.hostnames(), []);
});

test('a failed lookup (SERVFAIL) keeps the last addresses and is retried after retryMs', async (t) => {
  const { clock, dns, resolver, changes, errors } = setup({ retryMs: 7_000 });
  dns.set('elb.lb.test', { 4: { addresses: ['192.0.2.1'], ttl: 10 }, 6: NODATA });
  await resolver.ensure(['elb.lb.test']);

  // The server fails for one family only: still a failure, not "no IPv4 addresses".
  dns.set('elb.lb.test', { 4: SERVFAIL, 6: NODATA });
  await clock.advance(10_000);
  t.deepEqual(resolver.resolved.get('elb.lb.test'), { v4: ['192.0.2.1'], v6: [] }, 'the last good addresses stay');
  t.deepEqual(changes, []);
  t.is(errors.length, 1);
  t.regex(errors[0], /^elb\.lb\.test: ESERVFAIL/);
  t.deepEqual(clock.pending(), [7_000], 'retried after retryMs, not after the TTL');
  t.is(dns.count('elb.lb.test'), 4);

  await clock.advance(6_999);
  t.is(dns.count('elb.lb.test'), 4, 'not before retryMs');
  // Still failing: still the last good addresses, and another retry.
  await clock.advance(1);
  t.is(dns.count('elb.lb.test'), 6);
  t.deepEqual(resolver.resolved.get('elb.lb.test'), { v4: ['192.0.2.1'], v6: [] });
  t.deepEqual(clock.pending(), [7_000]);

  // The server is back with a new address: heard, and the TTL schedule resumes.
  dns.set('elb.lb.test', { 4: { addresses: ['192.0.2.2'], ttl: 30 }, 6: NODATA });
  await clock.advance(7_000);
  t.deepEqual(resolver.resolved.get('elb.lb.test'), { v4: ['192.0.2.2'], v6: [] });
  t.deepEqual(changes, [['elb.lb.test']]);
  t.deepEqual(clock.pending(), [30_000]);
});

test('a hostname that never resolved answers nothing until a retry succeeds', async (t) => {
  const { clock, dns, resolver, changes } = setup({ retryMs: 3_000 });
  dns.set('elb.lb.test', { 4: SERVFAIL, 6: SERVFAIL });
  await resolver.ensure(['elb.lb.test']);
  t.deepEqual(resolver.resolved.get('elb.lb.test'), { v4: [], v6: [] });
  dns.set('elb.lb.test', { 4: { addresses: ['192.0.2.1'], ttl: 60 }, 6: NODATA });
  await clock.advance(3_000);
  t.deepEqual(resolver.resolved.get('elb.lb.test'), { v4: ['192.0.2.1'], v6: [] });
  t.deepEqual(changes, [['elb.lb.test']]);
});

test('a name DNS knows for neither family falls back to the system resolver, refreshed after maxRefresh', async (t) => {
  const { clock, dns, resolver } = setup({ maxRefreshMs: 120_000 });
  dns.hosts.set('gateway', { v4: ['10.0.0.1'], v6: [] });
  await resolver.ensure(['gateway']);
  t.deepEqual(resolver.resolved.get('gateway'), { v4: ['10.0.0.1'], v6: [] });
  t.true(dns.calls.includes('system gateway'));
  t.deepEqual(clock.pending(), [120_000], 'getaddrinfo gives no TTL: maxRefresh');

  // A name DNS knows for one family only is DNS's answer: no system lookup.
  dns.set('v4only.lb.test', { 4: { addresses: ['192.0.2.1'], ttl: 10 }, 6: NODATA });
  await resolver.ensure(['v4only.lb.test']);
  t.false(dns.calls.includes('system v4only.lb.test'));
  t.deepEqual(resolver.resolved.get('v4only.lb.test'), { v4: ['192.0.2.1'], v6: [] });
});

test('`localhost` resolves through the real system resolver when DNS does not know it', async (t) => {
  const clock = new ManualClock();
  const system = nodeLookupBackend().system;
  const backend: LookupBackend = { dns: () => Promise.reject(Object.assign(new Error('queryA ENOTFOUND localhost'), { code: 'ENOTFOUND' })), system };
  const resolver = new LoadBalancerResolver({ backend, clock });
  await resolver.ensure(['localhost']);
  const got = resolver.resolved.get('localhost');
  t.truthy(got);
  t.true(got!.v4.includes('127.0.0.1'), JSON.stringify(got));
  t.true(got!.v6.every((a) => a === '::1'), JSON.stringify(got));
});

test('values that are not IP addresses of the family are never published', async (t) => {
  const { clock, dns, resolver, changes } = setup();
  // A misbehaving backend (or server): names, junk, an IPv6 address among IPv4 ones and back.
  dns.set('elb.lb.test', { 4: { addresses: ['192.0.2.1', 'elb.lb.test', '', '2001:db8::9', '999.1.1.1', '192.0.2.1 '], ttl: 10 }, 6: { addresses: ['2001:db8::1', '192.0.2.7', 'not-an-ip', 'fe80::1%eth0'], ttl: 10 } });
  await resolver.ensure(['elb.lb.test']);
  t.deepEqual(resolver.resolved.get('elb.lb.test'), { v4: ['192.0.2.1'], v6: ['2001:db8::1'] });

  // The same from the system resolver.
  dns.hosts.set('odd', { v4: ['10.0.0.1', 'odd.example'], v6: ['fe80::1', '10.0.0.2'] });
  await resolver.ensure(['odd']);
  t.deepEqual(resolver.resolved.get('odd'), { v4: ['10.0.0.1'], v6: ['fe80::1'] });

  // Garbage appearing or disappearing beside the same addresses is no change.
  dns.set('elb.lb.test', { 4: { addresses: ['192.0.2.1'], ttl: 10 }, 6: { addresses: ['2001:db8::1'], ttl: 10 } });
  await clock.advance(10_000);
  t.deepEqual(changes, []);

  // Nothing but garbage: no addresses, which is a change the listeners hear.
  dns.set('elb.lb.test', { 4: { addresses: ['junk'], ttl: 10 }, 6: NODATA });
  await clock.advance(10_000);
  t.deepEqual(resolver.resolved.get('elb.lb.test'), { v4: [], v6: [] });
  t.deepEqual(changes, [['elb.lb.test']]);
});
