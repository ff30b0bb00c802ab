// Proxy metrics through the real CLI: requests counted in node:cluster workers (plain numbers,
// sent to the primary once a second) reach the admin listener's /metrics by host, cluster and
// status; the upstream latency histogram has one observation per proxied request; an unknown
// Host counts as a 404 with host and cluster ''; a killed upstream's ejection is counted.
// Also the single-process mode (`workers: 0`), which takes the same path without IPC.
import test from 'ava';
import type { ExecutionContext } from 'ava';
import { PROXY_LATENCY_BUCKETS } from '../../src/observe/index.js';
import { ProxyTally } from '../../src/proxy/tally.js';
import { curl, sleep, startWorld } from './world.js';
import type { ProxyWorld } from './world.js';

interface Sample {
  name: string;
  labels: Record<string, string>;
  value: number;
}

function parse(text: string): Sample[] {
  const out: Sample[] = [];
  for (const line of text.split('\n')) {
    const m = /^([a-zA-Z_:][\w:]*)(?:\{(.*)\})? (\S+)$/.exec(line);
    if (!m) continue;
    const labels = Object.fromEntries([...(m[2] ?? '').matchAll(/(\w+)="((?:[^"\\]|\\.)*)"/g)].map((x) => [x[1], x[2]]));
    out.push({ name: m[1], labels, value: Number(m[3]) });
  }
  return out;
}

/** Sum of the samples of `name` whose labels include `match`. */
function total(samples: Sample[], name: string, match: Record<string, string> = {}): number {
  let sum = 0;
  for (const s of samples) if (s.name === name && Object.entries(match).every(([k, v]) => s.labels[k] === v)) sum += s.value;
  return sum;
}

async function scrape(world: ProxyWorld): Promise<Sample[]> {
  const res = await fetch(`${world.gd.adminUrl}/metrics`);
  if (res.status !== 200) throw new Error(`/metrics: ${res.status}`);
  return parse(await res.text());
}

/**
 * Counts arrive once a second per process: scrape until `done` holds (or 8 s pass) and
 * return the last scrape.
 */
async function scrapeUntil(world: ProxyWorld, done: (s: Sample[]) => boolean): Promise<Sample[]> {
  const deadline = Date.now() + 8000;
  for (;;) {
    const s = await scrape(world);
    if (done(s) || Date.now() > deadline) return s;
    await sleep(200);
  }
}

/** A scrape after the counts have settled (two scrapes 1.5 s apart agree), as the baseline for deltas. */
async function settled(world: ProxyWorld): Promise<Sample[]> {
  let before = await scrape(world);
  for (let i = 0; i < 10; i++) {
    await sleep(1500);
    const now = await scrape(world);
    const same = (n: string) => total(now, n) === total(before, n);
    if (same('globaldns_proxy_requests_total') && same('globaldns_proxy_upstream_duration_seconds_count')) return now;
    before = now;
  }
  return before;
}

const SHOP = 'shop.example.test';

async function requestsCountedByCluster(t: ExecutionContext, world: ProxyWorld, n: number): Promise<void> {
  const base = await settled(world);
  const hits0 = { east: world.east.hits, west: world.west.hits };
  for (let i = 0; i < n; i++) {
    const r = await world.get('/');
    t.is(r.status, 200, r.stderr);
  }
  const expected = { east: world.east.hits - hits0.east, west: world.west.hits - hits0.west };
  t.is(expected.east + expected.west, n, 'every request reached an upstream once');
  const delta = (s: Sample[], cluster: string) => total(s, 'globaldns_proxy_requests_total', { host: SHOP, cluster, status: '200' }) - total(base, 'globaldns_proxy_requests_total', { host: SHOP, cluster, status: '200' });
  const latency = (s: Sample[]) => total(s, 'globaldns_proxy_upstream_duration_seconds_count') - total(base, 'globaldns_proxy_upstream_duration_seconds_count');
  const after = await scrapeUntil(world, (s) => delta(s, 'east') + delta(s, 'west') >= n && latency(s) >= n);
  t.is(delta(after, 'east'), expected.east, 'east: as many 200s as east answered');
  t.is(delta(after, 'west'), expected.west, 'west: as many 200s as west answered');
  t.is(latency(after), n, 'one upstream latency observation per proxied request');
  // The +Inf bucket holds them all; the first buckets are cumulative and never above it.
  for (const cluster of ['east', 'west']) {
    const inf = total(after, 'globaldns_proxy_upstream_duration_seconds_bucket', { cluster, le: '+Inf' });
    t.is(inf, total(after, 'globaldns_proxy_upstream_duration_seconds_count', { cluster }));
    t.true(total(after, 'globaldns_proxy_upstream_duration_seconds_bucket', { cluster, le: '1' }) <= inf);
  }
  t.true(total(after, 'globaldns_proxy_upstream_duration_seconds_sum') > total(base, 'globaldns_proxy_upstream_duration_seconds_sum'));
}

