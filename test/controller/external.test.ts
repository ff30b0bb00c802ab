// The external-provider loop against the in-memory provider (a real DnsProvider with
// Route53's strictness): records and ownership companions appear, foreign records are never
// touched, changes are batched, followers never write, drift is repaired on resync.
import test from 'ava';
import { ExternalController } from '../../src/controller/index.js';
import type { EntrySyncStatus } from '../../src/controller/index.js';
import type { Endpoint, GlobalDnsEntry } from '../../src/model/index.js';
import { EndpointStore } from '../../src/sources/index.js';
import { InMemoryProvider } from '../../providers/inmemory/index.js';
import { desiredFor } from '../support/desired.js';
import { ManualClock } from '../support/clock.js';

const entries: GlobalDnsEntry[] = [
  { fqdn: 'shop.example.test', ttl: 60, provider: 'r53', targets: [{ cluster: 'east' }, { cluster: 'west' }] },
  { fqdn: 'taken.example.test', ttl: 60, provider: 'r53', targets: [{ cluster: 'east' }] },
  { fqdn: 'local.example.test', ttl: 60, provider: 'embedded', targets: [{ cluster: 'east' }] },
];

const ep = (cluster: string, name: string, hostnames: string[], targets: string[]): Endpoint => ({ cluster, namespace: 'default', kind: 'Ingress', name, hostnames, targets });
const silent = { debug() {}, info() {}, warn() {}, error() {} };

function setup(opts: { leader?: () => boolean } = {}) {
  const provider = new InMemoryProvider('r53', [{ id: 'Z1', name: 'example.test' }]);
  provider.seed('Z1', { name: 'taken.example.test', type: 'A', ttl: 300, values: ['203.0.113.9'] });
  provider.seed('Z1', { name: 'shop.example.test', type: 'MX', ttl: 300, values: ['10 mail.example.test'] });
  const store = new EndpointStore();
  const statuses: EntrySyncStatus[] = [];
  // The stage's debounce, the controller's debounce and maximum delay: all on one manual clock.
  const clock = new ManualClock();
  const controller = new ExternalController({
    desired: desiredFor({ entries, store, lookup: async () => ({ v4: [], v6: [] }), clock }),
    bindings: [{ name: 'r53', provider, ownerId: 'gdns-test', policy: 'sync' }],
    logger: silent,
    debounceMs: 20,
    maxDelayMs: 100,
    resync: false,
    canWrite: opts.leader,
    onStatus: (s) => statuses.push(s),
    clock,
  });
  return { provider, store, controller, statuses, clock };
}

const show = (p: InMemoryProvider) => p.snapshot('Z1').map((r) => `${r.name} ${r.type} ${r.values.join(',')}`);

test('desired records and their ownership companions are written; foreign records stay', async (t) => {
  const { provider, store, controller, statuses } = setup();
  store.upsert(ep('east', 'web', ['shop.example.test'], ['192.0.2.1']));
  store.upsert(ep('west', 'web', ['shop.example.test'], ['198.51.100.1']));
  store.upsert(ep('east', 'local', ['local.example.test'], ['192.0.2.7']));
  await controller.start();
  const s = show(provider);
  t.true(s.includes('shop.example.test A 192.0.2.1,198.51.100.1'));
  t.true(s.includes('shop.example.test MX 10 mail.example.test'), 'a foreign record at the same name, other type, is untouched');
  t.true(s.some((r) => r.startsWith('_globaldns-a.shop.example.test TXT heritage=globaldns,globaldns/owner=gdns-test')), s.join('\n'));
  t.false(s.some((r) => r.startsWith('local.example.test')), 'entries of other providers are not written here');
  t.true(statuses.some((x) => x.fqdn === 'shop.example.test' && x.synced));
  await controller.stop();
});

test('a name held by someone else is a conflict, reported and never overwritten', async (t) => {
  const { provider, store, controller, statuses } = setup();
  store.upsert(ep('east', 'taken', ['taken.example.test'], ['192.0.2.2']));
  await controller.start();
  t.true(show(provider).includes('taken.example.test A 203.0.113.9'));
  const st = statuses.filter((x) => x.fqdn === 'taken.example.test').at(-1);
  t.is(st?.reason, 'Conflict');
  t.false(st?.synced);
  await controller.stop();
});

