// The probe thread: a HealthChecker with the real probes, off the thread that answers DNS.
// Health transitions are posted at once (they change answers); the other verdict updates (a
// newer last probe) and the probe durations are posted in batches.
import os from 'node:os';
import { parentPort, workerData } from 'node:worker_threads';
import type { Logger } from '../kernel/index.js';
import { HealthChecker } from './checker.js';
import { probe } from './probe.js';
import type { FromProbeThread, ProbeSample, ProbeThreadData, ToProbeThread } from './thread-protocol.js';
import type { Verdict } from './verdict.js';

/** Verdict updates without a transition wait at most this long. */
const BATCH_MS = 500;
/**
 * The thread's nice value (Linux sets it per thread): when the CPUs are short, answering DNS
 * goes first and probes wait a little (their timeouts let a waiting answer win: probe.ts).
 */
const PROBE_NICE = 10;

const port = parentPort;
if (!port) throw new Error('src/health/thread-main.ts runs as a worker thread');
const data = workerData as ProbeThreadData;

const post = (m: FromProbeThread) => port.postMessage(m);
try {
  os.setPriority(PROBE_NICE);
} catch {
  // Not allowed here (a container without the capability to renice): probe at the same priority.
}
const logAt = (level: 'error' | 'warn') => (fields: object, msg: string) => post({ op: 'log', level, fields: { ...fields }, msg });
const logger: Logger = { error: logAt('error'), warn: logAt('warn'), info: () => {}, debug: () => {} };

let verdicts = new Map<string, Verdict>();
let transitions = new Set<string>();
let samples: ProbeSample[] = [];
let timer: NodeJS.Timeout | undefined;
let immediate: NodeJS.Immediate | undefined;

function flush(): void {
  if (timer) clearTimeout(timer);
  if (immediate) clearImmediate(immediate);
  timer = undefined;
  immediate = undefined;
  if (verdicts.size === 0 && samples.length === 0) return;
  post({ op: 'verdicts', verdicts: [...verdicts], transitions: [...transitions], samples });
  verdicts = new Map();
  transitions = new Set();
  samples = [];
}

const checker = new HealthChecker({
  prober: probe,
  logger,
  concurrency: data.concurrency,
  ...(data.sourceAddress !== undefined ? { sourceAddress: data.sourceAddress } : {}),
  onProbe: (target, outcome) => {
    samples.push([target.spec.type, outcome.ok, outcome.durationMs]);
    // The verdict after this outcome is read once the checker has applied it.
    queueMicrotask(() => {
      const v = checker.verdict(target.key);
      if (v) verdicts.set(target.key, v);
    });
    timer ??= setTimeout(flush, BATCH_MS);
  },
  onTransition: (target, _from, to) => {
    verdicts.set(target.key, to);
    transitions.add(target.key);
    // Several transitions of one probe round go in one message.
    immediate ??= setImmediate(flush);
  },
});

port.on('message', (m: ToProbeThread) => {
  if (m.op === 'want') checker.want(m.owner, m.targets);
  else if (m.op === 'stop') {
    checker.stop();
    flush();
    port.close();
  }
});
