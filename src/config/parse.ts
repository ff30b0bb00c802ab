import { readFileSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import { basename, dirname, resolve } from 'node:path';
import { LineCounter, parseDocument } from 'yaml';
import type { z } from 'zod';
import { findZone, isInZone } from '../model/index.js';
import type { GlobalDnsEntry } from '../model/index.js';
import { ConfigError, formatPath } from './errors.js';
import { defaultContext, fileStem, listKubeconfigFiles, readKubeconfigSummary } from './kubeconfig-files.js';
import type { KubeconfigSummary } from './kubeconfig-files.js';
import { proxySchema, resolveEntryProxyFiles, resolveProxyConfig } from './proxy.js';
import { entryProxiedProblem } from './proxied.js';
import { groupRecordLines, parseRecordLine } from './records.js';
import { parseZoneFile, type ZoneFile } from './zonefile.js';
import type { RecordLine } from './records.js';
import { clusterNameSchema, clusterSecretsSchema, dnsSchema, entrySchema, errorMap, inClusterSchema, kubeconfigClusterSchema, kubeconfigDirClusterSchema, healthServiceSchema, logLevelSchema, managementSchema, manifestClusterSchema, providerSchema, rootSchema, sourcesSchema, syncSchema, resolverSchema, zoneSchema } from './schema.js';
import type { LabelSelector } from './selector.js';
import type { ClusterConfig, ClusterSecretsConfig, Config, HostnameSources, KubeClusterConfig, KubeConnection, ManagementConfig, ProviderConfig, SourcesConfig, ZoneConfig } from './types.js';

export interface ParseOptions {
  /** Folder that relative paths in the config are resolved against. */
  baseDir: string;
  /** Shown in the error message; usually the file path. */
  source?: string;
}

/** Reads, validates and resolves a config file. Throws ConfigError listing every problem. */
export function loadConfig(path: string): Config {
  const file = resolve(path);
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (e) {
    throw new ConfigError([`cannot read config: ${(e as Error).message}`], file);
  }
  return parseConfig(text, { baseDir: dirname(file), source: file });
}

/** Validates config text. Throws ConfigError listing every problem. */
export function parseConfig(text: string, opts: ParseOptions): Config {
  const problems: string[] = [];
  const lineCounter = new LineCounter();
  const doc = parseDocument(text, { prettyErrors: false, lineCounter });
  if (doc.errors.length > 0) {
    throw new ConfigError(
      doc.errors.map((e) => `line ${lineCounter.linePos(e.pos[0]).line}: ${e.message.split('\n')[0]}`),
      opts.source,
    );
  }
  const raw: unknown = doc.toJS() ?? {};
  const root = check(rootSchema, raw, [], problems);
  if (!root) throw new ConfigError(problems, opts.source);

  const dns = check(dnsSchema, root.dns, ['dns'], problems);
  const logLevel = check(logLevelSchema, root.logLevel, ['logLevel'], problems);
  const zones = checkZones(root.zones, opts.baseDir, problems);
  const sources = checkSources(root.sources, problems);
  const { clusters, names: clusterNames } = checkClusters(root.clusters, opts.baseDir, sources, problems);
  const providers = checkProviders(root.providers, problems);
  // With clusterSecrets, a target may name a cluster that a Secret brings at run time.
  const entries = checkEntries(root.entries, { zones, clusters: clusterNames, providers, rawProviders: root.providers, clustersFromSecrets: root.clusterSecrets !== undefined }, problems);

  const sync = check(syncSchema, root.sync, ['sync'], problems);
  const resolver = check(resolverSchema, root.resolver, ['resolver'], problems);
  const health = check(healthServiceSchema, root.health, ['health'], problems);
  const management = root.management === undefined ? undefined : checkManagement(root.management, opts.baseDir, problems);
  const clusterSecrets = root.clusterSecrets === undefined ? undefined : checkClusterSecrets(root.clusterSecrets, sources, root.management !== undefined, problems);
  const proxySection = root.proxy === undefined ? undefined : check(proxySchema, root.proxy, ['proxy'], problems);
  const proxy = proxySection?.enabled ? resolveProxyConfig(proxySection, availableParallelism(), opts.baseDir) : undefined;

  if (problems.length > 0 || !dns || !logLevel || !sync || !resolver || !health) throw new ConfigError(problems, opts.source);
  return {
    source: opts.source,
    dns,
    stateDir: resolve(opts.baseDir, root.stateDir ?? '.state'),
    logLevel,
    zones,
    sources,
    clusters,
    providers,
    entries: entries.map((e) => resolveEntryProxyFiles(e, opts.baseDir)),
    sync: { debounceMs: sync.debounce, maxDelayMs: sync.maxDelay, resync: sync.resync },
    resolver: { ...(resolver.servers ? { servers: resolver.servers } : {}), minRefreshMs: resolver.minRefresh, maxRefreshMs: resolver.maxRefresh },
    health: { ...(health.sourceAddress !== undefined ? { sourceAddress: health.sourceAddress } : {}), concurrency: health.concurrency },
    ...(management ? { management } : {}),
    ...(clusterSecrets ? { clusterSecrets } : {}),
    ...(proxy ? { proxy } : {}),
  };
}

/** The Secrets are read from the management cluster with its credentials, so that section is required. */
function checkClusterSecrets(value: unknown, defaults: SourcesConfig, hasManagement: boolean, problems: string[]): ClusterSecretsConfig | undefined {
  const c = check(clusterSecretsSchema, value, ['clusterSecrets'], problems);
  if (!hasManagement) problems.push('clusterSecrets: needs the "management" section (the kubeconfig Secrets are read from the management cluster with its credentials)');
  if (!c) return undefined;
  const { name: _name, connection: _connection, ...options } = kubeCluster('', { inCluster: true }, c, defaults);
  return { namespace: c.namespace, labelSelector: c.labelSelector, options };
}

function checkManagement(value: unknown, baseDir: string, problems: string[]): ManagementConfig | undefined {
  const m = check(managementSchema, value, ['management'], problems);
  if (!m) return undefined;
  let connection: KubeConnection;
  if (m.kubeconfig !== undefined) {
    const file = resolve(baseDir, m.kubeconfig);
    try {
      const summary = readKubeconfigSummary(file);
      if (m.context !== undefined && !summary.contexts.includes(m.context)) {
        problems.push(`management.context: no context "${m.context}" in ${file} (contexts: ${summary.contexts.join(', ') || 'none'})`);
        return undefined;
      }
    } catch (e) {
      problems.push(`management.kubeconfig: ${(e as Error).message}`);
      return undefined;
    }
    connection = m.context !== undefined ? { kubeconfig: file, context: m.context } : { kubeconfig: file };
  } else {
    connection = { inCluster: true };
  }
  return {
    connection,
    leaseNamespace: m.leaseNamespace,
    leaseName: m.leaseName,
    ...(m.secretNamespace !== undefined ? { secretNamespace: m.secretNamespace } : {}),
    ...(m.identity !== undefined ? { identity: m.identity } : {}),
    leaseDurationMs: m.leaseDuration,
    renewDeadlineMs: m.renewDeadline,
    retryPeriodMs: m.retryPeriod,
  };
}

function check<S extends z.ZodTypeAny>(
  schema: S,
  value: unknown,
  path: (string | number)[],
  problems: string[],
): z.output<S> | undefined {
  const r = schema.safeParse(value, { errorMap });
  if (r.success) return r.data as z.output<S>;
  for (const issue of r.error.issues) problems.push(`${formatPath([...path, ...issue.path]) || '(top level)'}: ${issue.message}`);
  return undefined;
}

function isRecord(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/** Names of list items, taken from the raw input so that a broken item still counts as declared. */
function rawNames(items: unknown[] | undefined): Set<string> {
  const names = new Set<string>();
  for (const item of items ?? []) {
    if (item && typeof item === 'object' && 'name' in item && typeof item.name === 'string') names.add(item.name);
  }
  return names;
}

function checkZones(items: unknown[], baseDir: string, problems: string[]): ZoneConfig[] {
  const zones: ZoneConfig[] = [];
  const seen = new Map<string, number>();
  items.forEach((item, i) => {
    const z = check(zoneSchema, item, ['zones', i], problems);
    if (!z) return;
    const first = seen.get(z.apex);
    if (first !== undefined) {
      problems.push(`zones[${i}].apex: zone ${z.apex} is already defined at zones[${first}]`);
      return;
    }
    seen.set(z.apex, i);
    const file = z.file === undefined ? undefined : readZoneFile(resolve(baseDir, z.file), z.apex, `zones[${i}].file`, problems);
    // What the config says wins; the zone file fills in what the config leaves out.
    const raw = isRecord(item) ? item : {};
    const ns = z.ns ?? (file && file.ns.length > 0 ? file.ns : [`ns1.${z.apex}`]);
    const fileSoa = raw.soa === undefined ? file?.soa : undefined;
    zones.push({
      apex: z.apex,
      ns,
      nsTtl: raw.nsTtl === undefined && file?.nsTtl !== undefined ? file.nsTtl : z.nsTtl,
      soa: fileSoa
        ? { mname: fileSoa.mname, rname: fileSoa.rname, refresh: fileSoa.refresh, retry: fileSoa.retry, expire: fileSoa.expire, minimum: fileSoa.minimum, ttl: fileSoa.ttl }
        : {
          mname: z.soa.mname ?? ns[0],
          rname: z.soa.rname ?? `hostmaster.${z.apex}`,
          refresh: z.soa.refresh,
          retry: z.soa.retry,
          expire: z.soa.expire,
          minimum: z.soa.minimum,
          ttl: z.soa.ttl,
        },
      records: [...(file?.records ?? []), ...checkRecords(z.apex, z.records, i, problems)],
    });
  });
  return zones;
}

function readZoneFile(path: string, apex: string, at: string, problems: string[]): ZoneFile | undefined {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (e) {
    problems.push(`${at}: cannot read ${path}: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`);
    return undefined;
  }
  const zone = parseZoneFile(text, apex);
  for (const p of zone.problems) problems.push(`${at}: ${path} ${p}`);
  return zone;
}

function checkRecords(apex: string, lines: string[], zoneIndex: number, problems: string[]): ZoneConfig['records'] {
  const parsed: { line: RecordLine; index: number }[] = [];
  lines.forEach((text, j) => {
    const at = `zones[${zoneIndex}].records[${j}]`;
    let line: RecordLine;
    try {
      line = parseRecordLine(text, apex);
    } catch (e) {
      problems.push(`${at}: ${(e as Error).message}`);
      return;
    }
    if (!isInZone(line.name, apex)) {
      problems.push(`${at}: ${line.name} is outside zone ${apex}`);
    } else if (line.name === apex && line.type === 'NS') {
      problems.push(`${at}: NS records at the apex come from zones[${zoneIndex}].ns`);
    } else if (line.name === apex && line.type === 'CNAME') {
      problems.push(`${at}: the zone apex cannot be a CNAME (it has SOA and NS records)`);
    } else {
      parsed.push({ line, index: j });
    }
  });
  // RFC 1034 §3.6.2: a CNAME owner has no other data, and only one CNAME.
  const typesByName = new Map<string, { types: Set<string>; cnames: number }>();
  for (const { line } of parsed) {
    const t = typesByName.get(line.name) ?? { types: new Set<string>(), cnames: 0 };
    t.types.add(line.type);
    if (line.type === 'CNAME') t.cnames++;
    typesByName.set(line.name, t);
  }
  for (const { line, index } of parsed) {
    if (line.type !== 'CNAME') continue;
    const t = typesByName.get(line.name);
    if (!t) continue;
    const at = `zones[${zoneIndex}].records[${index}]`;
    if (t.types.size > 1) problems.push(`${at}: ${line.name} has a CNAME and other records (${[...t.types].filter((x) => x !== 'CNAME').join(', ')})`);
    else if (t.cnames > 1) problems.push(`${at}: ${line.name} has more than one CNAME`);
  }
  return groupRecordLines(parsed.map((p) => p.line));
}

const CLUSTER_FORMS = ['manifests', 'kubeconfig', 'kubeconfigDir', 'inCluster'] as const;

interface ClusterCheck {
  clusters: ClusterConfig[];
  /** Every cluster name declared, including those of broken items, so entries are not blamed for them. */
  names: Set<string>;
}

/**
 * Each item is one of four forms, told apart by its key: `manifests` (a folder standing for
 * a cluster), `kubeconfig` (+ `context`), `kubeconfigDir` (one cluster per file) or
 * `inCluster`. Kubeconfig files are read here, so that `validate` finds a missing file or
 * context, and a folder's clusters get their names before entries are checked.
 */
function checkClusters(items: unknown[], baseDir: string, defaults: SourcesConfig, problems: string[]): ClusterCheck {
  const clusters: ClusterConfig[] = [];
  const names = new Set<string>();
  const seen = new Map<string, string>();
  const add = (c: ClusterConfig, at: string, namePath: string): void => {
    const first = seen.get(c.name);
    if (first !== undefined) {
      problems.push(`${namePath}: cluster ${c.name} is already defined at ${first}`);
      return;
    }
    seen.set(c.name, at);
    clusters.push(c);
  };

  items.forEach((item, i) => {
    const at = `clusters[${i}]`;
    if (!isRecord(item)) {
      problems.push(`${at}: expected object, got ${Array.isArray(item) ? 'array' : item === null ? 'null' : typeof item}`);
      return;
    }
    if (typeof item.name === 'string') names.add(item.name);
    const forms = CLUSTER_FORMS.filter((k) => k in item);
    if (forms.length === 0) {
      problems.push(`${at}: needs one of ${CLUSTER_FORMS.map((k) => `"${k}"`).join(', ')}`);
      return;
    }
    if (forms.length > 1) {
      problems.push(`${at}: ${forms.map((k) => `"${k}"`).join(' and ')} cannot be combined; one cluster, one source`);
      return;
    }
    switch (forms[0]) {
      case 'manifests': {
        const c = check(manifestClusterSchema, item, ['clusters', i], problems);
        if (c) add({ name: c.name, manifests: resolve(baseDir, c.manifests) }, at, `${at}.name`);
        return;
      }
      case 'inCluster': {
        const c = check(inClusterSchema, item, ['clusters', i], problems);
        if (c) add(kubeCluster(c.name, { inCluster: true }, c, defaults), at, `${at}.name`);
        return;
      }
      case 'kubeconfig': {
        const c = check(kubeconfigClusterSchema, item, ['clusters', i], problems);
        if (!c) return;
        const file = resolve(baseDir, c.kubeconfig);
        let context = c.context;
        try {
          const summary = readKubeconfigSummary(file);
          if (context !== undefined && !summary.contexts.includes(context)) {
            problems.push(`${at}.context: no context "${context}" in ${file} (contexts: ${summary.contexts.join(', ') || 'none'})`);
            return;
          }
          context ??= defaultContext(summary);
          if (context === undefined) {
            problems.push(`${at}.context: required: ${file} has no current-context (contexts: ${summary.contexts.join(', ') || 'none'})`);
            return;
          }
        } catch (e) {
          problems.push(`${at}.kubeconfig: ${(e as Error).message}`);
          names.add(c.name ?? c.context ?? fileStem(file));
          return;
        }
        const name = c.name ?? context;
        names.add(name);
        if (c.name === undefined && !clusterNameSchema.safeParse(name).success) {
          problems.push(`${at}.name: required: context name "${name}" cannot be a cluster name (1-63 letters, digits, ".", "_" or "-")`);
          return;
        }
        add(kubeCluster(name, { kubeconfig: file, context }, c, defaults), at, c.name === undefined ? `${at}.context` : `${at}.name`);
        return;
      }
      case 'kubeconfigDir': {
        const c = check(kubeconfigDirClusterSchema, item, ['clusters', i], problems);
        if (!c) return;
        const dir = resolve(baseDir, c.kubeconfigDir);
        let files: string[];
        try {
          files = listKubeconfigFiles(dir);
        } catch (e) {
          problems.push(`${at}.kubeconfigDir: cannot read folder ${dir}: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`);
          return;
        }
        if (files.length === 0) problems.push(`${at}.kubeconfigDir: no kubeconfig files in ${dir}`);
        for (const file of files) {
          const where = `${at}.kubeconfigDir: ${basename(file)}`;
          let summary: KubeconfigSummary;
          try {
            summary = readKubeconfigSummary(file);
          } catch (e) {
            problems.push(`${at}.kubeconfigDir: ${(e as Error).message}`);
            names.add(fileStem(file));
            continue;
          }
          const context = defaultContext(summary);
          // Rancher names the context after the cluster; a file without a usable one is named by its file.
          const name = context !== undefined && clusterNameSchema.safeParse(context).success ? context : fileStem(file);
          names.add(name);
          if (context === undefined) {
            problems.push(`${where}: no current-context, and ${summary.contexts.length} contexts to choose from`);
            continue;
          }
          if (!clusterNameSchema.safeParse(name).success) {
            problems.push(`${where}: neither the context nor the file name can be a cluster name (1-63 letters, digits, ".", "_" or "-")`);
            continue;
          }
          add(kubeCluster(name, { kubeconfig: file, context }, c, defaults), `${at}.kubeconfigDir ${basename(file)}`, where);
        }
        return;
      }
    }
  });
  return { clusters, names };
}

interface KubeClusterOptions {
  namespaceSelector?: LabelSelector;
  hostnameSources: HostnameSources;
  gracePeriod?: number;
  watchdogSeconds?: number;
}

function kubeCluster(name: string, connection: KubeConnection, o: KubeClusterOptions, defaults: SourcesConfig): KubeClusterConfig {
  const c: KubeClusterConfig = {
    name,
    connection,
    hostnameSources: { ...o.hostnameSources },
    gracePeriodMs: o.gracePeriod ?? defaults.gracePeriodMs,
    watchdogMs: o.watchdogSeconds !== undefined ? o.watchdogSeconds * 1000 : defaults.watchdogMs,
  };
  if (o.namespaceSelector) c.namespaceSelector = o.namespaceSelector;
  return c;
}

function checkSources(value: unknown, problems: string[]): SourcesConfig {
  const s = check(sourcesSchema, value, ['sources'], problems);
  // Broken sources settings are reported; the clusters are still checked against the defaults.
  const v = s ?? sourcesSchema.parse(undefined);
  if (v.backoff.initial > v.backoff.max) problems.push('sources.backoff.initial: must not be larger than sources.backoff.max');
  return {
    gracePeriodMs: v.gracePeriod,
    watchdogMs: v.watchdogSeconds * 1000,
    backoff: { initialMs: Math.max(1, v.backoff.initial), maxMs: Math.max(1, v.backoff.max) },
  };
}

/** With no providers section the embedded server is the provider, so a minimal config works. */
function checkProviders(items: unknown[] | undefined, problems: string[]): ProviderConfig[] {
  if (items === undefined) return [{ name: 'embedded', type: 'embedded' }];
  const providers: ProviderConfig[] = [];
  const seen = new Map<string, number>();
  items.forEach((item, i) => {
    const parsed = check(providerSchema, item, ['providers', i], problems);
    if (!parsed) return;
    let p: ProviderConfig;
    if (parsed.type === 'embedded') p = parsed;
    else {
      const { name, type, secretFile, ownerId, policy, adoptFrom } = parsed;
      const settings = (parsed as unknown as Record<string, Record<string, unknown>>)[type];
      p = { name, type, settings, ...(secretFile !== undefined ? { secretFile } : {}), ownerId: ownerId ?? name, policy, adoptFrom };
    }
    const first = seen.get(p.name);
    if (first !== undefined) {
      problems.push(`providers[${i}].name: provider ${p.name} is already defined at providers[${first}]`);
      return;
    }
    seen.set(p.name, i);
    providers.push(p);
  });
  return providers;
}

interface EntryContext {
  zones: ZoneConfig[];
  clusters: Set<string>;
  providers: ProviderConfig[];
  rawProviders: unknown[] | undefined;
  /** Clusters may also come from kubeconfig Secrets at run time: an unknown target is not an error. */
  clustersFromSecrets?: boolean;
}

function checkEntries(items: unknown[], ctx: EntryContext, problems: string[]): GlobalDnsEntry[] {
  const entries: GlobalDnsEntry[] = [];
  const seen = new Map<string, number>();
  const providerNames = ctx.rawProviders === undefined ? new Set(['embedded']) : rawNames(ctx.rawProviders);
  const apexes = ctx.zones.map((z) => z.apex);
  items.forEach((item, i) => {
    const at = `entries[${i}]`;
    const e = check(entrySchema, item, ['entries', i], problems);
    if (!e) {
      // Still name unknown references of a broken entry, so one run lists everything.
      const raw = isRecord(item) ? item : {};
      if (typeof raw.provider === 'string' && !providerNames.has(raw.provider)) problems.push(`${at}.provider: unknown provider "${raw.provider}"`);
      (Array.isArray(raw.targets) ? raw.targets : []).forEach((t: unknown, j) => {
        const cluster = isRecord(t) ? t.cluster : undefined;
        if (typeof cluster === 'string' && !ctx.clusters.has(cluster) && !ctx.clustersFromSecrets) problems.push(`${at}.targets[${j}].cluster: unknown cluster "${cluster}"`);
      });
      return;
    }
    const before = problems.length;
    const first = seen.get(e.fqdn);
    if (first !== undefined) problems.push(`${at}.fqdn: ${e.fqdn} is already an entry at entries[${first}]`);
    seen.set(e.fqdn, i);

    if (!providerNames.has(e.provider)) problems.push(`${at}.provider: unknown provider "${e.provider}"`);
    const provider = ctx.providers.find((p) => p.name === e.provider);
    const proxiedProblem = entryProxiedProblem(e, provider?.type);
    if (proxiedProblem !== undefined) problems.push(`${at}.${proxiedProblem}`);
    if (provider?.type === 'embedded') {
      const apex = findZone(e.fqdn, apexes);
      if (apex === undefined) {
        problems.push(`${at}.fqdn: ${e.fqdn} is not inside any zone served by the embedded provider (zones: ${apexes.join(', ') || 'none'})`);
      } else {
        const zone = ctx.zones.find((z) => z.apex === apex);
        const clash = zone?.records.filter((r) => r.name === e.fqdn && ['A', 'AAAA', 'CNAME'].includes(r.type)) ?? [];
        if (clash.length > 0) {
          problems.push(`${at}.fqdn: ${e.fqdn} already has static ${clash.map((r) => r.type).join('/')} records in zone ${apex}`);
        }
      }
    }

    const targetSeen = new Set<string>();
    e.targets.forEach((t, j) => {
      if (!ctx.clusters.has(t.cluster) && !ctx.clustersFromSecrets) problems.push(`${at}.targets[${j}].cluster: unknown cluster "${t.cluster}"`);
      if (targetSeen.has(t.cluster)) problems.push(`${at}.targets[${j}].cluster: ${t.cluster} is already a target of this entry`);
      targetSeen.add(t.cluster);
    });
    if (problems.length === before) entries.push(e);
  });
  return entries;
}
