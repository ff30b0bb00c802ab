// The provider contract: one suite of behaviours every DnsProvider must show, run against each
// provider's real backend (a daemon or a wire-level simulator) by a harness in
// test/providers/<provider>/backend.ts. A provider's contract.test.ts is one line:
//   providerContract(backend);
// The same backends drive `npm run bench:providers`.
import test from 'ava';
import type { ExecutionContext } from 'ava';
import { ExternalController } from '../../src/controller/index.js';
import type { Endpoint, GlobalDnsEntry, RecordSet, RRType } from '../../src/model/index.js';
import type { Policy } from '../../src/planner/index.js';
import { EndpointStore } from '../../src/sources/index.js';
import type { Zone } from '../../providers/index.js';

import { CONTRACT_ZONE, TTL, TTL2, type ContractBackend, type ContractWorld } from './world.js';
import { desiredFor } from '../support/desired.js';
import { ManualClock } from '../support/clock.js';

export { CONTRACT_ZONE, TTL, TTL2 };
export type { ContractBackend, ContractWorld };

const silent = { debug() {}, info() {}, warn() {}, error() {} };

function rs(name: string, type: RRType, values: string[], ttl = TTL): RecordSet {
  return { name: `${name}.${CONTRACT_ZONE}`.replace(/^@\./, ''), type, ttl, values };
}

/** 'name type ttl v1,v2' with sorted values: order-free comparison. */
function line(r: RecordSet): string {
  return `${r.name} ${r.type} ${r.ttl} ${[...r.values].sort().join(',')}`;
}

function find(records: RecordSet[], name: string, type: RRType): RecordSet | undefined {
  const fqdn = `${name}.${CONTRACT_ZONE}`;
  return records.find((r) => r.name === fqdn && r.type === type);
}

async function zoneOf(world: ContractWorld): Promise<Zone> {
  const zones = await world.provider.zones();
  const zone = zones.find((z) => z.name === CONTRACT_ZONE);
  if (!zone) throw new Error(`provider lists no zone ${CONTRACT_ZONE} (got ${zones.map((z) => z.name).join(', ') || 'none'})`);
  return zone;
}

const EMPTY = { creates: [], updates: [], deletes: [] };

async function withWorld(backend: ContractBackend, t: ExecutionContext, f: (w: ContractWorld, zone: Zone) => Promise<void>): Promise<void> {
  const world = await backend.start();
  try {
    await f(world, await zoneOf(world));
  } finally {
    await world.stop().catch((e) => t.log(`stop: ${(e as Error).message}`));
  }
}

