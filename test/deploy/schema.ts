import * as client from '@kubernetes/client-node';
import { CustomResourceDefinition } from 'kubernetes-models/apiextensions.k8s.io/v1/CustomResourceDefinition';
import { Deployment } from 'kubernetes-models/apps/v1/Deployment';
import { PodDisruptionBudget } from 'kubernetes-models/policy/v1/PodDisruptionBudget';
import { ClusterRole } from 'kubernetes-models/rbac.authorization.k8s.io/v1/ClusterRole';
import { ClusterRoleBinding } from 'kubernetes-models/rbac.authorization.k8s.io/v1/ClusterRoleBinding';
import { Role } from 'kubernetes-models/rbac.authorization.k8s.io/v1/Role';
import { RoleBinding } from 'kubernetes-models/rbac.authorization.k8s.io/v1/RoleBinding';
import { ConfigMap } from 'kubernetes-models/v1/ConfigMap';
import { Namespace } from 'kubernetes-models/v1/Namespace';
import { Secret } from 'kubernetes-models/v1/Secret';
import { Service } from 'kubernetes-models/v1/Service';
import { ServiceAccount } from 'kubernetes-models/v1/ServiceAccount';
import type { KubeObject } from './render.js';

/**
 * Schema checks of rendered objects, two ways:
 * - kubernetes-models: the Kubernetes OpenAPI schema of the kind (types, required fields,
 *   enums, formats). It accepts fields it does not know, as a lenient API server would.
 * - unknownFields: every key must be a field of the kind, per the generated models of
 *   @kubernetes/client-node (what `kubectl apply` with strict field validation rejects: a
 *   misspelt `readOnlyRootFileSystem` would otherwise pass silently and do nothing).
 */

interface Validatable {
  validate(): void;
}

const MODELS: Record<string, { model: (o: KubeObject) => Validatable; type: string }> = {
  'v1/Namespace': { model: (o) => new Namespace(o), type: 'V1Namespace' },
  'v1/ServiceAccount': { model: (o) => new ServiceAccount(o), type: 'V1ServiceAccount' },
  'v1/ConfigMap': { model: (o) => new ConfigMap(o), type: 'V1ConfigMap' },
  'v1/Secret': { model: (o) => new Secret(o), type: 'V1Secret' },
  'v1/Service': { model: (o) => new Service(o), type: 'V1Service' },
  'apps/v1/Deployment': { model: (o) => new Deployment(o), type: 'V1Deployment' },
  'policy/v1/PodDisruptionBudget': { model: (o) => new PodDisruptionBudget(o), type: 'V1PodDisruptionBudget' },
  'rbac.authorization.k8s.io/v1/Role': { model: (o) => new Role(o), type: 'V1Role' },
  'rbac.authorization.k8s.io/v1/ClusterRole': { model: (o) => new ClusterRole(o), type: 'V1ClusterRole' },
  'rbac.authorization.k8s.io/v1/RoleBinding': { model: (o) => new RoleBinding(o as never), type: 'V1RoleBinding' },
  'rbac.authorization.k8s.io/v1/ClusterRoleBinding': { model: (o) => new ClusterRoleBinding(o as never), type: 'V1ClusterRoleBinding' },
  'apiextensions.k8s.io/v1/CustomResourceDefinition': { model: (o) => new CustomResourceDefinition(o as never), type: 'V1CustomResourceDefinition' },
};

/** Problems of one object against the schema of its kind; an unknown kind is a problem too. */
export function schemaProblems(obj: KubeObject): string[] {
  const key = `${obj.apiVersion}/${obj.kind}`;
  const entry = MODELS[key];
  const where = `${obj.kind}/${obj.metadata.name}`;
  if (!entry) return [`${where}: no schema known for ${key}`];
  const problems: string[] = [];
  try {
    entry.model(obj).validate();
  } catch (e) {
    problems.push(`${where}: ${(e as Error).message}`);
  }
  for (const path of unknownFields(obj, entry.type)) problems.push(`${where}: unknown field ${path}`);
  if (obj.kind === 'CustomResourceDefinition') problems.push(...crdSchemaProblems(obj).map((p) => `${where}: ${p}`));
  return problems;
}

