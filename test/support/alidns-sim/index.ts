export { startAlidnsSim, SIM_KEY } from './server.js';
export type { AlidnsSim, AlidnsSimCall, AlidnsSimFault, AlidnsSimFaults, AlidnsSimOptions, AlidnsAction } from './server.js';
export { SIM_EDITIONS, SIM_MAX_TTL } from './records.js';
export type { SimRecord, SimEdition } from './records.js';
