// Issue 13, acceptance "Providers": external providers follow health. Through the real CLI, two
// folder clusters' load balancers are real HTTP servers on 127.0.0.2 (east, priority 1) and
// 127.0.0.3 (west, priority 2); one entry is published to the Route53 simulator, one to a real
// knotd over RFC 2136, both with an HTTP health check and `routing: failover`. The tests turn
// east's health endpoint bad and good again and watch both providers:
// - east down → both providers hold west within one sync debounce of the health transition;
// - east up again → both move back only once failback has run out, then within one debounce;
// - east flapping in bursts for 20 s (the "a minute", scaled to a 300 ms interval) →
//   at most ceil(duration / (failureThreshold × interval)) + 1 writes at each provider.
// The health transitions' times come from globaldns's own log lines (`endpoint down`, ...);
// Route53 write times from the simulator's call log, knot's from polling it every 25 ms.
import test from 'ava';
import type { ExecutionContext } from 'ava';
import dnsPacket from 'dns-packet';
import { ingressYaml, startGlobaldns } from '../support/globaldns.js';
import type { Globaldns } from '../support/globaldns.js';
import { freePort } from '../support/ports.js';
import { startRoute53Sim } from '../support/route53-sim/index.js';
import type { Route53Sim } from '../support/route53-sim/index.js';
import { sleep, waitFor } from '../support/wait.js';
import { buildQuery, decode, udpExchange } from '../support/wire.js';
import { startRfc2136World } from '../providers/rfc2136/backend.js';
import type { Rfc2136World } from '../providers/rfc2136/backend.js';
import { FAIL_503, OK, startHealthUpstream } from '../support/health-upstream.js';
import { HEALTH_PATH, tail, transitions } from './health-world.js';
import type { HealthUpstream } from '../support/health-upstream.js';
import type { Transition } from './health-world.js';

