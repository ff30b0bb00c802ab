export { DesiredState } from './stage.js';
export type { DesiredStateOptions, EndpointSource, HostnameAddresses, NameState } from './stage.js';
