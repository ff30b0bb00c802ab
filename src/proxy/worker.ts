/**
 * Entry point of a proxy worker (node:cluster). It serves nothing until the primary sends its
 * config; then it listens (sharing the primary's sockets) and applies the route tables and
 * certificates the primary pushes.
 */
import process from 'node:process';
import { systemClock } from '../kernel/index.js';
import type { Clock } from '../kernel/index.js';
import { createLogger } from '../observe/index.js';
import { every } from '../kernel/index.js';
import { isMessage } from './messages.js';
import type { FromWorker, ToWorker } from './messages.js';
import { ProxyProcess } from './process.js';
import { patchTable } from './route-table.js';
import type { RouteTable } from './route-table.js';
import type { AlpnChallengeLookup, ChallengeLookup } from './server.js';
import { CertificateStore } from './tls/index.js';
import type { AlpnChallengeCertificate } from './tls/index.js';

/**
 * The worker's state lives in this call, not in the module: one worker process, one run. Its
 * timers (and its ProxyProcess's) are on `clock`: the system clock, a worker being a process of its own.
 */
function runWorker(clock: Clock = systemClock): void {
  const certificates = new CertificateStore();
  let proxy: ProxyProcess | undefined;
  let pendingRoutes: RouteTable | undefined;
  /** Counts go to the primary's metrics once a second: one message, whatever the request rate. */
  const COUNTS_EVERY_MS = 1000;
  const countsTimer = every(clock, COUNTS_EVERY_MS, () => sendCounts());

  function sendCounts(done?: () => void): void {
    const counts = proxy?.tally.drain();
    if (counts && process.connected) process.send!({ type: 'counts', counts } satisfies FromWorker, undefined, {}, () => done?.());
    else done?.();
  }

  /** Questions to the primary (it runs ACME), answered by id; unanswered ones give up after 5 s. */
  const waits = new Map<number, (answer: unknown) => void>();
  let nextQuestion = 1;

  function send(m: FromWorker): void {
    process.send?.(m);
  }

  function ask<T>(question: (id: number) => FromWorker): Promise<T | undefined> {
    const id = nextQuestion++;
    return new Promise((resolve) => {
      // Kept alive, as before: a request waits on the answer.
      const timer = clock.setTimeout(
        () => {
          waits.delete(id);
          resolve(undefined);
        },
        5000,
        { keepAlive: true },
      );
      waits.set(id, (answer) => {
        timer.cancel();
        resolve(answer as T | undefined);
      });
      send(question(id));
    });
  }

  function answered(id: number, answer: unknown): void {
    waits.get(id)?.(answer);
    waits.delete(id);
  }

  /** HTTP-01 answers live in the primary. */
  const askChallenge: ChallengeLookup = (host, path) => ask<string>((id) => ({ type: 'challenge', id, host, path }));

  /** TLS-ALPN-01 certificates too. */
  const askAlpnChallenge: AlpnChallengeLookup = (servername) => ask<AlpnChallengeCertificate>((id) => ({ type: 'alpn-challenge', id, servername }));

  process.on('message', (m: unknown) => {
    if (!isMessage<ToWorker>(m)) return;
    switch (m.type) {
      case 'proxy-config': {
        if (proxy) return;
        const logger = createLogger(m.logLevel).child({ module: 'proxy', worker: process.pid });
        proxy = new ProxyProcess(m.config, certificates, logger, { challenges: askChallenge, alpnChallenges: m.alpnChallenges ? askAlpnChallenge : undefined, clock });
        if (pendingRoutes) proxy.setRoutes(pendingRoutes);
        proxy.start().then(
          (l) => send({ type: 'listening', ...l.addresses() }),
          (e: Error) => {
            send({ type: 'listen-failed', error: e.message });
            process.exit(1);
          },
        );
        return;
      }
      case 'routes':
        if (proxy) proxy.setRoutes(m.table);
        else pendingRoutes = m.table;
        return;
      case 'routes-patch':
        // Patches follow the full table a worker is sent at start, in order (one IPC channel).
        if (proxy) proxy.patchRoutes(m.set, m.removed);
        else if (pendingRoutes) pendingRoutes = patchTable(pendingRoutes, m.set, m.removed);
        return;
      case 'cert':
        certificates.set(m.bundle);
        return;
      case 'cert-removed':
        certificates.remove(m.names);
        return;
      case 'challenge-answer':
        answered(m.id, m.body ?? undefined);
        return;
      case 'alpn-challenge-answer':
        answered(m.id, m.certificate ?? undefined);
        return;
      case 'stop':
        countsTimer.cancel();
        void (proxy?.stop() ?? Promise.resolve()).finally(() => sendCounts(() => process.exit(0)));
        return;
    }
  });

  send({ type: 'ready' });

  // The primary going away takes the worker with it.
  process.on('disconnect', () => process.exit(0));
  process.on('SIGTERM', () => {});
  process.on('SIGINT', () => {});
}

runWorker();
