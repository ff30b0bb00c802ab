import { readdirSync, readFileSync, statSync } from 'node:fs';
import { basename, extname, join } from 'node:path';
import { parse } from 'yaml';

/**
 * Just enough of a kubeconfig file to name its clusters and check a context exists. The
 * connection itself is built later by the Kubernetes source with the client library, which
 * reads the same file again.
 */
export interface KubeconfigSummary {
  contexts: string[];
  currentContext?: string;
}

/** Extensions read in a kubeconfig folder; a file without extension counts too (`~/.kube/config`). */
const KUBECONFIG_EXTENSIONS = new Set(['', '.yaml', '.yml', '.json', '.conf', '.config', '.kubeconfig']);

/** Throws an Error saying what is wrong with the file. */
export function readKubeconfigSummary(file: string): KubeconfigSummary {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (e) {
    throw new Error(`cannot read ${file}: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`);
  }
  let doc: unknown;
  try {
    doc = parse(text);
  } catch (e) {
    throw new Error(`${file}: not YAML: ${(e as Error).message.split('\n')[0]}`);
  }
  if (typeof doc !== 'object' || doc === null || !Array.isArray((doc as { contexts?: unknown }).contexts)) {
    throw new Error(`${file}: not a kubeconfig (no contexts list)`);
  }
  const raw = doc as { contexts: unknown[]; 'current-context'?: unknown };
  const contexts = raw.contexts.flatMap((c) => {
    const name = typeof c === 'object' && c !== null ? (c as { name?: unknown }).name : undefined;
    return typeof name === 'string' && name !== '' ? [name] : [];
  });
  const current = raw['current-context'];
  return typeof current === 'string' && current !== '' ? { contexts, currentContext: current } : { contexts };
}

/** The context a file means when none is named: its current-context, or its only context. */
export function defaultContext(summary: KubeconfigSummary): string | undefined {
  if (summary.currentContext !== undefined) return summary.currentContext;
  return summary.contexts.length === 1 ? summary.contexts[0] : undefined;
}

/** Kubeconfig files of a folder, sorted; hidden files and other extensions are skipped. Throws if the folder cannot be read. */
export function listKubeconfigFiles(dir: string): string[] {
  return readdirSync(dir)
    .filter((n) => !n.startsWith('.') && KUBECONFIG_EXTENSIONS.has(extname(n).toLowerCase()))
    .map((n) => join(dir, n))
    .filter((f) => {
      try {
        return statSync(f).isFile();
      } catch {
        return false;
      }
    })
    .sort();
}

/** `east.yaml` → `east`. */
export function fileStem(file: string): string {
  const base = basename(file);
  const ext = extname(base);
  return KUBECONFIG_EXTENSIONS.has(ext.toLowerCase()) && ext !== '' ? base.slice(0, -ext.length) : base;
}
