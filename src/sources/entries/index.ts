export { ManagementSource } from './source.js';
export type { ManagementSourceOptions } from './source.js';
export { ManagementWriter } from './writer.js';
export type { ConditionUpdate, EntryStatusUpdate, InvolvedObject, ManagementWriterOptions, ProviderStatusUpdate, StatusUpdate } from './writer.js';
export { buildView, PROVIDER_FINALIZER, ROUTE53_SECRET_KEYS } from './view.js';
export type { ManagedProvider, ManagementView, ProviderLifecycle, ResourceKindName, ResourceProblem } from './view.js';
export { ProviderSecret } from './secret.js';
export { ClientNodeManagementApi } from './api.js';
export type { ManagementApi, ManagementKind, ManagementScope, StatusKind } from './api.js';
