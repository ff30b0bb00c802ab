import { execFile } from 'node:child_process';
import { dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseAllDocuments } from 'yaml';

/** The repository root (test/deploy/ → ../..). */
export const REPO = resolve(dirname(fileURLToPath(import.meta.url)), '../..');
export const KUSTOMIZE = resolve(REPO, 'deploy/kustomize');

/** A rendered Kubernetes object, as plain JSON. */
export interface KubeObject {
  apiVersion: string;
  kind: string;
  metadata: { name: string; namespace?: string; labels?: Record<string, string>; [k: string]: unknown };
  [k: string]: unknown;
}

/**
 * `kubectl kustomize <dir>` (the Kustomize v5 built into kubectl), bounded in time: a stuck
 * kubectl fails the test instead of hanging it.
 */
export function kustomize(dir: string, timeoutMs = 60_000): Promise<string> {
  return new Promise((resolvePromise, reject) => {
    execFile('kubectl', ['kustomize', dir], { timeout: timeoutMs, maxBuffer: 16 * 1024 * 1024 }, (err, stdout, stderr) => {
      if (err) reject(new Error(`kubectl kustomize ${dir}: ${err.message}${stderr ? `\n${stderr}` : ''}`));
      else resolvePromise(stdout);
    });
  });
}

/** Every document of a multi-document YAML stream; a document that is not an object is an error. */
export function parseObjects(text: string, source: string): KubeObject[] {
  const objects: KubeObject[] = [];
  for (const [i, doc] of parseAllDocuments(text).entries()) {
    if (doc.errors.length > 0) throw new Error(`${source}: document ${i}: ${doc.errors[0].message}`);
    const value: unknown = doc.toJS();
    if (value === null || value === undefined) continue;
    if (!isKubeObject(value)) throw new Error(`${source}: document ${i} is not a Kubernetes object (apiVersion, kind, metadata.name)`);
    objects.push(value);
  }
  return objects;
}

function isKubeObject(v: unknown): v is KubeObject {
  if (typeof v !== 'object' || v === null) return false;
  const o = v as Record<string, unknown>;
  const meta = o.metadata as Record<string, unknown> | undefined;
  return typeof o.apiVersion === 'string' && typeof o.kind === 'string' && typeof meta?.name === 'string';
}

export async function renderOverlay(path: string): Promise<KubeObject[]> {
  const dir = resolve(KUSTOMIZE, path);
  return parseObjects(await kustomize(dir), dir);
}

/** The one object of `kind` (and `name`, if given); throws naming what was found instead. */
export function one(objects: readonly KubeObject[], kind: string, name?: string): KubeObject {
  const found = objects.filter((o) => o.kind === kind && (name === undefined || o.metadata.name === name));
  if (found.length !== 1) {
    throw new Error(`expected one ${kind}${name ? ` ${name}` : ''}, found ${found.length} (objects: ${objects.map((o) => `${o.kind}/${o.metadata.name}`).join(', ')})`);
  }
  return found[0];
}
