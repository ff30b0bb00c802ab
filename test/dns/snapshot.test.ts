// The zones are snapshotted to the state dir: a restart serves the last known answers even
// when the manifests are gone, and the SOA serial never goes back.
import { existsSync, readdirSync } from 'node:fs';
import { mkdir } from 'node:fs/promises';
import path from 'node:path';
import test from 'ava';
import { startGlobaldns, type Globaldns } from '../support/globaldns.js';
import { query, soaFields, variants } from '../support/dig.js';
import { APEX, ROT_IPS, SHOP_IPS, baseConfig, manifests, pollUntil, waitForAnswers, sleep } from './fixture.js';

let g: Globaldns | undefined;

test.after.always(async () => {
  await g?.cleanup();
});

async function soaSerial(port: number): Promise<number> {
  const r = await query({ port, name: APEX, type: 'SOA' });
  if (r.answer[0]?.type !== 'SOA') throw new Error(`no SOA:\n${r.raw}`);
  return soaFields(r.answer[0].data).serial;
}

async function waitForEntries(x: Globaldns) {
  await waitForAnswers(x, `rot.${APEX}`, ROT_IPS.length);
}

let serialBefore = 0;
let serialMissing = 0;

test.serial('zones are snapshotted to the state dir', async (t) => {
  g = await startGlobaldns({ configYaml: baseConfig(), files: manifests() });
  await waitForEntries(g);
  serialBefore = await soaSerial(g.port);
  // the snapshot is written shortly after a change
  const snap = await pollUntil(async () => (existsSync(g!.stateDir) && readdirSync(g!.stateDir).length > 0 ? true : undefined), 5000);
  t.true(snap, 'nothing written to the state dir');
  await sleep(500);
  const stopped = await g.stop();
  t.true(stopped.signal === null || stopped.signal === 'SIGTERM', `stop: ${JSON.stringify(stopped)}`);
  t.is(stopped.code === null ? 0 : stopped.code, 0, `exit code on SIGTERM\n${g.logs()}`);
});

test.serial('restart with the manifests folder missing serves the last known answers', async (t) => {
  if (!g) return t.fail('no previous instance');
  await g.remove('clusters');
  t.false(existsSync(path.join(g.dir, 'clusters')));
  g = await g.restart();
  for (const v of variants()) {
    const r = await query({ tool: v.tool, server: v.server, tcp: v.tcp, port: g.port, name: `shop.${APEX}` });
    t.is(r.status, 'NOERROR', `${v.label}\n${r.raw}`);
    t.true(r.flags.includes('aa'), v.label);
    t.deepEqual(r.answer.map((a) => a.data).sort(), [...SHOP_IPS].sort(), `${v.label}: served from the snapshot\n${r.raw}`);
  }
  // the static part of the zone is there too
  const www = await query({ port: g.port, name: `www.${APEX}` });
  t.is(www.answer[0]?.type, 'CNAME', www.raw);
  serialMissing = await soaSerial(g.port);
  t.true(serialMissing >= serialBefore, `serial went back: ${serialBefore} → ${serialMissing}`);
  // a missing folder is a source failure, not an empty cluster: keep serving
  await sleep(2000);
  const later = await query({ port: g.port, name: `shop.${APEX}` });
  t.deepEqual(later.answer.map((a) => a.data).sort(), [...SHOP_IPS].sort(), `dropped after 2 s with the folder missing\n${later.raw}`);
  t.true(g.alive());
  if (!t.passed) t.log(g.logs());
});

test.serial('restart with the manifests folder empty serves the zone at once; the serial never goes back', async (t) => {
  if (!g) return t.fail('no previous instance');
  await g.stop();
  await mkdir(path.join(g.dir, 'clusters', 'east'), { recursive: true });
  await mkdir(path.join(g.dir, 'clusters', 'west'), { recursive: true });
  g = await g.restart();
  const serial = await soaSerial(g.port);
  t.true(serial >= Math.max(serialBefore, serialMissing), `serial went back: ${serialBefore}/${serialMissing} → ${serial}`);
  // (www is a CNAME to shop, which the empty clusters no longer provide: use a static name)
  const zone = await query({ port: g.port, name: `ns1.${APEX}` });
  t.is(zone.status, 'NOERROR', zone.raw);
  t.true(zone.flags.includes('aa'));
  t.deepEqual(zone.answer.map((a) => a.data), ['127.0.0.1'], zone.raw);
});
