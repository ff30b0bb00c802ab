import cron from 'node-cron';
import { isIP } from 'node:net';
import { z } from 'zod';
import { isValidHostname, normalizeName } from '../model/index.js';
import { parseListenAddress } from './listen.js';
import { parseLabelSelector } from './selector.js';
import { entryProxySchema } from './proxy.js';
import { durationSchema } from './durations.js';
import { healthCheckSchema, healthServiceSchema, prioritySchema, resolveHealthCheck, resolveRouting, routingSchema } from './health.js';
import type { GlobalDnsEntry } from '../model/index.js';

export { durationSchema, parseDuration } from './durations.js';
export { healthServiceSchema };

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
    /** An RFC 1035 zone file (relative to the config file) whose records are served too. */
    file: z.string().min(1).optional(),
  })
  .strict();

const labelSelectorSchema = z.string().transform((s, ctx) => {
  try {
    return parseLabelSelector(s);
  } catch (e) {
    ctx.addIssue({ code: z.ZodIssueCode.custom, message: `not a label selector: ${(e as Error).message}` });
    return z.NEVER;
  }
});

const watchdogSeconds = z.number().positive().max(86400);

/** What a Kubernetes cluster entry may set, whichever way it is reached. */
const kubeClusterOptions = {
  /** Only namespaces whose labels match are watched for claims. */
  namespaceSelector: labelSelectorSchema.optional(),
  hostnameSources: z
    .object({
      /** Accept external-dns' hostname annotations as claims. */
      externalDnsAnnotations: z.boolean().default(false),
      /** Treat every spec.rules[].host of an annotated-or-not Ingress as a claim. */
      ingressRules: z.boolean().default(false),
    })
    .strict()
    .default({}),
  gracePeriod: durationSchema.optional(),
  watchdogSeconds: watchdogSeconds.optional(),
};

export const manifestClusterSchema = z
  .object({
    name: objectName,
    manifests: z.string().min(1),
  })
  .strict();

export const kubeconfigClusterSchema = z
  .object({
    /** Defaults to the context name. */
    name: objectName.optional(),
    kubeconfig: z.string().min(1),
    context: z.string().min(1).optional(),
    ...kubeClusterOptions,
  })
  .strict();

export const kubeconfigDirClusterSchema = z
  .object({
    kubeconfigDir: z.string().min(1),
    ...kubeClusterOptions,
  })
  .strict();

export const inClusterSchema = z
  .object({
    name: objectName,
    inCluster: z.literal(true),
    ...kubeClusterOptions,
  })
  .strict();

export const sourcesSchema = z
  .object({
    /** How long a failing cluster's endpoints stay published. */
    gracePeriod: durationSchema.default(300),
    /** A watch with no event, bookmark or reconnect for this long is restarted. */
    watchdogSeconds: watchdogSeconds.default(120),
    backoff: z
      .object({
        initial: durationSchema.default(1),
        max: durationSchema.default(30),
      })
      .strict()
      .default({}),
  })
  .strict()
  .default({});

export { objectName as clusterNameSchema };

