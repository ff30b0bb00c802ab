// Issue 12, bug 2: load-balancer hostnames were never looked up again for the external
// providers or the proxy, so a cloud load balancer that moved kept its old address there until
// a restart. Through the real CLI: the load balancer's name `elb-1.lb.test` lives in a real
// knotd (TTL 2 s) that is globaldns's configured resolver; one folder cluster's LoadBalancer
// Service reports that name and claims a name in the embedded zone (proxied too), one in an
// RFC 2136 zone (a second real knotd) and one in Route53 (the simulator). When knot moves the
// name to another address, every consumer follows within the TTL plus a margin.
import test from 'ava';
import YAML from 'yaml';
import { startGlobaldns } from '../support/globaldns.js';
import { startKnot } from '../support/knot.js';
import { freePort } from '../support/ports.js';
import { dig } from '../support/dig.js';
import { waitFor } from '../support/wait.js';
import { startRoute53Sim } from '../support/route53-sim/index.js';
import { startRfc2136World } from '../providers/rfc2136/backend.js';
import { curl, upstream } from '../proxy/world.js';

const LB = 'elb-1.lb.test';
const OLD = '127.0.0.21';
const NEW = '127.0.0.22';
/** The load balancer's record TTL in knot, seconds: the resolver looks it up again this often. */
const LB_TTL = 2;
/** TTL + a debounce + a wide margin: the machine has 2 cores shared with other test runs. */
const FOLLOW_MS = LB_TTL * 1000 + 8_000;
const awsEnv = { AWS_ACCESS_KEY_ID: 'AKIDEXAMPLE', AWS_SECRET_ACCESS_KEY: 'not-a-real-secret', AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true' };

/** A LoadBalancer Service whose load balancer Kubernetes reports by name, not by address. */
function lbService(claims: string[], lbHostname: string): string {
  return YAML.stringify({
    apiVersion: 'v1',
    kind: 'Service',
    metadata: { name: 'shop', namespace: 'default', annotations: { 'globaldns.io/hostname': claims.join(',') } },
    spec: { type: 'LoadBalancer', ports: [{ port: 80, protocol: 'TCP' }] },
    status: { loadBalancer: { ingress: [{ hostname: lbHostname }] } },
  });
}

test('a load balancer whose name moves to another address is followed by the embedded zone, RFC 2136, Route53 and the proxy', async (t) => {
  t.timeout(180_000);
  const lbDns = await startKnot({
    ipv6: false,
    zones: [{
      apex: 'lb.test',
      zoneText: [
        `@ 300 IN SOA ns.lb.test. hostmaster.lb.test. 1 3600 600 86400 ${LB_TTL}`,
        '@ 300 IN NS ns',
        'ns 300 IN A 127.0.0.1',
        `elb-1 ${LB_TTL} IN A ${OLD}`,
      ].join('\n'),
    }],
  });
  t.teardown(() => lbDns.stop());
  const rfc2136 = await startRfc2136World('knot');
  t.teardown(() => rfc2136.stop());
  const sim = await startRoute53Sim();
  t.teardown(() => sim.stop());
  const zoneId = sim.createZone('aws.test');

  // The load balancer's two possible backends: each answers its own address.
  const upstreamPort = await freePort({ ipv6: false });
  const before = upstream(OLD, OLD, upstreamPort);
  const after = upstream(NEW, NEW, upstreamPort);
  await before.start();
  t.teardown(() => before.stop());
  await after.start();
  t.teardown(() => after.stop());
  const proxyPort = await freePort({ ipv6: false });

  const g = await startGlobaldns({
    configYaml: {
      zones: [{ apex: 'local.test' }],
      clusters: [{ name: 'east', manifests: 'clusters/east' }],
      resolver: { servers: [`127.0.0.1:${lbDns.port}`], minRefresh: '1s' },
      providers: [
        { name: 'embedded', type: 'embedded' },
        { name: 'knot', type: 'rfc2136', ownerId: 'gdns', rfc2136: { zones: ['example.org'], servers: [`127.0.0.1:${rfc2136.port}`], tsigKeyName: rfc2136.key.name, tsigAlgorithm: rfc2136.key.algorithm }, secretFile: 'secrets/knot.yaml' },
        { name: 'r53', type: 'route53', ownerId: 'gdns', route53: { endpoint: sim.url, hostedZoneIds: [zoneId] } },
      ],
      sync: { debounce: '50ms', resync: false },
      // One worker: routes reach the proxy as they do in production, over IPC from the main process.
      proxy: { http: `127.0.0.1:${proxyPort}`, https: false, workers: 1 },
      entries: [
        { fqdn: 'shop.local.test', ttl: 30, targets: [{ cluster: 'east' }], proxy: { upstreamPort } },
        { fqdn: 'shop.example.org', ttl: 30, provider: 'knot', targets: [{ cluster: 'east' }] },
        { fqdn: 'shop.aws.test', ttl: 30, provider: 'r53', targets: [{ cluster: 'east' }] },
      ],
      logLevel: 'info',
    },
    env: awsEnv,
    ipv6: false,
    readyName: 'local.test',
    startTimeoutMs: 30_000,
    files: {
      'clusters/east/shop.yaml': lbService(['shop.local.test', 'shop.example.org', 'shop.aws.test'], LB),
      'secrets/knot.yaml': `tsig-secret: ${rfc2136.key.secret}\n`,
    },
  });
  t.teardown(() => g.cleanup());

  // What each consumer says the load balancer is now, or undefined while it says nothing.
  const observers: Record<string, () => Promise<string | undefined>> = {
    'embedded DNS (dig)': async () => {
      const r = await dig({ port: g.port, name: 'shop.local.test', type: 'A', timeout: 1 });
      return r.answer.filter((a) => a.type === 'A').map((a) => a.data).sort().join(',') || undefined;
    },
    'RFC 2136 (knot)': async () => (await rfc2136.read()).find((r) => r.name === 'shop.example.org' && r.type === 'A')?.values.slice().sort().join(','),
    'Route53 (simulator)': () => Promise.resolve(sim.records(zoneId).find((r) => r.name === 'shop.aws.test.' && r.type === 'A')?.values?.slice().sort().join(',')),
    'proxy (Host shop.local.test)': async () => {
      const r = await curl(['--max-time', '2', '-H', 'host: shop.local.test', `http://127.0.0.1:${proxyPort}/`], 5_000);
      return r.status === 200 ? r.body : undefined;
    },
  };
  /** Polls every consumer until each says `want`; the milliseconds each took from `t0`. */
  const follow = (want: string, t0: number, ms: number) =>
    Promise.all(
      Object.entries(observers).map(async ([what, see]) => {
        let last: string | undefined;
        await waitFor(async () => ((last = await see()) === want ? true : undefined), ms, () => `${what} says ${want} (last: ${last})`, { intervalMs: 100, retryErrors: true });
        return [what, Date.now() - t0] as const;
      }),
    );

  // Before: every consumer has the load balancer's first address.
  const started = Date.now();
  try {
    const first = await follow(OLD, started, 60_000);
    t.log(`first address everywhere: ${first.map(([w, ms]) => `${w} ${ms} ms`).join('; ')}`);
  } catch (e) {
    t.fail(`${(e as Error).message}\n--- globaldns ---\n${g.logs().split('\n').slice(-40).join('\n')}`);
    return;
  }
  t.is(sim.records(zoneId).find((r) => r.name === 'shop.aws.test.' && r.type === 'A')?.alias, undefined, 'not an AWS load balancer: flattened, not an alias');
  const beforeHits = before.hits;
  t.true(beforeHits > 0);
  t.is(after.hits, 0);

  // The load balancer moves; nothing in Kubernetes changes.
  await lbDns.knotc('zone-begin', 'lb.test');
  await lbDns.knotc('zone-unset', 'lb.test', 'elb-1', 'A', OLD);
  await lbDns.knotc('zone-set', 'lb.test', 'elb-1', String(LB_TTL), 'A', NEW);
  await lbDns.knotc('zone-commit', 'lb.test');
  const moved = Date.now();
  const knotSays = await dig({ port: lbDns.port, name: LB, type: 'A' });
  t.deepEqual(knotSays.answer.map((a) => a.data), [NEW], 'knot serves the new address');

  try {
    const took = await follow(NEW, moved, FOLLOW_MS);
    for (const [what, ms] of took) t.log(`${what}: ${NEW} after ${ms} ms`);
    t.pass();
  } catch (e) {
    const now = await Promise.all(Object.entries(observers).map(async ([w, see]) => `${w}: ${await see().catch((err: Error) => err.message)}`));
    t.fail(`${(e as Error).message}\nafter ${Date.now() - moved} ms: ${now.join('; ')}\n--- globaldns ---\n${g.logs().split('\n').slice(-40).join('\n')}`);
    return;
  }
  // The proxy no longer sends anything to the old address.
  const oldHits = before.hits;
  for (let i = 0; i < 5; i++) {
    const r = await curl(['--max-time', '2', '-H', 'host: shop.local.test', `http://127.0.0.1:${proxyPort}/`], 5_000);
    t.is(r.body, NEW);
  }
  t.is(before.hits, oldHits);
});
