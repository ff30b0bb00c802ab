import { z } from 'zod';
import { isValidHostname, normalizeName } from '../model/index.js';
import type { EntryProxy, EntryTarget, GlobalDnsEntry } from '../model/index.js';
import { formatPath } from './errors.js';
import { healthCheckSchema, prioritySchema, resolveHealthCheck, resolveRouting, routingSchema } from './health.js';
import { entryProxiedProblem } from './proxied.js';
import { errorMap } from './schema.js';
import { parseLabelSelector } from './selector.js';
import type { LabelSelector } from './selector.js';

/**
 * The custom resources of a management cluster (`deploy/crds/`): `GlobalDNSProvider`
 * (cluster-scoped) and `GlobalDNS` (namespaced), both `globaldns.io/v1alpha1`.
 *
 * The API server checks what the CRD's openAPIV3Schema can say; these schemas check it all
 * again (a CRD may be installed without its schema, or an older one) plus what a schema
 * cannot say. Each problem names its path in the resource (`spec.targets[1].projects[0]: …`)
 * so it reads the same in a log line and in the resource's status.
 */

export const CRD_GROUP = 'globaldns.io';
export const CRD_VERSION = 'v1alpha1';
export const CRD_API_VERSION = `${CRD_GROUP}/${CRD_VERSION}`;

export const PROVIDER_TYPES = ['route53', 'embedded', 'cloudflare', 'rfc2136', 'powerdns', 'alidns'] as const;
export type ProviderType = (typeof PROVIDER_TYPES)[number];

export const PROVIDER_POLICIES = ['sync', 'upsert-only', 'create-only'] as const;
export type ProviderPolicy = (typeof PROVIDER_POLICIES)[number];

export const DEFAULT_ENTRY_TTL = 300;
const MAX_TTL = 2147483647;

/** Where a provider's credentials are: a Secret in the management cluster. */
export interface SecretRef {
  name: string;
  namespace: string;
}

/** A `GlobalDNSProvider` as globaldns uses it. */
export interface ProviderSpec {
  name: string;
  type: ProviderType;
  /** Written into every ownership TXT record; defaults to the provider's name. */
  ownerId: string;
  policy: ProviderPolicy;
  /** Namespaces whose entries may use this provider; empty: all. */
  allowedNamespaces: string[];
  /** external-dns owner ids whose records this provider takes over (opt-in migration). */
  adoptFrom: string[];
  /**
   * The settings block of its type (`route53`, `cloudflare`, `rfc2136`, `powerdns`, `alidns`), as
   * written, secretRef left out; the provider's factory (providers/registry.ts) checks it.
   */
  settings?: Record<string, unknown>;
  /** The Secret holding the credentials, whichever settings block named it. */
  secretRef?: SecretRef;
}

/** A target of a `GlobalDNS`: a cluster (or the clusters of Rancher projects), narrowed by projects or a namespace selector. */
export interface CrdEntryTarget extends EntryTarget {
  namespaceSelector?: LabelSelector;
}

/** A `GlobalDNS` as globaldns uses it: the model's entry plus where it came from. */
export interface CrdEntry extends GlobalDnsEntry {
  targets: CrdEntryTarget[];
  namespace: string;
  name: string;
  /** `namespace/name`, the key of its problems and status. */
  resource: string;
  /** `metadata.generation`, reported back as `observedGeneration`. */
  generation: number;
}

export type CrdResult<T> = { ok: true; value: T } | { ok: false; problems: string[] };

// ---- status ----

export interface Condition {
  type: string;
  status: 'True' | 'False' | 'Unknown';
  reason: string;
  message: string;
  lastTransitionTime: string;
  observedGeneration?: number;
}

export interface RejectedClaim {
  cluster: string;
  namespace: string;
  kind: string;
  name: string;
  reason: string;
}

/** One endpoint address of a name in a GlobalDNS status (`status.health[].endpoints`). */
export interface EndpointHealthStatus {
  cluster: string;
  address: string;
  priority: number;
  health: 'healthy' | 'unhealthy' | 'unknown';
  /** RFC 3339: since when the health holds. */
  since?: string;
  /** Whether the name's answer holds it. */
  served: boolean;
  /** The reason of the latest probe (`status 503`, `connect ECONNREFUSED`), as of the status write. */
  lastProbe?: string;
  /** Replicas whose verdicts agree and disagree (where a quorum over replicas runs). */
  vantages?: { agree: string[]; disagree: string[] };
}

