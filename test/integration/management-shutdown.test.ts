// SIGTERM while a provider does not answer: the Lease is handed back at once, and the process
// exits 0 well within --shutdown-timeout, its provider calls cancelled. Once, the in-flight
// Route53 read (an endpoint that accepts and never answers) kept the shutdown waiting until
// the timeout killed it with exit code 1.
import test from 'ava';
import net from 'node:net';
import YAML from 'yaml';
import { startFakeKube } from '../support/fake-kube/index.js';
import { startGlobaldns } from '../support/globaldns.js';
import { listenOn, trackSockets, killServer } from '../support/tcp-server.js';
import { credentialsSecret, globalDns, LEASE_NAME, LEASE_NS, route53Provider, waitFor } from './management-world.js';
import { ingress } from './kube-world.js';

test('SIGTERM with a provider that never answers: exit 0 well within the shutdown timeout', async (t) => {
  const mgmt = await startFakeKube();
  const east = await startFakeKube();
  // Accepts connections and never answers: the Route53 client waits on its request forever.
  const sockets = new Set<net.Socket>();
  const blackhole = net.createServer(() => undefined);
  trackSockets(blackhole, sockets);
  await listenOn(blackhole, 0, '127.0.0.1');
  const port = (blackhole.address() as net.AddressInfo).port;
  t.teardown(async () => {
    await killServer(blackhole, sockets);
    await Promise.all([mgmt.stop(), east.stop()]);
  });

  mgmt.apply(credentialsSecret());
  mgmt.apply(route53Provider('route53-main'));
  mgmt.apply(globalDns('shop', 'web', 'www.example.org', 'route53-main', ['east']));
  east.apply(ingress({ name: 'web', namespace: 'shop', hosts: 'www.example.org', ips: ['203.0.113.10'] }));
  const config = {
    zones: [{ apex: 'internal.test', records: ['ns1 3600 IN A 127.0.0.1'] }],
    sources: { gracePeriod: '3s', watchdogSeconds: 20, backoff: { initial: '100ms', max: '400ms' } },
    clusters: [{ kubeconfig: 'kube/east.yaml' }],
    providers: [{ name: 'embedded', type: 'embedded' }],
    entries: [],
    sync: { debounce: '100ms', maxDelay: '500ms', resync: false },
    management: { kubeconfig: 'kube/mgmt.yaml', identity: 'replica-0', leaseNamespace: LEASE_NS, leaseName: LEASE_NAME, leaseDuration: '3s', renewDeadline: '2s', retryPeriod: '300ms' },
  };
  const shutdownTimeoutMs = 8000;
  const g = await startGlobaldns({
    configYaml: YAML.stringify(config),
    files: { 'kube/east.yaml': east.kubeconfig('east'), 'kube/mgmt.yaml': mgmt.kubeconfig('mgmt') },
    ipv6: false,
    args: ['--shutdown-timeout', `${shutdownTimeoutMs / 1000}s`],
    env: { GLOBALDNS_ROUTE53_ENDPOINT: `http://127.0.0.1:${port}`, AWS_EC2_METADATA_DISABLED: 'true' },
  });
  t.teardown(() => g.cleanup());
  const holder = () => (mgmt.get('Lease', LEASE_NS, LEASE_NAME)?.spec as { holderIdentity?: string } | undefined)?.holderIdentity ?? '';
  await waitFor(() => (holder() === 'replica-0' ? true : undefined), 10_000, () => `no leader\n${g.logs().slice(-3000)}`);
  // The provider's read is on its way to the endpoint that never answers.
  await waitFor(() => (sockets.size > 0 && g.logs().includes('external providers') ? true : undefined), 10_000, () => `no request to the provider\n${g.logs().slice(-3000)}`);

  const exited = new Promise<{ code: number | null; ms: number }>((resolve) => {
    const t0 = Date.now();
    g.proc.once('exit', (code) => resolve({ code, ms: Date.now() - t0 }));
  });
  g.proc.kill('SIGTERM');
  const released = await waitFor(() => (holder() === '' ? true : undefined), 3000, () => `the Lease still says ${holder()}`).then(
    () => true,
    () => false,
  );
  const { code, ms } = await exited;
  t.log(`SIGTERM → exit ${code} after ${ms} ms (timeout ${shutdownTimeoutMs} ms)`);
  t.true(released, 'the Lease was handed back');
  t.is(code, 0, g.logs().slice(-3000));
  t.true(ms < 3000, `shutdown took ${ms} ms`);
});
