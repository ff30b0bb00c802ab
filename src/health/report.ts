import { createHash } from 'node:crypto';

/**
 * A vantage's published verdicts, as stored in its ConfigMap in the management cluster, and
 * their parsing. Every replica reads every other's, so the parser trusts nothing: a report
 * that is not exactly this shape is refused with a reason, and the caller ignores it.
 */

/** The label every report carries; the readers list and watch by it. */
export const VANTAGE_LABEL = 'globaldns.io/health-vantage';
/** The data key holding the report (JSON). */
export const REPORT_KEY = 'report.json';
export const REPORT_VERSION = 1;
/**
 * At most this many verdicts in one report (about 20 bytes each: well under the 1 MiB a
 * ConfigMap may hold). Beyond it the unhealthy ones go first; the counts stay whole, so the
 * readers still tell whether the vantage is cut off.
 */
export const MAX_REPORT_VERDICTS = 20_000;
/** A report bigger than this is refused unread. */
export const MAX_REPORT_BYTES = 1_000_000;

/** What one vantage publishes. */
export interface VantageReport {
  /** The replica's identity. */
  vantage: string;
  /** Bumped on every write (heartbeats included), so every write is a change readers see. */
  seq: number;
  /** Healthy and unhealthy counts over everything the vantage probes. */
  healthy: number;
  unhealthy: number;
  /** Hashed probe keys (`hashKey`) the vantage judges healthy, and unhealthy. */
  up: string[];
  down: string[];
}

/**
 * The short, stable name of a probe key in reports: the key itself (JSON of the check) is
 * long, and every replica derives the same key for the same probe.
 */
export function hashKey(key: string): string {
  return createHash('sha256').update(key).digest('base64url').slice(0, 16);
}

const HASH = /^[A-Za-z0-9_-]{16}$/;

/** The ConfigMap name of a vantage: a DNS label (at most 63 characters), unique per identity (a hash suffix when the identity had to be changed). */
export function reportName(identity: string): string {
  const slug = identity.toLowerCase().replace(/[^a-z0-9-]+/g, '-').replace(/^-+|-+$/g, '').slice(0, 34);
  const exact = slug === identity && slug.length > 0;
  return exact ? `globaldns-health-${slug}` : `globaldns-health-${slug ? `${slug}-` : ''}${createHash('sha256').update(identity).digest('hex').slice(0, 10)}`;
}

export function encodeReport(r: VantageReport): string {
  return JSON.stringify({ v: REPORT_VERSION, vantage: r.vantage, seq: r.seq, healthy: r.healthy, unhealthy: r.unhealthy, up: r.up, down: r.down });
}

const isCount = (x: unknown): x is number => typeof x === 'number' && Number.isSafeInteger(x) && x >= 0;

/** The report in a ConfigMap object, or why it is not one. */
export function parseReport(obj: unknown): { report: VantageReport } | { error: string } {
  const data = (obj as { data?: unknown } | null)?.data;
  if (typeof data !== 'object' || data === null) return { error: 'no data' };
  const text = (data as Record<string, unknown>)[REPORT_KEY];
  if (typeof text !== 'string') return { error: `no ${REPORT_KEY}` };
  if (text.length > MAX_REPORT_BYTES) return { error: `${REPORT_KEY} larger than ${MAX_REPORT_BYTES} bytes` };
  let j: unknown;
  try {
    j = JSON.parse(text);
  } catch {
    return { error: `${REPORT_KEY} is not JSON` };
  }
  if (typeof j !== 'object' || j === null || Array.isArray(j)) return { error: `${REPORT_KEY} is not an object` };
  const r = j as Record<string, unknown>;
  if (r.v !== REPORT_VERSION) return { error: `unknown version ${JSON.stringify(r.v)}` };
  if (typeof r.vantage !== 'string' || r.vantage.length === 0 || r.vantage.length > 128) return { error: 'bad vantage' };
  for (const k of ['seq', 'healthy', 'unhealthy'] as const) if (!isCount(r[k])) return { error: `bad ${k}` };
  const lists: Record<'up' | 'down', string[]> = { up: [], down: [] };
  for (const k of ['up', 'down'] as const) {
    const list = r[k];
    if (!Array.isArray(list) || list.length > MAX_REPORT_VERDICTS) return { error: `bad ${k}` };
    if (!list.every((h): h is string => typeof h === 'string' && HASH.test(h))) return { error: `bad ${k}: not key hashes` };
    lists[k] = list;
  }
  const healthy = r.healthy as number;
  const unhealthy = r.unhealthy as number;
  if (lists.up.length > healthy || lists.down.length > unhealthy) return { error: 'more verdicts than counted' };
  return { report: { vantage: r.vantage, seq: r.seq as number, healthy, unhealthy, up: lists.up, down: lists.down } };
}