async function unknownHostCounted(t: ExecutionContext, world: ProxyWorld): Promise<void> {
  const base = await settled(world);
  for (let i = 0; i < 3; i++) {
    const r = await curl(['-H', 'host: nowhere.example.test', `http://127.0.0.1:${world.httpPort}/`]);
    t.is(r.status, 404);
  }
  const key = { host: '', cluster: '', status: '404' };
  const after = await scrapeUntil(world, (s) => total(s, 'globaldns_proxy_requests_total', key) - total(base, 'globaldns_proxy_requests_total', key) >= 3);
  t.is(total(after, 'globaldns_proxy_requests_total', key) - total(base, 'globaldns_proxy_requests_total', key), 3);
  t.false(after.some((s) => s.name === 'globaldns_proxy_requests_total' && s.labels.host === 'nowhere.example.test'), 'a Host no route names is never a label');
}

test.serial('two workers: requests by cluster and status, latency, unknown hosts, ejections', async (t) => {
  const world = await startWorld({ proxy: { workers: 2 } });
  try {
    await requestsCountedByCluster(t, world, 60);
    await unknownHostCounted(t, world);

    // East killed: its connect failures eject it (in each worker that meets them), and the
    // ejection is counted under its cluster and endpoint; requests keep succeeding via west.
    const endpoint = `http://127.0.0.2:${world.upstreamPort}`;
    const ejections = (s: Sample[]) => total(s, 'globaldns_proxy_ejections_total', { cluster: 'east', endpoint });
    t.is(ejections(await scrape(world)), 0);
    await world.east.stop();
    for (let i = 0; i < 20; i++) {
      const r = await world.get('/');
      t.is(r.status, 200, `request ${i} with east down: ${r.body} ${r.stderr}`);
      t.is(r.body, 'west');
    }
    const after = await scrapeUntil(world, (s) => ejections(s) >= 1);
    t.true(ejections(after) >= 1 && ejections(after) <= 2, `ejections of east counted: ${ejections(after)} (one per worker at most)`);
  } finally {
    await world.stop();
  }
});

test.serial('single process (workers: 0): the same counts without IPC', async (t) => {
  const world = await startWorld({ proxy: { workers: 0 } });
  try {
    await requestsCountedByCluster(t, world, 20);
    await unknownHostCounted(t, world);
  } finally {
    await world.stop();
  }
});

test('ProxyTally: counts by (host, cluster, status), latency in the histogram buckets, drained once', (t) => {
  const tally = new ProxyTally();
  const east = tally.slot(SHOP, 'east');
  t.is(tally.slot(SHOP, 'east'), east, 'one slot per (host, cluster)');
  east.count(200, 1); // exactly 1 ms: the 0.001 bucket (le is inclusive)
  east.count(200, 7);
  east.count(502, 20_000);
  tally.slot(SHOP, '').count(308, 0); // our own answer: no upstream time
  tally.unrouted.count(404);
  tally.ejection('east', 'http://127.0.0.2:80');
  const counts = tally.drain()!;
  t.deepEqual(
    counts.requests.map((r) => `${r.host}|${r.cluster}|${r.status}=${r.count}`).sort(),
    ['||404=1', 'shop.example.test||308=1', 'shop.example.test|east|200=2', 'shop.example.test|east|502=1'].sort(),
  );
  t.is(counts.latency.length, 1);
  const l = counts.latency[0];
  t.is(l.cluster, 'east');
  t.is(l.buckets.length, PROXY_LATENCY_BUCKETS.length + 1);
  t.is(l.buckets[0], 1);
  t.is(l.buckets[PROXY_LATENCY_BUCKETS.indexOf(0.01)], 1);
  t.is(l.buckets[PROXY_LATENCY_BUCKETS.length], 1, '20 s is above every bound');
  t.is(Math.round(l.sum * 1000), 20_008);
  t.deepEqual(counts.ejections, [{ cluster: 'east', endpoint: 'http://127.0.0.2:80', count: 1 }]);
  t.is(tally.drain(), undefined, 'nothing new since the last drain');
});
