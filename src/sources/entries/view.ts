import { entryProviderProblem, parseGlobalDns, parseGlobalDnsProvider } from '../../config/index.js';
import type { CrdEntry, ProviderSpec, ProviderType } from '../../config/index.js';
import type { KubeObject } from '../kubernetes/index.js';
import { decodeSecretData, ProviderSecret } from './secret.js';

/** A provider ready for use: its spec and, when it names one, its resolved Secret. */
export interface ManagedProvider {
  name: string;
  type: ProviderType;
  spec: ProviderSpec;
  generation: number;
  /** In memory only; logs and JSON show its name and keys, never the values. */
  secret?: ProviderSecret;
}

export type ResourceKindName = 'GlobalDNS' | 'GlobalDNSProvider';

/** Why a resource is left out of the view (or, for an entry, cannot use its provider): for its status and the log. */
export interface ResourceProblem {
  kind: ResourceKindName;
  /** `namespace/name` of a GlobalDNS, `name` of a GlobalDNSProvider. */
  resource: string;
  /** The generation the problem was found in, for `observedGeneration`. */
  generation: number;
  /** Starts with the path in the resource: `spec.ttl: …`. */
  message: string;
}

/** The finalizer globaldns keeps on every GlobalDNSProvider while a GlobalDNS uses it. */
export const PROVIDER_FINALIZER = 'globaldns.io/provider-in-use';

/** Deletion-related facts of every GlobalDNSProvider object, usable or not. */
export interface ProviderLifecycle {
  name: string;
  /** `metadata.deletionTimestamp` is set: deleted, waiting for its finalizers. */
  deleting: boolean;
  /** It carries `PROVIDER_FINALIZER`. */
  finalized: boolean;
  /** `namespace/name` of every GlobalDNS whose `spec.providerRef` names it (valid or not), sorted. */
  usedBy: string[];
}

/** What the management cluster declares, consistent as a whole: every entry's provider is in `providers`. */
export interface ManagementView {
  entries: CrdEntry[];
  providers: ManagedProvider[];
  problems: ResourceProblem[];
  /** One per GlobalDNSProvider object, sorted by name (absent in views made by hand). */
  lifecycle?: ProviderLifecycle[];
}

/**
 * Keys a Route53 Secret must have, each with the spellings accepted: the spellings the Route53
 * factory reads (providers/route53/settings.ts, ROUTE53_SECRET_SPELLINGS; a test keeps the two
 * alike), named in messages by the first.
 */
export const ROUTE53_SECRET_KEYS: readonly (readonly string[])[] = [
  ['accessKeyId', 'access-key-id', 'AWS_ACCESS_KEY_ID', 'accessKey'],
  ['secretAccessKey', 'secret-access-key', 'AWS_SECRET_ACCESS_KEY', 'secretKey'],
];

