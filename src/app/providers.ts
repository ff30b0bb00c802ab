// The external providers in both modes: one ProviderRuntime owns them (the YAML config's, and
// in management mode the GlobalDNSProvider resources' too).
import type { Config } from '../config/index.js';
import { managedProvider, ProviderRuntime, yamlBindings } from '../controller/index.js';
import type { Leadership } from '../controller/index.js';
import type { DesiredState } from '../desired/index.js';
import type { Metrics, ServiceLogger as Logger } from '../observe/index.js';
import type { ProviderCallObserver } from '../../providers/provider.js';

export async function providerRuntime(config: Config, parts: { desired: DesiredState; log: Logger; metrics: Metrics; calls: ProviderCallObserver; leadership?: Leadership }): Promise<ProviderRuntime> {
  return new ProviderRuntime({
    desired: parts.desired,
    staticBindings: await yamlBindings(config, parts.calls),
    makeProvider: (p) => managedProvider(p, parts.calls),
    leadership: parts.leadership,
    logger: parts.log.child({ module: 'external' }),
    sync: config.sync,
    onSyncStatus: (st) => parts.metrics.syncReported(st),
  });
}
