// The resource kinds the fake API server knows, and Kubernetes Status bodies.

export interface ObjectMeta {
  name: string;
  namespace?: string;
  generateName?: string;
  uid?: string;
  resourceVersion?: string;
  generation?: number;
  creationTimestamp?: string;
  labels?: Record<string, string>;
  annotations?: Record<string, string>;
  [key: string]: unknown;
}

export interface KubeObject {
  kind: string;
  apiVersion: string;
  metadata: ObjectMeta;
  [key: string]: unknown;
}

export interface ResourceDef {
  kind: string;
  listKind: string;
  plural: string;
  singular: string;
  /** '' for the core group */
  group: string;
  version: string;
  apiVersion: string;
  namespaced: boolean;
  /** has a /status subresource (PUT/PATCH on the main resource keep the stored status) */
  hasStatus: boolean;
  shortNames: string[];
}

function def(kind: string, plural: string, group: string, namespaced: boolean, hasStatus: boolean, shortNames: string[], version = 'v1'): ResourceDef {
  return {
    kind,
    listKind: `${kind}List`,
    plural,
    singular: kind.toLowerCase(),
    group,
    version,
    apiVersion: group === '' ? version : `${group}/${version}`,
    namespaced,
    hasStatus,
    shortNames,
  };
}

export const RESOURCES: readonly ResourceDef[] = [
  def('Namespace', 'namespaces', '', false, true, ['ns']),
  def('Service', 'services', '', true, true, ['svc']),
  def('Ingress', 'ingresses', 'networking.k8s.io', true, true, ['ing']),
  def('Lease', 'leases', 'coordination.k8s.io', true, false, []),
  def('Secret', 'secrets', '', true, false, []),
  def('ConfigMap', 'configmaps', '', true, false, ['cm']),
  def('Event', 'events', '', true, false, ['ev']),
  def('GlobalDNS', 'globaldnses', 'globaldns.io', true, true, ['gdns'], 'v1alpha1'),
  def('GlobalDNSProvider', 'globaldnsproviders', 'globaldns.io', false, true, ['gdnsp'], 'v1alpha1'),
];

/**
 * Kinds that share a kind name with a core kind are told apart by apiVersion:
 * `events.k8s.io/v1` Event is served besides the core v1 Event (a separate store, as the
 * fake keeps no conversion between the two).
 */
export const EXTRA_RESOURCES: readonly ResourceDef[] = [def('Event', 'events', 'events.k8s.io', true, false, [])];

const ALL: readonly ResourceDef[] = [...RESOURCES, ...EXTRA_RESOURCES];

/** The definition of `kind`; `apiVersion` picks between kinds of the same name (core v1 by default). */
export function defByKind(kind: string, apiVersion?: string): ResourceDef {
  const d = ALL.find((r) => r.kind === kind && (apiVersion === undefined ? RESOURCES.includes(r) : r.apiVersion === apiVersion));
  if (!d) {
    const what = apiVersion === undefined ? JSON.stringify(kind) : `${JSON.stringify(kind)} in ${apiVersion}`;
    throw new Error(`fake-kube: unknown kind ${what} (known: ${ALL.map((r) => `${r.kind} (${r.apiVersion})`).join(', ')})`);
  }
  return d;
}

export function defByPath(group: string, version: string, plural: string): ResourceDef | undefined {
  return ALL.find((r) => r.group === group && r.version === version && r.plural === plural);
}

/** Every kind served, including those only reachable by apiVersion. */
export function allResources(): readonly ResourceDef[] {
  return ALL;
}

/** "ingresses.networking.k8s.io" / "services" as used in error messages */
export function qualifiedResource(d: ResourceDef): string {
  return d.group === '' ? d.plural : `${d.plural}.${d.group}`;
}

export interface StatusBody {
  kind: 'Status';
  apiVersion: 'v1';
  metadata: Record<string, never>;
  status: 'Failure' | 'Success';
  message: string;
  reason: string;
  details?: { name?: string; group?: string; kind?: string; uid?: string };
  code: number;
}

const REASONS: Record<number, string> = {
  400: 'BadRequest',
  401: 'Unauthorized',
  403: 'Forbidden',
  404: 'NotFound',
  405: 'MethodNotAllowed',
  406: 'NotAcceptable',
  409: 'Conflict',
  410: 'Expired',
  413: 'RequestEntityTooLarge',
  415: 'UnsupportedMediaType',
  422: 'Invalid',
  429: 'TooManyRequests',
  500: 'InternalError',
  503: 'ServiceUnavailable',
  504: 'Timeout',
};

export function statusBody(code: number, message: string, reason?: string, details?: StatusBody['details']): StatusBody {
  const body: StatusBody = {
    kind: 'Status',
    apiVersion: 'v1',
    metadata: {},
    status: code < 400 ? 'Success' : 'Failure',
    message,
    reason: reason ?? REASONS[code] ?? (code >= 500 ? 'InternalError' : 'BadRequest'),
    code,
  };
  if (details) body.details = details;
  return body;
}

export function isRecord(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}
