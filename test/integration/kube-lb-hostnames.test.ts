// Load-balancer hostnames that are a single label (issue 12): Kubernetes accepts `localhost`
// (or a name the search domain completes) in status.loadBalancer.ingress[].hostname, and
// globaldns publishes what the system resolver (getaddrinfo, /etc/hosts first) says it is.
import { lookup } from 'node:dns/promises';
import test from 'ava';
import { buildQuery, decode, udpExchange } from '../support/wire.js';
import { APEX, ingress, startWorld } from './kube-world.js';

const SHOP = `shop.${APEX}`;

function lbHostnameIngress(name: string, hosts: string, lbHostname: string): Record<string, unknown> {
  const obj = ingress({ name, hosts, ips: [] });
  return { ...obj, status: { loadBalancer: { ingress: [{ hostname: lbHostname }] } } };
}

test('an Ingress whose load balancer is `localhost` is published with the loopback addresses', async (t) => {
  // What this host's resolver says localhost is: 127.0.0.1, and ::1 where /etc/hosts lists it.
  const system = await lookup('localhost', { all: true, verbatim: true });
  const v4 = system.filter((a) => a.family === 4).map((a) => a.address).sort();
  const v6 = system.filter((a) => a.family === 6).map((a) => a.address).sort();
  t.true(v4.includes('127.0.0.1'), `localhost resolves to ${JSON.stringify(system)}`);

  const w = await startWorld({
    clusters: [{ name: 'east' }, { name: 'west' }],
    entries: [{ fqdn: SHOP, targets: [{ cluster: 'east' }, { cluster: 'west' }] }],
    seed: {
      east: [lbHostnameIngress('web', SHOP, 'localhost')],
      west: [ingress({ name: 'web', hosts: SHOP, ips: ['192.0.2.1'] })],
    },
  });
  t.teardown(() => w.close());

  await w.until(SHOP, ['192.0.2.1', ...v4].sort());
  const res = await udpExchange(w.g.port, buildQuery(SHOP, { type: 'AAAA', rd: false }), { timeoutMs: 1000 });
  t.truthy(res, 'AAAA answered');
  const aaaa = (decode(res!.reply).answers ?? []).flatMap((r) => (r.type === 'AAAA' ? [String(r.data)] : [])).sort();
  t.deepEqual(aaaa, v6);
  t.is(w.logLines(/invalid load-balancer hostname/).length, 0, 'localhost is not reported as invalid');

  // Garbage is still refused, and said so.
  w.fakes.east.apply(lbHostnameIngress('web', SHOP, 'bad_lb!'));
  await w.until(SHOP, ['192.0.2.1']);
  t.true(w.logLines(/invalid load-balancer hostname "bad_lb!"/).length >= 1, w.g.logs().split('\n').slice(-20).join('\n'));
});
