import { normalizeName } from '../../src/model/index.js';
import type { Plan, RecordSet } from '../../src/model/index.js';
import { applyResult, planChanges, type ApplyResult, type ChangeResult, type DnsProvider, type PlanChange, type ProviderCallObserver, type Zone } from '../provider.js';
import type { Clock, Random } from '../../src/kernel/index.js';
import { TokenBucket } from '../pacing.js';
import { makeUnit, packBatches, type PatchLimits, type Unit } from './batches.js';
import { PdnsClient, PowerDnsApiError } from './client.js';
import { deleteOf, fromPdns, fromPdnsContent, replaceOf, rrsetKey, toPdnsContent, type PdnsRecord, type PdnsRRset, type PdnsRRsetChange } from './wire.js';

export interface PowerDnsProviderOptions {
  /** Base URL of the PowerDNS webserver (default http://127.0.0.1:8081). */
  url?: string;
  /** The API key (X-API-Key). Never logged, never in an error. */
  apiKey: string;
  /** PowerDNS server id in the API's paths (default 'localhost', the only one it has). */
  serverId?: string;
  /** Only these zones (names); each must exist, or zones() says which does not. */
  zones?: readonly string[];
  /** Only zones at, below or above these domains. */
  domainFilters?: readonly string[];
  /** Per request (default 30 s: a PATCH of 1,000 RRsets on a busy database takes a while). */
  timeoutMs?: number;
  /** RRsets per PATCH (default 1000). */
  batchSize?: number;
  /** JSON bytes per PATCH (default 1 MB, half of PowerDNS's default webserver-max-bodysize). */
  maxBodyBytes?: number;
  /** Requests a second; unlimited when absent (a self-hosted server sets no quota). */
  rateLimitPerSecond?: number;
  rateLimiter?: TokenBucket;
  /** Tries per request, the first included (default 4). */
  maxAttempts?: number;
  /** Backoff: first retry waits 50–100% of this (default 200 ms), doubling up to maxDelayMs (5 s). */
  baseDelayMs?: number;
  maxDelayMs?: number;
  clock?: Clock;
  random?: Random;
  observe?: ProviderCallObserver;
  /** Provider name in results and messages (default 'powerdns'). */
  name?: string;
}

/** Secondary zones are written by their primary; the API would accept the PATCH and the next transfer would undo it. */
const READ_ONLY_KINDS = new Set(['slave', 'secondary', 'consumer']);

/** Deletes first (a name may change type: the old CNAME must go before the A arrives), then updates, then creates. */
const SEND_ORDER: Record<PlanChange['action'], number> = { delete: 0, update: 1, create: 2 };

/** 'RRset x.example.org. IN CNAME: ...' or "Record x.example.org./A '...': ...": the RRset PowerDNS blames. */
const BLAMED_RRSET = /(?:RRset|Record) (\S+?)\.?(?: IN |\/)([A-Za-z0-9]+)/;

function matchesDomain(zone: string, filters: readonly string[]): boolean {
  return filters.some((raw) => {
    const f = normalizeName(raw);
    return zone === f || zone.endsWith('.' + f) || f.endsWith('.' + zone);
  });
}

/** Values as they come back from PowerDNS, sorted: how two record sets are compared. */
function canonicalValues(r: RecordSet): string[] {
  return r.values.map((v) => fromPdnsContent(r.type, toPdnsContent(r.type, v))).sort();
}

function enabledOf(cur: PdnsRRset | undefined): RecordSet | undefined {
  return cur === undefined ? undefined : fromPdns(cur);
}

function sameSet(a: RecordSet, b: RecordSet): boolean {
  const va = canonicalValues(a);
  const vb = canonicalValues(b);
  return a.ttl === b.ttl && va.length === vb.length && va.every((v, i) => v === vb[i]);
}

function show(r: RecordSet): string {
  return `ttl ${r.ttl} [${r.values.join(', ')}]`;
}

/** What one plan change sends, given the zone as read just before: RRset changes, nothing, or a refusal. */
type Decision = { send: PdnsRRsetChange[] } | { done: true } | { refuse: string };

export class PowerDnsProvider implements DnsProvider {
  readonly name: string;
  private readonly client: PdnsClient;
  private readonly limits: PatchLimits;

