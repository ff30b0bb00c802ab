// Public surface of the Cloudflare v4 API simulator used by the provider tests and benchmarks.
export { startCloudflareSim } from './server.js';
export type { CloudflareSim, CfSimCall, CfSimFault, CfSimFaults, CfSimOp, CfSimOptions, SimZoneInfo } from './server.js';
export { txtStrings, fullName } from './records.js';
export type { SimRecord, SimRecordData, SimRecordInput } from './records.js';
