import { fromTemporaryCredentials } from '@aws-sdk/credential-providers';
import { ChangeResourceRecordSetsCommand, GetHostedZoneCommand, ListHostedZonesCommand, ListResourceRecordSetsCommand, Route53Client, type Change, type HostedZone, type ListResourceRecordSetsCommandOutput, type Route53ClientConfig, type RRType as Route53Type } from '@aws-sdk/client-route-53';
import { normalizeName } from '../../src/model/index.js';
import type { Plan, RecordSet } from '../../src/model/index.js';
import { applyResult, planChanges, type ApplyResult, type ChangeResult, type DnsProvider, type PlanChange, type ProviderCallObserver, type Zone } from '../provider.js';
import { fitsAlone, makeUnit, packBatches, ROUTE53_LIMITS, type BatchLimits, type Unit } from './batches.js';
import { sleep, systemClock } from '../../src/kernel/index.js';
import type { Clock, Random } from '../../src/kernel/index.js';
import { errorMessage, errorName, isRetryable } from './limits.js';
import { retryDelay, TokenBucket, untilAborted } from '../pacing.js';
import { elbAliasZoneId, parseElbHostname } from './alias.js';
import { fromWire, fromWireName, toWire, type Route53RecordSet, type WireOptions } from './wire.js';

export interface Route53ProviderOptions extends WireOptions {
  /** A ready client. Give it `maxAttempts: 1`: this provider retries by itself. */
  client?: Route53Client;
  /** Used when no client is given (the simulator's url in tests). */
  endpoint?: string;
  /** Default 'us-east-1' (Route53 is global; the region only picks the signing endpoint). */
  region?: string;
  /** Static keys or a provider; the SDK's default chain when absent. */
  credentials?: Route53ClientConfig['credentials'];
  /** Told of every request sent (retries included), for metrics and benchmarks. */
  observe?: ProviderCallObserver;
  /**
   * A role to assume (STS AssumeRole) with `credentials` (or the default chain): Route53 is then
   * called with the role's temporary credentials, renewed by the SDK before they expire.
   */
  roleArn?: string;
  /** An STS endpoint instead of AWS's own (a simulator in tests). */
  stsEndpoint?: string;
  /** Only these hosted zones ('Z…' or '/hostedzone/Z…'). */
  zoneIds?: readonly string[];
  /** Only zones at, below or above these domains. */
  domainFilters?: readonly string[];
  /** Only public or only private zones; both when absent. */
  zoneType?: 'public' | 'private';
  /** Requests a second for the account (default 5, Route53's own limit). */
  rateLimitPerSecond?: number;
  /** A bucket shared by every provider of one AWS account; overrides rateLimitPerSecond. */
  rateLimiter?: TokenBucket;
  /** Tries per request, the first included (default 10). */
  maxAttempts?: number;
  /** Backoff: first retry waits 50–100% of this (default 100 ms), doubling up to maxDelayMs (5 s). */
  baseDelayMs?: number;
  maxDelayMs?: number;
  /** Request limits; Route53's by default. Lower only in tests. */
  limits?: Partial<BatchLimits>;
  clock?: Clock;
  random?: Random;
  /** Provider name in results and logs (default 'route53'). */
  name?: string;
}

