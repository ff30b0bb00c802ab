// The admin listener's wiring: the inputs of /metrics, /api/v1/status and the dashboard.
import { readFileSync } from 'node:fs';
import type { ListenAddress } from '../config/index.js';
import type { ProviderRuntime } from '../controller/index.js';
import { nameHealthReport } from '../desired/index.js';
import type { DesiredState } from '../desired/index.js';
import { AdminServer, buildStatus } from '../observe/index.js';
import type { Metrics, Readiness, StatusInputs, StatusReport } from '../observe/index.js';
import type { ServiceLogger as Logger } from '../observe/index.js';
import type { EndpointStore } from '../sources/index.js';
import { FatalError } from './errors.js';
import type { ManagementParts } from './management.js';
import type { RunningSource } from './sources.js';

/** Default `--admin-listen`: loopback only, since the admin port needs no credentials. */
export const DEFAULT_ADMIN_LISTEN = '127.0.0.1:9090';

/** Where the admin listener binds; `explicit`: given by the operator, so a bind failure is fatal. */
export interface AdminListen {
  at: ListenAddress;
  text: string;
  explicit: boolean;
}

/** The version in package.json (dist/src/app/admin.js and src/app/admin.ts both reach it). */
export function packageVersion(): string {
  for (const rel of ['../../../package.json', '../../package.json']) {
    try {
      const pkg = JSON.parse(readFileSync(new URL(rel, import.meta.url), 'utf8')) as { name?: string; version?: string };
      if (pkg.name === 'globaldns' && pkg.version) return pkg.version;
    } catch {
      // Not at this depth; try the next.
    }
  }
  return 'unknown';
}

/**
 * The admin listener (`--admin-listen`, `off` for none) and the inputs of its metrics and
 * status report. With the default address a bind failure (a second instance on the host) is
 * logged and DNS goes on; with an address given explicitly it is fatal, like DNS's.
 */
export async function startAdmin(
  listen: AdminListen | undefined,
  parts: {
    store: EndpointStore;
    desired: DesiredState;
    sources: readonly RunningSource[];
    management?: ManagementParts;
    providers: ProviderRuntime;
    metrics: Metrics;
    readiness: Readiness;
    log: Logger;
  },
): Promise<AdminServer | undefined> {
  const { store, desired, sources, management, providers, metrics, readiness, log } = parts;
  if (!listen) return undefined;
  const { at, text } = listen;
  // The entries in force (YAML, merged with the resources' in management mode) are the stage's.
  const entries = () => desired.entries();
  const inputs: StatusInputs = {
    version: packageVersion(),
    clusters: () => sources.flatMap((s) => s.views?.() ?? [s.view()]),
    endpoints: store,
    entries,
    entryFor: (fqdn) => desired.entryFor(fqdn),
    rejected: () => desired.rejected(),
    providers: () => providers.providerStates(),
    syncs: () => providers.syncStatuses(),
    health: (fqdn) => nameHealthReport(desired, fqdn),
    leader: () => (management ? { identity: management.elector.identity, isLeader: management.elector.isLeader(), leader: management.elector.currentLeader() } : undefined),
    readiness: () => ({ ...readiness }),
  };
  // A scrape and a dashboard poll in the same instant share one report.
  let last: { at: number; report: StatusReport } | undefined;
  const status = (): StatusReport => {
    const now = Date.now();
    if (!last || now - last.at > 200) last = { at: now, report: buildStatus(inputs, now) };
    return last.report;
  };
  metrics.setInputs({ clusters: inputs.clusters, providers: inputs.providers, names: () => status().names, leader: inputs.leader });
  const admin = new AdminServer({ host: at.host, port: at.port, metrics, status, readiness: inputs.readiness, logger: log.child({ module: 'admin' }) });
  try {
    const addr = await admin.start();
    log.info({ address: `http://${addr.family === 'IPv6' ? `[${addr.address}]` : addr.address}:${addr.port}` }, 'admin listening');
    return admin;
  } catch (e) {
    if (!listen.explicit) {
      log.error({ err: (e as Error).message, listen: text }, 'admin listener not started; DNS goes on without /metrics and /readyz');
      return undefined;
    }
    log.fatal({ err: (e as Error).message, listen: text }, 'cannot listen (admin)');
    throw new FatalError(`cannot listen (admin): ${(e as Error).message}`);
  }
}
