export { planName, targetHostnames } from './name.js';
export type { NamePlan } from './name.js';
export { desiredRecords } from './desired.js';
export { zoneContent, mergeRecords } from './zone.js';
export { indexEntries, findEntry, projectMatches, claimRejection } from './entries.js';
export type { EntryIndex } from './entries.js';
export { canonicalAddress, compareAddresses, uniqueSortedAddresses } from './addresses.js';
export type { RejectedClaim, ResolvedAddresses, ResolvedHostnames, ZoneSettings } from './types.js';