const EAST = '127.0.0.2';
const WEST = '127.0.0.3';
const R53_NAME = 'shop.aws.test';
const KNOT_NAME = 'shop.example.org';
const INTERVAL_MS = 300;
const FAILURE_THRESHOLD = 2;
/** Slack on top of a debounce for a write to land: 2 cores shared with other test runs. */
const MARGIN_MS = 2_000;
const awsEnv = { AWS_ACCESS_KEY_ID: 'AKIDEXAMPLE', AWS_SECRET_ACCESS_KEY: 'not-a-real-secret', AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true' };

interface World {
  g: Globaldns;
  sim: Route53Sim;
  zoneId: string;
  knot: Rfc2136World;
  east: HealthUpstream;
  west: HealthUpstream;
  /** The A values at each provider now, sorted and joined; undefined when it has none. */
  r53(): string | undefined;
  knotA(): Promise<string | undefined>;
  knotSerial(): Promise<number>;
  /** Route53 ChangeResourceRecordSets calls answered 200. */
  r53Writes(): { time: number }[];
  transitions(): Transition[];
}

async function knotQuery(port: number, name: string, type: 'A' | 'SOA'): Promise<dnsPacket.Answer[]> {
  const r = await udpExchange(port, buildQuery(name, { type, rd: false }), { timeoutMs: 1000 });
  if (!r) throw new Error(`knot did not answer ${name} ${type}`);
  return decode(r.reply).answers ?? [];
}

async function startWorld(t: ExecutionContext, o: { debounce: string; failback: string; successThreshold?: number }): Promise<World> {
  const knot = await startRfc2136World('knot');
  t.teardown(() => knot.stop());
  const sim = await startRoute53Sim();
  t.teardown(() => sim.stop());
  const zoneId = sim.createZone('aws.test');

  const port = await freePort({ ipv6: false });
  const east = await startHealthUpstream({ name: 'east', address: EAST, port, healthPath: HEALTH_PATH });
  t.teardown(() => east.stop());
  const west = await startHealthUpstream({ name: 'west', address: WEST, port, healthPath: HEALTH_PATH });
  t.teardown(() => west.stop());

  // The same check on both entries: one probe per address serves both names.
  const healthCheck = { type: 'http', port, path: HEALTH_PATH, host: 'shop.test', interval: `${INTERVAL_MS}ms`, timeout: '200ms', failureThreshold: FAILURE_THRESHOLD, successThreshold: o.successThreshold ?? 2 };
  const routing = { policy: 'failover', failback: o.failback };
  const targets = [{ cluster: 'east', priority: 1 }, { cluster: 'west', priority: 2 }];
  const g = await startGlobaldns({
    configYaml: {
      zones: [{ apex: 'local.test' }],
      clusters: [{ name: 'east', manifests: 'clusters/east' }, { name: 'west', manifests: 'clusters/west' }],
      providers: [
        { name: 'embedded', type: 'embedded' },
        { name: 'knot', type: 'rfc2136', ownerId: 'gdns', rfc2136: { zones: ['example.org'], servers: [`127.0.0.1:${knot.port}`], tsigKeyName: knot.key.name, tsigAlgorithm: knot.key.algorithm }, secretFile: 'secrets/knot.yaml' },
        { name: 'r53', type: 'route53', ownerId: 'gdns', route53: { endpoint: sim.url, hostedZoneIds: [zoneId] } },
      ],
      sync: { debounce: o.debounce, resync: false },
      entries: [
        { fqdn: R53_NAME, ttl: 30, provider: 'r53', targets, healthCheck, routing },
        { fqdn: KNOT_NAME, ttl: 30, provider: 'knot', targets, healthCheck, routing },
      ],
      logLevel: 'info',
    },
    env: awsEnv,
    ipv6: false,
    readyName: 'local.test',
    startTimeoutMs: 30_000,
    files: {
      'clusters/east/shop.yaml': ingressYaml({ name: 'shop', hostname: `${R53_NAME},${KNOT_NAME}`, ips: [EAST] }),
      'clusters/west/shop.yaml': ingressYaml({ name: 'shop', hostname: `${R53_NAME},${KNOT_NAME}`, ips: [WEST] }),
      'secrets/knot.yaml': `tsig-secret: ${knot.key.secret}\n`,
    },
  });
  t.teardown(() => g.cleanup());

  return {
    g,
    sim,
    zoneId,
    knot,
    east,
    west,
    r53: () => sim.records(zoneId).find((r) => r.name === `${R53_NAME}.` && r.type === 'A')?.values?.slice().sort().join(','),
    knotA: async () => (await knotQuery(knot.port, KNOT_NAME, 'A')).flatMap((a) => (a.type === 'A' ? [a.data] : [])).sort().join(',') || undefined,
    knotSerial: async () => {
      const soa = (await knotQuery(knot.port, 'example.org', 'SOA')).find((a) => a.type === 'SOA');
      if (soa?.type !== 'SOA' || soa.data.serial === undefined) throw new Error('knot has no SOA for example.org');
      return soa.data.serial;
    },
    r53Writes: () => sim.calls.filter((c) => c.op === 'ChangeResourceRecordSets' && c.status === 200),
    transitions: () => transitions(g.logs()),
  };
}

/** Polls both providers (every 25 ms) until each holds `want`; when each was first seen holding it. */
async function bothHold(w: World, want: string, ms: number): Promise<{ r53: number; knot: number }> {
  const seen: { r53?: number; knot?: number } = {};
  let last = { r53: undefined as string | undefined, knot: undefined as string | undefined };
  await waitFor(
    async () => {
      last = { r53: w.r53(), knot: await w.knotA() };
      const now = Date.now();
      if (seen.r53 === undefined && last.r53 === want) seen.r53 = now;
      if (seen.knot === undefined && last.knot === want) seen.knot = now;
      return seen.r53 !== undefined && seen.knot !== undefined ? true : undefined;
    },
    ms,
    () => `both providers hold ${want} (Route53: ${last.r53}, knot: ${last.knot})`,
    { intervalMs: 25 },
  );
  return { r53: seen.r53!, knot: seen.knot! };
}

function transitionOf(w: World, address: string, to: string, after: number, ms: number): Promise<Transition> {
  return waitFor(() => w.transitions().find((x) => x.address === address && x.to === to && x.at >= after - 5), ms, `${address} logged ${to}`, { intervalMs: 25 });
}

test.serial('failover at Route53 and RFC 2136 (knot) within one debounce of the health transition; failback only after `failback`', async (t) => {
  t.timeout(120_000);
  const DEBOUNCE_MS = 500;
  const FAILBACK_MS = 3_000;
  const w = await startWorld(t, { debounce: `${DEBOUNCE_MS}ms`, failback: `${FAILBACK_MS / 1000}s` });
  try {
    // Both judged healthy: the primary group (east) is published at both providers.
    await transitionOf(w, EAST, 'healthy', 0, 20_000);
    await transitionOf(w, WEST, 'healthy', 0, 20_000);
    await bothHold(w, EAST, 30_000);

    // East's health endpoint starts answering 503.
    const broken = Date.now();
    await w.east.set(FAIL_503);
    const down = await transitionOf(w, EAST, 'unhealthy', broken, FAILURE_THRESHOLD * INTERVAL_MS + 200 + 5_000);
    const failed = w.east.requests.filter((p) => p.at >= broken && p.at <= down.at && p.status === 503).length;
    t.true(failed >= FAILURE_THRESHOLD, `down after ${failed} failed probes`);
    const writesBefore = w.r53Writes().length;
    const moved = await bothHold(w, WEST, DEBOUNCE_MS + MARGIN_MS + 5_000);
    const r53Write = w.r53Writes().slice(writesBefore).find((c) => c.time >= down.at - 5);
    t.truthy(r53Write, 'a Route53 write after the transition');
    const r53Delay = r53Write!.time - down.at;
    const knotDelay = moved.knot - down.at;
    t.log(`east down ${down.at - broken} ms after its health endpoint broke; Route53 written ${r53Delay} ms, knot seen ${knotDelay} ms after the transition (debounce ${DEBOUNCE_MS} ms)`);
    t.true(r53Delay <= DEBOUNCE_MS + MARGIN_MS, `Route53 followed ${r53Delay} ms after the transition`);
    t.true(knotDelay <= DEBOUNCE_MS + MARGIN_MS, `knot followed ${knotDelay} ms after the transition`);

    // East recovers: it is judged healthy again, but gets the name back only after failback.
    const fixed = Date.now();
    await w.east.set(OK);
    const up = await transitionOf(w, EAST, 'healthy', fixed, 2 * INTERVAL_MS + FAILURE_THRESHOLD * INTERVAL_MS + 5_000);
    const writesAtUp = w.r53Writes().length;
    const back = await bothHold(w, EAST, FAILBACK_MS + DEBOUNCE_MS + MARGIN_MS + 5_000);
    const backWrite = w.r53Writes().slice(writesAtUp).find((c) => c.time >= up.at);
    t.truthy(backWrite, 'a Route53 write after the recovery');
    const r53Back = backWrite!.time - up.at;
    const knotBack = back.knot - up.at;
    t.log(`east up again ${up.at - fixed} ms after its health endpoint was fixed; Route53 written ${r53Back} ms, knot seen ${knotBack} ms after (failback ${FAILBACK_MS} ms)`);
    // The log line comes a moment after the verdict's own time: a few ms of slack below failback.
    t.true(r53Back >= FAILBACK_MS - 100, `Route53 got east back ${r53Back} ms after it recovered, before failback`);
    t.true(knotBack >= FAILBACK_MS - 100, `knot got east back ${knotBack} ms after it recovered, before failback`);
    t.true(r53Back <= FAILBACK_MS + DEBOUNCE_MS + MARGIN_MS, `Route53 got east back ${r53Back} ms after it recovered`);
    t.true(knotBack <= FAILBACK_MS + DEBOUNCE_MS + MARGIN_MS, `knot got east back ${knotBack} ms after it recovered`);
    // West stayed healthy throughout.
    t.false(w.transitions().some((x) => x.address === WEST && x.to === 'unhealthy'));
  } catch (e) {
    t.fail(`${(e as Error).message}\n--- globaldns ---\n${tail(w.g.logs())}`);
  }
});

test.serial('an endpoint flapping in bursts for 20 s causes at most ceil(duration / (failureThreshold × interval)) + 1 writes at each provider', async (t) => {
  t.timeout(120_000);
  const FLAP_MS = 20_000;
  // A short debounce and no failback: every transition of east changes both names' answers, so
  // nothing but the verdict's hysteresis stands between the flapping and the provider writes.
  // One success suffices to come back up, so the bound rests on the damping (up again no sooner
  // than failureThreshold × interval after going down), not on the success threshold alone.
  const w = await startWorld(t, { debounce: '50ms', failback: '0s', successThreshold: 1 });
  const quiet = () =>
    waitFor(
      async () => {
        const n = w.r53Writes().length;
        const s = await w.knotSerial();
        await sleep(500);
        return n === w.r53Writes().length && s === (await w.knotSerial()) ? true : undefined;
      },
      10_000,
      'providers quiet',
    );
  try {
    await transitionOf(w, EAST, 'healthy', 0, 20_000);
    await transitionOf(w, WEST, 'healthy', 0, 20_000);
    await bothHold(w, EAST, 30_000);
    await quiet();

    const r53Before = w.r53Writes().length;
    const serialBefore = await w.knotSerial();
    const transitionsBefore = w.transitions().length;
    // East answers its probes in bursts, whatever their phase: two failures (just enough to
    // go down), one success (enough to come back up with thresholds alone), over and over.
    // Thresholds alone would let this through as two transitions every three intervals.
    const cycle = ['fail', 'fail', 'ok'] as const;
    let answered = 0;
    await w.east.set({ kind: 'script', next: () => (cycle[answered++ % cycle.length] === 'ok' ? { kind: 'ok' } : { kind: 'status', status: 503 }) });
    const start = Date.now();
    // The flapping lasts a fixed time: nothing to await but the clock.
    await sleep(FLAP_MS);
    await w.east.set(OK);
    const flapEnd = Date.now();
    // East is back at both providers and the writes have stopped.
    await bothHold(w, EAST, 4 * INTERVAL_MS + MARGIN_MS + 5_000);
    await quiet();
    const duration = Date.now() - start;

    const r53Writes = w.r53Writes().length - r53Before;
    const knotWrites = (await w.knotSerial()) - serialBefore;
    const eastTransitions = w.transitions().slice(transitionsBefore).filter((x) => x.address === EAST).length;
    const bound = Math.ceil(duration / (FAILURE_THRESHOLD * INTERVAL_MS)) + 1;
    // What the same probe answers would have caused with thresholds alone (down after 2
    // failures, up after 1 success), without the damping: shows the flapping is fast enough to matter.
    const probes = w.east.requests.filter((p) => p.at >= start && p.at <= flapEnd);
    let undamped = 0;
    let up = true;
    let failures = 0;
    for (const p of probes) {
      failures = p.status === 200 ? 0 : failures + 1;
      if (up && failures >= FAILURE_THRESHOLD) [up, undamped] = [false, undamped + 1];
      else if (!up && p.status === 200) [up, undamped] = [true, undamped + 1];
    }
    t.log(`${probes.length} probes of east in ${flapEnd - start} ms of flapping (${probes.filter((p) => p.status !== 200).length} failed); over ${duration} ms: ${eastTransitions} health transitions of east (${undamped} without damping), ${r53Writes} Route53 writes, ${knotWrites} knot updates (bound ${bound})`);
    // One probe per interval for both names: the entries share it.
    t.true(probes.length <= Math.ceil((flapEnd - start) / INTERVAL_MS) + 2, `${probes.length} probes: one per interval`);
    t.true(undamped > bound, `the flapping is fast enough to break the bound without damping (${undamped} transitions)`);
    t.true(eastTransitions >= 2, "the flapping changed east's health");
    t.true(r53Writes >= 1 && knotWrites >= 1, 'the flapping reached the providers');
    t.true(r53Writes <= bound, `${r53Writes} Route53 writes > ${bound}`);
    t.true(knotWrites <= bound, `${knotWrites} knot updates > ${bound}`);
    // No write without a changed answer.
    t.true(r53Writes <= eastTransitions + 1, `${r53Writes} Route53 writes for ${eastTransitions} transitions`);
    t.true(knotWrites <= eastTransitions + 1, `${knotWrites} knot updates for ${eastTransitions} transitions`);
    t.false(w.transitions().some((x) => x.address === WEST && x.to === 'unhealthy'));
  } catch (e) {
    t.fail(`${(e as Error).message}\n--- globaldns ---\n${tail(w.g.logs())}`);
  }
});
