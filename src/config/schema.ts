import { z } from 'zod';
import { isValidHostname, normalizeName } from '../model/index.js';
import { parseListenAddress } from './listen.js';

/**
 * The shape of each part of the config file. Sections and list items are parsed one by one
 * (see parse.ts) so that a mistake in one item never hides the mistakes in the others.
 */

const hostname = (opts: { allowWildcard: boolean }) =>
  z
    .string()
    .refine((s) => isValidHostname(s, opts), { message: 'not a valid hostname' })
    .transform(normalizeName);

const uint = (max: number) => z.number().int().min(0).max(max);
const ttl = uint(2147483647);

/** Cluster and provider names end up in endpoint keys (cluster/namespace/kind/name). */
const objectName = z
  .string()
  .regex(/^[A-Za-z0-9][A-Za-z0-9._-]{0,62}$/, 'must be 1-63 letters, digits, ".", "_" or "-", starting with a letter or digit');

export const listenSchema = z.string().transform((s, ctx) => {
  try {
    return parseListenAddress(s);
  } catch (e) {
    ctx.addIssue({ code: z.ZodIssueCode.custom, message: (e as Error).message });
    return z.NEVER;
  }
});

export const dnsSchema = z
  .object({
    listen: z.array(listenSchema).min(1, 'at least one listen address is needed').default(['127.0.0.1:5353']),
    udpPayloadMax: z.number().int().min(512).max(65535).default(1232),
    tcpIdleTimeoutMs: z.number().int().min(1).default(10000),
    maxTcpConnections: z.number().int().min(1).default(2048),
  })
  .strict()
  .default({});

export const logLevelSchema = z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info');

/** rname may be written as a mailbox (hostmaster@example.test); the zone wants dots. */
const mailbox = z
  .string()
  .transform((s) => normalizeName(s.replace('@', '.')))
  .refine((s) => isValidHostname(s, { allowWildcard: false }), { message: 'not a valid mailbox name' });

export const soaSchema = z
  .object({
    mname: hostname({ allowWildcard: false }).optional(),
    rname: mailbox.optional(),
    refresh: uint(2147483647).default(3600),
    retry: uint(2147483647).default(600),
    expire: uint(2147483647).default(1209600),
    minimum: ttl.default(60),
    ttl: ttl.default(3600),
  })
  .strict()
  .default({});

export const zoneSchema = z
  .object({
    apex: hostname({ allowWildcard: false }),
    ns: z.array(hostname({ allowWildcard: false })).min(1).optional(),
    nsTtl: ttl.default(3600),
    soa: soaSchema,
    records: z.array(z.string()).default([]),
  })
  .strict();

export const clusterSchema = z
  .object({
    name: objectName,
    manifests: z.string().min(1),
  })
  .strict();

export const providerSchema = z
  .object({
    name: objectName,
    type: z.literal('embedded'),
  })
  .strict();

export const targetSchema = z
  .object({
    cluster: z.string().min(1),
    projects: z.array(z.string().regex(/^[A-Za-z0-9][A-Za-z0-9:_-]*$/, 'not a Rancher project id (like c-abc12:p-xyz34)')).min(1).optional(),
  })
  .strict();

export const entrySchema = z
  .object({
    fqdn: hostname({ allowWildcard: true }),
    ttl: ttl.default(300),
    provider: z.string().min(1).default('embedded'),
    targets: z.array(targetSchema).min(1, 'at least one target is needed'),
  })
  .strict();

/** The top level only; each section is checked by its own schema. */
export const rootSchema = z
  .object({
    dns: z.unknown(),
    stateDir: z.string().min(1).optional(),
    logLevel: z.unknown(),
    zones: z.array(z.unknown()).default([]),
    clusters: z.array(z.unknown()).default([]),
    providers: z.array(z.unknown()).optional(),
    entries: z.array(z.unknown()).default([]),
  })
  .strict();

/** Messages that read well after a path (`zones[0].apex: required`). */
export const errorMap: z.ZodErrorMap = (issue, ctx) => {
  switch (issue.code) {
    case z.ZodIssueCode.invalid_type:
      if (issue.received === 'undefined') return { message: 'required' };
      return { message: `expected ${issue.expected}, got ${issue.received}` };
    case z.ZodIssueCode.unrecognized_keys:
      return { message: `unknown key${issue.keys.length > 1 ? 's' : ''} ${issue.keys.map((k) => `"${k}"`).join(', ')}` };
    case z.ZodIssueCode.invalid_literal:
      return { message: `must be ${JSON.stringify(issue.expected)}` };
    default:
      return { message: ctx.defaultError };
  }
};
