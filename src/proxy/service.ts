import { readFileSync } from 'node:fs';
import type { KubeConfig } from '@kubernetes/client-node';
import type { ProxyConfig } from '../config/index.js';
import type { GlobalDnsEntry } from '../model/index.js';
import { childLogger, type Clock, type Logger } from '../kernel/index.js';
import type { ProxyMetrics } from '../observe/index.js';
import { startProxy } from './start.js';
import type { ProxySources, RunningProxy } from './start.js';
import { CertificateStore, TlsManager } from './tls/index.js';

export interface ProxyServiceOptions extends ProxySources {
  config: ProxyConfig;
  entries: readonly GlobalDnsEntry[];
  stateDir: string;
  logger: Logger;
  logLevel: string;
  /** Cluster mode: certificates from Secrets in this cluster and namespace. */
  kube?: { kubeConfig: KubeConfig; namespace: string };
  /** Requests, upstream latency and ejections (the admin listener's /metrics). */
  metrics?: ProxyMetrics;
  /** The TLS manager's and the proxy's timers (default systemClock; workers keep their own). */
  clock?: Clock;
}

export interface ProxyService extends RunningProxy {
  tls: TlsManager;
}

/**
 * The proxy with its certificates: the TLS manager (files, Secrets, ACME) runs here, in the
 * primary, and the proxy (here or in workers) serves what it puts in the store.
 */
export async function startProxyService(o: ProxyServiceOptions): Promise<ProxyService> {
  const certificates = new CertificateStore();
  const acme = o.config.acme;
  const tls = new TlsManager({
    stateDir: o.stateDir,
    store: certificates,
    logger: childLogger(o.logger, { module: 'tls' }),
    clock: o.clock,
    ...(acme
      ? {
        acme: {
          directoryUrl: acme.directoryUrl,
          email: acme.email,
          caBundlePem: acme.caFile ? readFileSync(acme.caFile, 'utf8') : undefined,
          renewBeforeDays: acme.renewBeforeDays,
          schedule: acme.schedule,
          challenge: acme.challenge,
        },
      }
      : {}),
    // Cluster mode: every replica loads the shared Secrets; only the leader orders (setOrdering).
    ...(o.kube ? { kube: { ...o.kube, secretPollMs: o.config.secretPollMs }, ordering: false } : {}),
  });
  const wanted = (entries: readonly GlobalDnsEntry[]) => entries.filter((e) => e.proxy?.enabled !== false && e.proxy?.tls).map((e) => ({ host: e.fqdn, tls: e.proxy!.tls! }));
  tls.want(wanted(o.entries));
  const proxy = await startProxy({
    config: o.config,
    desired: o.desired,
    certificates,
    challenges: tls.challenges,
    // Only then does the HTTPS listener peek at ClientHellos; otherwise it costs nothing.
    ...(acme?.challenge === 'tls-alpn-01' ? { alpnChallenges: tls.alpnChallenges } : {}),
    logger: o.logger,
    logLevel: o.logLevel,
    metrics: o.metrics,
    clock: o.clock,
  });
  // After the listeners: the CA validates through them (HTTP-01 on HTTP, TLS-ALPN-01 on HTTPS).
  await tls.start();
  return {
    ...proxy,
    tls,
    setEntries(entries) {
      tls.want(wanted(entries));
      proxy.setEntries(entries);
    },
    async stop() {
      await tls.stop();
      await proxy.stop();
    },
  };
}
