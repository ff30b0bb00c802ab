import type { ProbeTarget } from './checker.js';
import type { Verdict } from './verdict.js';

/** What the probe thread is started with. */
export interface ProbeThreadData {
  concurrency: number;
  sourceAddress?: string;
}

/** Main thread → probe thread. */
export type ToProbeThread = { op: 'want'; owner: string; targets: ProbeTarget[] } | { op: 'stop' };

/** One probe's outcome, for the duration histogram: type, ok, milliseconds. */
export type ProbeSample = [type: string, ok: boolean, durationMs: number];

/** Probe thread → main thread. */
export type FromProbeThread =
  | {
    op: 'verdicts';
    /** Verdicts that changed since the last message (a new last probe, a new health). */
    verdicts: [key: string, verdict: Verdict][];
    /** The keys among them whose health changed. */
    transitions: string[];
    samples: ProbeSample[];
  }
  | { op: 'log'; level: 'error' | 'warn'; fields: Record<string, unknown>; msg: string };
