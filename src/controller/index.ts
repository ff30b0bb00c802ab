export { Controller } from './controller.js';
export type { ControllerLogger, ControllerOptions, ZoneSink } from './controller.js';
export { HostnameResolver, systemLookup } from './resolver.js';
export type { HostnameResolverOptions, LookupFn } from './resolver.js';
export { ExternalController } from './external.js';
export type { EntrySyncStatus, ExternalControllerOptions, ProviderBinding } from './external.js';
export * from './leader/index.js';
export { ManagementRuntime } from './management.js';
export type { Leadership, ManagementRuntimeOptions } from './management.js';
