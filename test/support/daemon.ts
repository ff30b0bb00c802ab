// Runs one real daemon for the launchers (named, knotd, pdns_server, nginx, pebble): spawned
// in its temp dir, its output kept (the tail only, so a chatty daemon cannot fill memory),
// ready once a probe says so, stopped with a polite signal and then SIGKILL, its dir removed.
// A daemon nobody stopped (a timed-out ava worker) is killed when the test process exits.
import { spawn, type ChildProcess } from 'node:child_process';
import { rm } from 'node:fs/promises';

export interface DaemonOptions {
  /** The name in messages: 'named', 'knotd'. */
  name: string;
  command: string;
  args: string[];
  /** The daemon's temp dir: its working directory, removed on stop. */
  dir: string;
  env?: NodeJS.ProcessEnv;
  /** One readiness check, true when ready; a throw counts as not yet. */
  ready: () => Promise<boolean>;
  /** What `ready` waits for, for the timeout's message: 'an SOA answer for example.org on port 5300'. */
  readyWhat: string;
  startTimeoutMs: number;
  /** The pause between checks (default 50 ms). */
  probeIntervalMs?: number;
  /** The polite stop signal (default SIGTERM); SIGKILL follows after 3 s. */
  stopSignal?: NodeJS.Signals;
  /** What else to release on stop, once the process is gone. */
  onStop?: () => void | Promise<void>;
  /** How many characters of output to keep, the latest (default 256 KiB). */
  logLimit?: number;
}

export interface Daemon {
  proc: ChildProcess;
  pid: number;
  logs(): string;
  exited(): boolean;
  /** Stops the daemon and removes its dir; calling it again waits for the same stop. */
  stop(): Promise<void>;
}

const KILL_AFTER_MS = 3000;

/** Every daemon still running, killed if the test process exits first. */
const running = new Set<ChildProcess>();
let exitHook = false;

function killOnExit(proc: ChildProcess): void {
  running.add(proc);
  if (exitHook) return;
  exitHook = true;
  // One listener for all daemons (one each would trip Node's listener-leak warning).
  process.once('exit', () => {
    for (const p of running) p.kill('SIGKILL');
  });
}

/**
 * Spawns the daemon and resolves once `ready` says so. If it exits first or is not ready in
 * time, it is stopped and the error carries its output.
 */
export async function startDaemon(o: DaemonOptions): Promise<Daemon> {
  const limit = o.logLimit ?? 256 * 1024;
  let log = '';
  const append = (text: string) => {
    log += text;
    // Trim in steps rather than on every chunk: slicing a long string per chunk costs more.
    if (log.length > 2 * limit) log = log.slice(-limit);
  };
  const logs = () => (log.length > limit ? log.slice(-limit) : log);

  const proc = spawn(o.command, o.args, { cwd: o.dir, env: o.env, stdio: ['ignore', 'pipe', 'pipe'] });
  killOnExit(proc);
  let exitedHow: string | undefined;
  let markExited: () => void = () => {};
  const exitP = new Promise<void>((resolve) => (markExited = resolve));
  const onGone = (how: string) => {
    if (exitedHow !== undefined) return;
    exitedHow = how;
    running.delete(proc);
    markExited();
  };
  proc.once('exit', (code, signal) => onGone(signal ? `signal ${signal}` : `code ${code}`));
  proc.on('error', (e) => {
    append(`spawn ${o.command}: ${e.message}\n`);
    // A process that never started sends no 'exit'.
    if (proc.pid === undefined) onGone('not started');
  });
  for (const stream of [proc.stdout, proc.stderr]) {
    stream.setEncoding('utf8');
    stream.on('data', append);
  }

  let stopping: Promise<void> | undefined;
  const stop = () => (stopping ??= (async () => {
    if (exitedHow === undefined) {
      proc.kill(o.stopSignal ?? 'SIGTERM');
      const kill = setTimeout(() => exitedHow === undefined && proc.kill('SIGKILL'), KILL_AFTER_MS);
      await exitP;
      clearTimeout(kill);
    }
    await o.onStop?.();
    await rm(o.dir, { recursive: true, force: true });
  })());

  try {
    // A program that cannot start only says so in an 'error' event: wait for either outcome.
    await Promise.race([new Promise((resolve) => proc.once('spawn', resolve)), exitP]);
    const deadline = Date.now() + o.startTimeoutMs;
    for (;;) {
      if (exitedHow !== undefined) throw new Error(`${o.name} exited (${exitedHow}) before it was ready:\n${logs()}`);
      if (await o.ready().catch(() => false)) break;
      if (Date.now() > deadline) throw new Error(`${o.name}: no ${o.readyWhat} within ${o.startTimeoutMs} ms:\n${logs()}`);
      await new Promise((r) => setTimeout(r, o.probeIntervalMs ?? 50));
    }
  } catch (err) {
    await stop();
    throw err;
  }
  return { proc, pid: proc.pid!, logs, exited: () => exitedHow !== undefined, stop };
}