test('a burst of changes is applied in one batch after the quiet period; deletes remove companions', async (t) => {
  const { provider, store, controller, clock } = setup();
  await controller.start();
  const before = provider.calls.filter((c) => c.op === 'apply').length;
  const applies = () => provider.calls.filter((c) => c.op === 'apply').length - before;
  for (let i = 0; i < 50; i++) store.upsert(ep('east', 'web', ['shop.example.test'], [`192.0.2.${i + 1}`]));
  await clock.advance(15);
  t.is(applies(), 0, 'nothing is applied within the quiet period (20 ms)');
  await clock.advance(135);
  t.is(applies(), 1, 'the quiet period over, the batch is applied without a flush');
  await controller.flush();
  t.is(applies(), 1, 'fifty events, one apply');
  t.true(show(provider).includes('shop.example.test A 192.0.2.50'));
  store.remove('east/default/Ingress/web');
  await clock.advance(150);
  await controller.flush();
  t.deepEqual(show(provider).filter((r) => r.includes('shop.example.test') && !r.includes(' MX ')), []);
  t.is(provider.calls.filter((c) => c.op === 'records').length, 1, 'the provider is read at start only, not per change');
  await controller.stop();
});

test('a follower never writes; once it leads, it writes what is pending', async (t) => {
  let leader = false;
  const { provider, store, controller, clock } = setup({ leader: () => leader });
  store.upsert(ep('east', 'web', ['shop.example.test'], ['192.0.2.1']));
  await controller.start();
  await clock.advance(50);
  t.is(provider.calls.filter((c) => c.op === 'apply').length, 0);
  leader = true;
  await controller.flush();
  t.true(show(provider).includes('shop.example.test A 192.0.2.1'));
  await controller.stop();
});

test('resync repairs drift: a record of ours changed or deleted behind our back comes back', async (t) => {
  const { provider, store, controller } = setup();
  store.upsert(ep('east', 'web', ['shop.example.test'], ['192.0.2.1']));
  await controller.start();
  const zone = { id: 'Z1', name: 'example.test' };
  const ours = provider.snapshot('Z1').find((r) => r.name === 'shop.example.test' && r.type === 'A');
  if (!ours) return t.fail('record missing');
  await provider.apply(zone, { creates: [], updates: [{ from: ours, to: { ...ours, values: ['203.0.113.66'] } }], deletes: [] });
  await controller.resync();
  t.true(show(provider).includes('shop.example.test A 192.0.2.1'));
  await controller.stop();
});

test('a lost answer (applied, reported failed) is healed by reading the zone again, not by resending the stale plan', async (t) => {
  const inner = new InMemoryProvider('r53', [{ id: 'Z1', name: 'example.test' }]);
  let loseNext = false;
  // The provider applies the change, then the answer is lost on the way back.
  const lossy = {
    name: 'r53',
    zones: () => inner.zones(),
    records: (z: { id: string; name: string }) => inner.records(z),
    apply: async (z: { id: string; name: string }, p: Parameters<InMemoryProvider['apply']>[1]) => {
      const r = await inner.apply(z, p);
      if (loseNext) {
        loseNext = false;
        throw new Error('socket hang up');
      }
      return r;
    },
  };
  const store = new EndpointStore();
  const statuses: EntrySyncStatus[] = [];
  const clock = new ManualClock();
  const controller = new ExternalController({
    desired: desiredFor({ entries, store, lookup: async () => ({ v4: [], v6: [] }), clock }),
    bindings: [{ name: 'r53', provider: lossy, ownerId: 'gdns-test', policy: 'sync' }],
    logger: silent,
    debounceMs: 10,
    maxDelayMs: 50,
    resync: false,
    retryInitialMs: 20,
    retryMaxMs: 40,
    onStatus: (s) => statuses.push(s),
    clock,
  });
  store.upsert(ep('east', 'web', ['shop.example.test'], ['192.0.2.1']));
  await controller.start();
  loseNext = true;
  store.upsert(ep('east', 'web', ['shop.example.test'], ['192.0.2.2']));
  await clock.advance(400);
  await controller.flush();
  t.true(show(inner).includes('shop.example.test A 192.0.2.2'));
  const applies = inner.calls.filter((c) => c.op === 'apply').length;
  t.true(applies <= 3, `no retry storm: ${applies} applies`);
  t.true(statuses.filter((s) => s.fqdn === 'shop.example.test').at(-1)?.synced, 'and the entry ends synced');
  await controller.stop();
});
