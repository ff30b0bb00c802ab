import { z } from 'zod';
import { normalizeName } from '../../src/model/index.js';
import type { Plan, RecordSet } from '../../src/model/index.js';
import type { Clock, Random } from '../../src/kernel/index.js';
import { TokenBucket } from '../pacing.js';
import { applyResult, planChanges, type ApplyResult, type ChangeResult, type DnsProvider, type PlanChange, type ProviderCallObserver, type Zone } from '../provider.js';
import { AlidnsApiError, AlidnsClient, ALIDNS_DEFAULT_ENDPOINT } from './client.js';
import { ALIDNS_MIN_TTL, ttlProblem, type AlidnsEdition } from './editions.js';
import { DEFAULT_LINE, groupRecords, isOurs, setKey, toRR, toWireValue, wireKey, type AlidnsRecord, type WireValue } from './wire.js';

export interface AlidnsProviderOptions {
  accessKeyId: string;
  accessKeySecret: string;
  /** Default https://alidns.aliyuncs.com (a simulator's url in tests). */
  endpoint?: string;
  /** Sent as RegionId when set. */
  regionId?: string;
  /** Only these domains (names); all of the account's when absent. */
  zones?: readonly string[];
  /** Only domains at, below or above these names. */
  domainFilters?: readonly string[];
  /** Decides the smallest TTL accepted (default 'free': 600 s). */
  edition?: AlidnsEdition;
  /** Requests a second for the account, reads included (default 60, Alidns's per-action write quota). */
  rateLimitPerSecond?: number;
  /** A bucket shared by every provider of one account; overrides rateLimitPerSecond. */
  rateLimiter?: TokenBucket;
  /** Record calls in flight at once within one apply (default 4); the bucket still paces them. */
  concurrency?: number;
  /** Tries per request, the first included (default 6). */
  maxAttempts?: number;
  /** First retry waits 50–100% of this (default 200 ms), doubling up to maxDelayMs (default 5 s). */
  baseDelayMs?: number;
  maxDelayMs?: number;
  /** Per request (default 30 s). */
  timeoutMs?: number;
  clock?: Clock;
  random?: Random;
  nonce?: () => string;
  observe?: ProviderCallObserver;
  /** Provider name in results and errors (default 'alidns'). */
  name?: string;
}

const domainsReply = z.object({
  TotalCount: z.number(),
  Domains: z.object({ Domain: z.array(z.object({ DomainId: z.string(), DomainName: z.string() })) }),
});

const recordShape = z.object({
  RecordId: z.string(),
  RR: z.string(),
  Type: z.string(),
  Value: z.string(),
  TTL: z.number(),
  Line: z.string(),
  Status: z.string().optional(),
  Locked: z.boolean().optional(),
  Priority: z.number().optional(),
});

const recordsReply = z.object({
  TotalCount: z.number(),
  DomainRecords: z.object({ Record: z.array(recordShape) }),
});

const recordIdReply = z.object({ RecordId: z.string() });

/** DescribeDomainRecords' largest page. */
const RECORDS_PAGE = 500;
/** DescribeDomains' largest page. */
const DOMAINS_PAGE = 100;
/** A reply whose TotalCount never comes within reach stops here (10^6 records). */
const MAX_PAGES = 2000;

/** Deletes first (a name may change type), then updates, then creates. */
const SEND_ORDER: readonly PlanChange['action'][] = ['delete', 'update', 'create'];

function matchesDomain(zone: string, filters: readonly string[]): boolean {
  return filters.some((raw) => {
    const f = normalizeName(raw);
    return zone === f || zone.endsWith('.' + f) || f.endsWith('.' + zone);
  });
}