/** How health shaped the answer of one name the entry governs. */
export interface NameHealthStatus {
  name: string;
  /** Failover: the priority group answered. */
  activeGroup?: number;
  allDown: boolean;
  /** What an all-down name answers: serve-all or servfail (only when `allDown`). */
  whenAllDown?: 'serve-all' | 'servfail';
  endpoints: EndpointHealthStatus[];
}

export interface GlobalDnsStatus {
  clusterEndpoints?: Record<string, string[]>;
  endpoints?: string[];
  /** Healthy of all endpoint addresses, like "2/3"; only for entries with a health check or failover. */
  healthyEndpoints?: string;
  health?: NameHealthStatus[];
  rejectedClaims?: RejectedClaim[];
  conditions?: Condition[];
  observedGeneration?: number;
}

export interface GlobalDnsProviderStatus {
  conditions?: Condition[];
  zones?: string[];
  entries?: number;
  observedGeneration?: number;
}

export const ENTRY_CONDITIONS = ['Ready', 'ProviderReady', 'RecordsSynced'] as const;

/**
 * `conditions` with `next` put in place of the condition of its type. The transition time
 * moves only when the status does (Kubernetes API conventions), so rewriting the same state
 * does not look like a change.
 */
export function setCondition(conditions: readonly Condition[] | undefined, next: Omit<Condition, 'lastTransitionTime'> & { lastTransitionTime?: string }, now: Date = new Date()): Condition[] {
  const list = [...(conditions ?? [])];
  const i = list.findIndex((c) => c.type === next.type);
  const old = i >= 0 ? list[i] : undefined;
  const lastTransitionTime = old && old.status === next.status ? old.lastTransitionTime : next.lastTransitionTime ?? timestamp(now);
  const merged: Condition = { ...next, lastTransitionTime };
  if (i >= 0) list[i] = merged;
  else list.push(merged);
  return list;
}

/** RFC 3339 without fractions, as Kubernetes writes `metav1.Time`. */
export function timestamp(d: Date): string {
  return d.toISOString().replace(/\.\d{3}Z$/, 'Z');
}

// ---- schemas ----