const namespaceName = z.string().regex(/^[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?$/, 'must be a namespace name');

/**
 * Workload clusters given as kubeconfig Secrets in the management cluster, one per cluster,
 * added and removed at run time. The options are those of a `clusters[]` kube entry, applied
 * to every cluster read this way.
 */
export const clusterSecretsSchema = z
  .object({
    namespace: namespaceName,
    labelSelector: z
      .string()
      .default('globaldns.io/kubeconfig=true')
      .superRefine((s, ctx) => {
        try {
          parseLabelSelector(s);
        } catch (e) {
          ctx.addIssue({ code: z.ZodIssueCode.custom, message: `not a label selector: ${(e as Error).message}` });
        }
      }),
    ...kubeClusterOptions,
  })
  .strict();

/** The provider types whose settings block their own factory checks (providers/registry.ts). */
export const FACTORY_PROVIDER_TYPES = ['rfc2136', 'powerdns', 'cloudflare', 'alidns', 'route53'] as const;

const ownerIdSchema = z.string().regex(/^[A-Za-z0-9][A-Za-z0-9._:-]{0,62}$/, 'must be 1-63 letters, digits, ".", "_", ":" or "-"');

/**
 * An external provider (rfc2136, powerdns, cloudflare, alidns, route53). Its settings block is
 * checked by the provider's own schema (providers/<type>/) when the CLI loads the config, before
 * `serve`, `plan` and `validate` go on; credentials never sit inline:
 * they come from `secretFile` (a YAML map of secret key → value, like a Secret's stringData)
 * or from GLOBALDNS_SECRET_<NAME>_<KEY> environment variables.
 */
function factoryProviderSchema<T extends (typeof FACTORY_PROVIDER_TYPES)[number]>(type: T) {
  return z
    .object(
      {
        name: objectName,
        type: z.literal(type),
        ...{ [type]: z.record(z.unknown()).default({}) },
        secretFile: z.string().min(1).optional(),
        ownerId: ownerIdSchema.optional(),
        policy: z.enum(['sync', 'upsert-only', 'create-only']).default('sync'),
        adoptFrom: z.array(z.string().min(1)).default([]),
      } as { name: typeof objectName; type: z.ZodLiteral<T>; secretFile: z.ZodOptional<z.ZodString>; ownerId: z.ZodOptional<typeof ownerIdSchema>; policy: z.ZodDefault<z.ZodEnum<['sync', 'upsert-only', 'create-only']>>; adoptFrom: z.ZodDefault<z.ZodArray<z.ZodString>> } & Record<T, z.ZodDefault<z.ZodRecord<z.ZodString, z.ZodUnknown>>>,
    )
    .strict();
}

export const providerSchema = z.discriminatedUnion('type', [
  z.object({ name: objectName, type: z.literal('embedded') }).strict(),
  factoryProviderSchema('rfc2136'),
  factoryProviderSchema('powerdns'),
  factoryProviderSchema('cloudflare'),
  factoryProviderSchema('alidns'),
  factoryProviderSchema('route53'),
]);

/** node-cron's own check, so a bad schedule is a config error rather than a crash at start. */
const cronSchema = z.union([
  z.literal(false),
  z.string().refine((s) => cron.validate(s), { message: 'not a cron expression (like "*/10 * * * *")' }),
]);

export const syncSchema = z
  .object({
    debounce: durationSchema.default('200ms'),
    maxDelay: durationSchema.default('2s'),
    resync: cronSchema.default('*/10 * * * *'),
  })
  .strict()
  .default({});

/** A DNS server as node:dns takes it: `192.0.2.53`, `192.0.2.53:5300`, `2001:db8::53`, `[2001:db8::53]:5300`. */
function isDnsServer(text: string): boolean {
  const m = /^\[([^\]]+)\](?::(\d{1,5}))?$/.exec(text) ?? /^([^:]+)(?::(\d{1,5}))?$/.exec(text);
  if (m) return isIP(m[1]) !== 0 && (m[2] === undefined || (Number(m[2]) > 0 && Number(m[2]) < 65536));
  return isIP(text) === 6;
}

/**
 * How load-balancer hostnames are looked up (src/sources/resolver): DNS servers (default: the
 * system's), and the bounds of the TTL-driven refresh.
 */
export const resolverSchema = z
  .object({
    servers: z.array(z.string().refine(isDnsServer, { message: 'not a DNS server address (like 192.0.2.53, 192.0.2.53:5300 or [2001:db8::53]:5300)' })).min(1).optional(),
    minRefresh: durationSchema.default('5s'),
    maxRefresh: durationSchema.default('5m'),
  })
  .strict()
  .superRefine((r, ctx) => {
    if (!(r.minRefresh <= r.maxRefresh)) ctx.addIssue({ code: z.ZodIssueCode.custom, path: ['minRefresh'], message: 'must not be longer than maxRefresh' });
  })
  .default({});

export const targetSchema = z
  .object({
    cluster: z.string().min(1),
    projects: z.array(z.string().regex(/^[A-Za-z0-9][A-Za-z0-9:_-]*$/, 'not a Rancher project id (like c-abc12:p-xyz34)')).min(1).optional(),
    priority: prioritySchema,
  })
  .strict();

