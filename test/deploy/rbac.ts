import type { KubeObject } from './render.js';

/**
 * Kubernetes RBAC's decision for one request, over the rendered Roles, ClusterRoles and their
 * bindings (authorizer semantics: a RoleBinding grants its rules in its own namespace, also
 * when it references a ClusterRole; a ClusterRoleBinding grants them everywhere;
 * resourceNames narrow a rule to those objects, and a request without a name, like list,
 * never matches such a rule).
 */

export interface Rule {
  apiGroups?: string[];
  resources?: string[];
  verbs: string[];
  resourceNames?: string[];
}

export interface Request {
  /** The ServiceAccount asking, as namespace/name. */
  serviceAccount: string;
  verb: string;
  group: string;
  /** `resource` or `resource/subresource`. */
  resource: string;
  /** Undefined: a cluster-wide request (list across all namespaces, cluster-scoped kinds). */
  namespace?: string;
  name?: string;
}

interface Subject {
  kind: string;
  name: string;
  namespace?: string;
}

function rulesOf(obj: KubeObject): Rule[] {
  return Array.isArray(obj.rules) ? (obj.rules as Rule[]) : [];
}

function matches(rule: Rule, req: Request): boolean {
  const has = (list: string[] | undefined, v: string): boolean => (list ?? []).some((x) => x === v || x === '*');
  if (!has(rule.verbs, req.verb) || !has(rule.apiGroups, req.group) || !has(rule.resources, req.resource)) return false;
  if (rule.resourceNames && rule.resourceNames.length > 0) return req.name !== undefined && rule.resourceNames.includes(req.name);
  return true;
}

function bindsServiceAccount(binding: KubeObject, serviceAccount: string): boolean {
  const subjects = Array.isArray(binding.subjects) ? (binding.subjects as Subject[]) : [];
  return subjects.some((s) => s.kind === 'ServiceAccount' && `${s.namespace}/${s.name}` === serviceAccount);
}

/** The rules a binding grants, and where (undefined: everywhere). */
function grants(objects: readonly KubeObject[], binding: KubeObject): { rules: Rule[]; namespace: string | undefined } {
  const ref = binding.roleRef as { kind: string; name: string };
  const namespace = binding.kind === 'RoleBinding' ? binding.metadata.namespace : undefined;
  const role = objects.find((o) => o.kind === ref.kind && o.metadata.name === ref.name && (ref.kind === 'ClusterRole' || o.metadata.namespace === namespace));
  return { rules: role ? rulesOf(role) : [], namespace };
}

export function allowed(objects: readonly KubeObject[], req: Request): boolean {
  for (const binding of objects.filter((o) => o.kind === 'RoleBinding' || o.kind === 'ClusterRoleBinding')) {
    if (!bindsServiceAccount(binding, req.serviceAccount)) continue;
    const { rules, namespace } = grants(objects, binding);
    if (namespace !== undefined && namespace !== req.namespace) continue;
    if (rules.some((r) => matches(r, req))) return true;
  }
  return false;
}

/** Every rule of every Role and ClusterRole, with where it came from. */
export function allRules(objects: readonly KubeObject[]): { from: string; rule: Rule }[] {
  return objects
    .filter((o) => o.kind === 'Role' || o.kind === 'ClusterRole')
    .flatMap((o) => rulesOf(o).map((rule) => ({ from: `${o.kind}/${o.metadata.namespace ? `${o.metadata.namespace}/` : ''}${o.metadata.name}`, rule })));
}