  constructor(private readonly o: PowerDnsProviderOptions) {
    this.name = o.name ?? 'powerdns';
    if (o.apiKey === '') throw new Error(`${this.name}: the API key is empty`);
    const bucket = o.rateLimiter ?? (o.rateLimitPerSecond === undefined ? undefined : new TokenBucket(o.rateLimitPerSecond, 1, o.clock));
    this.client = new PdnsClient({
      url: o.url ?? 'http://127.0.0.1:8081',
      apiKey: o.apiKey,
      serverId: o.serverId ?? 'localhost',
      providerName: this.name,
      timeoutMs: o.timeoutMs ?? 30_000,
      maxAttempts: o.maxAttempts ?? 4,
      baseDelayMs: o.baseDelayMs ?? 200,
      maxDelayMs: o.maxDelayMs ?? 5000,
      bucket,
      clock: o.clock,
      random: o.random,
      observe: o.observe,
    });
    this.limits = { maxRRsets: o.batchSize ?? 1000, maxBytes: o.maxBodyBytes ?? 1_000_000 };
    if (!(this.limits.maxRRsets >= 2)) throw new Error('batchSize must be at least 2 (an update may write two RRsets)');
  }

  async zones(signal?: AbortSignal): Promise<Zone[]> {
    let listed;
    try {
      listed = await this.client.listZones(signal);
    } catch (e) {
      if (e instanceof PowerDnsApiError && e.kind === 'not-found') {
        throw new PowerDnsApiError(`${this.client.label}: list zones: no such server id (HTTP 404); the API's server id is usually 'localhost'`, e.kind, e.status, e.detail);
      }
      throw e;
    }
    const all = listed.map((z) => ({ id: z.id, name: normalizeName(z.name), kind: z.kind }));
    const writable = all.filter((z) => !READ_ONLY_KINDS.has(z.kind.toLowerCase()));
    let chosen = writable;
    if (this.o.zones !== undefined && this.o.zones.length > 0) {
      const wanted = new Set(this.o.zones.map(normalizeName));
      chosen = writable.filter((z) => wanted.has(z.name));
      const missing = [...wanted].filter((n) => !chosen.some((z) => z.name === n));
      if (missing.length > 0) {
        const why = missing.map((n) => (all.some((z) => z.name === n) ? `${n} (a secondary zone: not writable through the API)` : `${n} (no such zone)`));
        throw new Error(`${this.client.label}: configured zones not available: ${why.join(', ')}`);
      }
    }
    const filters = this.o.domainFilters ?? [];
    if (filters.length > 0) chosen = chosen.filter((z) => matchesDomain(z.name, filters));
    return chosen.map((z): Zone => ({ id: z.id, name: z.name })).sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  }

  /** Every record set of the zone that globaldns models: enabled records only, SOA and exotic types left out. */
  async records(zone: Zone, signal?: AbortSignal): Promise<RecordSet[]> {
    const out: RecordSet[] = [];
    for (const r of await this.readZone(zone, signal)) {
      const rs = fromPdns(r);
      if (rs) out.push(rs);
    }
    return out;
  }

  /**
   * Reads the zone once, checks every change against it (a set someone else changed since the
   * plan was made is refused, not overwritten), then sends PATCHes of up to `batchSize` RRsets.
   * A PATCH is atomic: one rejected RRset fails all of it, so a rejected PATCH is split — the
   * RRset PowerDNS names is taken out, or the batch is halved when it names none — until every
   * bad change stands alone and the others are applied.
   */
  async apply(zone: Zone, plan: Plan, signal?: AbortSignal): Promise<ApplyResult> {
    const changes = planChanges(plan);
    const results: ChangeResult[] = changes.map((change) => ({ change, ok: false }));
    if (changes.length === 0) return applyResult(results);
    let current: Map<string, PdnsRRset>;
    try {
      current = new Map((await this.readZone(zone, signal)).map((r) => [rrsetKey(r.name, r.type), r]));
    } catch (e) {
      const error = e instanceof Error ? e.message : String(e);
      return applyResult(results.map((r) => ({ ...r, error })));
    }
    const units: Unit[] = [];
    for (const [index, change] of changes.entries()) {
      let decision: Decision;
      try {
        decision = this.decide(change, current);
      } catch (e) {
        decision = { refuse: e instanceof Error ? e.message : String(e) };
      }
      if ('refuse' in decision) results[index].error = `${this.client.label}: ${decision.refuse}`;
      else if ('done' in decision) results[index].ok = true;
      else units.push(makeUnit(index, decision.send, decision.send.map((r) => rrsetKey(r.name, r.type))));
    }
    units.sort((a, b) => SEND_ORDER[changes[a.index].action] - SEND_ORDER[changes[b.index].action] || a.index - b.index);
    for (const batch of packBatches(units, this.limits)) {
      // Stopped: the batches not sent stay failed, and the zone is read again next time.
      if (signal?.aborted) break;
      await this.submit(zone, batch, results, signal);
    }
    for (const r of results) if (!r.ok && r.error === undefined) r.error = 'aborted: the controller stopped';
    return applyResult(results);
  }

