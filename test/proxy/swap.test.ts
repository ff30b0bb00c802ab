// Route swaps drop no request: a request in flight to an endpoint the new table no longer
// names completes, and endpoints still named keep their pool (and keep-alive connections).
import test from 'ava';
import { parseConfig } from '../../src/config/index.js';
import { createLogger } from '../../src/observe/index.js';
import { ProxyProcess } from '../../src/proxy/index.js';
import type { RouteTable } from '../../src/proxy/index.js';
import { CertificateStore } from '../../src/proxy/tls/index.js';
import { freePort } from '../support/ports.js';
import { curl, upstream } from './world.js';

function table(origins: string[]): RouteTable {
  return { hosts: [{ host: 'shop.example.test', entry: 'shop.example.test', redirectHttps: false, clusters: origins.map((o, i) => ({ cluster: `c${i}`, upstreams: [{ key: o, origin: o }] })) }] };
}

test('a request in flight survives a swap that removes its endpoint; kept endpoints keep their pool', async (t) => {
  const port = await freePort({ ipv6: false });
  const east = upstream('east', '127.0.0.2', port);
  const west = upstream('west', '127.0.0.3', port);
  await east.start();
  await west.start();
  const config = parseConfig('proxy: { http: "127.0.0.1:0", https: false, workers: 0 }', { baseDir: '/' }).proxy!;
  const proxy = new ProxyProcess(config, new CertificateStore(), createLogger('silent'));
  const eastOrigin = `http://127.0.0.2:${port}`;
  const westOrigin = `http://127.0.0.3:${port}`;
  proxy.setRoutes(table([eastOrigin]));
  await proxy.start();
  const url = `http://127.0.0.1:${proxy.addresses().http!.port}`;
  try {
    const poolBefore = proxy.router.find('shop.example.test')!.upstreams[0].pool;
    const slow = curl(['-H', 'host: shop.example.test', `${url}/slow-headers?ms=1500`]);
    await new Promise((r) => setTimeout(r, 300));
    // East stays, west joins: east's pool is the same object.
    proxy.setRoutes(table([eastOrigin, westOrigin]));
    t.is(proxy.router.find('shop.example.test')!.upstreams.find((u) => u.origin === eastOrigin)!.pool, poolBefore);
    // East goes: the request in flight on its pool still completes.
    proxy.setRoutes(table([westOrigin]));
    const r = await slow;
    t.is(r.status, 200, r.stderr);
    t.is(r.body, 'east');
    const after = await curl(['-H', 'host: shop.example.test', `${url}/`]);
    t.is(after.body, 'west');
  } finally {
    await proxy.stop();
    await east.stop();
    await west.stop();
  }
});
