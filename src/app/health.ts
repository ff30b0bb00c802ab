import type { Config } from '../config/index.js';
import { ProbeThread } from '../health/index.js';
import type { ServiceLogger as Logger } from '../observe/index.js';
import type { Metrics } from '../observe/index.js';

/**
 * The endpoint health checker of this replica (one vantage), in its own thread: the real
 * probes, the config's source address and concurrency; every transition logged and counted,
 * every probe timed.
 */
export function buildHealth(config: Config, parts: { log: Logger; metrics: Metrics }): ProbeThread {
  const logger = parts.log.child({ module: 'health' });
  return new ProbeThread({
    logger,
    concurrency: config.health.concurrency,
    ...(config.health.sourceAddress !== undefined ? { sourceAddress: config.health.sourceAddress } : {}),
    onProbe: (type, ok, durationMs) => parts.metrics.observeProbe(type, ok, durationMs),
    onTransition: (target, from, to) => {
      parts.metrics.countHealthTransition(to.health);
      const { address, port, type } = target.spec;
      const was = from?.health ?? 'unknown';
      const fields = { address, port, type, from: was, to: to.health, reason: to.last?.reason };
      if (to.health === 'unhealthy') logger.warn(fields, 'endpoint down');
      else logger.info(fields, to.health === 'healthy' && was === 'unhealthy' ? 'endpoint up again' : 'endpoint judged');
    },
  });
}