function bareId(id: string): string {
  return id.replace(/^\/?hostedzone\//, '');
}

function matchesDomain(zone: string, filters: readonly string[]): boolean {
  return filters.some((raw) => {
    const f = normalizeName(raw);
    return zone === f || zone.endsWith('.' + f) || f.endsWith('.' + zone);
  });
}

/** Answers that blame the content of a batch: bisect it to find the change at fault. */
const REJECTS_A_CHANGE = new Set(['InvalidChangeBatch', 'InvalidInput']);

/** Deletes first (a name may change type), then updates, then creates. */
const SEND_ORDER: Record<PlanChange['action'], number> = { delete: 0, update: 1, create: 2 };

export class Route53Provider implements DnsProvider {
  readonly name: string;
  private readonly client: Route53Client;
  private readonly bucket: TokenBucket;
  private readonly clock: Clock;
  private readonly random: Random;
  private readonly limits: BatchLimits;
  private readonly maxAttempts: number;

  constructor(private readonly o: Route53ProviderOptions = {}) {
    this.name = o.name ?? 'route53';
    this.clock = o.clock ?? systemClock;
    this.random = o.random ?? Math.random;
    this.client = o.client ??
      new Route53Client({
        endpoint: o.endpoint,
        region: o.region ?? 'us-east-1',
        credentials: o.roleArn
          ? fromTemporaryCredentials({
            params: { RoleArn: o.roleArn, RoleSessionName: 'globaldns' },
            masterCredentials: o.credentials,
            clientConfig: { region: o.region ?? 'us-east-1', endpoint: o.stsEndpoint },
          })
          : o.credentials,
        // Our own retries: each attempt passes the token bucket and the backoff is ours.
        maxAttempts: 1,
      });
    this.bucket = o.rateLimiter ?? new TokenBucket(o.rateLimitPerSecond ?? 5, 1, this.clock);
    this.limits = { ...ROUTE53_LIMITS, ...o.limits };
    this.maxAttempts = o.maxAttempts ?? 10;
    if (!(this.maxAttempts >= 1)) throw new Error('maxAttempts must be at least 1');
  }

  /** AWS load-balancer hostnames whose region's alias hosted zone id is known (table or `aliasHostedZoneIds`). */
  aliasHostnames(hostname: string): boolean {
    const lb = parseElbHostname(hostname);
    if (lb === undefined) return false;
    try {
      elbAliasZoneId(lb, this.o.aliasHostedZoneIds);
      return true;
    } catch {
      return false;
    }
  }

  async zones(signal?: AbortSignal): Promise<Zone[]> {
    const hosted: HostedZone[] = [];
    if (this.o.zoneIds !== undefined) {
      for (const id of this.o.zoneIds) {
        const out = await this.read('GetHostedZone', `get hosted zone ${bareId(id)}`, () => this.client.send(new GetHostedZoneCommand({ Id: bareId(id) }), { abortSignal: signal }), signal);
        if (out.HostedZone) hosted.push(out.HostedZone);
      }
    } else {
      let marker: string | undefined;
      do {
        const out = await this.read('ListHostedZones', 'list hosted zones', () => this.client.send(new ListHostedZonesCommand({ Marker: marker }), { abortSignal: signal }), signal);
        hosted.push(...(out.HostedZones ?? []));
        marker = out.IsTruncated ? out.NextMarker : undefined;
      } while (marker !== undefined);
    }
    const zones = hosted.map(
      (h): Zone => ({ id: bareId(h.Id ?? ''), name: fromWireName(h.Name ?? ''), private: h.Config?.PrivateZone ?? false }),
    );
    return zones
      .filter((z) => this.o.zoneType === undefined || (this.o.zoneType === 'private') === z.private)
      .filter((z) => this.o.domainFilters === undefined || this.o.domainFilters.length === 0 || matchesDomain(z.name, this.o.domainFilters))
      .sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : Number(a.private) - Number(b.private)));
  }

  /** Every record set of the zone that globaldns models (SOA and exotic types are left out). */
  async records(zone: Zone, signal?: AbortSignal): Promise<Route53RecordSet[]> {
    const out: Route53RecordSet[] = [];
    let start: { name: string; type: Route53Type; identifier?: string } | undefined;
    do {
      const from = start;
      const page: ListResourceRecordSetsCommandOutput = await this.read(
        'ListResourceRecordSets',
        `list records of ${zone.name} (${zone.id})`,
        () =>
          this.client.send(
            new ListResourceRecordSetsCommand({
              HostedZoneId: zone.id,
              StartRecordName: from?.name,
              StartRecordType: from?.type,
              StartRecordIdentifier: from?.identifier,
            }),
            { abortSignal: signal },
          ),
        signal,
      );
      for (const r of page.ResourceRecordSets ?? []) {
        const rs = fromWire(r);
        if (rs) out.push(rs);
      }
      start = page.IsTruncated && page.NextRecordName !== undefined && page.NextRecordType !== undefined
        ? { name: page.NextRecordName, type: page.NextRecordType, identifier: page.NextRecordIdentifier }
        : undefined;
    } while (start !== undefined);
    return out;
  }

  /**
   * One ChangeResourceRecordSets request per batch. A batch Route53 rejects as a whole
   * (InvalidChangeBatch, InvalidInput) is bisected until every bad change stands alone, so
   * one bad change never holds back the others.
   */
  async apply(zone: Zone, plan: Plan, signal?: AbortSignal): Promise<ApplyResult> {
    const changes = planChanges(plan);
    const results: ChangeResult[] = changes.map((change) => ({ change, ok: false }));
    const units: Unit[] = [];
    for (const [index, change] of changes.entries()) {
      try {
        const unit = makeUnit(index, this.wireChanges(change));
        if (!fitsAlone(unit, this.limits)) throw new Error('larger than one ChangeResourceRecordSets request may be');
        units.push(unit);
      } catch (e) {
        results[index].error = errorMessage(e);
      }
    }
    units.sort((a, b) => SEND_ORDER[changes[a.index].action] - SEND_ORDER[changes[b.index].action] || a.index - b.index);
    for (const batch of packBatches(units, this.limits)) {
      // Stopped: the batches not sent stay failed ("aborted"), and the zone is read again next time.
      if (signal?.aborted) break;
      await this.submit(zone, batch, results, signal);
    }
    for (const r of results) if (!r.ok && r.error === undefined) r.error = 'aborted: the controller stopped';
    return applyResult(results);
  }

  private wireChanges(c: PlanChange): Change[] {
    const w = (r: RecordSet): Change['ResourceRecordSet'] => toWire(r, this.o);
    switch (c.action) {
      case 'create':
        return [{ Action: 'CREATE', ResourceRecordSet: w(c.record) }];
      case 'delete':
        return [{ Action: 'DELETE', ResourceRecordSet: w(c.record) }];
      case 'update':
        // DELETE of the exact old set + CREATE, atomically: if the set changed under us the
        // DELETE fails and nothing is overwritten.
        return [
          { Action: 'DELETE', ResourceRecordSet: w(c.from) },
          { Action: 'CREATE', ResourceRecordSet: w(c.to) },
        ];
    }
  }

  private async submit(zone: Zone, batch: Unit[], results: ChangeResult[], signal?: AbortSignal): Promise<void> {
    try {
      await this.send(
        'ChangeResourceRecordSets',
        () =>
          this.client.send(
            new ChangeResourceRecordSetsCommand({
              HostedZoneId: zone.id,
              ChangeBatch: { Changes: batch.flatMap((u) => u.changes) },
            }),
            { abortSignal: signal },
          ),
        signal,
      );
      for (const u of batch) results[u.index] = { change: results[u.index].change, ok: true };
    } catch (e) {
      if (REJECTS_A_CHANGE.has(errorName(e)) && batch.length > 1 && !signal?.aborted) {
        const half = Math.ceil(batch.length / 2);
        await this.submit(zone, batch.slice(0, half), results, signal);
        await this.submit(zone, batch.slice(half), results, signal);
        return;
      }
      // InvalidChangeBatch lists its messages in brackets: '[Tried to create ...]'.
      const error = `${errorName(e)}: ${errorMessage(e).replace(/^\[(.*)\]$/s, '$1')}`;
      for (const u of batch) results[u.index] = { change: results[u.index].change, ok: false, error };
    }
  }

  /**
   * One API call under the account's rate limit, retried with backoff on throttling,
   * PriorRequestNotComplete and 5xx. `call` builds a new command per attempt (the SDK
   * mutates its input). Throws the SDK's error of the last attempt; once `signal` aborts, no
   * more attempts and no more waiting (the request in flight is cancelled by the SDK).
   */
  private async send<O>(operation: string, call: () => Promise<O>, signal?: AbortSignal): Promise<O> {
    const backoff = { baseDelayMs: this.o.baseDelayMs ?? 100, maxDelayMs: this.o.maxDelayMs ?? 5000 };
    for (let attempt = 1;; attempt++) {
      await untilAborted(this.bucket.take(), signal);
      const started = performance.now();
      try {
        const out = await call();
        this.o.observe?.({ provider: this.name, operation, outcome: 'ok', ms: performance.now() - started });
        return out;
      } catch (e) {
        const throttled = /Throttl|PriorRequestNotComplete/.test(errorName(e));
        this.o.observe?.({ provider: this.name, operation, outcome: throttled ? 'throttled' : 'error', ms: performance.now() - started });
        if (signal?.aborted || !isRetryable(e) || attempt >= this.maxAttempts) throw e;
        await sleep(this.clock, retryDelay(attempt, backoff.baseDelayMs, backoff.maxDelayMs, this.random), signal);
      }
    }
  }

  /** send, with errors that say which provider and what it was doing. */
  private async read<O>(operation: string, what: string, call: () => Promise<O>, signal?: AbortSignal): Promise<O> {
    try {
      return await this.send(operation, call, signal);
    } catch (e) {
      throw new Route53ProviderError(`${this.name}: ${what}: ${errorName(e)}: ${errorMessage(e)}`, errorName(e), e);
    }
  }
}

/** A failed read; `code` is Route53's error code (NoSuchHostedZone, Throttling, ...). */
export class Route53ProviderError extends Error {
  override readonly name = 'Route53ProviderError';
  constructor(
    message: string,
    readonly code: string,
    cause: unknown,
  ) {
    super(message, { cause });
  }
}
