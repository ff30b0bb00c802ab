#!/usr/bin/env node
/**
 * The `globaldns` command: commands, flags and exit codes. The service's wiring is src/app
 * (`buildApp`); this file owns the process: it reads the config, turns flags into options,
 * handles signals and the shutdown deadline, and decides every exit.
 */
import { resolve } from 'node:path';
import { Command, Option } from 'commander';
import { buildApp, DEFAULT_ADMIN_LISTEN, FatalError, fileProblems, planReport, resourceProblems } from './app/index.js';
import type { AdminListen } from './app/index.js';
import { ConfigError, loadConfig, parseDuration, parseListenAddress } from './config/index.js';
import type { Config, ListenAddress } from './config/index.js';
import { yamlProviderProblems } from './controller/index.js';
import { createLogger, formatStatus } from './observe/index.js';
import type { StatusReport } from './observe/index.js';

const LOG_LEVELS = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'] as const;

interface ServeFlags {
  config: string;
  dnsListen?: string[];
  stateDir?: string;
  logLevel?: (typeof LOG_LEVELS)[number];
  adminListen?: string;
  shutdownTimeout?: string;
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

function parseDurationFlag(text: string, flag: string, configFile: string): number {
  const ms = parseDuration(text);
  if (!Number.isFinite(ms) || ms <= 0) failConfig(new ConfigError([`${flag}: not a duration "${text}" (like 10s, 500ms)`]), configFile);
  return ms;
}

/** Flags → the app's options; a bad flag is a config problem (exit 1). */
function serveOptions(flags: ServeFlags, config: Config): { listen: ListenAddress[]; stateDir: string; admin?: AdminListen; shutdownMs: number } {
  let listen: ListenAddress[] = config.dns.listen;
  if (flags.dnsListen && flags.dnsListen.length > 0) {
    try {
      listen = flags.dnsListen.map(parseListenAddress);
    } catch (e) {
      failConfig(new ConfigError([`--dns-listen: ${(e as Error).message}`]), flags.config);
    }
  }
  const text = flags.adminListen ?? DEFAULT_ADMIN_LISTEN;
  let admin: AdminListen | undefined;
  if (text !== 'off') {
    try {
      admin = { at: parseListenAddress(text), text, explicit: flags.adminListen !== undefined };
    } catch (e) {
      failConfig(new ConfigError([`--admin-listen: ${(e as Error).message}`]), flags.config);
    }
  }
  const shutdownMs = parseDurationFlag(flags.shutdownTimeout ?? '10s', '--shutdown-timeout', flags.config);
  return { listen, stateDir: flags.stateDir ? resolve(flags.stateDir) : config.stateDir, admin, shutdownMs };
}

async function serve(flags: ServeFlags): Promise<void> {
  const config = readConfig(flags.config);
  const providerProblems = await yamlProviderProblems(config);
  if (providerProblems.length > 0) failConfig(new ConfigError(providerProblems), flags.config);
  const { listen, stateDir, admin, shutdownMs } = serveOptions(flags, config);
  const logLevel = flags.logLevel ?? config.logLevel;
  const log = createLogger(logLevel);
  const app = await buildApp({ config, listen, stateDir, log, logLevel, admin }).catch(exitOnFatal);

  let stopping = false;
  const shutdown = async (signal: string): Promise<void> => {
    if (stopping) {
      // A second signal means "now": the snapshot may be a few changes behind, which is what a restart serves anyway.
      process.exit(1);
    }
    stopping = true;
    log.info({ signal }, 'stopping');
    // Bounded: a provider or API server that does not answer must not keep the process (and
    // its DNS port) past what the orchestrator allows; the Lease expires by itself then.
    const bound = setTimeout(() => {
      log.error({ signal, timeoutMs: shutdownMs }, `shutdown took longer than ${shutdownMs} ms; exiting`);
      process.exit(1);
    }, shutdownMs);
    bound.unref();
    await app.stop();
    log.info({}, 'stopped');
    process.exit(0);
  };
  process.on('SIGINT', (s) => void shutdown(s));
  process.on('SIGTERM', (s) => void shutdown(s));
  await app.start().catch(exitOnFatal);
}

/** A start-up failure the app has logged: exit 1. Anything else is a bug: the top-level handler prints it. */
function exitOnFatal(e: unknown): never {
  if (e instanceof FatalError) process.exit(1);
  throw e;
}

/**
 * `globaldns plan`: prints the changes a sync would make to every provider (and what the
 * embedded server would serve), and changes nothing (src/app/plan.ts).
 */
async function planCommand(flags: { config: string; logLevel?: (typeof LOG_LEVELS)[number] }): Promise<void> {
  const config = readConfig(flags.config);
  const problems = [...fileProblems(config), ...(await yamlProviderProblems(config))];
  if (problems.length > 0) failConfig(new ConfigError(problems), flags.config);
  // Logs and warnings go to stderr: stdout carries the plan alone.
  const log = createLogger(flags.logLevel ?? 'warn', process.stderr);
  const warn = (line: string) => void process.stderr.write(`${line}\n`);
  try {
    const out = await planReport(config, log, warn);
    process.stdout.write(out.join('\n') + (out.length > 0 ? '\n' : ''));
  } catch (e) {
    if (!(e instanceof FatalError)) throw e;
    warn(e.message);
    process.exit(1);
  }
  process.exit(0);
}

async function validate(flags: { config?: string; resources?: string[] }): Promise<void> {
  if (!flags.config && !flags.resources?.length) failConfig(new ConfigError(['give --config and/or --resources']), '(none)');
  const problems: string[] = [];
  if (flags.config) {
    const config = readConfig(flags.config);
    problems.push(...fileProblems(config), ...(await yamlProviderProblems(config)));
  }
  for (const file of flags.resources ?? []) problems.push(...(await resourceProblems(file)));
  if (problems.length > 0) failConfig(new ConfigError(problems), flags.config ?? flags.resources?.join(', ') ?? '');
  process.stdout.write('ok\n');
}

/**
 * `globaldns status`: the running service's report (`/api/v1/status` of its admin listener)
 * as tables. Exit 0 when ready, 1 when not ready, 2 when the service cannot be reached.
 */
async function statusCommand(flags: { admin: string; json?: boolean }): Promise<void> {
  const base = flags.admin.replace(/\/+$/, '');
  let report: StatusReport;
  try {
    const res = await fetch(`${base}/api/v1/status`, { signal: AbortSignal.timeout(5000) });
    if (!res.ok) throw new Error(`HTTP ${res.status}`);
    report = (await res.json()) as StatusReport;
  } catch (e) {
    const cause = (e as { cause?: { code?: string } }).cause?.code;
    process.stderr.write(`globaldns status: ${base}/api/v1/status: ${cause ?? (e as Error).message}\n`);
    process.exit(2);
  }
  process.stdout.write(flags.json ? JSON.stringify(report, null, 2) + '\n' : formatStatus(report));
  process.exit(report.ready ? 0 : 1);
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
  .option('--admin-listen <addr>', `admin listener (/metrics, /healthz, /readyz, /api/v1/status, dashboard): host:port, or off (default ${DEFAULT_ADMIN_LISTEN})`)
  .option('--shutdown-timeout <duration>', 'on SIGTERM, exit after this long even if draining is not done (default 10s)')
  .action((flags: ServeFlags) => serve(flags));

program
  .command('plan')
  .description('print the changes a sync would make to every provider, and make none')
  .requiredOption('--config <file>', 'configuration file (YAML)')
  .addOption(new Option('--log-level <level>', 'log level on stderr (default warn)').choices([...LOG_LEVELS]))
  .action((flags: { config: string; logLevel?: (typeof LOG_LEVELS)[number] }) => planCommand(flags));

program
  .command('status')
  .description("print a running service's clusters, providers and names; exit 1 when it is not ready, 2 when unreachable")
  .option('--admin <url>', 'the admin listener of the service', `http://${DEFAULT_ADMIN_LISTEN}`)
  .option('--json', 'print the report as JSON')
  .action((flags: { admin: string; json?: boolean }) => statusCommand(flags));

program
  .command('validate')
  .description('check a configuration and/or GlobalDNS resources; prints every problem and exits 1, or prints ok')
  .option('--config <file>', 'configuration file (YAML)')
  .option('--resources <files...>', 'GlobalDNS / GlobalDNSProvider manifests (multi-document YAML)')
  .action((flags: { config?: string; resources?: string[] }) => validate(flags));

program.parseAsync(process.argv).catch((e: unknown) => {
  process.stderr.write(`globaldns: ${(e as Error).stack ?? String(e)}\n`);
  process.exit(1);
});
