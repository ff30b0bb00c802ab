// Providers built from configuration: the YAML config's providers (credentials from a secret
// file or the environment; Route53 without them from the AWS SDK's default chain) and
// GlobalDNSProvider resources (credentials from their Secret). The one place that turns
// settings into DnsProvider instances, every type through its factory (providers/registry.ts).
import { readFileSync } from 'node:fs';
import YAML from 'yaml';
import type { Config, ProviderConfig } from '../config/index.js';
import type { ManagedProvider } from '../sources/index.js';
import type { DnsProvider, ProviderCallObserver } from '../../providers/provider.js';
// The registry, not providers/index.ts: each provider's client library loads only when used.
import { buildProvider, settingsProblems } from '../../providers/registry.js';
import type { ProviderBinding } from './external.js';

// Where GlobalDNSProvider-defined Route53 providers (and STS) send their requests instead of
// AWS (providers/route53/settings.ts: no SDK there): environment variables, never fields of
// the resource, so whoever may create a provider cannot send its Secret's keys elsewhere.
export { ROUTE53_ENDPOINT_ENV, STS_ENDPOINT_ENV } from '../../providers/route53/settings.js';

/** `GLOBALDNS_SECRET_<PROVIDER>_<KEY>`: `cf-main` + `api-token` → GLOBALDNS_SECRET_CF_MAIN_API_TOKEN. */
export function secretEnvName(provider: string, key: string): string {
  return `GLOBALDNS_SECRET_${provider}_${key}`.toUpperCase().replace(/[^A-Z0-9]/g, '_');
}

/**
 * A YAML provider's secret values: its `secretFile` (a map of key → value) first, then the
 * environment. A file that cannot be read or is not a map is an error naming the file, never
 * its content.
 */
export function yamlSecrets(p: { name: string; secretFile?: string }, env: NodeJS.ProcessEnv = process.env): (key: string) => string | undefined {
  let file: Record<string, unknown> = {};
  if (p.secretFile !== undefined) {
    let text: string;
    try {
      text = readFileSync(p.secretFile, 'utf8');
    } catch (e) {
      throw new Error(`provider ${p.name}: secretFile ${p.secretFile}: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`);
    }
    let parsed: unknown;
    try {
      parsed = YAML.parse(text);
    } catch {
      throw new Error(`provider ${p.name}: secretFile ${p.secretFile}: not YAML`);
    }
    if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) throw new Error(`provider ${p.name}: secretFile ${p.secretFile}: not a map of key: value`);
    file = parsed as Record<string, unknown>;
  }
  return (key) => {
    const v = file[key];
    if (typeof v === 'string' || typeof v === 'number') return String(v);
    return env[secretEnvName(p.name, key)] || undefined;
  };
}

/** One YAML provider (not the embedded one) as a DnsProvider. */
export async function yamlProvider(p: Exclude<ProviderConfig, { type: 'embedded' }>, at: string, observe?: ProviderCallObserver): Promise<DnsProvider> {
  return buildProvider({ type: p.type, name: p.name, settings: p.settings, secret: yamlSecrets(p), observe, at: `${at}.${p.type}` });
}

/** The external providers of the YAML config; the first one that cannot be built throws. */
export async function yamlBindings(config: Config, observe?: ProviderCallObserver): Promise<ProviderBinding[]> {
  const bindings: ProviderBinding[] = [];
  for (const [i, p] of config.providers.entries()) {
    if (p.type === 'embedded') continue;
    const provider = await yamlProvider(p, `providers[${i}]`, observe);
    bindings.push({ name: p.name, provider, ownerId: p.ownerId, policy: p.policy, adoptFrom: p.adoptFrom });
  }
  return bindings;
}

/**
 * A provider for a GlobalDNSProvider resource, with the credentials of its Secret. Its settings
 * are a resource's (`origin: 'resource'`): what would send the Secret's keys to another server
 * comes from the operator's environment only (ROUTE53_ENDPOINT_ENV).
 */
export async function managedProvider(p: ManagedProvider, observe?: ProviderCallObserver): Promise<DnsProvider> {
  if (p.type === 'embedded') throw new Error('the embedded provider is not an external one');
  return buildProvider({ type: p.type, name: p.name, settings: p.spec.settings ?? {}, secret: (key) => p.secret?.first(key), observe, at: `spec.${p.type}`, origin: 'resource' });
}

/**
 * Problems of the YAML providers that only the providers' own schemas and the file system
 * show: a bad settings block (`providers[2].rfc2136.servers[0]: …`) or an unreadable secret file.
 */
export async function yamlProviderProblems(config: Config): Promise<string[]> {
  const problems: string[] = [];
  for (const [i, p] of config.providers.entries()) {
    if (p.type === 'embedded') continue;
    problems.push(...(await settingsProblems(p.type, p.settings, `providers[${i}].${p.type}`)));
    try {
      yamlSecrets(p);
    } catch (e) {
      problems.push(`providers[${i}].secretFile: ${(e as Error).message}`);
    }
  }
  return problems;
}
