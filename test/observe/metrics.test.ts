// The metrics registry on its own: what providers and the proxy push, what the DNS counters
// hold, and what the scrape-time inputs say, as Prometheus text.
import test from 'ava';
import { Metrics, PROXY_LATENCY_BUCKETS } from '../../src/observe/index.js';
import { QueryStats } from '../../src/dns/index.js';
import { buildQuery } from '../support/wire.js';
import { sample } from '../support/prom.js';

test('provider calls are counted by outcome and timed; throttles and errors apart', async (t) => {
  const m = new Metrics({ version: '1.2.3' });
  const observe = m.providerObserver();
  observe({ provider: 'r53', operation: 'ChangeResourceRecordSets', outcome: 'ok', ms: 120 });
  observe({ provider: 'r53', operation: 'ChangeResourceRecordSets', outcome: 'ok', ms: 80 });
  observe({ provider: 'r53', operation: 'ChangeResourceRecordSets', outcome: 'throttled', ms: 5 });
  observe({ provider: 'cf', operation: 'GET dns_records', outcome: 'error', ms: 30 });
  const { body } = await m.text();
  t.is(sample(body, 'globaldns_provider_api_calls_total', { provider: 'r53', operation: 'ChangeResourceRecordSets', outcome: 'ok' }), 2);
  t.is(sample(body, 'globaldns_provider_api_calls_total', { provider: 'r53', operation: 'ChangeResourceRecordSets', outcome: 'throttled' }), 1);
  t.is(sample(body, 'globaldns_provider_api_calls_total', { provider: 'cf', operation: 'GET dns_records', outcome: 'error' }), 1);
  t.is(sample(body, 'globaldns_provider_api_call_duration_seconds_count', { provider: 'r53', operation: 'ChangeResourceRecordSets' }), 3);
  t.is(sample(body, 'globaldns_provider_api_call_duration_seconds_bucket', { provider: 'r53', operation: 'ChangeResourceRecordSets', le: '0.1' }), 2);
  t.is(sample(body, 'globaldns_build_info', { version: '1.2.3', node: process.versions.node }), 1);
});

test('DNS counts come from the server counters at scrape time, by rcode and type; latency is sampled', async (t) => {
  const m = new Metrics({ version: 'test' });
  const stats = new QueryStats();
  m.attachDns(stats);
  // A handler answering NXDOMAIN for names under bad., NOERROR otherwise: the response carries the question.
  const handle = stats.wrap((msg) => {
    if ((msg[2] & 0x80) !== 0) return null; // a response: dropped
    const out = Buffer.from(msg);
    out[2] |= 0x80;
    out[3] = (out[3] & 0xf0) | (msg.includes(Buffer.from('bad')) ? 3 : 0);
    return out;
  });
  for (let i = 0; i < 100; i++) handle(buildQuery(`h${i}.example.test`, { type: 'A' }), 0);
  for (let i = 0; i < 7; i++) handle(buildQuery('x.bad.example.test', { type: 'AAAA' }), 0);
  handle(buildQuery('x.example.test', { type: 'DNSKEY' }), 0);
  const reply = handle(buildQuery('x.example.test', { type: 'A' }), 0)!;
  handle(reply, 0);
  const { body } = await m.text();
  t.is(sample(body, 'globaldns_dns_queries_total', { rcode: 'NOERROR', type: 'A' }), 101);
  t.is(sample(body, 'globaldns_dns_queries_total', { rcode: 'NXDOMAIN', type: 'AAAA' }), 7);
  t.is(sample(body, 'globaldns_dns_queries_total', { rcode: 'NOERROR', type: 'OTHER' }), 1);
  t.is(sample(body, 'globaldns_dns_queries_dropped_total'), 1);
  // 110 queries, one in 64 timed.
  t.is(sample(body, 'globaldns_dns_query_duration_seconds_count'), 1);
});

