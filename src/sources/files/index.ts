export { FolderSource } from './source.js';
export type { FolderSourceOptions } from './source.js';
export { parseManifestText } from './manifests.js';
export type { ManifestObject, ParsedFile } from './manifests.js';
export { endpointsFromObjects } from './endpoints.js';
export { formatProblem } from './problems.js';
export type { ManifestProblem, ProblemReporter } from './problems.js';
