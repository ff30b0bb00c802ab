// A plan change as Cloudflare batch operations on the records of its (name, type): one record
// per value, so an update keeps the records whose value stays, moves removed records onto new
// values (PATCH, keeping their ids), and creates or deletes the rest.

import type { RecordSet } from '../../src/model/index.js';
import type { PlanChange } from '../provider.js';
import type { BatchOps } from './api.js';
import { toWire, valueOf, type CloudflareRecord, type CloudflareRecordBody } from './wire.js';

/** The batch operations of one plan change; never split across batches. */
export interface Unit extends BatchOps {
  /** Position of the plan change this unit carries out. */
  index: number;
}

export function unitSize(u: BatchOps): number {
  return u.deletes.length + u.patches.length + u.posts.length;
}

export interface ChangeContext {
  /** The records Cloudflare holds at the change's (name, type), as listed before the apply. */
  current: readonly CloudflareRecord[];
  /** Whether this set goes through Cloudflare's proxy (the set's own flag, else the settings; never for TXT). */
  proxied: boolean;
}

function sameSet(a: readonly string[], b: readonly string[]): boolean {
  const x = [...a].sort();
  const y = [...b].sort();
  return x.length === y.length && x.every((v, i) => v === y[i]);
}

function describeValues(records: readonly CloudflareRecord[]): string {
  return records.map((r) => JSON.stringify(valueOf(r) ?? r.content)).join(', ');
}

/** The fields of `want` a record differs in (TTL, proxied) besides its value. */
function settingsDiffer(r: CloudflareRecord, want: CloudflareRecordBody): boolean {
  return r.ttl !== want.ttl || (want.proxied !== undefined && (r.proxied ?? false) !== want.proxied);
}

/**
 * Operations that turn `current` into one record per value of `to`. Unchanged records are
 * left alone (a proxied record's TTL is always automatic, so a TTL-only change of a proxied
 * set costs nothing).
 */
function converge(current: readonly CloudflareRecord[], to: RecordSet, proxied: boolean): BatchOps {
  const ops: BatchOps = { deletes: [], patches: [], posts: [] };
  const wanted = new Map(to.values.map((v) => [v, toWire(to, v, proxied)]));
  const spare: CloudflareRecord[] = [];
  for (const r of current) {
    const v = valueOf(r);
    const want = v === undefined ? undefined : wanted.get(v);
    if (want === undefined) {
      spare.push(r);
      continue;
    }
    wanted.delete(v as string);
    if (settingsDiffer(r, want)) ops.patches.push({ id: r.id, ttl: want.ttl, ...(want.proxied === undefined ? {} : { proxied: want.proxied }) });
  }
  for (const want of wanted.values()) {
    const reuse = spare.shift();
    if (reuse) ops.patches.push({ id: reuse.id, ...want });
    else ops.posts.push(want);
  }
  for (const r of spare) ops.deletes.push({ id: r.id });
  return ops;
}

/** Throws when the change cannot be carried out safely (the set is not what the plan thinks). */
export function operationsFor(change: PlanChange, ctx: ChangeContext): BatchOps {
  const { current, proxied } = ctx;
  const values = current.map((r) => valueOf(r) ?? '');
  switch (change.action) {
    case 'create': {
      if (current.length === 0) return converge([], change.record, proxied);
      // Already there as asked (a retried apply): nothing to do. Anything else is not ours to overwrite.
      if (sameSet(values, change.record.values)) return converge(current, change.record, proxied);
      throw new Error(`${change.record.name} ${change.record.type} already exists with ${describeValues(current)}`);
    }
    case 'update':
      if (!sameSet(values, change.from.values)) {
        throw new Error(`${change.from.name} ${change.from.type} changed since it was read: holds ${describeValues(current) || 'nothing'}, expected ${change.from.values.map((v) => JSON.stringify(v)).join(', ')}`);
      }
      return converge(current, change.to, proxied);
    case 'delete': {
      // Only the values the plan names: a value someone added since stays.
      const gone = new Set(change.record.values);
      return { deletes: current.filter((r) => gone.has(valueOf(r) ?? '')).map((r) => ({ id: r.id })), patches: [], posts: [] };
    }
  }
}

/** Greedy, in order: a new batch starts when the next unit would pass `max` operations. */
export function packBatches(units: readonly Unit[], max: number): Unit[][] {
  const batches: Unit[][] = [];
  let current: Unit[] = [];
  let size = 0;
  for (const u of units) {
    const n = unitSize(u);
    if (current.length > 0 && size + n > max) {
      batches.push(current);
      current = [];
      size = 0;
    }
    current.push(u);
    size += n;
  }
  if (current.length > 0) batches.push(current);
  return batches;
}

export function mergeOps(units: readonly Unit[]): BatchOps {
  return {
    deletes: units.flatMap((u) => u.deletes),
    patches: units.flatMap((u) => u.patches),
    posts: units.flatMap((u) => u.posts),
  };
}
