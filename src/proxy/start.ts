import cluster from 'node:cluster';
import type { Worker } from 'node:cluster';
import { fileURLToPath } from 'node:url';
import type { ProxyConfig } from '../config/index.js';
import type { GlobalDnsEntry } from '../model/index.js';
import { systemClock } from '../kernel/index.js';
import type { Clock, Logger } from '../kernel/index.js';
import type { ProxyMetrics } from '../observe/index.js';
import type { DesiredState } from '../desired/index.js';
import { every } from '../kernel/index.js';
import { isMessage } from './messages.js';
import type { FromWorker, ToWorker } from './messages.js';
import { ProxyProcess } from './process.js';
import { chooseEngine, engineMessage } from './engine.js';
import { hostRoute, sortedTable } from './route-table.js';
import type { HostRoute, RouteTable } from './route-table.js';
import type { AlpnChallengeLookup, ChallengeLookup } from './server.js';
import type { AlpnChallenges, CertificateStore } from './tls/index.js';

/** What the proxy reads of the rest of the service. */
export interface ProxySources {
  /** The desired-state stage: each claimed name's entry, accepted claims and their addresses. */
  desired: Pick<DesiredState, 'onChange' | 'names' | 'get' | 'servedAddresses' | 'flush'>;
}

export interface StartProxyOptions extends ProxySources {
  config: ProxyConfig;
  /** The process's certificates (filled by the TLS manager in the primary); pushed to workers. */
  certificates: CertificateStore;
  /** HTTP-01 answers of the ACME client, if one runs. */
  challenges?: { respond(host: string, path: string): string | undefined };
  /** TLS-ALPN-01 certificates of the ACME client, when it validates that way (the HTTPS listener then peeks at ClientHellos). */
  alpnChallenges?: AlpnChallenges;
  logger: Logger;
  logLevel: string;
  /** Where the request counts go (every second from each process, and at stop). */
  metrics?: ProxyMetrics;
  /**
   * The timers of this process (default systemClock): with `workers: 0` all of the proxy's
   * (ProxyProcess); with workers the primary's own (counts, restart and stop timers), the
   * workers running on their system clock.
   */
  clock?: Clock;
}

export interface RunningProxy {
  /** Bound addresses (ports resolved when configured as 0). */
  addresses(): { http?: { host: string; port: number }; https?: { host: string; port: number } };
  /** The entries changed (their routes follow through the desired-state stage; certificates here). */
  setEntries(entries: readonly GlobalDnsEntry[]): void;
  /** The current table (for status and tests). */
  table(): RouteTable;
  stop(): Promise<void>;
}

/**
 * Starts the proxy: in this process with `workers: 0`, else in `workers` node:cluster workers
 * fed by this one. Routes follow the desired-state stage per host: a changed name is routed
 * again and only its route goes to the workers; certificates are pushed as the store changes.
 */
export async function startProxy(o: StartProxyOptions): Promise<RunningProxy> {
  // Decided once, here, and logged once; workers get the decision in their config.
  const engine = chooseEngine(o.config.engine);
  if (engine.fallback) o.logger.warn({ engine: engine.engine }, engineMessage(engine));
  else o.logger.info({ engine: engine.engine }, engineMessage(engine));
  o = { ...o, config: { ...o.config, engine: engine.engine } };
  const { desired } = o;
  const routes = new Map<string, HostRoute>();
  const routeOf = (host: string): HostRoute | undefined => {
    const state = desired.get(host);
    // Health and failover decide which addresses the answer holds: the proxy sends only there.
    return state && hostRoute(host, state.entry, state.accepted, (e) => desired.servedAddresses(host, e));
  };
  const table = (): RouteTable => sortedTable(routes.values());
  await desired.flush();
  for (const host of desired.names()) {
    const r = routeOf(host);
    if (r) routes.set(host, r);
  }

  let patch: (set: HostRoute[], removed: string[]) => void;
  let addresses: RunningProxy['addresses'];
  let stopWorkers: () => Promise<void>;
  const challenges: ChallengeLookup | undefined = o.challenges ? (host, path) => o.challenges!.respond(host, path) : undefined;
  const alpnChallenges: AlpnChallengeLookup | undefined = o.alpnChallenges ? (servername) => o.alpnChallenges!.certificate(servername) : undefined;
  const clock = o.clock ?? systemClock;

  if (o.config.workers === 0) {
    const proc = new ProxyProcess(o.config, o.certificates, o.logger, { challenges, alpnChallenges, clock });
    proc.setRoutes(table());
    patch = (set, removed) => proc.patchRoutes(set, removed);
    await proc.start();
    // The same path as workers' counts, minus the IPC.
    const flush = (): void => {
      const counts = proc.tally.drain();
      if (counts) o.metrics?.add(counts);
    };
    const countsTimer = every(clock, 1000, flush);
    addresses = () => proc.addresses();
    stopWorkers = async () => {
      countsTimer.cancel();
      await proc.stop();
      flush();
    };
  } else {
    const pool = await startWorkers(o, table, clock);
    patch = (set, removed) => pool.broadcast({ type: 'routes-patch', set, removed });
    addresses = () => pool.addresses;
    stopWorkers = () => pool.stop();
  }

  const unsubscribe = desired.onChange((names) => {
    const set: HostRoute[] = [];
    const removed: string[] = [];
    for (const host of names) {
      const before = routes.get(host);
      const after = routeOf(host);
      if (!after) {
        if (before && routes.delete(host)) removed.push(host);
      } else if (!before || JSON.stringify(before) !== JSON.stringify(after)) {
        routes.set(host, after);
        set.push(after);
      }
    }
    if (set.length > 0 || removed.length > 0) patch(set, removed);
  });
  return {
    addresses: () => addresses(),
    // Routes follow the stage, which re-plans every name when the entries change.
    setEntries() {},
    table,
    async stop() {
      unsubscribe();
      await stopWorkers();
    },
  };
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
async function startWorkers(o: StartProxyOptions, currentTable: () => RouteTable, clock: Clock): Promise<WorkerPool> {
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
              // Kept alive: the stop waits on it.
              const kill = clock.setTimeout(() => w.process.kill('SIGKILL'), 12_000, { keepAlive: true });
              w.once('exit', () => {
                kill.cancel();
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
        clock.setTimeout(() => void fork().catch((e: Error) => log.error({ err: e.message }, e.message)), 1000);
      });
    });

  await Promise.all(Array.from({ length: o.config.workers }, fork));
  log.info({ workers: o.config.workers, ...pool.addresses }, 'proxy workers listening');
  return pool;
}
