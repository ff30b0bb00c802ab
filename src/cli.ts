#!/usr/bin/env node
/**
 * The `globaldns` command. All wiring of the service and every process exit live here, so
 * the modules stay free of globals and can be tested on their own.
 */
import { existsSync, statSync } from 'node:fs';
import { resolve } from 'node:path';
import { Command, Option } from 'commander';
import { ConfigError, loadConfig, parseListenAddress } from './config/index.js';
import { isKubeCluster } from './config/index.js';
import type { Config, ListenAddress } from './config/index.js';
import { Controller } from './controller/index.js';
import { DnsServer, ZoneStore } from './dns/index.js';
import { createLogger } from './observe/index.js';
import { ClusterFleet, createKubeClusterSource, EndpointStore, FolderSource, loadKubeConfig } from './sources/index.js';
import type { KubeClusterSource } from './sources/index.js';

const LOG_LEVELS = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'] as const;

interface ServeFlags {
  config: string;
  dnsListen?: string[];
  stateDir?: string;
  logLevel?: (typeof LOG_LEVELS)[number];
}

/** Prints every problem of a bad config and exits 1. */
function failConfig(e: unknown, file: string): never {
  if (e instanceof ConfigError) {
    for (const p of e.problems) process.stderr.write(`${p}\n`);
    process.stderr.write(`${e.problems.length} problem${e.problems.length === 1 ? '' : 's'} in ${resolve(file)}\n`);
  } else {
    process.stderr.write(`${(e as Error).message}\n`);
  }
  process.exit(1);
}

function readConfig(file: string): Config {
  try {
    return loadConfig(file);
  } catch (e) {
    failConfig(e, file);
  }
}

/**
 * Checks that need the file system beyond what loadConfig reads: not part of it, since
 * `serve` tolerates a manifest folder that appears later. Kubeconfigs are loaded with the
 * client library, which is stricter than the config check.
 */
function fileProblems(config: Config): string[] {
  return config.clusters.flatMap((c) => {
    if (isKubeCluster(c)) {
      if ('inCluster' in c.connection) return [];
      try {
        loadKubeConfig(c.connection);
        return [];
      } catch (e) {
        return [`cluster ${c.name}: ${(e as Error).message}`];
      }
    }
    if (!existsSync(c.manifests)) return [`cluster ${c.name}: manifests folder not found: ${c.manifests}`];
    if (!statSync(c.manifests).isDirectory()) return [`cluster ${c.name}: manifests: not a folder: ${c.manifests}`];
    return [];
  });
}

/** A source as serve starts, waits for and stops it. */
interface RunningSource {
  cluster: string;
  start(): void | Promise<void>;
  stop(): void;
  /** Resolves when the source has read its cluster, or given up waiting for it. */
  settled(): Promise<void>;
  synced(): boolean;
}

