// Public surface of the providers: the DnsProvider interface and one entry per provider.
export { planChanges, applyResult, describeChange, ZoneNotListableError } from './provider.js';
export type { DnsProvider, Zone, PlanChange, ChangeResult, ApplyResult, ProviderCall, ProviderCallObserver, ProviderFactory, ProviderFactoryInput } from './provider.js';
export * from './route53/index.js';
export * from './powerdns/index.js';
export * from './alidns/index.js';
export * from './cloudflare/index.js';
export * from './rfc2136/index.js';
export { FACTORY_TYPES, providerFactory, settingsProblems, buildProvider } from './registry.js';
export type { BuildProviderInput } from './registry.js';
export { TokenBucket } from './pacing.js';