  private decide(change: PlanChange, current: Map<string, PdnsRRset>): Decision {
    const target = change.action === 'update' ? change.to : change.record;
    const raw = current.get(rrsetKey(target.name, target.type));
    const now = enabledOf(raw);
    /** Disabled records someone parked in the RRset: PowerDNS does not serve them, REPLACE must not drop them. */
    const parked = (except: PdnsRecord[]): PdnsRecord[] => (raw?.records ?? []).filter((r) => r.disabled && !except.some((e) => e.content === r.content));
    const replaceKeepingParked = (r: RecordSet): PdnsRRsetChange => {
      const fresh = replaceOf(r);
      return { ...fresh, records: [...fresh.records, ...parked(fresh.records)] };
    };
    const what = `${change.action} ${target.name} ${target.type}`;
    switch (change.action) {
      case 'create': {
        if (now !== undefined) {
          if (sameSet(now, change.record)) return { done: true };
          return { refuse: `${what}: already exists with other records (${show(now)}), written by someone else; not overwritten` };
        }
        return { send: [replaceKeepingParked(change.record)] };
      }
      case 'update': {
        if (change.from.name !== change.to.name || change.from.type !== change.to.type) {
          const fromKey = rrsetKey(change.from.name, change.from.type);
          throw new Error(`${what}: an update must keep its name and type (from ${fromKey})`);
        }
        if (now === undefined) return { refuse: `${what}: the record set is gone (deleted by someone else since it was read); not recreated` };
        if (!sameSet(now, change.from)) {
          return { refuse: `${what}: changed by someone else since it was read (now ${show(now)}, expected ${show(change.from)}); not overwritten` };
        }
        return { send: [replaceKeepingParked(change.to)] };
      }
      case 'delete': {
        if (now === undefined) return { done: true };
        if (!sameSet(now, change.record)) {
          return { refuse: `${what}: changed by someone else since it was read (now ${show(now)}, expected ${show(change.record)}); not deleted` };
        }
        const keep = parked([]);
        if (keep.length === 0) return { send: [deleteOf(change.record)] };
        return { send: [{ ...replaceOf(change.record), ttl: raw?.ttl ?? change.record.ttl, records: keep }] };
      }
    }
  }

  private async submit(zone: Zone, batch: Unit[], results: ChangeResult[], signal?: AbortSignal): Promise<void> {
    try {
      await this.client.patchZone(zone.id, zone.name, batch.flatMap((u) => u.rrsets), signal);
      for (const u of batch) results[u.index] = { change: results[u.index].change, ok: true };
    } catch (e) {
      const error = e instanceof Error ? e.message : String(e);
      const rejected = e instanceof PowerDnsApiError && e.kind === 'rejected';
      if (rejected && batch.length > 1 && !signal?.aborted) {
        const blamed = this.blamed(e.detail, batch);
        if (blamed !== undefined) {
          results[blamed.index] = { change: results[blamed.index].change, ok: false, error };
          await this.submit(zone, batch.filter((u) => u !== blamed), results, signal);
          return;
        }
        const half = Math.ceil(batch.length / 2);
        await this.submit(zone, batch.slice(0, half), results, signal);
        await this.submit(zone, batch.slice(half), results, signal);
        return;
      }
      for (const u of batch) results[u.index] = { change: results[u.index].change, ok: false, error };
    }
  }

  /** The one unit of the batch writing the RRset PowerDNS's error names, if exactly one does. */
  private blamed(detail: string, batch: Unit[]): Unit | undefined {
    const m = BLAMED_RRSET.exec(detail);
    if (!m) return undefined;
    const key = rrsetKey(m[1], m[2]);
    const hits = batch.filter((u) => u.keys.includes(key));
    return hits.length === 1 ? hits[0] : undefined;
  }

  private async readZone(zone: Zone, signal?: AbortSignal): Promise<PdnsRRset[]> {
    try {
      return await this.client.getZone(zone.id, zone.name, signal);
    } catch (e) {
      if (e instanceof PowerDnsApiError && e.kind === 'not-found') {
        throw new PowerDnsApiError(`${this.client.label}: zone ${zone.name} (id ${zone.id}) does not exist on the server (HTTP 404)`, e.kind, e.status, e.detail);
      }
      throw e;
    }
  }
}