test('proxy requests, upstream latency and ejections; cluster, provider, entry and leader state from the inputs', async (t) => {
  const now = 1_700_000_000_000;
  const m = new Metrics({
    version: 'test',
    now: () => now,
    inputs: {
      clusters: () => [{ cluster: 'east', phase: 'Degraded', lastEventAt: now - 4500, watchRestarts: 3 }],
      providers: () => [{ provider: 'r53', pending: 2, lastSyncAt: now - 60_000 }],
      names: () => [
        {
          fqdn: 'shop.example.test',
          clusters: ['east', 'west'],
          health: 'up',
          endpoints: [
            { cluster: 'east', namespace: 'shop', kind: 'Ingress', name: 'web', targets: ['192.0.2.1'], accepted: true },
            { cluster: 'west', namespace: 'shop', kind: 'Ingress', name: 'web', targets: ['192.0.2.2'], accepted: true },
            { cluster: 'lab', namespace: 'shop', kind: 'Ingress', name: 'web', targets: ['192.0.2.3'], accepted: false, rejection: 'cluster lab is not a target' },
          ],
        },
      ],
      leader: () => ({ identity: 'replica-0', isLeader: true, leader: 'replica-0' }),
    },
  });
  m.proxy.request('shop.example.test', 'east', 200, 12);
  m.proxy.request('shop.example.test', 'east', 200, 30);
  m.proxy.request('shop.example.test', '', 503, 0);
  m.proxy.ejection('east', '192.0.2.1:443');
  const { body } = await m.text();
  t.is(sample(body, 'globaldns_proxy_requests_total', { host: 'shop.example.test', cluster: 'east', status: '200' }), 2);
  t.is(sample(body, 'globaldns_proxy_requests_total', { host: 'shop.example.test', cluster: '', status: '503' }), 1);
  t.is(sample(body, 'globaldns_proxy_upstream_duration_seconds_count', { cluster: 'east' }), 2);
  t.is(sample(body, 'globaldns_proxy_ejections_total', { cluster: 'east', endpoint: '192.0.2.1:443' }), 1);
  t.is(sample(body, 'globaldns_cluster_state', { cluster: 'east', state: 'Degraded' }), 1);
  t.is(sample(body, 'globaldns_cluster_state', { cluster: 'east', state: 'Synced' }), 0);
  t.is(sample(body, 'globaldns_cluster_last_event_age_seconds', { cluster: 'east' }), 4.5);
  t.is(sample(body, 'globaldns_cluster_watch_restarts_total', { cluster: 'east' }), 3);
  t.is(sample(body, 'globaldns_provider_pending_changes', { provider: 'r53' }), 2);
  t.is(sample(body, 'globaldns_provider_last_sync_timestamp_seconds', { provider: 'r53' }), (now - 60_000) / 1000);
  t.is(sample(body, 'globaldns_entry_endpoints', { fqdn: 'shop.example.test' }), 2);
  t.is(sample(body, 'globaldns_entry_rejected_claims', { fqdn: 'shop.example.test' }), 1);
  t.is(sample(body, 'globaldns_leader', { identity: 'replica-0' }), 1);
});

test('proxy counts from another process are added as a batch: request counters, bucket counts, ejections', async (t) => {
  const m = new Metrics({ version: '1.2.3' });
  m.proxy.request('shop.example.test', 'east', 200, 3); // one observation in the 0.005 bucket
  const buckets = new Array<number>(PROXY_LATENCY_BUCKETS.length + 1).fill(0);
  buckets[0] = 2; // <= 1 ms
  buckets[2] = 3; // (5 ms, 10 ms]
  buckets[PROXY_LATENCY_BUCKETS.length] = 1; // above every bound
  m.proxy.add({
    requests: [
      { host: 'shop.example.test', cluster: 'east', status: 200, count: 5 },
      { host: 'shop.example.test', cluster: 'east', status: 503, count: 1 },
      { host: '', cluster: '', status: 404, count: 7 },
    ],
    latency: [{ cluster: 'east', buckets, sum: 12.5 }],
    ejections: [{ cluster: 'east', endpoint: 'http://192.0.2.1:80', count: 2 }],
  });
  const { body } = await m.text();
  t.is(sample(body, 'globaldns_proxy_requests_total', { host: 'shop.example.test', cluster: 'east', status: '200' }), 6);
  t.is(sample(body, 'globaldns_proxy_requests_total', { host: 'shop.example.test', cluster: 'east', status: '503' }), 1);
  t.is(sample(body, 'globaldns_proxy_requests_total', { host: '', cluster: '', status: '404' }), 7);
  // Cumulative buckets: 2 at 1 ms, +1 (the single observation) at 5 ms, +3 at 10 ms, the rest only in +Inf.
  t.is(sample(body, 'globaldns_proxy_upstream_duration_seconds_bucket', { cluster: 'east', le: '0.001' }), 2);
  t.is(sample(body, 'globaldns_proxy_upstream_duration_seconds_bucket', { cluster: 'east', le: '0.005' }), 3);
  t.is(sample(body, 'globaldns_proxy_upstream_duration_seconds_bucket', { cluster: 'east', le: '0.01' }), 6);
  t.is(sample(body, 'globaldns_proxy_upstream_duration_seconds_bucket', { cluster: 'east', le: '10' }), 6);
  t.is(sample(body, 'globaldns_proxy_upstream_duration_seconds_bucket', { cluster: 'east', le: '+Inf' }), 7);
  t.is(sample(body, 'globaldns_proxy_upstream_duration_seconds_count', { cluster: 'east' }), 7);
  t.is(sample(body, 'globaldns_proxy_upstream_duration_seconds_sum', { cluster: 'east' }), 12.503);
  t.is(sample(body, 'globaldns_proxy_ejections_total', { cluster: 'east', endpoint: 'http://192.0.2.1:80' }), 2);
  t.regex(body, /# TYPE globaldns_proxy_upstream_duration_seconds histogram/);
});
