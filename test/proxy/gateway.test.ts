// What clients see when upstreams fail: 502 when none can be reached, 504 when the head does
// not come in time, a cut response when the body stalls, and requests for other names
// unaffected.
import net from 'node:net';
import type { Socket } from 'node:net';
import test from 'ava';
import { ingressYaml } from '../support/globaldns.js';
import { freePort } from '../support/ports.js';
import { killServer, listenOn, trackSockets } from '../support/tcp-server.js';
import { curl, startWorld } from './world.js';
import type { ProxyWorld } from './world.js';

let world: ProxyWorld;
/** Accepts TCP and never says a word: a TLS upstream whose handshake never completes. */
let silent: net.Server;
const silentSockets = new Set<Socket>();

test.before(async () => {
  const silentPort = await freePort({ ipv6: false });
  silent = net.createServer(() => {});
  trackSockets(silent, silentSockets);
  await listenOn(silent, silentPort, '127.0.0.5');
  world = await startWorld({
    proxy: { timeouts: { headers: '1s', body: '1s', connect: '1s' } },
    entries: [
      // down.example.test: its only cluster's load balancer (127.0.0.4) has nothing listening.
      { fqdn: 'down.example.test', targets: [{ cluster: 'east' }], proxy: { upstreamPort: 9 } },
      { fqdn: 'silent.example.test', targets: [{ cluster: 'east' }], proxy: { upstreamPort: silentPort, upstreamScheme: 'https' } },
    ],
    files: {
      'clusters/east/down.yaml': ingressYaml({ name: 'down', hostname: 'down.example.test', ips: ['127.0.0.4'] }),
      'clusters/east/silent.yaml': ingressYaml({ name: 'silent', hostname: 'silent.example.test', ips: ['127.0.0.5'] }),
    },
  });
});

test.after.always(async () => {
  await world?.stop();
  if (silent) await killServer(silent, silentSockets);
});

test.serial('an upstream connection not established within the connect timeout: 502 saying so', async (t) => {
  let r = await curl(['-H', 'host: silent.example.test', `http://127.0.0.1:${world.httpPort}/`]);
  for (let i = 0; i < 50 && r.status === 404; i++) r = await curl(['-H', 'host: silent.example.test', `http://127.0.0.1:${world.httpPort}/`]);
  const started = Date.now();
  r = await curl(['-H', 'host: silent.example.test', `http://127.0.0.1:${world.httpPort}/`]);
  const ms = Date.now() - started;
  t.is(r.status, 502);
  t.regex(r.body, /silent\.example\.test: https:\/\/127\.0\.0\.5:\d+: GLOBALDNS_CONNECT_TIMEOUT/);
  // 1 s connect timeout, swept every 250 ms; the retry finds no other cluster.
  t.true(ms >= 900 && ms < 4000, `answered after ${ms} ms`);
  t.is((await world.get('/')).status, 200, 'other names unaffected');
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
