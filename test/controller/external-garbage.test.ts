// A provider answering garbage (200 with a body that is not Route53's XML) never crashes the
// controller and never deletes a record it should keep; once the answers are sane again the
// zone converges.
import test from 'ava';
import { ExternalController } from '../../src/controller/index.js';
import type { Endpoint, GlobalDnsEntry } from '../../src/model/index.js';
import { EndpointStore } from '../../src/sources/index.js';
import { Route53Provider } from '../../providers/route53/index.js';
import { startRoute53Sim } from '../support/route53-sim/index.js';
import { desiredFor } from '../support/desired.js';
import { ManualClock } from '../support/clock.js';

process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';

const entries: GlobalDnsEntry[] = [
  { fqdn: 'shop.example.org', ttl: 60, provider: 'r53', targets: [{ cluster: 'east' }] },
  { fqdn: 'api.example.org', ttl: 60, provider: 'r53', targets: [{ cluster: 'east' }] },
];
const ingress = (name: string, ip: string): Endpoint => ({ cluster: 'east', namespace: 'default', kind: 'Ingress', name, hostnames: [`${name}.example.org`], targets: [ip] });

test('garbage answers: nothing crashes, nothing kept is deleted, sane answers converge', async (t) => {
  const sim = await startRoute53Sim({ seed: 5 });
  const zoneId = sim.createZone('example.org');
  const provider = new Route53Provider({
    endpoint: sim.url,
    region: 'us-east-1',
    credentials: { accessKeyId: 'AKIDEXAMPLE', secretAccessKey: 'secret' },
    zoneIds: [zoneId],
    rateLimitPerSecond: 1000,
    baseDelayMs: 5,
    maxDelayMs: 20,
    maxAttempts: 3,
  });
  const errors: string[] = [];
  const logger = { debug() {}, info() {}, warn: (o: object) => errors.push(JSON.stringify(o)), error: (o: object) => errors.push(JSON.stringify(o)) };
  const store = new EndpointStore();
  store.upsert(ingress('shop', '192.0.2.1'));
  store.upsert(ingress('api', '192.0.2.2'));
  const clock = new ManualClock();
  const controller = new ExternalController({
    desired: desiredFor({ entries, store, lookup: async () => ({ v4: [], v6: [] }), clock }),
    bindings: [{ name: 'r53', provider, ownerId: 'gdns', policy: 'sync' }],
    logger,
    resync: false,
    debounceMs: 10,
    maxDelayMs: 50,
    retryInitialMs: 20,
    retryMaxMs: 50,
    clock,
  });
  t.teardown(async () => {
    await controller.stop();
    await sim.stop();
  });
  await controller.start();
  const values = (name: string) => sim.records(zoneId).find((r) => r.name === `${name}.example.org.` && r.type === 'A')?.values;
  t.deepEqual(values('api'), ['192.0.2.2']);

  sim.faults({ garbageShare: 1 });
  store.upsert(ingress('shop', '192.0.2.9'));
  await controller.resync(); // reads fail: the last known state is kept, nothing is planned from an empty read
  // The debounce and the retries of the failed apply, then what is in flight has ended.
  await clock.advance(200);
  await controller.flush();
  t.true(errors.length > 0, 'the failures are reported');
  t.deepEqual(values('api'), ['192.0.2.2'], 'a record we still want is never deleted on a garbage read');
  t.deepEqual(values('shop'), ['192.0.2.1'], 'garbage answers applied nothing');

  sim.faults({});
  await clock.advance(300);
  await controller.resync();
  t.deepEqual(values('shop'), ['192.0.2.9'], 'converged once answers are sane');
  t.deepEqual(values('api'), ['192.0.2.2']);
});
