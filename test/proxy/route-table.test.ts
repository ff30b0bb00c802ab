// The route table: which upstreams serve a host, derived from entries and endpoints the way
// DNS records are (claims an entry rejects route nowhere), and the router's choices on it.
import test from 'ava';
import type { Endpoint, GlobalDnsEntry } from '../../src/model/index.js';
import { buildRouteTable, hostName, pathMatches, pickUpstream, Router } from '../../src/proxy/index.js';
import { UpstreamSet } from '../../src/proxy/upstreams.js';
import { parseConfig } from '../../src/config/index.js';

const shop: GlobalDnsEntry = { fqdn: 'shop.example.test', ttl: 60, provider: 'embedded', targets: [{ cluster: 'east' }, { cluster: 'west' }] };
const apps: GlobalDnsEntry = { fqdn: '*.apps.example.test', ttl: 60, provider: 'embedded', targets: [{ cluster: 'east' }] };

function ingress(cluster: string, name: string, hostnames: string[], targets: string[], extra: Partial<Endpoint> = {}): Endpoint {
  return { cluster, namespace: 'web', kind: 'Ingress', name, hostnames, targets, ...extra };
}

const eastShop = ingress('east', 'shop', ['shop.example.test'], ['192.0.2.10']);
const westShop = ingress('west', 'shop', ['shop.example.test'], ['198.51.100.20', '2001:db8::20']);

test('a host routes to every accepted cluster, one upstream per load-balancer address on port 80', (t) => {
  const table = buildRouteTable([shop], [eastShop, westShop]);
  t.deepEqual(table.hosts, [
    {
      host: 'shop.example.test',
      entry: 'shop.example.test',
      redirectHttps: false,
      clusters: [
        { cluster: 'east', upstreams: [{ key: 'http://192.0.2.10:80', origin: 'http://192.0.2.10:80' }] },
        {
          cluster: 'west',
          upstreams: [
            { key: 'http://198.51.100.20:80', origin: 'http://198.51.100.20:80' },
            { key: 'http://[2001:db8::20]:80', origin: 'http://[2001:db8::20]:80' },
          ],
        },
      ],
    },
  ]);
});

test('claims the entry does not accept, and names without an entry, route nowhere', (t) => {
  const north = ingress('north', 'shop', ['shop.example.test'], ['203.0.113.1']);
  const stray = ingress('east', 'blog', ['blog.example.test'], ['192.0.2.11']);
  const table = buildRouteTable([shop], [eastShop, north, stray]);
  t.deepEqual(
    table.hosts.map((h) => [h.host, h.clusters.map((c) => c.cluster)]),
    [['shop.example.test', ['east']]],
  );
});

test('an entry with proxy disabled is not routed; upstreamPort, https scheme and redirect are applied', (t) => {
  const off = { ...shop, proxy: { enabled: false, upstreamScheme: 'http' as const, redirectHttps: false } };
  t.deepEqual(buildRouteTable([off], [eastShop]).hosts, []);
  const tlsShop = { ...shop, proxy: { enabled: true, upstreamScheme: 'https' as const, upstreamPort: 8443, redirectHttps: true } };
  const [host] = buildRouteTable([tlsShop], [eastShop]).hosts;
  t.true(host.redirectHttps);
  t.deepEqual(host.clusters[0].upstreams, [{ key: 'https://192.0.2.10:8443 shop.example.test', origin: 'https://192.0.2.10:8443', servername: 'shop.example.test' }]);
});

test('load-balancer hostnames route to their resolved addresses, and not at all before they resolve', (t) => {
  const aws = ingress('east', 'shop', ['shop.example.test'], ['lb-1.elb.example']);
  t.deepEqual(buildRouteTable([shop], [aws]).hosts, []);
  const resolved = new Map([['lb-1.elb.example', { v4: ['192.0.2.50'], v6: [] }]]);
  t.deepEqual(buildRouteTable([shop], [aws], { resolved }).hosts[0].clusters[0].upstreams.map((u) => u.origin), ['http://192.0.2.50:80']);
});

test('path rules: clusters keep their Ingress paths; an object without rules serves every path', (t) => {
  const api = ingress('east', 'api', ['shop.example.test'], ['192.0.2.10'], { paths: { 'shop.example.test': ['/api', '=/login'] } });
  const table = buildRouteTable([shop], [api, westShop]);
  t.deepEqual(table.hosts[0].clusters.map((c) => [c.cluster, c.paths]), [
    ['east', ['/api', '=/login']],
    ['west', undefined],
  ]);
  // A second object of the same cluster without rules widens it to every path.
  const all = ingress('east', 'all', ['shop.example.test'], ['192.0.2.10']);
  t.is(buildRouteTable([shop], [api, all]).hosts[0].clusters[0].paths, undefined);
});