/** Runs the contract against one backend; registers serial ava tests titled `<backend>: …`. */
export function providerContract(backend: ContractBackend): void {
  const title = (s: string) => `${backend.name}: ${s}`;

  test.serial(title('lists the zone and reads it back empty of our records'), async (t) => {
    await withWorld(backend, t, async (w, zone) => {
      t.is(zone.name, CONTRACT_ZONE);
      const records = await w.provider.records(zone);
      t.false(records.some((r) => r.name !== CONTRACT_ZONE), 'a fresh zone holds no records below the apex');
    });
  });

  test.serial(title('create, update with new addresses, delete'), async (t) => {
    await withWorld(backend, t, async (w, zone) => {
      const www = rs('www', 'A', ['192.0.2.1', '192.0.2.2']);
      const v6 = rs('www', 'AAAA', ['2001:db8::1']);
      const alias = rs('shop', 'CNAME', ['lb-1.elb.example.net']);
      const txt = rs('_globaldns-a.www', 'TXT', ['heritage=globaldns,globaldns/owner=contract,globaldns/resource=ingress/default/www "quoted" text']);
      const created = await w.provider.apply(zone, { ...EMPTY, creates: [www, v6, alias, txt] });
      t.is(created.failed, 0, JSON.stringify(created.results.filter((r) => !r.ok)));
      t.is(created.applied, 4);
      let read = await w.read();
      for (const r of [www, v6, alias, txt]) t.is(line(find(read, r.name.slice(0, -CONTRACT_ZONE.length - 1), r.type) ?? { ...r, values: ['<missing>'] }), line(r), `created ${r.name} ${r.type}`);
      t.deepEqual((await w.provider.records(zone)).filter((r) => r.name === www.name && r.type === 'A').map(line), [line(www)], 'the provider reads back what it wrote');

      const www2 = { ...www, ttl: TTL2, values: ['192.0.2.3', '198.51.100.7'] };
      const updated = await w.provider.apply(zone, { ...EMPTY, updates: [{ from: www, to: www2 }] });
      t.is(updated.failed, 0, JSON.stringify(updated.results.filter((r) => !r.ok)));
      read = await w.read();
      t.is(line(find(read, 'www', 'A') ?? www), line(www2), 'the update replaced addresses and TTL');
      t.is(line(find(read, 'www', 'AAAA') ?? v6), line(v6), 'the AAAA set beside it is untouched');

      const deleted = await w.provider.apply(zone, { ...EMPTY, deletes: [www2, alias] });
      t.is(deleted.failed, 0, JSON.stringify(deleted.results.filter((r) => !r.ok)));
      read = await w.read();
      t.is(find(read, 'www', 'A'), undefined, 'www A deleted');
      t.is(find(read, 'shop', 'CNAME'), undefined, 'shop CNAME deleted');
      t.truthy(find(read, 'www', 'AAAA'), 'www AAAA kept');
      t.truthy(find(read, '_globaldns-a.www', 'TXT'), 'the TXT kept');
    });
  });

  test.serial(title('a batch of 500 creates, then 500 deletes'), async (t) => {
    await withWorld(backend, t, async (w, zone) => {
      const many = Array.from({ length: 500 }, (_, i) => rs(`bulk-${String(i).padStart(3, '0')}`, 'A', [`10.0.${i >> 8}.${i & 255}`]));
      const created = await w.provider.apply(zone, { ...EMPTY, creates: many });
      t.is(created.failed, 0, JSON.stringify(created.results.filter((r) => !r.ok).slice(0, 3)));
      t.is(created.results.length, 500);
      let read = await w.read();
      t.is(read.filter((r) => r.name.startsWith('bulk-') && r.type === 'A').length, 500);
      t.is(line(find(read, 'bulk-499', 'A') ?? many[0]), line(many[499]));
      const deleted = await w.provider.apply(zone, { ...EMPTY, deletes: many });
      t.is(deleted.failed, 0);
      read = await w.read();
      t.is(read.filter((r) => r.name.startsWith('bulk-')).length, 0);
    });
  });

  test.serial(title('a failing record is isolated: the others of its batch are applied'), async (t) => {
    await withWorld(backend, t, async (w, zone) => {
      const foreignA = rs('taken', 'A', ['203.0.113.50']);
      await w.seed([foreignA]);
      const ok1 = rs('ok-1', 'A', ['192.0.2.11']);
      const ok2 = rs('ok-2', 'A', ['192.0.2.12']);
      // A CNAME cannot share a name with other data: every backend refuses it.
      const bad = rs('taken', 'CNAME', ['elsewhere.example.net']);
      const result = await w.provider.apply(zone, { ...EMPTY, creates: [ok1, bad, ok2] });
      t.is(result.results.length, 3);
      t.deepEqual(result.results.map((r) => r.ok), [true, false, true]);
      t.is(result.failed, 1);
      t.true((result.results[1].error ?? '').length > 0, 'the failure says why');
      const read = await w.read();
      t.truthy(find(read, 'ok-1', 'A'));
      t.truthy(find(read, 'ok-2', 'A'));
      t.is(line(find(read, 'taken', 'A') ?? ok1), line(foreignA), 'the foreign record is untouched');
      t.is(find(read, 'taken', 'CNAME'), undefined);
    });
  });

  test.serial(title('bad credentials and an unreachable server: a clear error, no crash'), async (t) => {
    await withWorld(backend, t, async (w, zone) => {
      const started = Date.now();
      const bad = w.badCredentials();
      const e1 = await t.throwsAsync(async () => {
        const zones = await bad.zones();
        await bad.records(zones.find((z) => z.name === CONTRACT_ZONE) ?? zone);
        const r = await bad.apply(zone, { ...EMPTY, creates: [rs('cred', 'A', ['192.0.2.99'])] });
        if (r.failed > 0) throw new Error(r.results[0].error);
      });
      t.regex(e1?.message ?? '', /auth|credential|token|key|forbidden|denied|unauthori[sz]ed|signature|401|403|BADKEY|BADSIG|NOTAUTH|REFUSED/i, `says it is about credentials: ${e1?.message}`);
      const down = w.unreachable();
      const e2 = await t.throwsAsync(async () => {
        const zones = await down.zones();
        await down.records(zones[0] ?? zone);
      });
      t.regex(e2?.message ?? '', /ECONNREFUSED|connect|unreachable|timed? ?out|refused|fetch failed/i, `says the server is unreachable: ${e2?.message}`);
      t.true(Date.now() - started < 60_000, 'both fail within a minute');
      t.is(find(await w.read(), 'cred', 'A'), undefined, 'nothing was written with bad credentials');
      // The good provider still works after its siblings failed.
      const r = await w.provider.apply(zone, { ...EMPTY, creates: [rs('after', 'A', ['192.0.2.98'])] });
      t.is(r.failed, 0);
    });
  });

  // Ownership, foreign records and policies, through the controller that drives providers.
  const names = ['shop', 'api', 'blog', 'old'].map((n) => `${n}.${CONTRACT_ZONE}`);
  const entries: GlobalDnsEntry[] = names.map((fqdn) => ({ fqdn, ttl: TTL, provider: 'p', targets: [{ cluster: 'east' }] }));
  const ingress = (fqdn: string, ip: string): Endpoint => ({ cluster: 'east', namespace: 'default', kind: 'Ingress', name: fqdn.split('.')[0], hostnames: [fqdn], targets: [ip] });
  /** Someone else's records: other types at our names, our names and types under no owner or another owner, other names. */
  const foreign: RecordSet[] = [
    rs('shop', 'MX', ['10 mx.example.org']),
    rs('shop', 'TXT', ['v=spf1 -all']),
    rs('api', 'A', ['203.0.113.1']),
    rs('blog', 'A', ['203.0.113.2']),
    rs('blog', 'TXT', ['heritage=external-dns,external-dns/owner=someone-else,external-dns/resource=ingress/default/blog']),
    rs('other', 'A', ['203.0.113.3']),
  ];

  async function drive(w: ContractWorld, policy: Policy) {
    const store = new EndpointStore();
    for (const [i, fqdn] of names.entries()) store.upsert(ingress(fqdn, `192.0.2.${i + 1}`));
    const statuses: string[] = [];
    const clock = new ManualClock();
    const controller = new ExternalController({
      desired: desiredFor({ entries, store, lookup: async () => ({ v4: [], v6: [] }), clock }),
      bindings: [{ name: 'p', provider: w.provider, ownerId: 'contract', policy }],
      logger: silent,
      resync: false,
      debounceMs: 10,
      maxDelayMs: 50,
      onStatus: (s) => statuses.push(`${s.fqdn} ${s.reason}`),
      clock,
    });
    await controller.start();
    const first = await w.read();
    // A change and a removal after the first sync: updates and deletes under each policy.
    store.upsert(ingress('old.example.org', '192.0.2.100'));
    store.remove('east/default/Ingress/shop');
    await clock.advance(100);
    await controller.flush();
    await controller.resync();
    await controller.stop();
    return { first, last: await w.read(), statuses };
  }

  for (const policy of ['sync', 'upsert-only', 'create-only'] as const) {
    test.serial(title(`policy ${policy}: ownership respected, foreign records untouched`), async (t) => {
      await withWorld(backend, t, async (w) => {
        await w.seed(foreign);
        const { first, last } = await drive(w, policy);
        for (const r of foreign) t.is(line(last.find((x) => x.name === r.name && x.type === r.type) ?? { ...r, values: ['<missing>'] }), line(r), `foreign ${r.name} ${r.type} untouched`);
        // First sync: ours written where free, with an ownership companion; foreign-held names left alone.
        t.is(line(find(first, 'shop', 'A') ?? rs('shop', 'A', ['<missing>'])), line(rs('shop', 'A', ['192.0.2.1'])), 'shop A written beside the foreign MX and TXT');
        t.regex(find(first, '_globaldns-a.shop', 'TXT')?.values.join(' ') ?? '', /owner=contract/, 'with its ownership record');
        t.is(line(find(first, 'old', 'A') ?? rs('old', 'A', ['<missing>'])), line(rs('old', 'A', ['192.0.2.4'])));
        t.is(find(first, '_globaldns-a.api', 'TXT'), undefined, 'api A belongs to someone else: not claimed');
        // After the change and the removal.
        const old = find(last, 'old', 'A')?.values;
        const shop = find(last, 'shop', 'A');
        if (policy === 'sync') {
          t.deepEqual(old, ['192.0.2.100'], 'sync updates');
          t.is(shop, undefined, 'sync deletes');
          t.is(find(last, '_globaldns-a.shop', 'TXT'), undefined, 'and deletes the ownership record with it');
        } else if (policy === 'upsert-only') {
          t.deepEqual(old, ['192.0.2.100'], 'upsert-only updates');
          t.truthy(shop, 'upsert-only never deletes');
        } else {
          t.deepEqual(old, ['192.0.2.4'], 'create-only never updates');
          t.truthy(shop, 'create-only never deletes');
        }
      });
    });
  }
}
