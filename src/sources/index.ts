export { EndpointStore } from './store.js';
export type { ChangeListener } from './store.js';
export {
  extractEndpoint,
  namespaceProject,
  describeObject,
  HOSTNAME_ANNOTATION,
  RANCHER_HOSTNAME_ANNOTATION,
  TTL_ANNOTATION,
  PROJECT_KEY,
} from './extract.js';
export type { ExtractContext, Extraction } from './extract.js';
export * from './files/index.js';
