// Packing RRset changes into PATCH requests: at most `maxRRsets` RRsets and `maxBytes` of JSON
// per request, and never one RRset twice in one request (PowerDNS refuses a PATCH that names an
// RRset twice: 'Duplicate RRset ... with changetype').

import type { PdnsRRsetChange } from './wire.js';

export interface PatchLimits {
  /** RRsets per PATCH. */
  maxRRsets: number;
  /** Bytes of JSON per PATCH; PowerDNS's webserver-max-bodysize defaults to 2 MB. */
  maxBytes: number;
}

/** The RRset changes of one plan change (one, or none when nothing needs writing). */
export interface Unit {
  /** Position of the plan change this unit carries out. */
  index: number;
  rrsets: PdnsRRsetChange[];
  /** `name type` keys of the RRsets it writes. */
  keys: string[];
  bytes: number;
}

export function makeUnit(index: number, rrsets: PdnsRRsetChange[], keys: string[]): Unit {
  let bytes = 0;
  for (const r of rrsets) bytes += JSON.stringify(r).length + 1;
  return { index, rrsets, keys, bytes };
}

/** Greedy, in order: a new request starts when the next unit would cross a limit or repeat an RRset. */
export function packBatches(units: readonly Unit[], l: PatchLimits): Unit[][] {
  const batches: Unit[][] = [];
  let current: Unit[] = [];
  let rrsets = 0;
  let bytes = 0;
  let seen = new Set<string>();
  for (const u of units) {
    const repeats = u.keys.some((k) => seen.has(k));
    if (current.length > 0 && (repeats || rrsets + u.rrsets.length > l.maxRRsets || bytes + u.bytes > l.maxBytes)) {
      batches.push(current);
      current = [];
      rrsets = bytes = 0;
      seen = new Set();
    }
    current.push(u);
    rrsets += u.rrsets.length;
    bytes += u.bytes;
    for (const k of u.keys) seen.add(k);
  }
  if (current.length > 0) batches.push(current);
  return batches;
}
