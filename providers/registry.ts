// The provider types, each built by its factory and loaded only when a config names it: each
// pulls its own client code (the AWS SDK, the Cloudflare SDK, the RFC 2136 wire code), and
// most installations use one.
import type { DnsProvider, ProviderCallObserver, ProviderFactory, SettingsOrigin, SettingsSchema } from './provider.js';

type Loader = () => Promise<ProviderFactory<unknown>>;

const LOADERS: Record<string, Loader> = {
  route53: async () => (await import('./route53/index.js')).route53Factory,
  rfc2136: async () => (await import('./rfc2136/index.js')).rfc2136Factory,
  powerdns: async () => (await import('./powerdns/index.js')).powerdnsFactory,
  cloudflare: async () => (await import('./cloudflare/index.js')).cloudflareFactory,
  alidns: async () => (await import('./alidns/index.js')).alidnsFactory,
};

/** The types a factory builds. */
export const FACTORY_TYPES: readonly string[] = Object.keys(LOADERS);

export async function providerFactory(type: string): Promise<ProviderFactory<unknown>> {
  const load = LOADERS[type];
  if (!load) throw new Error(`no provider of type ${type}`);
  return load();
}

/** The schema settings of this origin are checked with: a resource's may be narrower. */
function schemaFor(factory: ProviderFactory<unknown>, origin: SettingsOrigin): SettingsSchema<unknown> {
  return origin === 'resource' ? factory.resourceSettings ?? factory.settings : factory.settings;
}

/** `providers[2].rfc2136.servers[0]: not a host:port`: a settings problem with its path under `at`. */
function problem(at: string, issue: { path: (string | number)[]; message: string }): string {
  return `${[at, ...issue.path].join('.').replace(/\.(\d+)(?=\.|$)/g, '[$1]')}: ${issue.message}`;
}

/** Every problem of a settings block, with its path under `at` (for `globaldns validate`). */
export async function settingsProblems(type: string, settings: unknown, at: string, origin: SettingsOrigin = 'config'): Promise<string[]> {
  const factory = await providerFactory(type);
  const r = schemaFor(factory, origin).safeParse(settings);
  if (r.success) return [];
  return r.error.issues.map((i) => problem(at, i));
}

export interface BuildProviderInput {
  type: string;
  name: string;
  settings: unknown;
  secret: (key: string) => string | undefined;
  observe?: ProviderCallObserver;
  /** Where the settings were written, for error messages ('providers[2].rfc2136', 'spec.rfc2136'). */
  at: string;
  /** 'resource' for a GlobalDNSProvider's settings (default 'config'); see ProviderFactoryInput. */
  origin?: SettingsOrigin;
  /** The environment for the operator's overrides (default `process.env`). */
  env?: Readonly<Record<string, string | undefined>>;
}

/** A provider from its settings; throws an Error listing every settings problem. */
export async function buildProvider(i: BuildProviderInput): Promise<DnsProvider> {
  const factory = await providerFactory(i.type);
  const origin = i.origin ?? 'config';
  const r = schemaFor(factory, origin).safeParse(i.settings);
  if (!r.success) throw new Error(r.error.issues.map((x) => problem(i.at, x)).join('; '));
  return factory.create({ name: i.name, settings: r.data, secret: i.secret, observe: i.observe, origin, ...(i.env ? { env: i.env } : {}) });
}
