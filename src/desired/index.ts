export { DesiredState } from './stage.js';
export type { DesiredStateOptions, EndpointSource, HostnameAddresses, NameState, StageLogger } from './stage.js';
