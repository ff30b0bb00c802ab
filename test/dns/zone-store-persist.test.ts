// The zone store's snapshot timer and serials on the injected clock: a change is written to the
// state dir persistDelayMs later (changes within it coalesced), serials follow the clock's time.
import { existsSync } from 'node:fs';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import test from 'ava';
import { ZoneStore } from '../../src/dns/index.js';
import type { ZoneContent } from '../../src/model/index.js';
import { ManualClock } from '../support/clock.js';

function zone(apex: string, ip: string): ZoneContent {
  return {
    apex,
    soa: { mname: `ns.${apex}`, rname: `hostmaster.${apex}`, serial: 1, refresh: 3600, retry: 600, expire: 86400, minimum: 60, ttl: 3600 },
    ns: [`ns.${apex}`],
    nsTtl: 3600,
    records: [{ name: `www.${apex}`, type: 'A', ttl: 60, values: [ip] }],
  };
}

test('a change is persisted persistDelayMs later on the clock, coalesced; serials are the clock time', async (t) => {
  const dir = await mkdtemp(path.join(tmpdir(), 'zone-store-'));
  t.teardown(() => rm(dir, { recursive: true, force: true }));
  const clock = new ManualClock();
  clock.t = 1_700_000_000_000;
  const store = new ZoneStore({ stateDir: dir, clock, persistDelayMs: 1000 });
  const file = path.join(dir, 'zones.json');

  t.true(store.setZone(zone('example.test', '192.0.2.1')));
  t.is(store.get('example.test')?.serial, 1_700_000_000);
  t.deepEqual(clock.pending(), [1000]);
  await clock.advance(400);
  t.true(store.setZone(zone('example.test', '192.0.2.2')));
  t.deepEqual(clock.pending(), [600], 'one timer for both changes');
  await clock.advance(599);
  t.false(existsSync(file));
  await clock.advance(1);
  await store.flush();
  const saved = JSON.parse(await readFile(file, 'utf8')) as { zones: ZoneContent[] };
  t.deepEqual(saved.zones.map((z) => z.records[0]?.values), [['192.0.2.2']]);
  t.is(saved.zones[0]?.soa.serial, 1_700_000_001);
  t.deepEqual(clock.pending(), []);
});