function isObj(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function metaOf(o: KubeObject): { name: string; namespace: string; generation: number; created: string; resourceVersion: string; deleting: boolean; finalizers: string[] } {
  const m = isObj(o.metadata) ? o.metadata : {};
  return {
    deleting: typeof m.deletionTimestamp === 'string' && m.deletionTimestamp !== '',
    finalizers: Array.isArray(m.finalizers) ? m.finalizers.filter((f): f is string => typeof f === 'string') : [],
    name: typeof m.name === 'string' ? m.name : '',
    namespace: typeof m.namespace === 'string' ? m.namespace : '',
    generation: typeof m.generation === 'number' ? m.generation : 0,
    created: typeof m.creationTimestamp === 'string' ? m.creationTimestamp : '',
    resourceVersion: typeof m.resourceVersion === 'string' ? m.resourceVersion : '',
  };
}

function byKey<T>(key: (t: T) => string): (a: T, b: T) => number {
  return (a, b) => (key(a) < key(b) ? -1 : key(a) > key(b) ? 1 : 0);
}

function secretPath(spec: ProviderSpec): string {
  return `spec.${spec.type}.secretRef`;
}

/**
 * The view of the resources as they are now. Pure: the same objects give the same view.
 *
 * Resources that fail their schema, providers whose Secret is missing, and entries whose
 * provider is missing, broken or does not allow their namespace are left out and reported as
 * problems of that resource. Two entries for one name: the older one (then the first by
 * namespace/name) keeps it.
 */
export function buildView(entryObjects: Iterable<KubeObject>, providerObjects: Iterable<KubeObject>, secretObjects: ReadonlyMap<string, KubeObject>): ManagementView {
  const problems: ResourceProblem[] = [];
  const providers = new Map<string, ManagedProvider>();
  const broken = new Set<string>();
  const entryList = [...entryObjects];
  const usedBy = new Map<string, string[]>();
  for (const obj of entryList) {
    const spec = isObj(obj.spec) ? obj.spec : {};
    const ref = spec.providerRef;
    const name = typeof ref === 'string' ? ref : isObj(ref) && typeof ref.name === 'string' ? ref.name : undefined;
    if (name === undefined) continue;
    const meta = metaOf(obj);
    usedBy.set(name, [...(usedBy.get(name) ?? []), `${meta.namespace}/${meta.name}`]);
  }
  const lifecycle: ProviderLifecycle[] = [];

  for (const obj of providerObjects) {
    const meta = metaOf(obj);
    lifecycle.push({ name: meta.name, deleting: meta.deleting, finalized: meta.finalizers.includes(PROVIDER_FINALIZER), usedBy: [...(usedBy.get(meta.name) ?? [])].sort() });
    const parsed = parseGlobalDnsProvider(obj);
    if (!parsed.ok) {
      broken.add(meta.name);
      for (const message of parsed.problems) problems.push({ kind: 'GlobalDNSProvider', resource: meta.name, generation: meta.generation, message });
      continue;
    }
    const spec = parsed.value;
    const provider: ManagedProvider = { name: spec.name, type: spec.type, spec, generation: meta.generation };
    if (spec.secretRef) {
      const ref = `${spec.secretRef.namespace}/${spec.secretRef.name}`;
      const secretObj = secretObjects.get(ref);
      const problem = (message: string) => problems.push({ kind: 'GlobalDNSProvider', resource: spec.name, generation: meta.generation, message: `${secretPath(spec)}: ${message}` });
      if (!secretObj) {
        problem(`Secret ${ref} not found`);
        broken.add(spec.name);
        continue;
      }
      const secret = new ProviderSecret(ref, metaOf(secretObj).resourceVersion, decodeSecretData(secretObj.data));
      if (spec.type === 'route53') {
        // Only key names go into the message; the values are credentials.
        const missing = ROUTE53_SECRET_KEYS.filter((alts) => secret.first(...alts) === undefined).map((alts) => alts[0]);
        if (missing.length > 0) {
          problem(`Secret ${ref} has no ${missing.join(' and no ')} (it has: ${secret.keys().join(', ') || 'nothing'})`);
          broken.add(spec.name);
          continue;
        }
      }
      provider.secret = secret;
    }
    providers.set(spec.name, provider);
  }

  const candidates: { entry: CrdEntry; created: string }[] = [];
  for (const obj of entryList) {
    const meta = metaOf(obj);
    const resource = `${meta.namespace}/${meta.name}`;
    const parsed = parseGlobalDns(obj);
    if (!parsed.ok) {
      for (const message of parsed.problems) problems.push({ kind: 'GlobalDNS', resource, generation: meta.generation, message });
      continue;
    }
    const entry = parsed.value;
    const problem = broken.has(entry.provider)
      ? `spec.providerRef: GlobalDNSProvider "${entry.provider}" cannot be used (see its status)`
      : entryProviderProblem(entry, providers.get(entry.provider)?.spec);
    if (problem !== undefined) {
      problems.push({ kind: 'GlobalDNS', resource, generation: meta.generation, message: problem });
      continue;
    }
    candidates.push({ entry, created: meta.created });
  }

  candidates.sort((a, b) => (a.created !== b.created ? (a.created < b.created ? -1 : 1) : a.entry.resource < b.entry.resource ? -1 : 1));
  const owner = new Map<string, string>();
  const entries: CrdEntry[] = [];
  for (const { entry } of candidates) {
    const first = owner.get(entry.fqdn);
    if (first !== undefined) {
      problems.push({ kind: 'GlobalDNS', resource: entry.resource, generation: entry.generation, message: `spec.fqdn: ${entry.fqdn} is already published by GlobalDNS ${first}` });
      continue;
    }
    owner.set(entry.fqdn, entry.resource);
    entries.push(entry);
  }

  entries.sort(byKey((e) => e.resource));
  problems.sort(byKey((p) => `${p.kind}/${p.resource}`));
  lifecycle.sort(byKey((l) => l.name));
  return { entries, providers: [...providers.values()].sort(byKey((p) => p.name)), problems, lifecycle };
}