test('Kubernetes path matching: prefixes by element, exact paths exactly', (t) => {
  t.true(pathMatches('/api', '/api'));
  t.true(pathMatches('/api', '/api/v1'));
  t.true(pathMatches('/api/', '/api/v1'));
  t.false(pathMatches('/api', '/apis'));
  t.true(pathMatches('/', '/anything'));
  t.true(pathMatches('=/login', '/login'));
  t.false(pathMatches('=/login', '/login/x'));
});

test('wildcard entries: a wildcard claim serves names below it; an exact claim wins', (t) => {
  const wild = ingress('east', 'apps', ['*.apps.example.test'], ['192.0.2.30']);
  const one = ingress('east', 'one', ['one.apps.example.test'], ['192.0.2.31']);
  const config = parseConfig('proxy: { workers: 0 }', { baseDir: '/' }).proxy!;
  const router = new Router(buildRouteTable([apps], [wild, one]), new UpstreamSet(config));
  t.is(router.find('one.apps.example.test')?.upstreams[0].origin, 'http://192.0.2.31:80');
  t.is(router.find('Two.Apps.Example.Test:8080')?.upstreams[0].origin, 'http://192.0.2.30:80');
  t.is(router.find('a.b.apps.example.test')?.host, '*.apps.example.test');
  t.is(router.find('apps.example.test'), undefined);
  t.is(router.find('shop.example.test.'), undefined);
});

test('Host headers: case, port and trailing dot do not matter; junk is not a name', (t) => {
  t.is(hostName('Shop.Example.Test:8080'), 'shop.example.test');
  t.is(hostName('shop.example.test.'), 'shop.example.test');
  t.is(hostName('[::1]:8080'), undefined);
  t.is(hostName('a b'), undefined);
});

test('balancing: round robin spreads over clusters; ejected endpoints are skipped unless all are; retries go to another cluster', (t) => {
  const config = parseConfig('proxy: { workers: 0 }', { baseDir: '/' }).proxy!;
  const set = new UpstreamSet(config);
  const router = new Router(buildRouteTable([shop], [eastShop, westShop]), set);
  const route = router.find('shop.example.test')!;
  const seen = new Map<string, number>();
  for (let i = 0; i < 30; i++) {
    const u = pickUpstream(route, '/', 'round-robin', null)!;
    seen.set(u.origin, (seen.get(u.origin) ?? 0) + 1);
  }
  t.deepEqual([...seen.values()], [10, 10, 10]);

  const east = route.upstreams.find((u) => u.origin.includes('192.0.2.10'))!;
  east.ejected = true;
  for (let i = 0; i < 10; i++) t.not(pickUpstream(route, '/', 'round-robin', null), east);
  for (const u of route.upstreams) u.ejected = true;
  t.truthy(pickUpstream(route, '/', 'round-robin', null), 'all ejected: still tried rather than refused');
  for (const u of route.upstreams) u.ejected = false;

  const west1 = route.upstreams.find((u) => u.origin.includes('198.51.100.20'))!;
  for (let i = 0; i < 10; i++) t.is(pickUpstream(route, '/', 'round-robin', [west1]), east, 'a retry leaves the failed cluster');
  t.is(pickUpstream(route, '/', 'round-robin', [...route.upstreams]), undefined);

  west1.outstanding = 5;
  east.outstanding = 3;
  t.not(pickUpstream(route, '/', 'least-outstanding', null), west1);
  t.is(pickUpstream(route, '/', 'least-outstanding', null)!.outstanding, 0);
  void set.close();
});

test('path rules choose the clusters: a path no cluster serves is not sent anywhere', (t) => {
  const config = parseConfig('proxy: { workers: 0 }', { baseDir: '/' }).proxy!;
  const api = ingress('east', 'api', ['shop.example.test'], ['192.0.2.10'], { paths: { 'shop.example.test': ['/api'] } });
  const web = ingress('west', 'web', ['shop.example.test'], ['198.51.100.20'], { paths: { 'shop.example.test': ['/web'] } });
  const set = new UpstreamSet(config);
  const route = new Router(buildRouteTable([shop], [api, web]), set).find('shop.example.test')!;
  for (let i = 0; i < 4; i++) {
    t.is(pickUpstream(route, '/api/x', 'round-robin', null)?.origin, 'http://192.0.2.10:80');
    t.is(pickUpstream(route, '/web', 'round-robin', null)?.origin, 'http://198.51.100.20:80');
  }
  t.is(pickUpstream(route, '/other', 'round-robin', null), undefined);
  void set.close();
});
