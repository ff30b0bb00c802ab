// What clients see when upstreams fail: 502 when none can be reached, 504 when the head does
// not come in time, a cut response when the body stalls, and requests for other names
// unaffected.
import test from 'ava';
import { ingressYaml } from '../support/globaldns.js';
import { curl, startWorld } from './world.js';
import type { ProxyWorld } from './world.js';

let world: ProxyWorld;

test.before(async () => {
  world = await startWorld({
    proxy: { timeouts: { headers: '1s', body: '1s', connect: '1s' } },
    // down.example.test: its only cluster's load balancer (127.0.0.4) has nothing listening.
    entries: [{ fqdn: 'down.example.test', targets: [{ cluster: 'east' }], proxy: { upstreamPort: 9 } }],
    files: { 'clusters/east/down.yaml': ingressYaml({ name: 'down', hostname: 'down.example.test', ips: ['127.0.0.4'] }) },
  });
});

test.after.always(async () => {
  await world?.stop();
});

test.serial('no upstream reachable: 502 naming the upstream and the error', async (t) => {
  let r = await curl(['-H', 'host: down.example.test', `http://127.0.0.1:${world.httpPort}/`]);
  for (let i = 0; i < 50 && r.status === 404; i++) r = await curl(['-H', 'host: down.example.test', `http://127.0.0.1:${world.httpPort}/`]);
  t.is(r.status, 502);
  t.regex(r.body, /down\.example\.test: http:\/\/127\.0\.0\.4:9: ECONNREFUSED/);
  // Ejected after two failures, still tried (nothing else to send to), still a clean 502.
  for (let i = 0; i < 3; i++) t.is((await curl(['-H', 'host: down.example.test', `http://127.0.0.1:${world.httpPort}/`])).status, 502);
  t.is((await world.get('/')).status, 200, 'other names unaffected');
});

test.serial('upstream head later than the headers timeout: 504', async (t) => {
  const started = Date.now();
  const r = await world.get('/slow-headers?ms=4000');
  t.is(r.status, 504);
  t.regex(r.body, /GLOBALDNS_HEADERS_TIMEOUT/);
  t.true(Date.now() - started < 3500, `answered after ${Date.now() - started} ms`);
});

test.serial('upstream body stalling past the body timeout: the response is cut, not completed', async (t) => {
  const r = await world.get('/stall-body');
  t.not(r.code, 0, 'curl sees a transfer error');
  t.true(r.body.length < 1000);
  t.is((await world.get('/')).status, 200);
});