/** Runs `f` over `items` with at most `limit` at once. */
async function eachLimit<T>(items: readonly T[], limit: number, f: (item: T) => Promise<void>): Promise<void> {
  let next = 0;
  const worker = async () => {
    while (next < items.length) await f(items[next++]);
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
}

/** What one zone's records looked like when last read, updated by our own writes. */
interface ZoneKnowledge {
  sets: Map<string, AlidnsRecord[]>;
  /** Sets whose ids are unsure after a failed write: looked up again before the next one. */
  unsure: Set<string>;
}

/** A failed zones()/records(); `code` is Alidns's (SignatureDoesNotMatch, Throttling.User, ...). */
export class AlidnsProviderError extends Error {
  override readonly name = 'AlidnsProviderError';
  constructor(
    message: string,
    readonly code: string,
    cause: unknown,
  ) {
    super(message, { cause });
  }
}

export class AlidnsProvider implements DnsProvider {
  readonly name: string;
  readonly edition: AlidnsEdition;
  private readonly client: AlidnsClient;
  private readonly concurrency: number;
  private readonly known = new Map<string, ZoneKnowledge>();

  constructor(private readonly o: AlidnsProviderOptions) {
    this.name = o.name ?? 'alidns';
    this.edition = o.edition ?? 'free';
    if (!(this.edition in ALIDNS_MIN_TTL)) throw new Error(`edition must be one of ${Object.keys(ALIDNS_MIN_TTL).join(', ')}`);
    if (!o.accessKeyId) throw new Error('alidns: access-key-id is empty');
    if (!o.accessKeySecret) throw new Error('alidns: access-key-secret is empty');
    this.concurrency = o.concurrency ?? 4;
    if (!(this.concurrency >= 1)) throw new Error('concurrency must be at least 1');
    this.client = new AlidnsClient({
      endpoint: o.endpoint ?? ALIDNS_DEFAULT_ENDPOINT,
      accessKeyId: o.accessKeyId,
      accessKeySecret: o.accessKeySecret,
      regionId: o.regionId,
      bucket: o.rateLimiter ?? new TokenBucket(o.rateLimitPerSecond ?? 60, 1, o.clock),
      maxAttempts: o.maxAttempts ?? 6,
      baseDelayMs: o.baseDelayMs ?? 200,
      maxDelayMs: o.maxDelayMs ?? 5000,
      timeoutMs: o.timeoutMs ?? 30_000,
      clock: o.clock,
      random: o.random,
      nonce: o.nonce,
      observe: o.observe,
      providerName: o.name ?? 'alidns',
    });
  }

  async zones(signal?: AbortSignal): Promise<Zone[]> {
    const found: Zone[] = [];
    for (let page = 1; page <= MAX_PAGES; page++) {
      const reply = await this.read(`list domains (page ${page})`, 'DescribeDomains', { PageNumber: String(page), PageSize: String(DOMAINS_PAGE) }, domainsReply, signal);
      const domains = reply.Domains.Domain;
      found.push(...domains.map((d): Zone => ({ id: d.DomainId, name: normalizeName(d.DomainName) })));
      if (domains.length === 0 || found.length >= reply.TotalCount) break;
    }
    const wanted = this.o.zones?.map(normalizeName);
    return found
      .filter((z) => wanted === undefined || wanted.length === 0 || wanted.includes(z.name))
      .filter((z) => this.o.domainFilters === undefined || this.o.domainFilters.length === 0 || matchesDomain(z.name, this.o.domainFilters))
      .sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  }

  /** Every record set of the domain on the default line, enabled, of a type the model knows. */
  async records(zone: Zone, signal?: AbortSignal): Promise<RecordSet[]> {
    const listed = await this.list(zone, {}, signal);
    const { sets, ids } = groupRecords(listed, zone.name);
    this.known.set(zone.name, { sets: ids, unsure: new Set() });
    return sets;
  }

  /**
   * One call per record (Alidns has no batch write). Each change gets its own result; a change
   * whose TTL the edition refuses fails before any call, and the others still apply. Once
   * `signal` aborts, the calls in flight are cancelled and the changes not applied fail with
   * `aborted: the controller stopped`.
   */
  async apply(zone: Zone, plan: Plan, signal?: AbortSignal): Promise<ApplyResult> {
    const changes = planChanges(plan);
    const results: ChangeResult[] = changes.map((change) => ({ change, ok: false }));
    if (!this.known.has(zone.name) && changes.some((c) => c.action !== 'create')) {
      // Updates and deletes need record ids: one read of the zone (500 records a call) costs
      // less than a lookup per set.
      await this.records(zone, signal).catch(() => {
        // Each set is then looked up on its own, and a failure is reported on its change.
      });
    }
    for (const action of SEND_ORDER) {
      const indices = changes.flatMap((c, i) => (c.action === action ? [i] : []));
      await eachLimit(indices, this.concurrency, async (i) => {
        const error = await this.applyOne(zone, changes[i], signal).catch((e: unknown) => (e instanceof Error ? e.message : String(e)));
        results[i] = error === undefined ? { change: changes[i], ok: true } : { change: changes[i], ok: false, error };
      });
    }
    return applyResult(results);
  }

  /** undefined when applied, else why not. */
  private async applyOne(zone: Zone, c: PlanChange, signal: AbortSignal | undefined): Promise<string | undefined> {
    if (signal?.aborted) return 'aborted: the controller stopped';
    const target = c.action === 'update' ? c.to : c.record;
    if (c.action !== 'delete') {
      const problem = ttlProblem(target.ttl, this.edition);
      if (problem) return problem;
    }
    const rr = toRR(target.name, zone.name);
    const values = target.values.map((v) => toWireValue(target.type, v));
    switch (c.action) {
      case 'create':
        return this.create(zone, rr, c.record, values, signal);
      case 'delete':
        return this.remove(zone, rr, c.record, values, signal);
      case 'update':
        return this.update(zone, rr, c.from, c.to, values, signal);
    }
  }

  private async create(zone: Zone, rr: string, set: RecordSet, values: WireValue[], signal: AbortSignal | undefined): Promise<string | undefined> {
    const prior = this.peek(zone, set);
    const added: AlidnsRecord[] = [];
    for (const v of values) {
      try {
        added.push(await this.add(zone, rr, set.type, set.ttl, v, signal));
      } catch (e) {
        // All values or none: take back what this change added, so a half set is never left
        // behind (not once stopped: the next read shows what was left).
        const undone = await this.undo(zone, added, signal);
        this.forget(zone, set);
        return `AddDomainRecord ${rr} ${set.type} ${v.Value}: ${this.words(e)}${added.length ? ` (${undone} of ${added.length} values added before it taken back)` : ''}`;
      }
    }
    if (prior !== undefined) this.remember(zone, set, [...prior, ...added]);
    return undefined;
  }

  private async remove(zone: Zone, rr: string, set: RecordSet, values: WireValue[], signal: AbortSignal | undefined): Promise<string | undefined> {
    const existing = await this.current(zone, rr, set, signal);
    const planned = new Set(values.map(wireKey));
    // Only the values the plan read: a value someone added since is not ours to take.
    const doomed = existing.filter((r) => planned.has(wireKey(r)));
    const left = existing.filter((r) => !planned.has(wireKey(r)));
    for (const [n, r] of doomed.entries()) {
      try {
        await this.client.call('DeleteDomainRecord', { RecordId: r.RecordId }, recordIdReply, signal);
      } catch (e) {
        this.forget(zone, set);
        return `DeleteDomainRecord ${rr} ${set.type} ${r.Value} (${r.RecordId}): ${this.words(e)}${n > 0 ? ` (${n} of ${doomed.length} values deleted before it)` : ''}`;
      }
    }
    this.remember(zone, set, left);
    return undefined;
  }

  /**
   * Values diffed: a value that stays is left alone (or only its TTL updated); a value that goes
   * is rewritten in place into one that comes (UpdateDomainRecord) while both remain; the rest
   * are added or deleted. Adds before deletes, so the name never answers nothing.
   */
  private async update(zone: Zone, rr: string, from: RecordSet, to: RecordSet, values: WireValue[], signal: AbortSignal | undefined): Promise<string | undefined> {
    const existing = await this.current(zone, rr, from, signal);
    const wanted = new Map(values.map((v) => [wireKey(v), v]));
    const readBefore = new Set(from.values.map((v) => wireKey(toWireValue(from.type, v))));
    const kept = existing.filter((r) => wanted.has(wireKey(r)));
    const going = existing.filter((r) => !wanted.has(wireKey(r)) && readBefore.has(wireKey(r)));
    const others = existing.filter((r) => !wanted.has(wireKey(r)) && !readBefore.has(wireKey(r)));
    const have = new Set(kept.map(wireKey));
    const coming = [...wanted.values()].filter((v) => !have.has(wireKey(v)));

    const after: AlidnsRecord[] = [...others];
    const steps: { what: string; run: () => Promise<void> }[] = [];
    const rewrite = (r: AlidnsRecord, v: WireValue) =>
      steps.push({
        what: `UpdateDomainRecord ${rr} ${to.type} ${r.Value} → ${v.Value} (${r.RecordId})`,
        run: async () => {
          const params: Record<string, string> = { RecordId: r.RecordId, RR: rr, Type: to.type, Value: v.Value, TTL: String(to.ttl), Line: DEFAULT_LINE };
          if (v.Priority !== undefined) params.Priority = String(v.Priority);
          await this.client.call('UpdateDomainRecord', params, recordIdReply, signal);
          after.push({ ...r, RR: rr, Type: to.type, Value: v.Value, Priority: v.Priority, TTL: to.ttl });
        },
      });
    for (const r of kept) {
      if (r.TTL !== to.ttl) rewrite(r, { Value: r.Value, Priority: r.Priority });
      else after.push(r);
    }
    const pairs = Math.min(going.length, coming.length);
    for (let i = 0; i < pairs; i++) rewrite(going[i], coming[i]);
    for (const v of coming.slice(pairs)) {
      steps.push({ what: `AddDomainRecord ${rr} ${to.type} ${v.Value}`, run: async () => void after.push(await this.add(zone, rr, to.type, to.ttl, v, signal)) });
    }
    for (const r of going.slice(pairs)) {
      steps.push({
        what: `DeleteDomainRecord ${rr} ${to.type} ${r.Value} (${r.RecordId})`,
        run: async () => void (await this.client.call('DeleteDomainRecord', { RecordId: r.RecordId }, recordIdReply, signal)),
      });
    }
    for (const [n, step] of steps.entries()) {
      try {
        await step.run();
      } catch (e) {
        this.forget(zone, from);
        return `${step.what}: ${this.words(e)}${n > 0 ? ` (${n} of ${steps.length} calls of this update applied before it)` : ''}`;
      }
    }
    this.remember(zone, to, after);
    return undefined;
  }

  private async add(zone: Zone, rr: string, type: string, ttl: number, v: WireValue, signal: AbortSignal | undefined): Promise<AlidnsRecord> {
    const params: Record<string, string> = { DomainName: zone.name, RR: rr, Type: type, Value: v.Value, TTL: String(ttl), Line: DEFAULT_LINE };
    if (v.Priority !== undefined) params.Priority = String(v.Priority);
    const reply = await this.client.call('AddDomainRecord', params, recordIdReply, signal);
    return { RecordId: reply.RecordId, RR: rr, Type: type, Value: v.Value, Priority: v.Priority, TTL: ttl, Line: DEFAULT_LINE, Status: 'ENABLE' };
  }

  /** Deletes records this change added; returns how many went. */
  private async undo(zone: Zone, added: readonly AlidnsRecord[], signal: AbortSignal | undefined): Promise<number> {
    let undone = 0;
    for (const r of added) {
      try {
        await this.client.call('DeleteDomainRecord', { RecordId: r.RecordId }, recordIdReply, signal);
        undone++;
      } catch {
        // Left in place; the next read shows it and the next plan sees the set as it is.
      }
    }
    return undone;
  }

  /**
   * The default-line records of one set with their ids: from the last read when it is known,
   * else (no read of this zone yet, or a write to this set failed since) asked of Alidns.
   */
  private async current(zone: Zone, rr: string, set: RecordSet, signal: AbortSignal | undefined): Promise<AlidnsRecord[]> {
    const key = setKey(set.name, set.type);
    const k = this.known.get(zone.name);
    if (k && !k.unsure.has(key)) return k.sets.get(key) ?? [];
    const listed = await this.list(zone, { RRKeyWord: rr, TypeKeyWord: set.type }, signal);
    // RRKeyWord matches parts of names: keep the exact name only.
    const mine = listed.filter((r) => r.RR.toLowerCase() === rr && r.Type.toUpperCase() === set.type && isOurs(r));
    if (k) {
      k.sets.set(key, mine);
      k.unsure.delete(key);
    }
    return mine;
  }

  /** The set's records as last known, without asking; undefined when unknown. */
  private peek(zone: Zone, set: RecordSet): AlidnsRecord[] | undefined {
    const key = setKey(set.name, set.type);
    const k = this.known.get(zone.name);
    return k && !k.unsure.has(key) ? (k.sets.get(key) ?? []) : undefined;
  }

  private remember(zone: Zone, set: RecordSet, records: AlidnsRecord[]): void {
    const k = this.known.get(zone.name);
    if (!k) return;
    const key = setKey(set.name, set.type);
    if (records.length === 0) k.sets.delete(key);
    else k.sets.set(key, records);
  }

  private forget(zone: Zone, set: RecordSet): void {
    this.known.get(zone.name)?.unsure.add(setKey(set.name, set.type));
  }

  private async list(zone: Zone, filter: Record<string, string>, signal?: AbortSignal): Promise<AlidnsRecord[]> {
    const out: AlidnsRecord[] = [];
    for (let page = 1; page <= MAX_PAGES; page++) {
      const reply = await this.read(
        `list records of ${zone.name} (page ${page})`,
        'DescribeDomainRecords',
        {
          DomainName: zone.name,
          PageNumber: String(page),
          PageSize: String(RECORDS_PAGE),
          ...filter,
        },
        recordsReply,
        signal,
      );
      const records = reply.DomainRecords.Record;
      out.push(...records);
      if (records.length === 0 || out.length >= reply.TotalCount) break;
    }
    return out;
  }

  /** A call whose failure is thrown with the provider, server and what it was doing. */
  private async read<T>(what: string, action: string, params: Record<string, string>, shape: z.ZodType<T, z.ZodTypeDef, unknown>, signal?: AbortSignal): Promise<T> {
    try {
      return await this.client.call(action, params, shape, signal);
    } catch (e) {
      const code = e instanceof AlidnsApiError ? e.code : 'Error';
      throw new AlidnsProviderError(`${this.name} ${this.client.host}: ${what}: ${this.words(e)}`, code, e);
    }
  }

  private words(e: unknown): string {
    if (e instanceof AlidnsApiError) {
      const id = e.requestId ? `, RequestId ${e.requestId}` : '';
      const status = e.status ? ` (HTTP ${e.status}${id})` : '';
      return `${e.message}${status}`;
    }
    return e instanceof Error ? e.message : String(e);
  }
}
