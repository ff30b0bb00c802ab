export { Controller } from './controller.js';
export type { ControllerOptions, ZoneSink } from './controller.js';
export { ExternalController } from './external.js';
export type { EntrySyncStatus, ExternalControllerOptions, ProviderBinding, ProviderSyncState } from './external.js';
export * from './leader/index.js';
export { ManagementRuntime } from './management.js';
export type { Leadership, ManagementRuntimeOptions } from './management.js';
export { yamlBindings, yamlProvider, yamlProviderProblems, yamlSecrets, managedProvider, secretEnvName, ROUTE53_ENDPOINT_ENV, STS_ENDPOINT_ENV } from './bindings.js';
