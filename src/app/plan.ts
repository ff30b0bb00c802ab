// `globaldns plan`: the service's sources, desired state and external controller, run once,
// read-only.
import type { Config } from '../config/index.js';
import { ExternalController, managedProvider, yamlBindings } from '../controller/index.js';
import { DesiredState } from '../desired/index.js';
import { mergeEntries } from '../planner/index.js';
import type { ServiceLogger as Logger } from '../observe/index.js';
import { ClusterFleet, EndpointStore } from '../sources/index.js';
import { FatalError } from './errors.js';
import { readManagementOnce } from './management.js';
import { buildSources, lbResolver } from './sources.js';

/**
 * `globaldns plan`: reads every cluster once and every external provider, prints the changes a
 * sync would make (and what the embedded server would serve), and changes nothing. With
 * `management:` the GlobalDNS / GlobalDNSProvider resources are read once too and merged with
 * the YAML entries and providers as `serve` merges them; their problems are printed
 * (`problem   Kind resource: message`). No leader election, no status or Event is written.
 * Returns the lines of stdout; warnings go to `warn`.
 */
export async function planReport(config: Config, log: Logger, warn: (line: string) => void): Promise<string[]> {
  const store = new EndpointStore();
  const sources = buildSources(config, store, new ClusterFleet(store), log.child({ module: 'sources' }), (cluster, e) => {
    throw new FatalError(`cluster ${cluster}: ${e.message}`);
  });
  // A folder source starts asynchronously, a watched cluster synchronously (void): both awaited.
  // eslint-disable-next-line @typescript-eslint/await-thenable
  await Promise.all(sources.map((s) => s.start()));
  await Promise.all(sources.map((s) => s.settled()));
  const unread = sources.filter((s) => !s.synced()).map((s) => s.cluster);
  if (unread.length > 0) warn(`warning: not read, planned without them: ${unread.join(', ')}`);

  // Management mode: the resources, read once, merged with the YAML as `serve` merges them
  // (a name the YAML has stays the YAML's). No Lease, no status, no Event: nothing is written.
  const view = config.management ? await readManagementOnce(config, log, warn) : undefined;
  const entries = mergeEntries(config.entries, view?.entries ?? []);
  const bindings = await yamlBindings(config, undefined);
  for (const p of view?.providers ?? []) {
    if (p.type === 'embedded') continue;
    try {
      bindings.push({ name: p.name, provider: await managedProvider(p, undefined), ownerId: p.spec.ownerId, policy: p.spec.policy, adoptFrom: p.spec.adoptFrom });
    } catch (e) {
      warn(`warning: GlobalDNSProvider ${p.name} cannot be used, planned without it: ${(e as Error).message}`);
    }
  }

  const resolver = lbResolver(config, log);
  const desired = new DesiredState({ store, resolver, entries, logger: log.child({ module: 'desired' }) });
  await desired.start();
  const out: string[] = [];
  for (const p of view?.problems ?? []) out.push(`problem   ${p.kind} ${p.resource}: ${p.message}`);
  const embedded = new Set([...config.providers.filter((p) => p.type === 'embedded').map((p) => p.name), ...(view?.providers ?? []).filter((p) => p.type === 'embedded').map((p) => p.name)]);
  for (const name of [...desired.names()].sort()) {
    const state = desired.get(name);
    if (!state?.entry || !embedded.has(state.entry.provider)) continue;
    for (const r of state.records) out.push(`embedded  ${r.name} ${r.ttl} ${r.type} ${r.values.join(' ')}`);
  }
  for (const r of desired.rejected()) out.push(`rejected  ${r.fqdn} ${r.key}: ${r.reason}`);

  const external = bindings.length === 0
    ? undefined
    : new ExternalController({
      bindings,
      desired,
      logger: log.child({ module: 'external' }),
      debounceMs: config.sync.debounceMs,
      maxDelayMs: config.sync.maxDelayMs,
      resync: false,
      canWrite: () => false,
    });
  for (const { provider, zone, plan, conflicts } of (await external?.dryRun()) ?? []) {
    const n = plan.creates.length + plan.updates.length + plan.deletes.length;
    out.push(`${provider} ${zone.name} (${zone.id}): ${n} change${n === 1 ? '' : 's'}, ${conflicts.length} conflict${conflicts.length === 1 ? '' : 's'}`);
    for (const r of plan.creates) out.push(`  + ${r.name} ${r.ttl} ${r.type} ${r.values.join(' ')}`);
    for (const u of plan.updates) out.push(`  ~ ${u.to.name} ${u.to.type} ${u.from.ttl} ${u.from.values.join(' ')} -> ${u.to.ttl} ${u.to.values.join(' ')}`);
    for (const r of plan.deletes) out.push(`  - ${r.name} ${r.ttl} ${r.type} ${r.values.join(' ')}`);
    for (const c of conflicts) out.push(`  ! ${c.name} ${c.type}: ${c.reason}`);
  }
  for (const s of sources) s.stop();
  desired.stop();
  resolver.stop();
  return out;
}
