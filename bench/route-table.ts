// The proxy's route table under one change, at 10,000 names: the whole-table path the proxy
// took before the desired-state stage (buildRouteTable over every endpoint, a new Router, pools
// retained against the whole table) against the per-host path it takes now (hostRoute for the
// changed name, Router.patch, pools released by count). Both run here, in one process, on the
// same table and the same changes. One JSON line on stdout.
//   npm run bench:route-table            BENCH_NAMES=10000 BENCH_CHANGES=200
import { performance } from 'node:perf_hooks';
import { proxySchema, resolveProxyConfig } from '../src/config/proxy.js';
import type { Endpoint, GlobalDnsEntry } from '../src/model/index.js';
import { createLogger } from '../src/observe/index.js';
import { buildRouteTable, hostRoute } from '../src/proxy/route-table.js';
import { ProxyProcess } from '../src/proxy/process.js';
import { CertificateStore } from '../src/proxy/tls/index.js';

const NAMES = Number(process.env.BENCH_NAMES ?? 10_000);
const CHANGES = Number(process.env.BENCH_CHANGES ?? 200);

const entries: GlobalDnsEntry[] = [{ fqdn: '*.apps.example.test', ttl: 60, provider: 'embedded', targets: [{ cluster: 'east' }, { cluster: 'west' }] }];
const ip = (i: number, c: number) => `10.${c}.${(i >> 8) & 255}.${i & 255}`;
const endpoint = (i: number, cluster: string, c: number, address = ip(i, c)): Endpoint => ({ cluster, namespace: 'apps', kind: 'Ingress', name: `app-${i}`, hostnames: [`app-${i}.apps.example.test`], targets: [address] });

function main(): void {
  const endpoints: Endpoint[] = [];
  for (let i = 0; i < NAMES; i++) endpoints.push(endpoint(i, 'east', 1), endpoint(i, 'west', 2));
  const config = resolveProxyConfig(proxySchema.parse({ workers: 0 }), 1, process.cwd());
  const proc = new ProxyProcess(config, new CertificateStore(), createLogger('silent'));
  proc.setRoutes(buildRouteTable(entries, endpoints));

  const addressesOf = (e: Endpoint) => e.targets;
  const whole: number[] = [];
  const perHost: number[] = [];
  for (let k = 0; k < CHANGES; k++) {
    const i = (k * 7919) % NAMES;
    const moved = endpoint(i, 'east', 1, `10.9.${k & 255}.${(k >> 8) & 255}`);
    endpoints[2 * i] = moved;
    // Before: the whole table derived and swapped in.
    let t0 = performance.now();
    proc.setRoutes(buildRouteTable(entries, endpoints));
    whole.push(performance.now() - t0);
    // Now: the changed host alone (the stage hands over its accepted claims).
    const host = moved.hostnames[0];
    t0 = performance.now();
    const route = hostRoute(host, entries[0], [moved, endpoints[2 * i + 1]], addressesOf);
    proc.patchRoutes(route ? [route] : [], route ? [] : [host]);
    perHost.push(performance.now() - t0);
  }
  const p = (xs: number[], q: number) => [...xs].sort((a, b) => a - b)[Math.min(xs.length - 1, Math.floor(q * xs.length))];
  const r = (x: number) => Math.round(x * 1000) / 1000;
  const line = {
    bench: 'route-table',
    names: NAMES,
    changes: CHANGES,
    whole_table_p50_ms: r(p(whole, 0.5)),
    whole_table_p99_ms: r(p(whole, 0.99)),
    per_host_p50_ms: r(p(perHost, 0.5)),
    per_host_p99_ms: r(p(perHost, 0.99)),
    speedup_p50: Math.round(p(whole, 0.5) / p(perHost, 0.5)),
  };
  process.stdout.write(`${JSON.stringify(line)}\n`);
  void proc.stop();
}

main();
