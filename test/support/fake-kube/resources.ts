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

function def(kind: string, plural: string, group: string, namespaced: boolean, hasStatus: boolean, shortNames: string[]): ResourceDef {
  const version = 'v1';
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
];

export function defByKind(kind: string): ResourceDef {
  const d = RESOURCES.find((r) => r.kind === kind);
  if (!d) throw new Error(`fake-kube: unknown kind ${JSON.stringify(kind)} (known: ${RESOURCES.map((r) => r.kind).join(', ')})`);
  return d;
}

export function defByPath(group: string, version: string, plural: string): ResourceDef | undefined {
  return RESOURCES.find((r) => r.group === group && r.version === version && r.plural === plural);
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
