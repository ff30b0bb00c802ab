import { addressType, isValidHostname, isValidTargetHostname, normalizeName } from '../model/index.js';
import type { Endpoint } from '../model/index.js';

/**
 * Kubernetes object → Endpoint, as pure functions over plain parsed objects. Both the
 * folder source and the Kubernetes watcher use them, so a manifest means the same thing
 * wherever it comes from.
 */

export const HOSTNAME_ANNOTATION = 'globaldns.io/hostname';
/** The annotation of Rancher's retired Global DNS, honoured so users can migrate unchanged. */
export const RANCHER_HOSTNAME_ANNOTATION = 'rancher.io/globalDNS.hostname';
export const TTL_ANNOTATION = 'globaldns.io/ttl';
export const PROJECT_KEY = 'field.cattle.io/projectId';

const MAX_TTL = 2147483647;

/** external-dns' annotations, read only where a cluster opts in (`hostnameSources.externalDnsAnnotations`). */
export const EXTERNAL_DNS_HOSTNAME_ANNOTATIONS = ['external-dns.alpha.kubernetes.io/hostname', 'external-dns.kubernetes.io/hostname'];

/** Claims beyond globaldns' own annotations; both off unless a cluster's config turns them on. */
export interface HostnameSourceOptions {
  externalDnsAnnotations?: boolean;
  /** An Ingress's `spec.rules[].host` values claim those names, annotated or not. */
  ingressRules?: boolean;
}

export interface ExtractContext {
  cluster: string;
  /** Rancher project of a namespace, if known. */
  projectOf(namespace: string): string | undefined;
  /** Labels of a namespace, if known. */
  labelsOf?(namespace: string): Readonly<Record<string, string>> | undefined;
  hostnameSources?: HostnameSourceOptions;
}

export interface Extraction {
  /** Undefined when the object claims nothing or cannot be used. */
  endpoint?: Endpoint;
  /** What was wrong, one reason each; non-empty with no endpoint means the object was skipped. */
  problems: string[];
}

type Obj = Record<string, unknown>;

