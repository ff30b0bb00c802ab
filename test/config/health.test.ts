// An entry's health check and routing, in the YAML config and on a GlobalDNS: the defaults a
// user gets without writing them, the port taken from the proxy's upstream, and the mistakes
// `globaldns validate` must refuse (thresholds below 1, a timeout not shorter than the interval,
// status ranges that are not ranges, http-only fields on a tcp check).
import test from 'ava';
import { parseConfig, parseGlobalDns } from '../../src/config/index.js';
import { problemsOf as problems } from './problems.js';

const base = { baseDir: '/srv/gdns' };

function yaml(entry: string, extra = ''): string {
  return `
zones:
  - apex: example.test
clusters:
  - { name: east, manifests: clusters/east }
  - { name: west, manifests: clusters/west }
${extra}
entries:
  - fqdn: shop.example.test
    targets: [{ cluster: east, priority: 1 }, { cluster: west, priority: 2 }]
${entry}`;
}

const problemsOf = (text: string): string[] => problems(text, base, []);

test('YAML: a health check with only a type gets the documented defaults', (t) => {
  const c = parseConfig(yaml('    healthCheck: { type: http }'), base);
  const e = c.entries[0];
  t.deepEqual(e.healthCheck, {
    type: 'http',
    port: 80,
    path: '/',
    expectStatus: [[200, 399]],
    intervalMs: 5000,
    timeoutMs: 2000,
    failureThreshold: 3,
    successThreshold: 2,
    verifyCertificate: false,
  });
  t.deepEqual(e.targets.map((x) => x.priority), [1, 2]);
  t.is(e.routing, undefined, 'absent routing: the defaults apply where it is read');
  t.deepEqual(c.health, { concurrency: 256 });
});

test('YAML: every field as the issue shows it; the port defaults to the proxy upstream port, https to 443', (t) => {
  const c = parseConfig(
    yaml(
      `    healthCheck:
      type: http
      port: 8081
      path: /healthz
      host: Shop.Example.Test
      expectStatus: "200-299, 418"
      bodyMatch: ok
      interval: 5s
      timeout: 2s
      failureThreshold: 3
      successThreshold: 2
    routing: { policy: failover, failback: 60s, whenAllDown: servfail }
  - fqdn: api.example.test
    targets: [{ cluster: east }]
    proxy: { upstreamPort: 8443, upstreamScheme: https }
    healthCheck: { type: https, interval: 1s, timeout: 500ms }
  - fqdn: tls.example.test
    targets: [{ cluster: east }]
    healthCheck: { type: https, verifyCertificate: true }
  - fqdn: raw.example.test
    targets: [{ cluster: east }]
    healthCheck: { type: tcp, port: 5432 }`,
      'health: { sourceAddress: 127.0.0.2, concurrency: 64 }',
    ),
    base,
  );
  const [shop, api, tls, raw] = c.entries;
  t.like(shop.healthCheck, { port: 8081, path: '/healthz', host: 'shop.example.test', expectStatus: [[200, 299], [418, 418]], bodyMatch: 'ok' });
  t.deepEqual(shop.routing, { policy: 'failover', failbackMs: 60_000, whenAllDown: 'servfail' });
  t.like(api.healthCheck, { type: 'https', port: 8443, intervalMs: 1000, timeoutMs: 500 });
  t.like(tls.healthCheck, { type: 'https', port: 443, verifyCertificate: true });
  t.like(raw.healthCheck, { type: 'tcp', port: 5432 });
  t.deepEqual(c.health, { sourceAddress: '127.0.0.2', concurrency: 64 });
});

test('YAML: mistakes are refused with the path and what is wrong', (t) => {
  t.deepEqual(problemsOf(yaml('    healthCheck: { failureThreshold: 0, successThreshold: 0 }')), [
    'entries[0].healthCheck.failureThreshold: must be at least 1',
    'entries[0].healthCheck.successThreshold: must be at least 1',
  ]);
  t.deepEqual(problemsOf(yaml('    healthCheck: { interval: 2s, timeout: 2s }')), ['entries[0].healthCheck.timeout: must be above 0 and shorter than interval']);
  t.deepEqual(problemsOf(yaml('    healthCheck: { expectStatus: "2xx" }')), ['entries[0].healthCheck.expectStatus: not a list of status codes or ranges (like "200-399" or "200,204"): "2xx"']);
  t.deepEqual(problemsOf(yaml('    healthCheck: { expectStatus: "399-200" }')).length, 1);
  t.deepEqual(problemsOf(yaml('    healthCheck: { type: tcp, path: /healthz, bodyMatch: ok }')), [
    'entries[0].healthCheck.path: only for http and https checks',
    'entries[0].healthCheck.bodyMatch: only for http and https checks',
  ]);
  t.deepEqual(problemsOf(yaml('    healthCheck: { type: udp }')).length, 1);
  t.deepEqual(problemsOf(yaml('    healthCheck: { path: healthz }')), ['entries[0].healthCheck.path: must start with "/" and hold no spaces or control characters']);
  t.deepEqual(problemsOf(yaml('    routing: { policy: random }')).length, 1);
  t.deepEqual(problemsOf(yaml('    routing: { whenAllDown: nxdomain }')).length, 1);
  t.deepEqual(problemsOf(yaml('', 'health: { sourceAddress: localhost }')), ['health.sourceAddress: not an IP address']);
  t.true(problemsOf(yaml('').replace('priority: 2', 'priority: 0')).some((p) => p.startsWith('entries[0].targets[1].priority: must be at least 1')));
});

test('GlobalDNS: the same fields on the spec reach the same model entry', (t) => {
  const r = parseGlobalDns({
    apiVersion: 'globaldns.io/v1',
    kind: 'GlobalDNS',
    metadata: { name: 'shop', namespace: 'team-a', generation: 2 },
    spec: {
      fqdn: 'shop.example.test',
      providerRef: 'embedded',
      targets: [{ cluster: 'east', priority: 1 }, { projects: ['c-west:p-abc12'], priority: 2 }],
      proxy: { upstreamPort: 8080 },
      healthCheck: { type: 'http', path: '/healthz', failureThreshold: 2 },
      routing: { policy: 'failover', failback: '30s' },
    },
  });
  if (!r.ok) return t.fail(r.problems.join('\n'));
  t.deepEqual(r.value.targets.map((x) => [x.cluster, x.priority]), [['east', 1], ['c-west', 2]]);
  t.like(r.value.healthCheck, { port: 8080, path: '/healthz', failureThreshold: 2, successThreshold: 2 });
  t.deepEqual(r.value.routing, { policy: 'failover', failbackMs: 30_000, whenAllDown: 'serve-all' });
  const bad = parseGlobalDns({
    metadata: { name: 'shop', namespace: 'team-a' },
    spec: { fqdn: 'shop.example.test', providerRef: 'embedded', targets: [{ cluster: 'east' }], healthCheck: { timeout: '10s', interval: '5s' } },
  });
  t.deepEqual(bad.ok ? [] : bad.problems, ['spec.healthCheck.timeout: must be above 0 and shorter than interval']);
});
