// The Cloudflare provider: zones by id, by name or listed; records read page by page; a plan
// applied as few /dns_records/batch requests as the batch limit allows, a refused batch
// bisected until every failing change stands alone.

import { normalizeName } from '../../src/model/index.js';
import type { Plan, RecordSet, RRType } from '../../src/model/index.js';
import { applyResult, planChanges, type ApplyResult, type ChangeResult, type DnsProvider, type PlanChange, type Zone } from '../provider.js';
import { CloudflareApi, CloudflareApiError, type CloudflareApiOptions } from './api.js';
import { mergeOps, operationsFor, packBatches, unitSize, type Unit } from './changes.js';
import { isProxiable, recordKey, toRecordSets, type CloudflareRecord } from './wire.js';

export interface CloudflareProviderOptions extends Omit<CloudflareApiOptions, 'name'> {
  /** Provider name in results and errors (default 'cloudflare'). */
  name?: string;
  /** Only these zones, by name (one GET /zones?name= each). */
  zones?: readonly string[];
  /** Only these zones, by id. */
  zoneIds?: readonly string[];
  /** Only zones at, below or above these domains. */
  domainFilters?: readonly string[];
  /** Proxy A/AAAA/CNAME records through Cloudflare (default false). */
  proxied?: boolean;
  /** Names proxied whatever `proxied` says ('*.example.org' matches every name below). */
  proxiedNames?: readonly string[];
  /** Names never proxied whatever `proxied` says. */
  unproxiedNames?: readonly string[];
  /** DNS records per list page (default 5,000; the API allows up to 5,000,000). */
  perPage?: number;
  /** Operations per batch request (default 200, the Free plan's limit; 3,500 on paid plans). */
  batchSize?: number;
}

function matchesDomain(zone: string, filters: readonly string[]): boolean {
  return filters.some((raw) => {
    const f = normalizeName(raw);
    return zone === f || zone.endsWith('.' + f) || f.endsWith('.' + zone);
  });
}

function matchesName(name: string, patterns: readonly string[]): boolean {
  return patterns.some((raw) => {
    const p = normalizeName(raw);
    return p.startsWith('*.') ? name.endsWith(p.slice(1)) : name === p;
  });
}

/** Deletes first (a name may change type), then updates, then creates. */
const SEND_ORDER: Record<PlanChange['action'], number> = { delete: 0, update: 1, create: 2 };

export class CloudflareProvider implements DnsProvider {
  readonly name: string;
  private readonly api: CloudflareApi;
  private readonly perPage: number;
  private readonly batchSize: number;

  constructor(private readonly o: CloudflareProviderOptions) {
    this.name = o.name ?? 'cloudflare';
    this.api = new CloudflareApi({ ...o, name: this.name });
    this.perPage = o.perPage ?? 5000;
    this.batchSize = o.batchSize ?? 200;
    if (!(Number.isInteger(this.perPage) && this.perPage >= 1)) throw new Error('perPage must be a positive integer');
    if (!(Number.isInteger(this.batchSize) && this.batchSize >= 1)) throw new Error('batchSize must be a positive integer');
  }

  /**
   * Whether records at `name` of `type` go through Cloudflare's proxy by the settings:
   * `unproxiedNames`, then `proxiedNames`, then `proxied`; never for TXT and other unproxiable types.
   */
  proxiedFor(name: string, type: RRType): boolean {
    if (!isProxiable(type)) return false;
    const n = normalizeName(name);
    if (matchesName(n, this.o.unproxiedNames ?? [])) return false;
    return this.o.proxied === true || matchesName(n, this.o.proxiedNames ?? []);
  }

  /** A set's own `proxied` (the entry's) when it states one, else the settings; never for unproxiable types. */
  proxiedOf(set: RecordSet): boolean {
    if (!isProxiable(set.type)) return false;
    return set.proxied ?? this.proxiedFor(set.name, set.type);
  }

  async zones(signal?: AbortSignal): Promise<Zone[]> {
    const found: Zone[] = [];
    if (this.o.zoneIds !== undefined) {
      for (const id of this.o.zoneIds) found.push(await this.api.getZone(id, signal));
    }
    if (this.o.zones !== undefined) {
      for (const raw of this.o.zones) {
        const name = normalizeName(raw);
        const page = await this.api.listZones(name, 1, 50, signal);
        const zone = page.items.find((z) => normalizeName(z.name) === name);
        if (!zone) throw new CloudflareApiError(`${this.name} ${this.api.baseUrl}: zone ${name} not found (not in the account, or the token may not read it)`, 'rejected', 200, []);
        found.push(zone);
      }
    }
    if (this.o.zoneIds === undefined && this.o.zones === undefined) {
      for (let page = 1, pages = 1; page <= pages; page++) {
        const p = await this.api.listZones(undefined, page, 50, signal);
        found.push(...p.items);
        pages = p.totalPages;
      }
    }
    const unique = new Map(found.map((z): [string, Zone] => [z.id, { id: z.id, name: normalizeName(z.name) }]));
    return [...unique.values()]
      .filter((z) => this.o.domainFilters === undefined || this.o.domainFilters.length === 0 || matchesDomain(z.name, this.o.domainFilters))
      .sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  }

