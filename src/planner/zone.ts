import { isInZone } from '../model/index.js';
import type { RecordSet, ZoneContent } from '../model/index.js';
import type { ZoneSettings } from './types.js';

/**
 * Static and planned records merged. Static records are the operator's explicit word, so
 * they win: a planned set is shadowed when a static set has the same name and type, and
 * every planned set is shadowed at a name holding a static CNAME (a CNAME owner has no
 * other data, RFC 1034 §3.6.2). Config validation rejects entries whose own name clashes;
 * this also covers names reached through wildcard entries.
 */
export function mergeRecords(
  staticRecords: readonly RecordSet[],
  planned: readonly RecordSet[],
): { records: RecordSet[]; shadowed: RecordSet[] } {
  // Index only the static names that planned sets use: a zone of 100,000 static names and a
  // handful of planned ones must not cost 100,000 index entries.
  const plannedNames = new Set(planned.map((r) => r.name));
  const staticTypes = new Map<string, Set<string>>();
  for (const r of staticRecords) {
    if (!plannedNames.has(r.name)) continue;
    const types = staticTypes.get(r.name) ?? new Set<string>();
    types.add(r.type);
    staticTypes.set(r.name, types);
  }
  const records: RecordSet[] = [...staticRecords];
  const shadowed: RecordSet[] = [];
  for (const r of planned) {
    const types = staticTypes.get(r.name);
    if (types && (types.has('CNAME') || types.has(r.type))) shadowed.push(r);
    else records.push(r);
  }
  return { records, shadowed };
}

/**
 * The content of one served zone. The serial is 0: whoever publishes the zone owns the
 * serial (the embedded zone store makes it grow on every change). Records outside the apex
 * are left out; placing records in the right zone is the caller's job.
 */
export function zoneContent(zone: ZoneSettings, staticRecords: readonly RecordSet[], planned: readonly RecordSet[]): ZoneContent {
  const { records } = mergeRecords(staticRecords, planned);
  return {
    apex: zone.apex,
    soa: { ...zone.soa, serial: 0 },
    ns: [...zone.ns],
    nsTtl: zone.nsTtl,
    // Record sets are shared, not copied: nothing downstream changes them, and a zone of
    // 100,000 names would otherwise be held twice.
    records: records.filter((r) => isInZone(r.name, zone.apex)),
  };
}