interface Attribute {
  name: string;
  baseName: string;
  type: string;
}

/** client-node's model classes by type name (`V1PodSpec`), each with its attribute map. */
function modelAttributes(type: string): Attribute[] | undefined {
  const model = (client as unknown as Record<string, { getAttributeTypeMap?: () => Attribute[] } | undefined>)[type];
  return model?.getAttributeTypeMap?.();
}

const SCALARS = new Set(['string', 'number', 'boolean', 'Date', 'any', 'object', 'IntOrString']);

/** Paths of keys in `value` that its type does not have, walked through nested models, arrays and maps. */
export function unknownFields(value: unknown, type: string, path = ''): string[] {
  if (value === null || value === undefined || SCALARS.has(type)) return [];
  const array = /^Array<(.+)>$/.exec(type);
  if (array) return Array.isArray(value) ? value.flatMap((v, i) => unknownFields(v, array[1], `${path}[${i}]`)) : [];
  const map = /^\{ \[key: string\]: (.+); \}$/.exec(type);
  if (map) {
    if (typeof value !== 'object') return [];
    return Object.entries(value as Record<string, unknown>).flatMap(([k, v]) => unknownFields(v, map[1], `${path}.${k}`));
  }
  const attributes = modelAttributes(type);
  if (!attributes) throw new Error(`unknownFields: no model ${type} in @kubernetes/client-node (at ${path || 'the top'})`);
  if (typeof value !== 'object' || Array.isArray(value)) return [];
  const byKey = new Map(attributes.map((a) => [a.baseName, a.type]));
  const problems: string[] = [];
  for (const [k, v] of Object.entries(value as Record<string, unknown>)) {
    const t = byKey.get(k);
    if (t === undefined) problems.push(`${path}.${k}`);
    else problems.push(...unknownFields(v, t, `${path}.${k}`));
  }
  return problems;
}

/**
 * Rules the API server applies to a CRD's openAPIV3Schema that kubernetes-models cannot see
 * (it does not descend into `items`), from apiextensions-apiserver's
 * ValidateCustomResourceDefinitionOpenAPISchema: `additionalProperties` beside `properties`
 * is forbidden, `false` included (a closed object relies on pruning instead), and so is
 * `uniqueItems: true`. Each problem names the schema path as the API server would.
 */
export function crdSchemaProblems(crd: KubeObject): string[] {
  const versions = (crd.spec as { versions?: { name: string; schema?: { openAPIV3Schema?: unknown } }[] } | undefined)?.versions ?? [];
  return versions.flatMap((v) => walkSchema(v.schema?.openAPIV3Schema, `${crd.metadata.name} ${v.name} openAPIV3Schema`));
}

function walkSchema(node: unknown, path: string): string[] {
  if (typeof node !== 'object' || node === null) return [];
  const s = node as Record<string, unknown>;
  const problems: string[] = [];
  const properties = s.properties as Record<string, unknown> | undefined;
  if (s.additionalProperties !== undefined && properties && Object.keys(properties).length > 0 && s.additionalProperties !== true) {
    problems.push(`${path}.additionalProperties: Forbidden: additionalProperties and properties are mutual exclusive`);
  }
  if (s.uniqueItems === true) problems.push(`${path}.uniqueItems: Forbidden: uniqueItems cannot be set to true`);
  for (const [k, v] of Object.entries(properties ?? {})) problems.push(...walkSchema(v, `${path}.properties[${k}]`));
  if (typeof s.items === 'object') problems.push(...walkSchema(s.items, `${path}.items`));
  if (typeof s.additionalProperties === 'object') problems.push(...walkSchema(s.additionalProperties, `${path}.additionalProperties`));
  for (const k of ['allOf', 'anyOf', 'oneOf'] as const) {
    if (Array.isArray(s[k])) (s[k] as unknown[]).forEach((x, i) => problems.push(...walkSchema(x, `${path}.${k}[${i}]`)));
  }
  return problems;
}
