export { planName, targetHostnames } from './name.js';
export type { NamePlan, PlanNameOptions } from './name.js';
export { ALIAS_WEIGHT } from './name.js';
export { canonicalAliasTarget, isAliasSet } from './alias.js';
export type { AliasHostnames } from './alias.js';
export { desiredRecords } from './desired.js';
export { zoneContent, mergeRecords } from './zone.js';
export { indexEntries, findEntry, projectMatches, claimRejection } from './entries.js';
export type { EntryIndex } from './entries.js';
export { canonicalAddress, compareAddresses, uniqueSortedAddresses } from './addresses.js';
export type { RejectedClaim, ResolvedAddresses, ResolvedHostnames, ZoneSettings } from './types.js';
export {
  ADOPTABLE_TYPES,
  Registry,
  canonicalName,
  compareRecordSets,
  externalDnsRegistryNames,
  formatOwnership,
  ownedBy,
  ownershipName,
  ownershipRecord,
  ownershipRecords,
  parseOwnership,
  parseOwnershipName,
  recordSetKey,
  unquoteTxt,
} from './ownership.js';
export type { Ownership, OwnershipClaim, OwnershipHeritage, OwnershipOptions, ResourceOf } from './ownership.js';
export { plan, sameContent } from './plan.js';
export type { PlanConflict, PlanOptions, PlanResult } from './plan.js';
export { POLICIES, applyPolicy, createOnlyPolicy, syncPolicy, upsertOnlyPolicy } from './policy.js';
export type { Policy } from './policy.js';
