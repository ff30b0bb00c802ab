import type { Config } from '../config/index.js';
import { HealthChecker, probe } from '../health/index.js';
import type { ServiceLogger as Logger } from '../observe/index.js';
import type { Metrics } from '../observe/index.js';

/**
 * The endpoint health checker of this replica (one vantage): the real probes, the config's
 * source address and concurrency; every transition logged and counted, every probe timed.
 */
export function buildHealth(config: Config, parts: { log: Logger; metrics: Metrics }): HealthChecker {
  const logger = parts.log.child({ module: 'health' });
  return new HealthChecker({
    prober: probe,
    logger,
    concurrency: config.health.concurrency,
    ...(config.health.sourceAddress !== undefined ? { sourceAddress: config.health.sourceAddress } : {}),
    onProbe: (target, outcome) => parts.metrics.observeProbe(target.spec.type, outcome.ok, outcome.durationMs),
    onTransition: (target, from, to) => {
      parts.metrics.countHealthTransition(to.health);
      const { address, port, type } = target.spec;
      const fields = { address, port, type, from: from.health, to: to.health, reason: to.last?.reason };
      if (to.health === 'unhealthy') logger.warn(fields, 'endpoint down');
      else logger.info(fields, to.health === 'healthy' && from.health === 'unhealthy' ? 'endpoint up again' : 'endpoint judged');
    },
  });
}