async function serve(flags: ServeFlags): Promise<void> {
  const config = readConfig(flags.config);
  let listen: ListenAddress[] = config.dns.listen;
  if (flags.dnsListen && flags.dnsListen.length > 0) {
    try {
      listen = flags.dnsListen.map(parseListenAddress);
    } catch (e) {
      failConfig(new ConfigError([`--dns-listen: ${(e as Error).message}`]), flags.config);
    }
  }
  const stateDir = flags.stateDir ? resolve(flags.stateDir) : config.stateDir;
  const log = createLogger(flags.logLevel ?? config.logLevel);
  log.info({ config: config.source, stateDir }, 'starting');

  // Last known zones first, so that a restart answers before any cluster has been listed.
  const zones = new ZoneStore({ stateDir });
  await zones.load();

  const embedded = new Set(config.providers.filter((p) => p.type === 'embedded').map((p) => p.name));
  const store = new EndpointStore();
  const controller = new Controller({
    zones: config.zones,
    entries: config.entries.filter((e) => embedded.has(e.provider)),
    store,
    sink: zones,
    logger: log.child({ module: 'controller' }),
  });
  controller.start();

  const server = new DnsServer({
    zones,
    listen,
    udpPayloadMax: config.dns.udpPayloadMax,
    tcpIdleTimeoutMs: config.dns.tcpIdleTimeoutMs,
    maxTcpConnections: config.dns.maxTcpConnections,
    logger: log.child({ module: 'dns' }),
  });
  try {
    await server.start();
  } catch (e) {
    log.fatal({ err: (e as Error).message, listen }, 'cannot listen');
    controller.stop();
    process.exit(1);
  }
  log.info({ addresses: server.addresses().map((a) => `${a.transport}://${a.host.includes(':') ? `[${a.host}]` : a.host}:${a.port}`) }, 'dns listening');

  const sourceLog = log.child({ module: 'sources' });
  const fleet = new ClusterFleet(store);
  const sources: RunningSource[] = [];
  for (const c of config.clusters) {
    if (isKubeCluster(c)) {
      let source: KubeClusterSource;
      try {
        source = createKubeClusterSource(c, { store, fleet, sources: config.sources, logger: sourceLog });
      } catch (e) {
        log.fatal({ cluster: c.name, err: (e as Error).message }, `cluster ${c.name}: ${(e as Error).message}`);
        process.exit(1);
      }
      sources.push({
        cluster: c.name,
        start: () => source.start(),
        stop: () => source.stop(),
        // Synced, or Lost after its own grace period.
        settled: () => source.whenSettled(),
        synced: () => source.phase === 'Synced',
      });
    } else {
      const folder = new FolderSource({
        cluster: c.name,
        dir: c.manifests,
        store,
        report: (p) => sourceLog.warn({ cluster: c.name, ...p }, 'manifest problem'),
      });
      sources.push({
        cluster: c.name,
        start: () => folder.start(),
        stop: () => folder.stop(),
        settled: () => withTimeout(folder.whenSynced(), config.sources.gracePeriodMs),
        synced: () => folder.synced,
      });
    }
  }

  let stopping = false;
  const shutdown = async (signal: string): Promise<void> => {
    if (stopping) {
      // A second signal means "now": the snapshot may be a few changes behind, which is what a restart serves anyway.
      process.exit(1);
    }
    stopping = true;
    log.info({ signal }, 'stopping');
    for (const s of sources) s.stop();
    controller.stop();
    await server.stop();
    await zones.flush();
    log.info({}, 'stopped');
    process.exit(0);
  };
  process.on('SIGINT', (s) => void shutdown(s));
  process.on('SIGTERM', (s) => void shutdown(s));

  await Promise.all(sources.map((s) => s.start()));
  const unread = sources.filter((s) => !s.synced()).map((s) => s.cluster);
  if (unread.length > 0) {
    // A cluster that cannot be read is a failure, not an empty cluster: zones served from the
    // snapshot keep their last known answers until every cluster has been read, or its grace ends.
    log.info({ clusters: unread }, 'waiting for clusters to be read; snapshot zones kept as they are until then');
  }
  await Promise.all(sources.map((s) => s.settled()));
  if (stopping) return;
  await controller.ready();
  log.info({ clusters: sources.filter((s) => s.synced()).map((s) => s.cluster), endpoints: store.size, zones: zones.apexes() }, 'sources synced');
}

/** Resolves when `p` does or after `ms`, whichever is first. */
function withTimeout(p: Promise<void>, ms: number): Promise<void> {
  return new Promise<void>((resolve) => {
    const timer = setTimeout(resolve, ms);
    timer.unref();
    void p.then(() => {
      clearTimeout(timer);
      resolve();
    });
  });
}

function validate(flags: { config: string }): void {
  const config = readConfig(flags.config);
  const problems = fileProblems(config);
  if (problems.length > 0) failConfig(new ConfigError(problems), flags.config);
  process.stdout.write('ok\n');
}

const program = new Command()
  .name('globaldns')
  .description('One DNS name for an application that runs in many Kubernetes clusters.');

program
  .command('serve')
  .description('run the service: watch the clusters, serve DNS')
  .requiredOption('--config <file>', 'configuration file (YAML)')
  .option('--dns-listen <addr>', 'DNS listen address host:port or [v6]:port; repeatable; replaces dns.listen', (v: string, prev: string[] = []) => [...prev, v])
  .option('--state-dir <dir>', 'where zone snapshots are kept (default: stateDir of the config)')
  .addOption(new Option('--log-level <level>', 'log level (default: logLevel of the config)').choices([...LOG_LEVELS]))
  .action((flags: ServeFlags) => serve(flags));

program
  .command('validate')
  .description('check a configuration; prints every problem and exits 1, or prints ok')
  .requiredOption('--config <file>', 'configuration file (YAML)')
  .action((flags: { config: string }) => validate(flags));

program.parseAsync(process.argv).catch((e: unknown) => {
  process.stderr.write(`globaldns: ${(e as Error).stack ?? String(e)}\n`);
  process.exit(1);
});
