import cluster from 'node:cluster';
import type { Worker } from 'node:cluster';
import { fileURLToPath } from 'node:url';
import type { ProxyConfig } from '../config/index.js';
import { addressType, endpointKey } from '../model/index.js';
import type { Endpoint, GlobalDnsEntry } from '../model/index.js';
import type { Logger, ProxyMetrics } from '../observe/index.js';
import type { ResolvedHostnames } from '../planner/index.js';
import { isMessage } from './messages.js';
import type { FromWorker, ToWorker } from './messages.js';
import { ProxyProcess } from './process.js';
import { chooseEngine, engineMessage } from './engine.js';
import { buildRouteTable } from './route-table.js';
import type { RouteTable } from './route-table.js';
import type { AlpnChallengeLookup, ChallengeLookup } from './server.js';
import type { AlpnChallenges, CertificateStore } from './tls/index.js';

/** What the proxy reads of the rest of the service. */
export interface ProxySources {
  /** The endpoint store (only `onChange`, `names` and `byName` are used). */
  store: { onChange(l: (touched: ReadonlySet<string>) => void): () => void; names(): string[]; byName(fqdn: string): Endpoint[] };
  /** Looks up load-balancer hostnames and gives the cache (the controller's HostnameResolver). */
  resolver?: { ensure(hostnames: Iterable<string>): Promise<void>; readonly resolved: ResolvedHostnames };
}

export interface StartProxyOptions extends ProxySources {
  config: ProxyConfig;
  entries: readonly GlobalDnsEntry[];
  /** The process's certificates (filled by the TLS manager in the primary); pushed to workers. */
  certificates: CertificateStore;
  /** HTTP-01 answers of the ACME client, if one runs. */
  challenges?: { respond(host: string, path: string): string | undefined };
  /** TLS-ALPN-01 certificates of the ACME client, when it validates that way (the HTTPS listener then peeks at ClientHellos). */
  alpnChallenges?: AlpnChallenges;
  logger: Logger;
  logLevel: string;
  /** Quiet time before a burst of endpoint changes becomes one route table. */
  debounceMs?: number;
  /** Where the request counts go (every second from each process, and at stop). */
  metrics?: ProxyMetrics;
}

export interface RunningProxy {
  /** Bound addresses (ports resolved when configured as 0). */
  addresses(): { http?: { host: string; port: number }; https?: { host: string; port: number } };
  setEntries(entries: readonly GlobalDnsEntry[]): void;
  /** The current table (for status and tests). */
  table(): RouteTable;
  stop(): Promise<void>;
}

/**
 * Starts the proxy: in this process with `workers: 0`, else in `workers` node:cluster workers
 * fed by this one. Route tables are rebuilt from the store on change (debounced) and pushed;
 * certificates are pushed as the store changes.
 */
export async function startProxy(o: StartProxyOptions): Promise<RunningProxy> {
  // Decided once, here, and logged once; workers get the decision in their config.
  const engine = chooseEngine(o.config.engine);
  if (engine.fallback) o.logger.warn({ engine: engine.engine }, engineMessage(engine));
  else o.logger.info({ engine: engine.engine }, engineMessage(engine));
  o = { ...o, config: { ...o.config, engine: engine.engine } };
  let entries = o.entries;
  let table: RouteTable = { hosts: [] };
  const log = o.logger;
  const debounceMs = o.debounceMs ?? 50;

  const rebuild = async (): Promise<void> => {
    const endpoints = currentEndpoints(o.store);
    const hostnames = new Set<string>();
    for (const e of endpoints) for (const t of e.targets) if (!addressType(t)) hostnames.add(t);
    if (hostnames.size > 0 && o.resolver) await o.resolver.ensure(hostnames);
    table = buildRouteTable(entries, endpoints, { resolved: o.resolver?.resolved });
    push(table);
  };

  let timer: NodeJS.Timeout | undefined;
  let running: Promise<void> = Promise.resolve();
  const schedule = (): void => {
    if (timer) return;
    timer = setTimeout(() => {
      timer = undefined;
      running = running.then(rebuild).catch((e: Error) => log.error({ err: e.message }, `proxy: route table: ${e.message}`));
    }, debounceMs);
  };

  let push: (t: RouteTable) => void;
  let addresses: RunningProxy['addresses'];
  let stopWorkers: () => Promise<void>;
  const challenges: ChallengeLookup | undefined = o.challenges ? (host, path) => o.challenges!.respond(host, path) : undefined;
  const alpnChallenges: AlpnChallengeLookup | undefined = o.alpnChallenges ? (servername) => o.alpnChallenges!.certificate(servername) : undefined;

  if (o.config.workers === 0) {
    const proc = new ProxyProcess(o.config, o.certificates, log, challenges, alpnChallenges);
    push = (t) => proc.setRoutes(t);
    await rebuild();
    await proc.start();
    // The same path as workers' counts, minus the IPC.
    const flush = (): void => {
      const counts = proc.tally.drain();
      if (counts) o.metrics?.add(counts);
    };
    const countsTimer = setInterval(flush, 1000);
    countsTimer.unref();
    addresses = () => proc.addresses();
    stopWorkers = async () => {
      clearInterval(countsTimer);
      await proc.stop();
      flush();
    };
  } else {
    const pool = await startWorkers(o, () => table);
    push = (t) => pool.broadcast({ type: 'routes', table: t });
    await rebuild();
    addresses = () => pool.addresses;
    stopWorkers = () => pool.stop();
  }

  const unsubscribe = o.store.onChange(() => schedule());
  return {
    addresses: () => addresses(),
    setEntries(next) {
      entries = next;
      schedule();
    },
    table: () => table,
    async stop() {
      unsubscribe();
      clearTimeout(timer);
      await running;
      await stopWorkers();
    },
  };
}

