// Public surface of the Route53 simulator used by the provider tests and benchmarks.
export { startRoute53Sim } from './server.js';
export type { Route53Sim, Route53SimOptions, SimCall, SimFaults, SimOp, SimZone, SimZoneOptions } from './server.js';
export { normalizeSimName, MAX_RECORDS_PER_REQUEST, MAX_VALUE_CHARS_PER_REQUEST } from './records.js';
export type { SimAliasTarget, SimRecordSet } from './records.js';
