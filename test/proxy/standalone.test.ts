// End to end in standalone mode, through the real CLI: two demo clusters (folders) whose
// Ingress load-balancer IPs are 127.0.0.2 and 127.0.0.3, an upstream server on each, curl
// through the proxy. Workers as in production (node:cluster), one upstream killed and revived.
import test from 'ava';
import { curl, sleep, startWorld } from './world.js';
import type { ProxyWorld } from './world.js';

let world: ProxyWorld;

test.before(async () => {
  world = await startWorld({ proxy: { workers: 2 } });
});

test.after.always(async () => {
  await world?.stop();
});

test.serial('curl through the proxy reaches both clusters, with Host kept and forwarding headers set', async (t) => {
  const seen = new Set<string>();
  for (let i = 0; i < 20; i++) {
    const r = await world.get('/');
    t.is(r.status, 200, r.stderr);
    seen.add(r.body);
  }
  t.deepEqual([...seen].sort(), ['east', 'west']);
  const h = JSON.parse((await world.get('/headers')).body) as Record<string, string>;
  t.is(h.host, 'shop.example.test');
  t.is(h['x-forwarded-for'], '127.0.0.1');
  t.is(h['x-forwarded-proto'], 'http');
  t.is(h['x-forwarded-host'], 'shop.example.test');
  t.is(h.forwarded, 'for=127.0.0.1;host=shop.example.test;proto=http');
});

test.serial('an unknown host gets a 404 that says so', async (t) => {
  const r = await curl(['-H', 'host: nowhere.example.test', `http://127.0.0.1:${world.httpPort}/`]);
  t.is(r.status, 404);
  t.regex(r.body, /no route for host "nowhere\.example\.test"/);
});

test.serial('one upstream killed: requests keep succeeding via the other; revived, it gets traffic again', async (t) => {
  // Load from 4 concurrent clients for the whole test; each request is counted.
  let stop = false;
  let ok = 0;
  const failures: string[] = [];
  const bodies = new Map<string, number>();
  const client = async (): Promise<void> => {
    for (let i = 0; i < 2000 && !stop; i++) {
      const r = await world.get('/');
      if (r.status === 200) {
        ok++;
        bodies.set(r.body, (bodies.get(r.body) ?? 0) + 1);
      } else failures.push(`${r.status} ${r.body} ${r.stderr}`);
    }
  };
  const clients = Array.from({ length: 4 }, client);
  await sleep(500);
  await world.east.stop();
  const eastHitsAtKill = world.east.hits;
  await sleep(1500);
  const westBefore = world.west.hits;
  await sleep(500);
  t.true(world.west.hits > westBefore, 'west keeps serving');
  // Idempotent requests are retried on the other cluster: at most the in-flight ones (one per client) fail.
  t.true(failures.length <= 4, `failures while east was down: ${failures.join('; ')}`);

  await world.east.start();
  const deadline = Date.now() + 10_000;
  while (world.east.hits === 0 && Date.now() < deadline) await sleep(100);
  await sleep(500);
  stop = true;
  await Promise.all(clients);
  t.true(world.east.hits > 0, `east receives traffic again after its re-check (hits at kill: ${eastHitsAtKill})`);
  t.true(failures.length <= 4, `failures: ${failures.join('; ')}`);
  t.true(ok > 50, `requests answered: ${ok}`);
  t.log(`answered ${ok}, failed ${failures.length}, east ${world.east.hits}, west ${world.west.hits}`);
});
