// Checks `validate` (and `serve`/`plan` before they start) make beyond what loadConfig reads.
import { existsSync, readFileSync, statSync } from 'node:fs';
import YAML from 'yaml';
import { isKubeCluster, parseGlobalDns, parseGlobalDnsProvider } from '../config/index.js';
import type { Config, ProviderSpec } from '../config/index.js';
import { loadKubeConfig } from '../sources/index.js';
// The registry: a provider's client code loads only when a resource names its type.
import { settingsProblems } from '../../providers/registry.js';

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
 * applies, and a provider's settings block with its factory's schema (as the management
 * runtime does when it builds the provider), so a resource can be checked before
 * `kubectl apply`: `file document N (Kind name): path: problem`.
 */
export async function resourceProblems(file: string): Promise<string[]> {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (e) {
    return [`${file}: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`];
  }
  const problems: string[] = [];
  const docs = YAML.parseAllDocuments(text);
  for (const [i, doc] of docs.entries()) {
    const at = `${file} document ${i + 1}`;
    if (doc.errors.length > 0) {
      problems.push(`${at}: ${doc.errors[0].message.split('\n')[0]}`);
      continue;
    }
    const obj: unknown = doc.toJS();
    if (obj === null || obj === undefined) continue;
    const kind = typeof obj === 'object' && 'kind' in obj ? String(obj.kind) : '';
    const name = typeof obj === 'object' && 'metadata' in obj ? String((obj as { metadata?: { name?: unknown } }).metadata?.name ?? '') : '';
    if (kind === 'GlobalDNS') {
      const result = parseGlobalDns(obj);
      if (!result.ok) { for (const p of result.problems) problems.push(`${at} (${kind} ${name}): ${p}`); }
    } else if (kind === 'GlobalDNSProvider') {
      const result = parseGlobalDnsProvider(obj);
      const found = result.ok ? await providerSettingsProblems(result.value) : result.problems;
      for (const p of found) problems.push(`${at} (${kind} ${name}): ${p}`);
    }
    // Secrets and other kinds in the same file are not ours to check.
  }
  return problems;
}

/** `spec.route53.region: …`: the settings block of a GlobalDNSProvider against its factory's schema. */
export async function providerSettingsProblems(spec: ProviderSpec): Promise<string[]> {
  if (spec.type === 'embedded') return [];
  return settingsProblems(spec.type, spec.settings ?? {}, `spec.${spec.type}`, 'resource');
}
