// The serial profile of `npm test`: the test files below run one at a time, after the unit
// profile (ava.unit.config.js: every other test file, several at once) has ended, so nothing
// else competes with them for the CPU, the loopback ports or the daemons. A file belongs here
// when it needs one of the reasons below; test/support-tests/profiles.test.ts checks that every
// test file is in exactly one profile. `npx ava <file>` (and the CI smoke runs) use the
// package.json configuration: one file at a time.
import { readFileSync } from 'node:fs';
import { URL } from 'node:url';

/** The shared options (TypeScript through tsx, no worker threads, the timeout): package.json's. */
export const base = JSON.parse(readFileSync(new URL('./package.json', import.meta.url), 'utf8')).ava;

/** Why a file runs alone → the files. */
export const serial = {
  'a real daemon (knotd, named, pdns_server, pebble) or a browser (chromium)': [
    'test/controller/external-unlistable.test.ts',
    'test/controller/management-independent.test.ts',
    'test/integration/health-providers.test.ts',
    'test/integration/providers-standalone.test.ts',
    'test/observe/dashboard.test.ts',
    'test/observe/health-admin.test.ts',
    'test/providers/powerdns/apply.test.ts',
    'test/providers/powerdns/contract.test.ts',
    'test/providers/powerdns/faults.test.ts',
    'test/providers/powerdns/txt.test.ts',
    'test/providers/powerdns/zones.test.ts',
    'test/providers/rfc2136/contract-bind.test.ts',
    'test/providers/rfc2136/contract-knot.test.ts',
    'test/providers/rfc2136/factory.test.ts',
    'test/providers/rfc2136/provider.test.ts',
    'test/providers/rfc2136/tsig.test.ts',
    'test/proxy/acme-e2e.test.ts',
    'test/proxy/acme-tls-alpn.test.ts',
    'test/proxy/browser.test.ts',
    'test/proxy/management.test.ts',
    'test/proxy/tls/acme.test.ts',
    'test/proxy/tls/sources.test.ts',
  ],
  'the globaldns CLI serving DNS, admin or proxy listeners, its answers awaited within time bounds (the proxy worlds also put upstreams on 127.0.0.2 and 127.0.0.3 at a port probed free on 127.0.0.1 only)': [
    'test/dns/authoritative.test.ts',
    'test/dns/bad-input.test.ts',
    'test/dns/classes.test.ts',
    'test/dns/edns.test.ts',
    'test/dns/protocol.test.ts',
    'test/dns/snapshot.test.ts',
    'test/dns/zone-changes.test.ts',
    'test/integration/cluster-secrets.test.ts',
    'test/integration/health-proxy.test.ts',
    'test/integration/health-quorum.test.ts',
    'test/integration/kube-api-errors.test.ts',
    'test/integration/kube-clusters.test.ts',
    'test/integration/kube-faults.test.ts',
    'test/integration/kube-lb-hostnames.test.ts',
    'test/integration/kube-outage.test.ts',
    'test/integration/kube-restart.test.ts',
    'test/integration/health-dns.test.ts',
    'test/integration/lb-hostname-refresh.test.ts',
    'test/integration/management-finalizer.test.ts',
    'test/integration/management-ha.test.ts',
    'test/integration/management-plan.test.ts',
    'test/integration/management-projects.test.ts',
    'test/integration/management-selector.test.ts',
    'test/integration/management-shutdown.test.ts',
    'test/integration/management.test.ts',
    'test/integration/route53-standalone.test.ts',
    'test/observe/admin.test.ts',
    'test/observe/shutdown.test.ts',
    'test/proxy/abuse.test.ts',
    'test/proxy/conformance.test.ts',
    'test/proxy/engine.test.ts',
    'test/proxy/fuzz.test.ts',
    'test/proxy/gateway.test.ts',
    'test/proxy/metrics.test.ts',
    'test/proxy/protocols.test.ts',
    'test/proxy/standalone.test.ts',
    'test/proxy/swap.test.ts',
  ],
  "the demo as `npm start` runs it (examples/demo.ts): the proxy on its fixed ports 8080 and 8443, upstreams on 127.0.0.11 and 127.0.0.12 at 8081, health verdicts awaited within time bounds": [
    'test/cli/demo.test.ts',
  ],
  'an upper bound on wall-clock time over real timers (lease takeover, status latency, shutdown of watches)': [
    'test/controller/leader-kube.test.ts',
    'test/controller/management-relead.test.ts',
    'test/support-tests/fake-kube.test.ts',
  ],
};

export const serialFiles = Object.values(serial).flat();

export default { ...base, files: serialFiles, concurrency: 1 };
