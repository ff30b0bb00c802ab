// The Route53 simulator seen through the real AWS SDK: error documents parse into the SDK's
// exception names, batches are atomic, list order and pagination follow Route53's.
import test from 'ava';
import { ChangeResourceRecordSetsCommand, GetChangeCommand, GetHostedZoneCommand, ListHostedZonesByNameCommand, ListResourceRecordSetsCommand, type ResourceRecordSet } from '@aws-sdk/client-route-53';
import { sdkClient, withSim } from './fixture.js';

const a = (name: string, ...ips: string[]): ResourceRecordSet => ({
  Name: name,
  Type: 'A',
  TTL: 300,
  ResourceRecords: ips.map((Value) => ({ Value })),
});

async function caught(p: Promise<unknown>): Promise<{ name: string; message: string; status?: number }> {
  try {
    await p;
  } catch (e) {
    const err = e as { name: string; message: string; $metadata?: { httpStatusCode?: number } };
    return { name: err.name, message: err.message, status: err.$metadata?.httpStatusCode };
  }
  throw new Error('expected a rejection');
}

test('errors reach the SDK as Throttling, InternalFailure, ServiceUnavailable, PriorRequestNotComplete, NoSuchHostedZone, InvalidChangeBatch', async (t) => {
  await withSim({}, async (sim) => {
    const id = sim.createZone('example.org');
    const c = sdkClient(sim);
    t.like(await caught(c.send(new GetHostedZoneCommand({ Id: 'ZMISSING' }))), { name: 'NoSuchHostedZone', status: 404, message: 'No hosted zone found with ID: ZMISSING' });
    sim.faults({ throttleShare: 1 });
    t.like(await caught(c.send(new GetHostedZoneCommand({ Id: id }))), { name: 'Throttling', status: 400, message: 'Rate exceeded' });
    sim.faults({ errorShare: 1 });
    t.like(await caught(c.send(new GetHostedZoneCommand({ Id: id }))), { name: 'InternalFailure', status: 500 });
    t.like(await caught(c.send(new GetHostedZoneCommand({ Id: id }))), { name: 'ServiceUnavailable', status: 503 });
    sim.faults({ priorRequestNotCompleteShare: 1 });
    const batch = { HostedZoneId: id, ChangeBatch: { Changes: [{ Action: 'CREATE' as const, ResourceRecordSet: a('www.example.org', '192.0.2.1') }] } };
    t.like(await caught(c.send(new ChangeResourceRecordSetsCommand(batch))), { name: 'PriorRequestNotComplete', status: 400 });
    sim.faults({});
    const bad = await caught(
      c.send(
        new ChangeResourceRecordSetsCommand({
          HostedZoneId: id,
          ChangeBatch: {
            Changes: [
              { Action: 'CREATE', ResourceRecordSet: a('www.example.org', '192.0.2.1') },
              { Action: 'CREATE', ResourceRecordSet: a('www.example.net', '192.0.2.1') },
              { Action: 'DELETE', ResourceRecordSet: a('gone.example.org', '192.0.2.9') },
            ],
          },
        }),
      ),
    );
    t.is(bad.name, 'InvalidChangeBatch');
    t.is(
      bad.message,
      "[RRSet with DNS name www.example.net. is not permitted in zone example.org., Tried to delete resource record set [name='gone.example.org.', type='A'] but it was not found]",
    );
    t.deepEqual(sim.records(id).map((r) => r.type), ['NS', 'SOA'], 'the good change of a rejected batch is not applied');
    t.deepEqual(
      sim.calls.map((x) => `${x.op} ${x.status} ${x.code ?? ''}`.trim()),
      [
        'GetHostedZone 404 NoSuchHostedZone',
        'GetHostedZone 400 Throttling',
        'GetHostedZone 500 InternalFailure',
        'GetHostedZone 503 ServiceUnavailable',
        'ChangeResourceRecordSets 400 PriorRequestNotComplete',
        'ChangeResourceRecordSets 400 InvalidChangeBatch',
      ],
    );
    t.true(sim.calls[1].throttled);
  });
});

test('DELETE must carry the current TTL and values', async (t) => {
  await withSim({}, async (sim) => {
    const id = sim.createZone('example.org');
    sim.seed(id, { name: 'www.example.org', type: 'A', ttl: 300, values: ['192.0.2.1', '192.0.2.2'] });
    const c = sdkClient(sim);
    const del = (rr: ResourceRecordSet) => c.send(new ChangeResourceRecordSetsCommand({ HostedZoneId: id, ChangeBatch: { Changes: [{ Action: 'DELETE', ResourceRecordSet: rr }] } }));
    const err = await caught(del(a('www.example.org', '192.0.2.1')));
    t.is(err.message, "[Tried to delete resource record set [name='www.example.org.', type='A'] but the values provided do not match the current values]");
    t.like(await caught(del({ ...a('www.example.org', '192.0.2.1', '192.0.2.2'), TTL: 60 })), { name: 'InvalidChangeBatch' });
    await del(a('www.example.org', '192.0.2.2', '192.0.2.1'));
    t.is(sim.records(id).length, 2);
  });
});

