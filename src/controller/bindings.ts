// Providers built from configuration: the YAML config's providers (credentials from the SDK
// chain, a secret file or the environment) and GlobalDNSProvider resources (credentials from
// their Secret). The one place that turns settings into DnsProvider instances.
import { readFileSync } from 'node:fs';
import YAML from 'yaml';
import type { Config, ProviderConfig } from '../config/index.js';
import type { ManagedProvider } from '../sources/index.js';
import type { DnsProvider, ProviderCallObserver } from '../../providers/provider.js';
// The registry, not providers/index.ts: each provider's client library loads only when used.
import { buildProvider, settingsProblems } from '../../providers/registry.js';
import { ROUTE53_SECRET_KEYS } from '../sources/index.js';
import type { ProviderBinding } from './external.js';

/**
 * Where GlobalDNSProvider-defined Route53 providers (and STS) send their requests instead of
 * AWS: the simulator in tests, LocalStack. An environment variable rather than a field of the
 * resource: whoever may create a provider must not be able to point the credentials of its
 * Secret at a server of their choosing.
 */
export const ROUTE53_ENDPOINT_ENV = 'GLOBALDNS_ROUTE53_ENDPOINT';
export const STS_ENDPOINT_ENV = 'GLOBALDNS_STS_ENDPOINT';

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
  if (p.type === 'route53') {
    // Loaded only when used: the AWS SDK is a large part of start-up time.
    const { Route53Provider } = await import('../../providers/route53/index.js');
    return new Route53Provider({
      name: p.name,
      region: p.route53.region,
      endpoint: p.route53.endpoint,
      // No ids: every zone, narrowed by the domain filters.
      zoneIds: p.route53.hostedZoneIds.length > 0 ? p.route53.hostedZoneIds : undefined,
      domainFilters: p.route53.domainFilters,
      zoneType: p.route53.zoneType,
      rateLimitPerSecond: p.route53.rateLimitPerSecond,
      roleArn: p.route53.roleArn,
      stsEndpoint: process.env[STS_ENDPOINT_ENV] || undefined,
      observe,
    });
  }
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

/** A provider for a GlobalDNSProvider resource, with the credentials of its Secret. */
export async function managedProvider(p: ManagedProvider, observe?: ProviderCallObserver): Promise<DnsProvider> {
  if (p.type === 'route53') {
    const r = p.spec.route53;
    if (!r) throw new Error('spec.route53: required for type route53');
    const { Route53Provider } = await import('../../providers/route53/index.js');
    const [idKeys = [], secretKeys = []] = ROUTE53_SECRET_KEYS;
    const accessKeyId = p.secret?.first(...idKeys);
    const secretAccessKey = p.secret?.first(...secretKeys);
    return new Route53Provider({
      name: p.name,
      region: r.region,
      endpoint: process.env[ROUTE53_ENDPOINT_ENV] || undefined,
      // No ids: every zone, narrowed by the domain filters.
      zoneIds: r.hostedZoneIds.length > 0 ? r.hostedZoneIds : undefined,
      domainFilters: r.domainFilters,
      zoneType: r.zoneType,
      // Without a Secret: the SDK's default chain (the pod's role).
      credentials: accessKeyId !== undefined && secretAccessKey !== undefined ? { accessKeyId, secretAccessKey } : undefined,
      // With a role: those credentials only ask STS for the role's.
      roleArn: r.roleArn,
      stsEndpoint: process.env[STS_ENDPOINT_ENV] || undefined,
      observe,
    });
  }
  if (p.type === 'embedded') throw new Error('the embedded provider is not an external one');
  return buildProvider({ type: p.type, name: p.name, settings: p.spec.settings ?? {}, secret: (key) => p.secret?.first(key), observe, at: `spec.${p.type}` });
}

/**
 * Problems of the YAML providers that only the providers' own schemas and the file system
 * show: a bad settings block (`providers[2].rfc2136.servers[0]: …`) or an unreadable secret file.
 */
export async function yamlProviderProblems(config: Config): Promise<string[]> {
  const problems: string[] = [];
  for (const [i, p] of config.providers.entries()) {
    if (p.type === 'embedded' || p.type === 'route53') continue;
    problems.push(...(await settingsProblems(p.type, p.settings, `providers[${i}].${p.type}`)));
    try {
      yamlSecrets(p);
    } catch (e) {
      problems.push(`providers[${i}].secretFile: ${(e as Error).message}`);
    }
  }
  return problems;
}