  async records(zone: Zone, signal?: AbortSignal): Promise<RecordSet[]> {
    return toRecordSets(await this.listAll(zone, signal));
  }

  /** Every record of the zone, page by page (Cloudflare's own ids, one per value). */
  async listAll(zone: Zone, signal?: AbortSignal): Promise<CloudflareRecord[]> {
    const out: CloudflareRecord[] = [];
    for (let page = 1, pages = 1; page <= pages; page++) {
      const p = await this.api.listRecords(zone.id, page, this.perPage, signal);
      out.push(...p.items);
      pages = p.totalPages;
    }
    return out;
  }

  /**
   * Reads the zone once (record ids), turns each change into batch operations, and sends them
   * in batches of at most `batchSize` operations. A batch Cloudflare refuses on its merits is
   * split in halves until the failing changes stand alone; the others are applied. Once
   * `signal` aborts, the batch in flight is cancelled and the changes not applied fail with
   * `aborted: the controller stopped`.
   */
  async apply(zone: Zone, plan: Plan, signal?: AbortSignal): Promise<ApplyResult> {
    const changes = planChanges(plan);
    const results: ChangeResult[] = changes.map((change) => ({ change, ok: false }));
    if (changes.length === 0) return applyResult(results);
    let current: CloudflareRecord[];
    try {
      current = await this.listAll(zone, signal);
    } catch (e) {
      const error = `read ${zone.name} before applying: ${(e as Error).message}`;
      return applyResult(results.map((r) => ({ ...r, error })));
    }
    const byKey = new Map<string, CloudflareRecord[]>();
    for (const r of current) {
      const k = recordKey(r.name, r.type);
      byKey.set(k, [...(byKey.get(k) ?? []), r]);
    }
    const units: Unit[] = [];
    for (const [index, change] of changes.entries()) {
      const set = change.action === 'update' ? change.to : change.record;
      try {
        const ops = operationsFor(change, { current: byKey.get(recordKey(set.name, set.type)) ?? [], proxied: this.proxiedOf(set) });
        const size = unitSize(ops);
        if (size === 0) results[index] = { change, ok: true };
        else if (size > this.batchSize) throw new Error(`needs ${size} record operations, more than one batch may carry (${this.batchSize})`);
        else units.push({ index, ...ops });
      } catch (e) {
        results[index] = { change, ok: false, error: `${this.name}: ${(e as Error).message}` };
      }
    }
    units.sort((a, b) => SEND_ORDER[changes[a.index].action] - SEND_ORDER[changes[b.index].action] || a.index - b.index);
    for (const batch of packBatches(units, this.batchSize)) {
      // Stopped: the batches not sent stay failed, and the zone is read again next time.
      if (signal?.aborted) break;
      await this.submit(zone, batch, results, signal);
    }
    for (const r of results) if (!r.ok && r.error === undefined) r.error = 'aborted: the controller stopped';
    return applyResult(results);
  }

  private async submit(zone: Zone, batch: Unit[], results: ChangeResult[], signal?: AbortSignal): Promise<void> {
    try {
      await this.api.batch(zone.id, mergeOps(batch), signal);
      for (const u of batch) results[u.index] = { change: results[u.index].change, ok: true };
    } catch (e) {
      const err = e instanceof CloudflareApiError ? e : this.api.describe('POST dns_records/batch', e);
      if (err.kind === 'rejected' && batch.length > 1 && !signal?.aborted) {
        const half = Math.ceil(batch.length / 2);
        await this.submit(zone, batch.slice(0, half), results, signal);
        await this.submit(zone, batch.slice(half), results, signal);
        return;
      }
      // An unreadable answer leaves the batch's fate unknown: say so; the next read tells.
      const error = err.kind === 'garbage' ? `${err.message} (the batch may or may not have been applied; the next resync reads the zone again)` : err.message;
      for (const u of batch) results[u.index] = { change: results[u.index].change, ok: false, error };
    }
  }
}