test('list order is by reversed labels then type; pagination by name, type and identifier', async (t) => {
  await withSim({}, async (sim) => {
    const id = sim.createZone('Example.ORG.');
    for (const name of ['b.example.org', 'a.b.example.org', '*.example.org', 'z.a.example.org', 'a.example.org']) {
      sim.seed(id, { name, type: 'TXT', ttl: 60, values: ['"x"'] });
    }
    sim.seed(id, { name: 'a.example.org', type: 'AAAA', ttl: 60, values: ['2001:db8::1'] });
    sim.seed(id, { name: 'w.example.org', type: 'A', ttl: 60, values: ['192.0.2.1'], setIdentifier: 'east', weight: 1 });
    sim.seed(id, { name: 'w.example.org', type: 'A', ttl: 60, values: ['192.0.2.2'], setIdentifier: 'west', weight: 1 });
    const c = sdkClient(sim);
    const seen: string[] = [];
    let start: { StartRecordName?: string; StartRecordType?: 'A'; StartRecordIdentifier?: string } = {};
    for (;;) {
      const page = await c.send(new ListResourceRecordSetsCommand({ HostedZoneId: id, MaxItems: 3, ...start }));
      seen.push(...(page.ResourceRecordSets ?? []).map((r) => `${r.Name} ${r.Type}${r.SetIdentifier ? ' ' + r.SetIdentifier : ''}`));
      if (!page.IsTruncated) break;
      start = { StartRecordName: page.NextRecordName, StartRecordType: page.NextRecordType as 'A', StartRecordIdentifier: page.NextRecordIdentifier };
    }
    t.deepEqual(seen, [
      'example.org. NS',
      'example.org. SOA',
      '\\052.example.org. TXT',
      'a.example.org. AAAA',
      'a.example.org. TXT',
      'z.a.example.org. TXT',
      'b.example.org. TXT',
      'a.b.example.org. TXT',
      'w.example.org. A east',
      'w.example.org. A west',
    ]);
    t.is(sim.calls.length, 4);
  });
});

test('ListHostedZonesByName: public and private zones of one name, GetChange goes PENDING then INSYNC', async (t) => {
  let clock = 0;
  await withSim({ changeDelayMs: 150, now: () => clock }, async (sim) => {
    const pub = sim.createZone('example.org');
    const priv = sim.createZone('example.org', { private: true });
    sim.createZone('a.example.org');
    sim.createZone('example.com');
    const c = sdkClient(sim);
    const byName = await c.send(new ListHostedZonesByNameCommand({ DNSName: 'example.org' }));
    t.deepEqual(
      byName.HostedZones?.map((z) => `${z.Name} ${z.Id} ${z.Config?.PrivateZone}`),
      [`example.org. /hostedzone/${pub} false`, `example.org. /hostedzone/${priv} true`, `a.example.org. /hostedzone/Z0003SIM00000000 false`],
    );
    const got = await c.send(new GetHostedZoneCommand({ Id: priv }));
    t.is(got.VPCs?.[0]?.VPCId, 'vpc-0sim');
    const out = await c.send(
      new ChangeResourceRecordSetsCommand({ HostedZoneId: pub, ChangeBatch: { Changes: [{ Action: 'UPSERT', ResourceRecordSet: a('x.example.org', '192.0.2.1') }] } }),
    );
    t.is(out.ChangeInfo?.Status, 'PENDING');
    t.is((await c.send(new GetChangeCommand({ Id: out.ChangeInfo?.Id }))).ChangeInfo?.Status, 'PENDING');
    clock += 150;
    t.is((await c.send(new GetChangeCommand({ Id: out.ChangeInfo?.Id }))).ChangeInfo?.Status, 'INSYNC');
    t.is(sim.records(priv).length, 2, 'the private zone of the same name is untouched');
  });
});

test('a per-second limit answers Throttling beyond it', async (t) => {
  let clock = 0;
  await withSim({ rateLimitPerSecond: 3, now: () => clock }, async (sim) => {
    const id = sim.createZone('example.org');
    const c = sdkClient(sim);
    const results = await Promise.allSettled(Array.from({ length: 6 }, () => c.send(new GetHostedZoneCommand({ Id: id }))));
    t.is(results.filter((r) => r.status === 'fulfilled').length, 3);
    t.is(sim.calls.filter((x) => x.throttled).length, 3);
    clock += 334; // one token a third of a second
    await t.notThrowsAsync(c.send(new GetHostedZoneCommand({ Id: id })));
    await t.throwsAsync(c.send(new GetHostedZoneCommand({ Id: id })), { name: 'Throttling' });
  });
});
