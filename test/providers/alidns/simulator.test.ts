// The simulator's own checks, driven by raw signed requests: what the provider relies on it to refuse.
import test from 'ava';
import { alidnsPercentEncode, alidnsRpcSignature } from '../../../providers/index.js';
import { startAlidnsSim, SIM_KEY, type AlidnsSim } from '../../support/alidns-sim/index.js';

let nonce = 0;
async function call(sim: AlidnsSim, action: string, params: Record<string, string>, o: { method?: 'GET' | 'POST'; nonce?: string; timestamp?: string } = {}) {
  const all: Record<string, string> = {
    ...params,
    Action: action,
    Format: 'JSON',
    Version: '2015-01-09',
    AccessKeyId: SIM_KEY.accessKeyId,
    SignatureMethod: 'HMAC-SHA1',
    SignatureVersion: '1.0',
    SignatureNonce: o.nonce ?? `n-${++nonce}`,
    Timestamp: o.timestamp ?? new Date().toISOString().replace(/\.\d+Z$/, 'Z'),
  };
  const method = o.method ?? 'GET';
  all.Signature = alidnsRpcSignature(method, all, SIM_KEY.accessKeySecret);
  const body = Object.entries(all).map(([k, v]) => `${alidnsPercentEncode(k)}=${alidnsPercentEncode(v)}`).join('&');
  const res = method === 'GET'
    ? await fetch(`${sim.url}/?${body}`)
    : await fetch(`${sim.url}/`, { method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded' }, body });
  return { status: res.status, json: (await res.json()) as Record<string, unknown> };
}

async function withSim(f: (sim: AlidnsSim) => Promise<void>) {
  const sim = await startAlidnsSim();
  sim.createDomain('example.org');
  try {
    await f(sim);
  } finally {
    await sim.stop();
  }
}

test('POST form requests are signed and answered like GET ones', async (t) => {
  await withSim(async (sim) => {
    const r = await call(sim, 'AddDomainRecord', { DomainName: 'example.org', RR: 'www', Type: 'A', Value: '192.0.2.1' }, { method: 'POST' });
    t.is(r.status, 200, JSON.stringify(r.json));
    t.regex(String(r.json.RecordId), /^\d+$/);
    t.like(sim.records('example.org')[0], { RR: 'www', TTL: 600, Line: 'default', Status: 'ENABLE' });
  });
});

test('a replayed nonce and a stale timestamp are refused', async (t) => {
  await withSim(async (sim) => {
    t.is((await call(sim, 'DescribeDomains', {}, { nonce: 'same' })).status, 200);
    t.like((await call(sim, 'DescribeDomains', {}, { nonce: 'same' })).json, { Code: 'SignatureNonceUsed' });
    t.like((await call(sim, 'DescribeDomains', {}, { timestamp: '2016-02-23T12:46:24Z' })).json, { Code: 'InvalidTimeStamp.Expired' });
  });
});

test('duplicates, CNAME conflicts, MX without priority, page sizes over 500, unknown domains and actions', async (t) => {
  await withSim(async (sim) => {
    const add = (p: Record<string, string>) => call(sim, 'AddDomainRecord', { DomainName: 'example.org', ...p });
    t.is((await add({ RR: 'a', Type: 'A', Value: '192.0.2.1' })).status, 200);
    t.like((await add({ RR: 'A', Type: 'A', Value: '192.0.2.1' })).json, { Code: 'DomainRecordDuplicate', HostId: 'alidns.aliyuncs.com' });
    t.like((await add({ RR: 'a', Type: 'CNAME', Value: 'x.example.net' })).json, { Code: 'DomainRecordConflict' });
    t.is((await add({ RR: 'a', Type: 'A', Value: '192.0.2.1', Line: 'telecom' })).status, 200, 'another line is another record');
    t.like((await add({ RR: '@', Type: 'MX', Value: 'mx.example.org' })).json, { Code: 'MissingParameter' });
    const big = await call(sim, 'DescribeDomainRecords', { DomainName: 'example.org', PageSize: '501' });
    t.is(big.status, 400);
    t.like((await call(sim, 'DescribeDomainRecords', { DomainName: 'nope.org' })).json, { Code: 'InvalidDomainName.NoExist' });
    const unknown = await call(sim, 'DescribeSomething', {});
    t.is(unknown.status, 404);
    t.like(unknown.json, { Code: 'InvalidAction.NotFound' });
    const id = sim.records('example.org')[0].RecordId;
    t.like((await call(sim, 'UpdateDomainRecord', { RecordId: id, RR: 'a', Type: 'A', Value: '192.0.2.1', TTL: '600' })).json, { Code: 'DomainRecordDuplicate' }, 'an update that changes nothing');
    t.like((await call(sim, 'DeleteDomainRecord', { RecordId: '1' })).json, { Code: 'DomainRecordNotBelongToUser' });
    t.deepEqual(sim.calls.slice(0, 3).map((c) => [c.action, c.status, c.code]), [
      ['AddDomainRecord', 200, undefined],
      ['AddDomainRecord', 400, 'DomainRecordDuplicate'],
      ['AddDomainRecord', 400, 'DomainRecordConflict'],
    ]);
  });
});

test('a locked record can be neither updated nor deleted', async (t) => {
  await withSim(async (sim) => {
    const id = sim.seed('example.org', { RR: 'www', Type: 'A', Value: '192.0.2.1', Locked: true });
    t.like((await call(sim, 'UpdateDomainRecord', { RecordId: id, RR: 'www', Type: 'A', Value: '192.0.2.2' })).json, { Code: 'DomainRecordLocked' });
    t.like((await call(sim, 'DeleteDomainRecord', { RecordId: id })).json, { Code: 'DomainRecordLocked' });
    t.is(sim.records('example.org').length, 1);
  });
});
