// Checks `validate` (and `serve`/`plan` before they start) make beyond what loadConfig reads.
import { existsSync, readFileSync, statSync } from 'node:fs';
import YAML from 'yaml';
import { isKubeCluster, parseGlobalDns, parseGlobalDnsProvider } from '../config/index.js';
import type { Config } from '../config/index.js';
import { loadKubeConfig } from '../sources/index.js';

/**
 * Checks that need the file system beyond what loadConfig reads: not part of it, since
 * `serve` tolerates a manifest folder that appears later. Kubeconfigs are loaded with the
 * client library, which is stricter than the config check.
 */
export function fileProblems(config: Config): string[] {
  return config.clusters.flatMap((c) => {
    if (isKubeCluster(c)) {
      if ('inCluster' in c.connection) return [];
      try {
        loadKubeConfig(c.connection);
        return [];
      } catch (e) {
        return [`cluster ${c.name}: ${(e as Error).message}`];
      }
    }
    if (!existsSync(c.manifests)) return [`cluster ${c.name}: manifests folder not found: ${c.manifests}`];
    if (!statSync(c.manifests).isDirectory()) return [`cluster ${c.name}: manifests: not a folder: ${c.manifests}`];
    return [];
  });
}

/**
 * GlobalDNS and GlobalDNSProvider manifests checked with the schemas the management source
 * applies, so a resource can be checked before `kubectl apply`: `file document N (Kind name): path: problem`.
 */
export function resourceProblems(file: string): string[] {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (e) {
    return [`${file}: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`];
  }
  const problems: string[] = [];
  const docs = YAML.parseAllDocuments(text);
  docs.forEach((doc, i) => {
    const at = `${file} document ${i + 1}`;
    if (doc.errors.length > 0) {
      problems.push(`${at}: ${doc.errors[0].message.split('\n')[0]}`);
      return;
    }
    const obj: unknown = doc.toJS();
    if (obj === null || obj === undefined) return;
    const kind = typeof obj === 'object' && 'kind' in obj ? String(obj.kind) : '';
    const name = typeof obj === 'object' && 'metadata' in obj ? String((obj as { metadata?: { name?: unknown } }).metadata?.name ?? '') : '';
    const result = kind === 'GlobalDNS' ? parseGlobalDns(obj) : kind === 'GlobalDNSProvider' ? parseGlobalDnsProvider(obj) : undefined;
    if (!result) return; // Secrets and other kinds in the same file are not ours to check
    if (!result.ok) { for (const p of result.problems) problems.push(`${at} (${kind} ${name}): ${p}`); }
  });
  return problems;
}
