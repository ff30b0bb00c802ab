import { z } from 'zod';

/**
 * A duration: seconds as a number, or text like "300s", "5m", "1h30m", "500ms".
 * Output in milliseconds.
 */
export const durationSchema = z.union([z.number(), z.string()]).transform((v, ctx) => {
  const ms = typeof v === 'number' ? (Number.isFinite(v) && v >= 0 ? v * 1000 : NaN) : parseDuration(v);
  if (Number.isNaN(ms)) {
    ctx.addIssue({ code: z.ZodIssueCode.custom, message: `not a duration ${JSON.stringify(v)} (seconds, or like "300s", "5m", "1h30m")` });
    return z.NEVER;
  }
  return Math.round(ms);
});

const UNIT_MS: Record<string, number> = { ms: 1, s: 1000, m: 60_000, h: 3_600_000 };

/** Milliseconds of "1h30m"-style text; NaN when it is not one. */
export function parseDuration(text: string): number {
  const t = text.trim();
  if (!/^(\d+(\.\d+)?(ms|s|m|h))+$/.test(t)) return NaN;
  let total = 0;
  for (const m of t.matchAll(/(\d+(?:\.\d+)?)(ms|s|m|h)/g)) total += Number(m[1]) * UNIT_MS[m[2]];
  return total;
}
