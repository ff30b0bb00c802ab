import { hostname } from 'node:os';
import type { KubeConfig } from '@kubernetes/client-node';
import type { Config } from '../config/index.js';
import { ClientNodeReportStore, QuorumVerdicts, VANTAGE_LABEL, VantageExchange } from '../health/index.js';
import type { HealthVerdicts, LocalVantage } from '../health/index.js';
import type { ServiceLogger as Logger } from '../observe/index.js';

/** This replica's name in management mode: the Lease holder identity and the health vantage. */
export function replicaIdentity(config: Config): string {
  return config.management?.identity ?? `${hostname()}-${process.pid}`;
}

export interface HealthView {
  /** What the desired-state stage plans with. */
  verdicts: HealthVerdicts;
  /** Stops probing and, with several vantages, deletes this replica's published report. */
  stop(): Promise<void>;
}

/**
 * The health the stage reads. Standalone: this replica's checker, one vantage. Management
 * mode: every replica probes and publishes its verdicts in the management cluster (a
 * ConfigMap per replica in the Lease's namespace), and an endpoint's health is the quorum of
 * the fresh vantages (src/health/README.md, "Vantages and quorum").
 */
export function healthView(config: Config, checker: LocalVantage & { stop(): void }, kc: KubeConfig | undefined, log: Logger): HealthView {
  const m = config.management;
  if (!m || !kc) {
    return {
      verdicts: checker,
      stop: async () => checker.stop(),
    };
  }
  const identity = replicaIdentity(config);
  const logger = log.child({ module: 'health' });
  const quorum = new QuorumVerdicts({
    local: checker,
    self: identity,
    logger,
    onTransition: (target, from, to, q) => {
      const { address, port, type } = target.spec;
      const fields = { address, port, type, from: from.health, to: to.health, agree: q.agree, disagree: q.disagree, cutOff: q.cutOff };
      if (to.health === 'unhealthy') logger.warn(fields, 'endpoint down by quorum');
      else logger.info(fields, to.health === 'healthy' && from.health === 'unhealthy' ? 'endpoint up again by quorum' : 'endpoint judged by quorum');
    },
  });
  const exchange = new VantageExchange({
    store: new ClientNodeReportStore(kc, m.leaseNamespace, `${VANTAGE_LABEL}=true`),
    identity,
    quorum,
    local: checker,
    logger,
    backoff: config.sources.backoff,
    watchdogMs: config.sources.watchdogMs,
  });
  exchange.start();
  return {
    verdicts: quorum,
    async stop() {
      quorum.stop();
      checker.stop();
      await exchange.stop();
    },
  };
}
