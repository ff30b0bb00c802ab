// The external side of standalone mode: the YAML config's providers under one controller.
import type { Config } from '../config/index.js';
import { ExternalController, yamlBindings } from '../controller/index.js';
import type { EntrySyncStatus } from '../controller/index.js';
import type { ServiceLogger as Logger } from '../observe/index.js';
import type { DesiredState } from '../desired/index.js';
import type { ProviderCallObserver } from '../../providers/provider.js';

/** The controller of the external providers (Route53, ...), if any is configured. */
export async function buildExternal(config: Config, desired: DesiredState, logger: Logger, calls: ProviderCallObserver | undefined, onSync?: (st: EntrySyncStatus) => void): Promise<ExternalController | undefined> {
  const bindings = await yamlBindings(config, calls);
  if (bindings.length === 0) return undefined;
  const lastStatus = new Map<string, string>();
  return new ExternalController({
    bindings,
    desired,
    logger,
    debounceMs: config.sync.debounceMs,
    maxDelayMs: config.sync.maxDelayMs,
    resync: config.sync.resync,
    onStatus: (st) => {
      onSync?.(st);
      // Once per change of state, not per sync.
      const key = `${st.provider}/${st.fqdn}`;
      const said = `${st.reason}: ${st.message}`;
      if (lastStatus.get(key) === said) return;
      lastStatus.set(key, said);
      if (st.synced) logger.info({ fqdn: st.fqdn, provider: st.provider }, st.message);
      else logger.warn({ fqdn: st.fqdn, provider: st.provider, reason: st.reason }, st.message);
    },
  });
}
