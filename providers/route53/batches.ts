// Packing changes into ChangeResourceRecordSets requests within Route53's limits.

import type { Change } from '@aws-sdk/client-route-53';
import { wireCost } from './wire.js';

export interface BatchLimits {
  /** Change elements per request. */
  maxChanges: number;
  /** ResourceRecord elements per request (UPSERT counts twice). */
  maxRecords: number;
  /** Characters of Value elements per request (UPSERT counts twice). */
  maxChars: number;
}

export const ROUTE53_LIMITS: BatchLimits = { maxChanges: 1000, maxRecords: 1000, maxChars: 32_000 };

/**
 * The Route53 changes of one plan change: one for a create or delete, a DELETE of the old set
 * and a CREATE of the new one for an update. A unit is never split across requests.
 */
export interface Unit {
  /** Position of the plan change this unit carries out. */
  index: number;
  changes: Change[];
  records: number;
  chars: number;
}

export function makeUnit(index: number, changes: Change[]): Unit {
  let records = 0;
  let chars = 0;
  for (const c of changes) {
    if (c.ResourceRecordSet === undefined) continue;
    const factor = c.Action === 'UPSERT' ? 2 : 1;
    const cost = wireCost(c.ResourceRecordSet);
    records += cost.records * factor;
    chars += cost.chars * factor;
  }
  return { index, changes, records, chars };
}

export function fitsAlone(u: Unit, l: BatchLimits): boolean {
  return u.changes.length <= l.maxChanges && u.records <= l.maxRecords && u.chars <= l.maxChars;
}

/** Greedy, in order: a new request starts when the next unit would cross any limit. */
export function packBatches(units: readonly Unit[], l: BatchLimits): Unit[][] {
  const batches: Unit[][] = [];
  let current: Unit[] = [];
  let changes = 0;
  let records = 0;
  let chars = 0;
  for (const u of units) {
    if (
      current.length > 0 &&
      (changes + u.changes.length > l.maxChanges || records + u.records > l.maxRecords || chars + u.chars > l.maxChars)
    ) {
      batches.push(current);
      current = [];
      changes = records = chars = 0;
    }
    current.push(u);
    changes += u.changes.length;
    records += u.records;
    chars += u.chars;
  }
  if (current.length > 0) batches.push(current);
  return batches;
}
