import { isIP } from 'node:net';
import { z } from 'zod';
import { isValidHostname, normalizeName } from '../model/index.js';
import type { EntryProxy, EntryRouting, HealthCheck } from '../model/index.js';
import { durationSchema } from './durations.js';

/**
 * The health fields of an entry (`healthCheck`, `routing`, `targets[].priority`) and the
 * service-wide `health:` section. The YAML entries and the GlobalDNS resource's spec share
 * these schemas, so both are checked by the same rules and say the same things.
 */

/** "200-399,418" → [[200, 399], [418, 418]]; undefined when it is not such a list. */
export function parseStatusRanges(text: string): [number, number][] | undefined {
  const ranges: [number, number][] = [];
  for (const part of text.split(',')) {
    const m = /^\s*(\d{3})\s*(?:-\s*(\d{3})\s*)?$/.exec(part);
    if (!m) return undefined;
    const lo = Number(m[1]);
    const hi = Number(m[2] ?? m[1]);
    if (lo < 100 || hi > 599 || lo > hi) return undefined;
    ranges.push([lo, hi]);
  }
  return ranges;
}

/** A health check as written; `port` and `host` are resolved per entry (`resolveHealthCheck`). */
export const healthCheckSchema = z
  .object({
    type: z.enum(['http', 'https', 'tcp']).default('http'),
    port: z.number().int().min(1).max(65535).optional(),
    path: z.string().regex(/^\/[\x21-\x7e]*$/, 'must start with "/" and hold no spaces or control characters').max(2048).optional(),
    host: z
      .string()
      .refine((s) => isValidHostname(s, { allowWildcard: false }) || isIP(s) !== 0, { message: 'not a valid hostname or address' })
      .transform((s) => (isIP(s) !== 0 ? s : normalizeName(s)))
      .optional(),
    expectStatus: z
      .string()
      .transform((s, ctx) => {
        const r = parseStatusRanges(s);
        if (!r) {
          ctx.addIssue({ code: z.ZodIssueCode.custom, message: `not a list of status codes or ranges (like "200-399" or "200,204"): ${JSON.stringify(s)}` });
          return z.NEVER;
        }
        return r;
      })
      .optional(),
    bodyMatch: z.string().min(1).max(5120).optional(),
    interval: durationSchema.default('5s'),
    timeout: durationSchema.default('2s'),
    failureThreshold: z.number().int().min(1, 'must be at least 1').max(100).default(3),
    successThreshold: z.number().int().min(1, 'must be at least 1').max(100).default(2),
    verifyCertificate: z.boolean().default(false),
  })
  .strict()
  .superRefine((h, ctx) => {
    if (h.interval < 100) ctx.addIssue({ code: z.ZodIssueCode.custom, path: ['interval'], message: 'must be at least 100ms' });
    if (!(h.timeout > 0 && h.timeout < h.interval)) ctx.addIssue({ code: z.ZodIssueCode.custom, path: ['timeout'], message: 'must be above 0 and shorter than interval' });
    if (h.type === 'tcp') {
      for (const k of ['path', 'host', 'expectStatus', 'bodyMatch'] as const) {
        if (h[k] !== undefined) ctx.addIssue({ code: z.ZodIssueCode.custom, path: [k], message: 'only for http and https checks' });
      }
    }
    if (h.type !== 'https' && h.verifyCertificate) ctx.addIssue({ code: z.ZodIssueCode.custom, path: ['verifyCertificate'], message: 'only for https checks' });
  });

export const routingSchema = z
  .object({
    policy: z.enum(['all', 'failover']).default('all'),
    failback: durationSchema.default('60s'),
    whenAllDown: z.enum(['serve-all', 'servfail']).default('serve-all'),
  })
  .strict();

/** `targets[].priority`: the failover group of the target. */
export const prioritySchema = z.number().int().min(1, 'must be at least 1').max(1000).optional();

/**
 * The model's check: the port defaults to the entry's proxy upstream port, else 80 (443 for
 * https); the path to "/"; the status to 200-399. The Host header stays open (the checked name).
 */
export function resolveHealthCheck(h: z.output<typeof healthCheckSchema>, proxy: Pick<EntryProxy, 'upstreamPort'> | undefined): HealthCheck {
  return {
    type: h.type,
    port: h.port ?? proxy?.upstreamPort ?? (h.type === 'https' ? 443 : 80),
    path: h.path ?? '/',
    ...(h.host !== undefined ? { host: h.host } : {}),
    expectStatus: h.expectStatus ?? [[200, 399]],
    ...(h.bodyMatch !== undefined ? { bodyMatch: h.bodyMatch } : {}),
    intervalMs: h.interval,
    timeoutMs: h.timeout,
    failureThreshold: h.failureThreshold,
    successThreshold: h.successThreshold,
    verifyCertificate: h.verifyCertificate,
  };
}

export function resolveRouting(r: z.output<typeof routingSchema>): EntryRouting {
  return { policy: r.policy, failbackMs: r.failback, whenAllDown: r.whenAllDown };
}

/** Service-wide `health:`: where probes come from and how many fly at once. */
export const healthServiceSchema = z
  .object({
    sourceAddress: z.string().refine((s) => isIP(s) !== 0, { message: 'not an IP address' }).optional(),
    concurrency: z.number().int().min(1).max(10_000).default(256),
  })
  .strict()
  .default({});

export interface HealthConfig {
  /** Probes bind their local side to this address (one vantage per replica, multihomed hosts). */
  sourceAddress?: string;
  /** Probes in flight at most. */
  concurrency: number;
}
