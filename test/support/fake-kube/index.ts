// Public surface of the fake Kubernetes API server used by the watcher tests.
export { startFakeKube } from './server.js';
export type { FailMatch, FakeKube, FakeKubeOptions, FakeKubeRequest } from './server.js';
export { fakePki } from './certs.js';
export type { FakePki } from './certs.js';