export const entrySchema = z
  .object({
    fqdn: hostname({ allowWildcard: true }),
    ttl: ttl.default(300),
    provider: z.string().min(1).default('embedded'),
    targets: z.array(targetSchema).min(1, 'at least one target is needed'),
    proxy: entryProxySchema.optional(),
    /** Cloudflare's proxy for the entry's records; absent: the provider's settings decide. */
    proxied: z.boolean().optional(),
    healthCheck: healthCheckSchema.optional(),
    routing: routingSchema.optional(),
  })
  .strict()
  .transform(({ healthCheck, routing, ...e }): GlobalDnsEntry => ({
    ...e,
    ...(healthCheck ? { healthCheck: resolveHealthCheck(healthCheck, e.proxy) } : {}),
    ...(routing ? { routing: resolveRouting(routing) } : {}),
  }));

/**
 * The management cluster: where GlobalDNS / GlobalDNSProvider resources are read, statuses
 * written and the leader Lease kept. The default retry period is 500 ms, not client-go's 2 s:
 * followers find a released Lease by polling, and a SIGTERM handover must take under a second.
 */
export const managementSchema = z
  .object({
    kubeconfig: z.string().min(1).optional(),
    context: z.string().min(1).optional(),
    inCluster: z.literal(true).optional(),
    leaseNamespace: z.string().regex(/^[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?$/, 'must be a namespace name').default('globaldns-system'),
    /** Read Secrets (provider credentials) in this namespace only, not cluster-wide. */
    secretNamespace: z.string().regex(/^[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?$/, 'must be a namespace name').optional(),
    leaseName: z.string().regex(/^[a-z0-9]([a-z0-9.-]{0,251}[a-z0-9])?$/, 'must be a DNS-1123 subdomain').default('globaldns'),
    identity: z.string().min(1).max(128).optional(),
    leaseDuration: durationSchema.default('15s'),
    renewDeadline: durationSchema.default('10s'),
    retryPeriod: durationSchema.default('500ms'),
  })
  .strict()
  .superRefine((m, ctx) => {
    if (m.inCluster && m.kubeconfig !== undefined) ctx.addIssue({ code: z.ZodIssueCode.custom, message: '"kubeconfig" and "inCluster" cannot be combined' });
    if (!m.inCluster && m.kubeconfig === undefined) ctx.addIssue({ code: z.ZodIssueCode.custom, message: 'needs "kubeconfig" (+ optional "context") or "inCluster: true"' });
    if (m.inCluster && m.context !== undefined) ctx.addIssue({ code: z.ZodIssueCode.custom, path: ['context'], message: 'only with "kubeconfig"' });
    if (!(m.renewDeadline < m.leaseDuration)) ctx.addIssue({ code: z.ZodIssueCode.custom, path: ['renewDeadline'], message: 'must be shorter than leaseDuration' });
    if (!(m.retryPeriod > 0 && m.retryPeriod < m.renewDeadline)) ctx.addIssue({ code: z.ZodIssueCode.custom, path: ['retryPeriod'], message: 'must be above 0 and shorter than renewDeadline' });
    // Followers count the lease from one poll (retryPeriod + 20 % jitter) before they saw a renewal.
    else if (!(m.renewDeadline + m.retryPeriod * 1.2 < m.leaseDuration)) ctx.addIssue({ code: z.ZodIssueCode.custom, path: ['leaseDuration'], message: 'must be longer than renewDeadline + 1.2 × retryPeriod' });
  });

/** The top level only; each section is checked by its own schema. */
export const rootSchema = z
  .object({
    dns: z.unknown(),
    stateDir: z.string().min(1).optional(),
    logLevel: z.unknown(),
    zones: z.array(z.unknown()).default([]),
    sources: z.unknown(),
    clusters: z.array(z.unknown()).default([]),
    providers: z.array(z.unknown()).optional(),
    entries: z.array(z.unknown()).default([]),
    sync: z.unknown(),
    resolver: z.unknown(),
    management: z.unknown(),
    proxy: z.unknown(),
    clusterSecrets: z.unknown(),
    health: z.unknown(),
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
    case z.ZodIssueCode.invalid_union_discriminator:
      return { message: `must be one of ${issue.options.map((o) => JSON.stringify(o)).join(', ')}` };
    default:
      return { message: ctx.defaultError };
  }
};
