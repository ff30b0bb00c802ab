export { buildApp } from './app.js';
export type { App, AppOptions } from './app.js';
export { DEFAULT_ADMIN_LISTEN } from './admin.js';
export type { AdminListen } from './admin.js';
export { FatalError } from './errors.js';
export { planReport } from './plan.js';
export { fileProblems, resourceProblems } from './validate.js';