function currentEndpoints(store: ProxySources['store']): Endpoint[] {
  const byKey = new Map<string, Endpoint>();
  for (const name of store.names()) for (const e of store.byName(name)) byKey.set(endpointKey(e), e);
  return [...byKey.values()];
}

interface WorkerPool {
  addresses: ReturnType<RunningProxy['addresses']>;
  broadcast(m: ToWorker): void;
  stop(): Promise<void>;
}

/**
 * Forks the workers and keeps them fed: a new (or restarted) worker gets the config, the
 * current table and every certificate before it listens; certificate changes go to all.
 */
async function startWorkers(o: StartProxyOptions, currentTable: () => RouteTable): Promise<WorkerPool> {
  const log = o.logger;
  const here = fileURLToPath(import.meta.url);
  // Same extension as this file: .js when built, .ts when run through tsx.
  const exec = here.replace(/start\.(ts|js)$/, 'worker.$1');
  cluster.setupPrimary({ exec, args: [], silent: false });
  const workers = new Set<Worker>();
  let stopping = false;
  const pool: WorkerPool = {
    addresses: {},
    broadcast(m) {
      for (const w of workers) if (w.isConnected()) w.send(m);
    },
    async stop() {
      stopping = true;
      unsubscribe();
      await Promise.all(
        [...workers].map(
          (w) =>
            new Promise<void>((resolve) => {
              const kill = setTimeout(() => w.process.kill('SIGKILL'), 12_000);
              w.once('exit', () => {
                clearTimeout(kill);
                resolve();
              });
              if (w.isConnected()) w.send({ type: 'stop' } satisfies ToWorker);
              else w.process.kill('SIGTERM');
            }),
        ),
      );
    },
  };
  const unsubscribe = o.certificates.onChange((change) => {
    pool.broadcast('removed' in change ? { type: 'cert-removed', names: change.removed } : { type: 'cert', bundle: change });
  });

  const fork = (): Promise<void> =>
    new Promise((resolve, reject) => {
      const w = cluster.fork();
      workers.add(w);
      let listening = false;
      w.on('message', (m: unknown) => {
        if (!isMessage<FromWorker>(m)) return;
        if (m.type === 'ready') {
          w.send({ type: 'proxy-config', config: o.config, logLevel: o.logLevel, alpnChallenges: o.alpnChallenges !== undefined } satisfies ToWorker);
          w.send({ type: 'routes', table: currentTable() } satisfies ToWorker);
          for (const bundle of o.certificates.all()) w.send({ type: 'cert', bundle } satisfies ToWorker);
        } else if (m.type === 'listening') {
          listening = true;
          pool.addresses = { http: m.http, https: m.https };
          resolve();
        } else if (m.type === 'listen-failed') {
          reject(new Error(`proxy worker ${w.process.pid}: ${m.error}`));
        } else if (m.type === 'counts') {
          o.metrics?.add(m.counts);
        } else if (m.type === 'challenge') {
          const body = o.challenges?.respond(m.host, m.path);
          if (w.isConnected()) w.send({ type: 'challenge-answer', id: m.id, body: body ?? null } satisfies ToWorker);
        } else if (m.type === 'alpn-challenge') {
          const certificate = o.alpnChallenges?.certificate(m.servername);
          if (w.isConnected()) w.send({ type: 'alpn-challenge-answer', id: m.id, certificate: certificate ?? null } satisfies ToWorker);
        }
      });
      w.once('exit', (code, signal) => {
        workers.delete(w);
        if (!listening) reject(new Error(`proxy worker ${w.process.pid} exited before listening (code ${code}, signal ${signal})`));
        if (stopping) return;
        log.error({ pid: w.process.pid, code, signal }, 'proxy worker died; starting another');
        // A worker that cannot start at all would loop; one second apart keeps the log readable.
        setTimeout(() => void fork().catch((e: Error) => log.error({ err: e.message }, e.message)), 1000).unref();
      });
    });

  await Promise.all(Array.from({ length: o.config.workers }, fork));
  log.info({ workers: o.config.workers, ...pool.addresses }, 'proxy workers listening');
  return pool;
}
