// Shared pieces of the health tests that run the real CLI (issue 13): the health path the
// upstreams (test/support/health-upstream.ts) serve, and the health transitions globaldns logs.

/** The path the entries' health checks GET. */
export const HEALTH_PATH = '/healthz';

/** A health transition as globaldns logged it. */
export interface Transition {
  /** Date.parse of the log line's time. */
  at: number;
  address: string;
  to: string;
  from: string;
}

/** The endpoint health transitions in globaldns's log (`endpoint down`, `endpoint up again`, `endpoint judged`). */
export function transitions(logs: string): Transition[] {
  const out: Transition[] = [];
  for (const line of logs.split('\n')) {
    if (!line.startsWith('{')) continue;
    let j: Record<string, unknown>;
    try {
      j = JSON.parse(line) as Record<string, unknown>;
    } catch {
      continue;
    }
    if (j.module !== 'health' || typeof j.msg !== 'string' || !j.msg.startsWith('endpoint ')) continue;
    out.push({ at: Date.parse(String(j.time)), address: String(j.address), to: String(j.to), from: String(j.from) });
  }
  return out;
}

/** The last lines of a log, for failure messages. */
export function tail(logs: string, n = 40): string {
  return logs.split('\n').slice(-n).join('\n');
}
