export { LeaderElector, NotLeaderError } from './elector.js';
export type { LeaderElectorOptions, LeadershipFence, StopOptions } from './elector.js';
export { kubeLeaseApi, LeaseConflictError } from './lease-api.js';
export type { Lease, LeaseApi, LeaseSpec } from './lease-api.js';
export { MemoryLeaseApi } from './memory-lease-api.js';
export type { MemoryLeaseCall } from './memory-lease-api.js';
