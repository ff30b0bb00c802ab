// The Cloudflare simulator on its own, over plain HTTP: the envelope, paging, auth, batch
// semantics (order, one transaction) and error codes the provider tests rely on.
import test from 'ava';
import { startCloudflareSim, type CloudflareSim } from '../../support/cloudflare-sim/index.js';

async function api(sim: CloudflareSim, method: string, path: string, body?: unknown, headers: Record<string, string> = { authorization: `Bearer ${sim.token}` }) {
  const res = await fetch(sim.url + path, { method, headers: { 'content-type': 'application/json', ...headers }, body: body === undefined ? undefined : JSON.stringify(body) });
  return { status: res.status, headers: res.headers, json: (await res.json()) as { success: boolean; errors: { code: number; message: string }[]; result: unknown; result_info?: Record<string, number> } };
}

test('list envelope and paging: result_info with page, per_page, count, total_count, total_pages', async (t) => {
  const sim = await startCloudflareSim();
  try {
    const id = sim.createZone('example.org');
    for (let i = 0; i < 7; i++) sim.seed(id, { name: `h${i}`, type: 'A', ttl: 600, content: `192.0.2.${i}` });
    const p = await api(sim, 'GET', `/zones/${id}/dns_records?page=2&per_page=3`);
    t.is(p.status, 200);
    t.true(p.json.success);
    t.deepEqual(p.json.errors, []);
    t.deepEqual(p.json.result_info, { page: 2, per_page: 3, count: 3, total_count: 7, total_pages: 3 });
    const dflt = await api(sim, 'GET', `/zones/${id}/dns_records`);
    t.is(dflt.json.result_info?.per_page, 100);
    const bad = await api(sim, 'GET', `/zones/${id}/dns_records?per_page=0`);
    t.is(bad.status, 400);
    t.is(bad.json.errors[0].code, 1004);
    const zones = await api(sim, 'GET', '/zones?name=example.org');
    t.deepEqual((zones.json.result as { id: string }[]).map((z) => z.id), [id]);
  } finally {
    await sim.stop();
  }
});

test('auth: a wrong token is 403 9109, a wrong key 403 9103, none at all 400 10000', async (t) => {
  const sim = await startCloudflareSim();
  try {
    t.deepEqual((await api(sim, 'GET', '/zones', undefined, { authorization: 'Bearer nope' })).json.errors[0].code, 9109);
    const key = await api(sim, 'GET', '/zones', undefined, { 'x-auth-email': sim.key.email, 'x-auth-key': 'nope' });
    t.is(key.status, 403);
    t.is(key.json.errors[0].code, 9103);
    t.is((await api(sim, 'GET', '/zones', undefined, {})).json.errors[0].code, 10000);
    t.is((await api(sim, 'GET', '/zones', undefined, { 'x-auth-email': sim.key.email, 'x-auth-key': sim.key.key })).status, 200);
    t.deepEqual(sim.calls.map((c) => c.auth), ['token', 'key', 'none', 'key']);
  } finally {
    await sim.stop();
  }
});

test('batch: deletes, patches, posts in that order, as one transaction that a failing operation refuses whole', async (t) => {
  const sim = await startCloudflareSim({ batchLimit: 4 });
  try {
    const id = sim.createZone('example.org');
    const a = sim.seed(id, { name: 'x', type: 'A', ttl: 600, content: '192.0.2.1' });
    // A CNAME at x is fine in the same batch that deletes x's A: deletes run first.
    const ok = await api(sim, 'POST', `/zones/${id}/dns_records/batch`, { posts: [{ name: 'x.example.org', type: 'CNAME', content: 'y.example.org', ttl: 600 }], deletes: [{ id: a.id }] });
    t.is(ok.status, 200, JSON.stringify(ok.json.errors));
    t.deepEqual(sim.records(id).map((r) => r.type), ['CNAME']);
    // One bad post refuses everything, the delete included.
    const cname = sim.records(id)[0];
    const bad = await api(sim, 'POST', `/zones/${id}/dns_records/batch`, { deletes: [{ id: cname.id }], posts: [{ name: 'z', type: 'A', content: '192.0.2.2', ttl: 600 }, { name: 'z', type: 'A', content: 'not-an-ip', ttl: 600 }] });
    t.is(bad.status, 400);
    t.is(bad.json.errors[0].code, 9005);
    t.regex(bad.json.errors[0].message, /^posts\[1\]: /);
    t.deepEqual(sim.records(id).map((r) => r.type), ['CNAME'], 'nothing applied');
    const over = await api(sim, 'POST', `/zones/${id}/dns_records/batch`, { posts: Array.from({ length: 5 }, (_, i) => ({ name: `n${i}`, type: 'A', content: '192.0.2.9', ttl: 600 })) });
    t.is(over.status, 400);
    t.deepEqual(sim.calls.at(-1)?.batch, { deletes: 0, patches: 0, puts: 0, posts: 5 });
  } finally {
    await sim.stop();
  }
});

test('record rules: CNAME beside data 81053, beside a CNAME 81054, identical 81057, TTL 9021, proxied TXT 9004', async (t) => {
  const sim = await startCloudflareSim();
  try {
    const id = sim.createZone('example.org');
    sim.seed(id, { name: 'a', type: 'A', ttl: 600, content: '192.0.2.1' });
    sim.seed(id, { name: 'c', type: 'CNAME', ttl: 600, content: 'target.example.net' });
    const post = async (body: unknown) => (await api(sim, 'POST', `/zones/${id}/dns_records`, body)).json.errors[0]?.code;
    t.is(await post({ name: 'a', type: 'CNAME', content: 'x.example.net', ttl: 600 }), 81053);
    t.is(await post({ name: 'c', type: 'TXT', content: 'hello', ttl: 600 }), 81054);
    t.is(await post({ name: 'a', type: 'A', content: '192.0.2.1', ttl: 600 }), 81057);
    t.is(await post({ name: 'b', type: 'A', content: '192.0.2.1', ttl: 30 }), 9021);
    t.is(await post({ name: 'b', type: 'TXT', content: 'x', ttl: 600, proxied: true }), 9004);
    const proxied = await api(sim, 'POST', `/zones/${id}/dns_records`, { name: 'p', type: 'A', content: '192.0.2.5', ttl: 600, proxied: true });
    t.like(proxied.json.result, { name: 'p.example.org', ttl: 1, proxied: true });
  } finally {
    await sim.stop();
  }
});

test('faults: 429 carries Retry-After and code 971; the call is logged as throttled', async (t) => {
  const sim = await startCloudflareSim();
  try {
    sim.script({ kind: 'throttle', retryAfterSeconds: 12 });
    const r = await api(sim, 'GET', '/zones');
    t.is(r.status, 429);
    t.is(r.headers.get('retry-after'), '12');
    t.is(r.json.errors[0].code, 971);
    t.true(sim.calls[0].throttled);
  } finally {
    await sim.stop();
  }
});