/** A DNS-1123 label: namespaces, and names of cluster-scoped objects. */
const dns1123Label = z.string().regex(/^[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?$/, 'must be a DNS-1123 label (lower case letters, digits and "-", at most 63)');
const dns1123Subdomain = z
  .string()
  .max(253)
  .regex(/^[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?(\.[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?)*$/, 'must be a DNS-1123 subdomain (lower case letters, digits, "-" and ".")');

const metadataSchema = (namespaced: boolean) =>
  z.object({
    name: dns1123Subdomain,
    namespace: namespaced ? dns1123Label : z.string().optional(),
    generation: z.number().int().min(0).optional(),
  });

const secretRefSchema = z
  .object({
    name: dns1123Subdomain,
    namespace: dns1123Label,
  })
  .strict();

/** Keys that would put a credential in the resource itself; named so the error says what to do. */
const INLINE_CREDENTIALS = [
  'accessKey',
  'accessKeyId',
  'secretKey',
  'secretAccessKey',
  'sessionToken',
  'apiToken',
  'apiKey',
  'token',
  'password',
  'tsigSecret',
  'credentials',
];

function rejectInlineCredentials(block: string) {
  return (value: unknown, ctx: z.RefinementCtx): void => {
    if (typeof value !== 'object' || value === null) return;
    for (const key of INLINE_CREDENTIALS) {
      if (key in value) {
        // The value is never repeated: it is a secret someone pasted in the wrong place.
        ctx.addIssue({
          code: z.ZodIssueCode.custom,
          path: [key],
          message: `credentials may not be written into the resource; put them in a Secret and reference it with spec.${block}.secretRef`,
        });
      }
    }
  };
}

/**
 * A provider's settings block: any object, with a checked secretRef and no inline credentials.
 * The rest is the provider's own schema's (providers/<type>/, through providers/registry.ts):
 * the management runtime checks it when it builds the provider, `globaldns validate` at once.
 */
const settingsBlockSchema = (block: string) =>
  z
    .unknown()
    .superRefine(rejectInlineCredentials(block))
    .pipe(z.object({ secretRef: secretRefSchema.optional() }).passthrough());

/** A Kubernetes `metav1.LabelSelector` (or selector text, as in the YAML config). */
const namespaceSelectorSchema = z
  .union([
    z.string(),
    z
      .object({
        matchLabels: z.record(z.string()).optional(),
        matchExpressions: z
          .array(
            z
              .object({
                key: z.string().min(1),
                operator: z.enum(['In', 'NotIn', 'Exists', 'DoesNotExist']),
                values: z.array(z.string()).optional(),
              })
              .strict(),
          )
          .optional(),
      })
      .strict(),
  ])
  .transform((sel, ctx) => {
    let text: string;
    if (typeof sel === 'string') {
      text = sel;
    } else {
      const parts = Object.entries(sel.matchLabels ?? {}).map(([k, v]) => `${k}=${v}`);
      for (const [i, e] of (sel.matchExpressions ?? []).entries()) {
        const values = e.values ?? [];
        if ((e.operator === 'In' || e.operator === 'NotIn') && values.length === 0) {
          ctx.addIssue({ code: z.ZodIssueCode.custom, path: ['matchExpressions', i, 'values'], message: `operator ${e.operator} needs values` });
          return z.NEVER;
        }
        if ((e.operator === 'Exists' || e.operator === 'DoesNotExist') && values.length > 0) {
          ctx.addIssue({ code: z.ZodIssueCode.custom, path: ['matchExpressions', i, 'values'], message: `operator ${e.operator} takes no values` });
          return z.NEVER;
        }
        if (e.operator === 'In') parts.push(`${e.key} in (${values.join(',')})`);
        else if (e.operator === 'NotIn') parts.push(`${e.key} notin (${values.join(',')})`);
        else if (e.operator === 'Exists') parts.push(e.key);
        else parts.push(`!${e.key}`);
      }
      text = parts.join(',');
    }
    try {
      return parseLabelSelector(text);
    } catch (e) {
      ctx.addIssue({ code: z.ZodIssueCode.custom, message: `not a label selector: ${(e as Error).message}` });
      return z.NEVER;
    }
  });

/** Rancher project ids: `c-xxxxx:p-yyyyy` (or `local:p-yyyyy`). */
const projectId = z.string().regex(/^[a-z0-9][a-z0-9-]*:p-[a-z0-9]+$/, 'not a Rancher project id (like c-abc12:p-xyz34)');

const targetSchema = z
  .object({
    cluster: z.string().regex(/^[A-Za-z0-9][A-Za-z0-9._-]{0,62}$/, 'not a cluster name').optional(),
    projects: z.array(projectId).min(1, 'an empty list selects nothing; leave it out to select the whole cluster').optional(),
    namespaceSelector: namespaceSelectorSchema.optional(),
    priority: prioritySchema,
  })
  .strict()
  .superRefine((t, ctx) => {
    if (t.cluster === undefined && t.projects === undefined) {
      ctx.addIssue({ code: z.ZodIssueCode.custom, message: 'a target needs a cluster or projects' });
    }
  });

/**
 * How the bundled proxy serves the name (`spec.proxy`), as an entry's `proxy:` in the YAML
 * config, without certificate files: a resource may not make a replica read its disk.
 * `tls.secretName` is a `kubernetes.io/tls` Secret of the management cluster, `name` (in the
 * entry's namespace) or `namespace/name`.
 */
const entryProxySpecSchema = z
  .object({
    enabled: z.boolean().default(true),
    upstreamPort: z.number().int().min(1).max(65535).optional(),
    upstreamScheme: z.enum(['http', 'https'], { errorMap: () => ({ message: 'must be http or https' }) }).default('http'),
    redirectHttps: z.boolean().default(false),
    tls: z
      .object({
        secretName: z
          .string()
          .max(253 + 64)
          .regex(/^([a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?\/)?[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?(\.[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?)*$/, 'must be a Secret name, or namespace/name (DNS-1123)')
          .optional(),
        acme: z.boolean().optional(),
      })
      .strict()
      .optional(),
  })
  .strict();

export const globalDnsSpecSchema = z
  .object({
    fqdn: z
      .string()
      .refine((s) => isValidHostname(s, { allowWildcard: true }), { message: 'not a valid hostname (a leading "*." is allowed)' })
      .transform(normalizeName),
    ttl: z.number().int().min(1).max(MAX_TTL).default(DEFAULT_ENTRY_TTL),
    providerRef: dns1123Subdomain,
    targets: z.array(targetSchema).min(1, 'at least one target is needed'),
    /** Cloudflare's proxy for the entry's records; absent: the provider's settings decide. */
    proxied: z.boolean().optional(),
    proxy: entryProxySpecSchema.optional(),
    healthCheck: healthCheckSchema.optional(),
    routing: routingSchema.optional(),
  })
  .strict();

export const globalDnsProviderSpecSchema = z
  .object({
    type: z.enum(PROVIDER_TYPES, { errorMap: () => ({ message: `unknown provider type; one of ${PROVIDER_TYPES.join(', ')}` }) }),
    route53: settingsBlockSchema('route53').optional(),
    cloudflare: settingsBlockSchema('cloudflare').optional(),
    rfc2136: settingsBlockSchema('rfc2136').optional(),
    powerdns: settingsBlockSchema('powerdns').optional(),
    alidns: settingsBlockSchema('alidns').optional(),
    ownerId: z.string().regex(/^[A-Za-z0-9][A-Za-z0-9._:-]{0,62}$/, 'must be 1-63 letters, digits, ".", "_", ":" or "-"').optional(),
    policy: z.enum(PROVIDER_POLICIES, { errorMap: () => ({ message: `must be one of ${PROVIDER_POLICIES.join(', ')}` }) }).default('sync'),
    allowedNamespaces: z.array(dns1123Label).default([]),
    adoptFrom: z.array(z.string().min(1).max(253)).default([]),
  })
  .strict()
  .superRefine((spec, ctx) => {
    const blocks = ['route53', 'cloudflare', 'rfc2136', 'powerdns', 'alidns'] as const;
    for (const b of blocks) {
      if (spec[b] !== undefined && spec.type !== b) {
        ctx.addIssue({ code: z.ZodIssueCode.custom, path: [b], message: `settings for ${b}, but the type is ${spec.type}` });
      }
    }
  });

// ---- resources → model ----

function collect(error: z.ZodError, prefix: (string | number)[], problems: string[]): void {
  for (const issue of error.issues) problems.push(`${formatPath([...prefix, ...issue.path])}: ${issue.message}`);
}

function parsePart<S extends z.ZodTypeAny>(schema: S, value: unknown, prefix: (string | number)[], problems: string[]): z.output<S> | undefined {
  const r = schema.safeParse(value, { errorMap });
  if (r.success) return r.data as z.output<S>;
  collect(r.error, prefix, problems);
  return undefined;
}

function field(obj: unknown, key: string): unknown {
  return typeof obj === 'object' && obj !== null && !Array.isArray(obj) ? (obj as Record<string, unknown>)[key] : undefined;
}

/** A `GlobalDNSProvider` object (as the API returns it) → its spec, or every problem with its path. */
export function parseGlobalDnsProvider(obj: unknown): CrdResult<ProviderSpec> {
  const problems: string[] = [];
  const meta = parsePart(metadataSchema(false), field(obj, 'metadata'), ['metadata'], problems);
  const spec = parsePart(globalDnsProviderSpecSchema, field(obj, 'spec'), ['spec'], problems);
  if (!meta || !spec) return { ok: false, problems };
  const out: ProviderSpec = {
    name: meta.name,
    type: spec.type,
    ownerId: spec.ownerId ?? meta.name,
    policy: spec.policy,
    allowedNamespaces: spec.allowedNamespaces,
    adoptFrom: spec.adoptFrom,
  };
  for (const b of ['route53', 'cloudflare', 'rfc2136', 'powerdns', 'alidns'] as const) {
    const settings = spec[b];
    if (settings) {
      const { secretRef, ...rest } = settings;
      out.settings = rest;
      if (secretRef) out.secretRef = secretRef;
    }
  }
  return { ok: true, value: out };
}

/** A `GlobalDNS` object → its entry, or every problem with its path. */
export function parseGlobalDns(obj: unknown): CrdResult<CrdEntry> {
  const problems: string[] = [];
  const meta = parsePart(metadataSchema(true), field(obj, 'metadata'), ['metadata'], problems);
  const spec = parsePart(globalDnsSpecSchema, field(obj, 'spec'), ['spec'], problems);
  if (!meta || !spec) return { ok: false, problems };
  const namespace = meta.namespace as string;
  const targets: CrdEntryTarget[] = [];
  for (const t of spec.targets) {
    if (t.cluster !== undefined) {
      targets.push(target(t.cluster, t.projects, t.namespaceSelector, t.priority));
      continue;
    }
    // No cluster: the Rancher cluster ids in the project ids are the clusters, one target each.
    const byCluster = new Map<string, string[]>();
    for (const p of t.projects ?? []) {
      const cluster = p.slice(0, p.indexOf(':'));
      byCluster.set(cluster, [...(byCluster.get(cluster) ?? []), p]);
    }
    for (const [cluster, projects] of byCluster) targets.push(target(cluster, projects, t.namespaceSelector, t.priority));
  }
  return {
    ok: true,
    value: {
      fqdn: spec.fqdn,
      ttl: spec.ttl,
      provider: spec.providerRef,
      targets,
      ...(spec.proxied !== undefined ? { proxied: spec.proxied } : {}),
      ...(spec.proxy ? { proxy: entryProxy(spec.proxy, namespace) } : {}),
      ...(spec.healthCheck ? { healthCheck: resolveHealthCheck(spec.healthCheck, spec.proxy) } : {}),
      ...(spec.routing ? { routing: resolveRouting(spec.routing) } : {}),
      namespace,
      name: meta.name,
      resource: `${namespace}/${meta.name}`,
      generation: meta.generation ?? 0,
    },
  };
}

/** The model's proxy settings; a Secret named without a namespace is the entry's namespace's. */
function entryProxy(p: z.output<typeof entryProxySpecSchema>, namespace: string): EntryProxy {
  const out: EntryProxy = { enabled: p.enabled, upstreamScheme: p.upstreamScheme, redirectHttps: p.redirectHttps };
  if (p.upstreamPort !== undefined) out.upstreamPort = p.upstreamPort;
  if (p.tls) {
    const { secretName, acme } = p.tls;
    out.tls = {
      ...(secretName !== undefined ? { secretName: secretName.includes('/') ? secretName : `${namespace}/${secretName}` } : {}),
      ...(acme !== undefined ? { acme } : {}),
    };
  }
  return out;
}

function target(cluster: string, projects: string[] | undefined, namespaceSelector: LabelSelector | undefined, priority: number | undefined): CrdEntryTarget {
  const t: CrdEntryTarget = { cluster };
  if (priority !== undefined) t.priority = priority;
  if (projects) t.projects = projects;
  if (namespaceSelector) t.namespaceSelector = namespaceSelector;
  return t;
}

/**
 * Why `entry` may not use `provider`, or undefined when it may. A cross-object rule, so it is
 * reported on the entry (for its status) rather than rejecting either object.
 */
export function entryProviderProblem(entry: Pick<CrdEntry, 'namespace' | 'provider' | 'proxied'>, provider: ProviderSpec | undefined): string | undefined {
  if (!provider) return `spec.providerRef: no GlobalDNSProvider "${entry.provider}"`;
  if (provider.allowedNamespaces.length > 0 && !provider.allowedNamespaces.includes(entry.namespace)) {
    return `spec.providerRef: GlobalDNSProvider "${provider.name}" does not allow entries of namespace ${entry.namespace} (allowedNamespaces: ${provider.allowedNamespaces.join(', ')})`;
  }
  const proxied = entryProxiedProblem(entry, provider.type);
  if (proxied !== undefined) return `spec.${proxied}`;
  return undefined;
}
