// The provider types built by a factory, loaded only when a config names them: each pulls its
// own client code (the Cloudflare SDK, the RFC 2136 wire code), and most installations use one.
import type { DnsProvider, ProviderCallObserver, ProviderFactory } from './provider.js';

type Loader = () => Promise<ProviderFactory<unknown>>;

const LOADERS: Record<string, Loader> = {
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

/** `servers[0]: not a host:port` — every problem of a settings block, with its path under `at`. */
export async function settingsProblems(type: string, settings: unknown, at: string): Promise<string[]> {
  const factory = await providerFactory(type);
  const r = factory.settings.safeParse(settings);
  if (r.success) return [];
  return r.error.issues.map((i) => `${[at, ...i.path].join('.').replace(/\.(\d+)(?=\.|$)/g, '[$1]')}: ${i.message}`);
}

export interface BuildProviderInput {
  type: string;
  name: string;
  settings: unknown;
  secret: (key: string) => string | undefined;
  observe?: ProviderCallObserver;
  /** Where the settings were written, for error messages ('providers[2].rfc2136', 'spec.rfc2136'). */
  at: string;
}

/** A provider from its settings; throws an Error listing every settings problem. */
export async function buildProvider(i: BuildProviderInput): Promise<DnsProvider> {
  const factory = await providerFactory(i.type);
  const r = factory.settings.safeParse(i.settings);
  if (!r.success) {
    const problems = r.error.issues.map((x) => `${[i.at, ...x.path].join('.')}: ${x.message}`);
    throw new Error(problems.join('; '));
  }
  return factory.create({ name: i.name, settings: r.data, secret: i.secret, observe: i.observe });
}