function isObj(v: unknown): v is Obj {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function field(v: unknown, ...path: string[]): unknown {
  let cur = v;
  for (const p of path) {
    if (!isObj(cur)) return undefined;
    cur = cur[p];
  }
  return cur;
}

function stringMap(v: unknown): Record<string, string> {
  const out: Record<string, string> = {};
  if (!isObj(v)) return out;
  for (const [k, x] of Object.entries(v)) if (typeof x === 'string') out[k] = x;
  return out;
}

/** `kind/namespace/name` of an object for messages; parts that are missing are shown as '?'. */
export function describeObject(obj: unknown): string {
  const kind = field(obj, 'kind');
  const ns = field(obj, 'metadata', 'namespace');
  const name = field(obj, 'metadata', 'name');
  const k = typeof kind === 'string' ? kind : '?';
  const n = typeof name === 'string' ? name : '?';
  return k === 'Namespace' ? `${k} ${n}` : `${k} ${typeof ns === 'string' ? ns : 'default'}/${n}`;
}

/** The Rancher project a Namespace object puts its contents in; the annotation carries the cluster-qualified id, so it wins over the label. */
/** The labels a Namespace object carries (string values only), or undefined for other objects. */
export function namespaceLabels(obj: unknown): { name: string; labels: Record<string, string> } | undefined {
  if (field(obj, 'kind') !== 'Namespace') return undefined;
  const name = field(obj, 'metadata', 'name');
  if (typeof name !== 'string' || name === '') return undefined;
  const raw = field(obj, 'metadata', 'labels');
  const labels: Record<string, string> = {};
  if (typeof raw === 'object' && raw !== null && !Array.isArray(raw)) { for (const [k, v] of Object.entries(raw)) if (typeof v === 'string') labels[k] = v; }
  return { name, labels };
}

export function namespaceProject(obj: unknown): { name: string; project?: string } | undefined {
  if (field(obj, 'kind') !== 'Namespace') return undefined;
  const name = field(obj, 'metadata', 'name');
  if (typeof name !== 'string' || name === '') return undefined;
  const project = stringMap(field(obj, 'metadata', 'annotations'))[PROJECT_KEY] || stringMap(field(obj, 'metadata', 'labels'))[PROJECT_KEY];
  return project ? { name, project } : { name };
}

/** Comma-separated hostname lists the object claims, from each enabled source. */
function claimTexts(obj: Obj, kind: 'Ingress' | 'Service', annotations: Record<string, string>, opts: HostnameSourceOptions): string[] {
  const keys = [HOSTNAME_ANNOTATION, RANCHER_HOSTNAME_ANNOTATION];
  if (opts.externalDnsAnnotations) keys.push(...EXTERNAL_DNS_HOSTNAME_ANNOTATIONS);
  const claims = keys.map((k) => annotations[k]).filter((x): x is string => x !== undefined);
  if (opts.ingressRules && kind === 'Ingress') {
    const rules = field(obj, 'spec', 'rules');
    for (const rule of Array.isArray(rules) ? rules : []) {
      const host = field(rule, 'host');
      if (typeof host === 'string' && host !== '') claims.push(host);
    }
  }
  return claims;
}

/**
 * The endpoint an Ingress or LoadBalancer Service contributes. Other kinds, Services of
 * other types and objects without hostname annotations contribute nothing and are not
 * problems. Invalid hostnames and targets are dropped one by one; a bad TTL or a missing
 * name skips the object, since guessing would publish something the user did not ask for.
 */
export function extractEndpoint(obj: unknown, ctx: ExtractContext): Extraction {
  if (!isObj(obj)) return { problems: ['not an object'] };
  const kind = obj.kind;
  if (kind !== 'Ingress' && kind !== 'Service') return { problems: [] };
  if (kind === 'Service' && field(obj, 'spec', 'type') !== 'LoadBalancer') return { problems: [] };

  const annotations = stringMap(field(obj, 'metadata', 'annotations'));
  const claims = claimTexts(obj, kind, annotations, ctx.hostnameSources ?? {});
  if (claims.length === 0) return { problems: [] };

  const name = field(obj, 'metadata', 'name');
  if (typeof name !== 'string' || name === '') return { problems: ['missing metadata.name'] };
  const nsField = field(obj, 'metadata', 'namespace');
  const namespace = typeof nsField === 'string' && nsField !== '' ? nsField : 'default';

  const problems: string[] = [];
  const hostnames = new Set<string>();
  for (const raw of claims.flatMap((c) => c.split(','))) {
    const h = raw.trim();
    if (h === '') continue;
    if (isValidHostname(h, { allowWildcard: true })) hostnames.add(normalizeName(h));
    else problems.push(`invalid hostname "${h}"`);
  }

  let ttl: number | undefined;
  const ttlText = annotations[TTL_ANNOTATION];
  if (ttlText !== undefined) {
    const t = ttlText.trim();
    if (!/^\d+$/.test(t) || Number(t) > MAX_TTL) {
      return { problems: [...problems, `${TTL_ANNOTATION} must be an integer 0..${MAX_TTL}, got "${ttlText}"`] };
    }
    ttl = Number(t);
  }

  if (hostnames.size === 0) return { problems };

  const targets = new Set<string>();
  const ingress = field(obj, 'status', 'loadBalancer', 'ingress');
  for (const item of Array.isArray(ingress) ? ingress : []) {
    const ip = field(item, 'ip');
    const host = field(item, 'hostname');
    if (typeof ip === 'string' && ip !== '') {
      if (addressType(ip)) targets.add(ip.toLowerCase());
      else problems.push(`invalid load-balancer ip "${ip}"`);
    } else if (typeof host === 'string' && host !== '') {
      if (isValidTargetHostname(host)) targets.add(normalizeName(host));
      else problems.push(`invalid load-balancer hostname "${host}"`);
    }
  }

  const endpoint: Endpoint = {
    cluster: ctx.cluster,
    namespace,
    kind,
    name,
    hostnames: [...hostnames].sort(),
    targets: [...targets].sort(),
  };
  const project = ctx.projectOf(namespace);
  if (project !== undefined) endpoint.project = project;
  const labels = ctx.labelsOf?.(namespace);
  if (labels !== undefined && Object.keys(labels).length > 0) endpoint.namespaceLabels = Object.fromEntries(Object.entries(labels).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)));
  if (ttl !== undefined) endpoint.ttl = ttl;
  if (kind === 'Ingress') {
    const paths = ingressPaths(obj, endpoint.hostnames);
    if (paths !== undefined) endpoint.paths = paths;
  }
  return { endpoint, problems };
}

/**
 * The rule paths of each claimed hostname, for the proxy: a rule names its host, or no host
 * (it then applies to every host). Prefix and ImplementationSpecific paths are written as
 * they are, Exact ones with a leading "=". A hostname with no rule paths, or with the prefix
 * "/", is left out: it serves every path.
 */
function ingressPaths(obj: Obj, hostnames: readonly string[]): Record<string, string[]> | undefined {
  const rules = field(obj, 'spec', 'rules');
  if (!Array.isArray(rules)) return undefined;
  const out: Record<string, string[]> = {};
  for (const rule of rules) {
    const host = field(rule, 'host');
    const paths = field(rule, 'http', 'paths');
    if (!Array.isArray(paths)) continue;
    const texts: string[] = [];
    for (const p of paths) {
      const path = field(p, 'path');
      const text = typeof path === 'string' && path.startsWith('/') ? path : '/';
      texts.push(field(p, 'pathType') === 'Exact' ? `=${text}` : text);
    }
    const applies = typeof host === 'string' && host !== '' ? hostnames.filter((h) => h === normalizeName(host)) : hostnames;
    for (const h of applies) out[h] = [...new Set([...(out[h] ?? []), ...texts])].sort();
  }
  // A Prefix "/" serves every path: the same as no rules, and kept out of the endpoint.
  for (const h of Object.keys(out)) if (out[h].includes('/')) delete out[h];
  return Object.keys(out).length > 0 ? out : undefined;
}
