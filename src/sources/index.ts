export { EndpointStore } from './store.js';
export type { ChangeListener } from './store.js';
export { StoreSnapshot, STORE_SNAPSHOT_FILE, parseSnapshot } from './store-snapshot.js';
export type { StoreSnapshotOptions } from './store-snapshot.js';
export { extractEndpoint, namespaceProject, describeObject, HOSTNAME_ANNOTATION, RANCHER_HOSTNAME_ANNOTATION, TTL_ANNOTATION, PROJECT_KEY, EXTERNAL_DNS_HOSTNAME_ANNOTATIONS } from './extract.js';
export type { ExtractContext, Extraction, HostnameSourceOptions } from './extract.js';
export * from './files/index.js';
export * from './kubernetes/index.js';
export * from './entries/index.js';
