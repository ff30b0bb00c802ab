// One Cloudflare account's API, through the official SDK (auth headers, base URL, JSON): every
// request passes the account's token bucket, is retried on 429 (after Retry-After) and 5xx with
// backoff and jitter, is reported to the call observer, and fails with an error that names
// the provider, the operation and Cloudflare's own codes and words. A caller's AbortSignal
// cancels the request in flight (the SDK's `signal`), the bucket wait, the retries and the backoff.

import Cloudflare, { APIConnectionError, APIConnectionTimeoutError, APIError, APIUserAbortError } from 'cloudflare';
import type { ProviderCallObserver } from '../provider.js';
import { sleep, systemClock } from '../../src/kernel/index.js';
import type { Clock, Random } from '../../src/kernel/index.js';
import { retryDelay, TokenBucket, untilAborted } from '../pacing.js';
import type { CloudflareRecord, CloudflareRecordBody } from './wire.js';

export const DEFAULT_BASE_URL = 'https://api.cloudflare.com/client/v4';
/** Cloudflare's limit: 1,200 requests per 5 minutes per user, i.e. 4 a second. */
export const DEFAULT_RATE_PER_SECOND = 1200 / 300;

export type CloudflareCredentials = { apiToken: string } | { apiKey: string; email: string };

export interface CloudflareApiOptions {
  /** Provider name, first word of every error. */
  name: string;
  credentials: CloudflareCredentials;
  baseUrl?: string;
  rateLimitPerSecond?: number;
  /** A bucket shared by every provider of one Cloudflare user; overrides rateLimitPerSecond. */
  rateLimiter?: TokenBucket;
  /** Tries per request, the first included (default 6). */
  maxAttempts?: number;
  /** Backoff: first retry waits 50–100% of this (default 500 ms), doubling up to maxDelayMs (30 s). */
  baseDelayMs?: number;
  maxDelayMs?: number;
  /** Longest Retry-After honoured before giving up on the request (default 300 s, Cloudflare's window). */
  maxRetryAfterMs?: number;
  /** Per-request timeout (default 30 s). */
  timeoutMs?: number;
  clock?: Clock;
  random?: Random;
  observe?: ProviderCallObserver;
}

export interface Page<T> {
  items: T[];
  totalPages: number;
}

export interface CloudflareZoneInfo {
  id: string;
  name: string;
}

export interface BatchOps {
  deletes: { id: string }[];
  patches: (Partial<CloudflareRecordBody> & { id: string })[];
  posts: CloudflareRecordBody[];
}

/** Cloudflare's error codes that mean the credentials are wrong or lack the permission. */
const AUTH_CODES = new Set([9103, 9106, 9107, 9109, 10000]);

/** A failed request after its retries; `status` and `codes` are Cloudflare's, `kind` says which failure. */
export class CloudflareApiError extends Error {
  override readonly name = 'CloudflareApiError';
  constructor(
    message: string,
    readonly kind: 'auth' | 'rejected' | 'throttled' | 'server' | 'connection' | 'garbage' | 'aborted',
    readonly status: number | undefined,
    readonly codes: readonly number[],
  ) {
    super(message);
  }
}

function causeChain(e: unknown): string {
  const parts: string[] = [];
  let c: unknown = e;
  for (let i = 0; i < 5 && c instanceof Error; i++) {
    const code = (c as { code?: unknown }).code;
    parts.push(typeof code === 'string' ? `${c.message} (${code})` : c.message);
    c = c.cause;
  }
  return parts.join(': ');
}

/** Pages in the listing: result_info's total_pages, else from total_count, else 'one more while pages come back full'. */
function totalPages(info: unknown, page: number, perPage: number, count: number): number {
  const i = (typeof info === 'object' && info !== null ? info : {}) as { total_pages?: unknown; total_count?: unknown };
  if (typeof i.total_pages === 'number') return i.total_pages;
  if (typeof i.total_count === 'number') return Math.ceil(i.total_count / perPage);
  return count < perPage ? page : page + 1;
}

/** Short text of an error page that is not the API's JSON (an HTML 502 from the edge). */
function bodySnippet(message: string): string {
  return message.replace(/^\d{3}\s*/, '').replace(/<[^>]*>/g, ' ').replace(/\s+/g, ' ').trim().slice(0, 120);
}

export class CloudflareApi {
  private readonly sdk: Cloudflare;
  private readonly bucket: TokenBucket;
  private readonly clock: Clock;
  private readonly random: Random;
  private readonly maxAttempts: number;
  readonly baseUrl: string;

  constructor(private readonly o: CloudflareApiOptions) {
    this.baseUrl = o.baseUrl ?? DEFAULT_BASE_URL;
    this.clock = o.clock ?? systemClock;
    this.random = o.random ?? Math.random;
    this.maxAttempts = o.maxAttempts ?? 6;
    if (!(this.maxAttempts >= 1)) throw new Error('maxAttempts must be at least 1');
    this.bucket = o.rateLimiter ?? new TokenBucket(o.rateLimitPerSecond ?? DEFAULT_RATE_PER_SECOND, 1, this.clock);
    const c = o.credentials;
    // Every credential given explicitly (null when unused): the SDK would otherwise read
    // CLOUDFLARE_* variables from the environment.
    this.sdk = new Cloudflare({
      apiToken: 'apiToken' in c ? c.apiToken : null,
      apiKey: 'apiKey' in c ? c.apiKey : null,
      apiEmail: 'email' in c ? c.email : null,
      userServiceKey: null,
      baseURL: this.baseUrl,
      // Our own retries: each attempt passes the token bucket and honours Retry-After.
      maxRetries: 0,
      timeout: o.timeoutMs ?? 30_000,
    });
  }

  async listZones(name: string | undefined, page: number, perPage: number, signal?: AbortSignal): Promise<Page<CloudflareZoneInfo>> {
    const p = await this.call('GET zones', () => this.sdk.zones.list({ name, page, per_page: perPage }, { signal }), signal);
    return { items: p.result.map((z) => ({ id: z.id, name: z.name })), totalPages: totalPages(p.result_info, page, perPage, p.result.length) };
  }

  async getZone(id: string, signal?: AbortSignal): Promise<CloudflareZoneInfo> {
    const z = await this.call('GET zone', () => this.sdk.zones.get({ zone_id: id }, { signal }), signal);
    return { id: z.id, name: z.name };
  }

  async listRecords(zoneId: string, page: number, perPage: number, signal?: AbortSignal): Promise<Page<CloudflareRecord>> {
    const p = await this.call('GET dns_records', () => this.sdk.dns.records.list({ zone_id: zoneId, page, per_page: perPage }, { signal }), signal);
    const items = p.result as unknown as CloudflareRecord[];
    if (!Array.isArray(items) || items.some((r) => typeof r?.id !== 'string' || typeof r.name !== 'string' || typeof r.type !== 'string')) {
      throw new CloudflareApiError('answer is not a list of DNS records', 'garbage', 200, []);
    }
    return { items, totalPages: totalPages(p.result_info, page, perPage, items.length) };
  }

  /** POST /zones/{id}/dns_records/batch: deletes, then patches, then posts, as one transaction. */
  async batch(zoneId: string, ops: BatchOps, signal?: AbortSignal): Promise<void> {
    const params = { zone_id: zoneId, deletes: ops.deletes, patches: ops.patches, posts: ops.posts };
    // Our record bodies are the API's fields for the types globaldns writes; the SDK's
    // per-type unions add nothing the simulator or the API would not check.
    const res = await this.call('POST dns_records/batch', () => this.sdk.dns.records.batch(params as unknown as Cloudflare.DNS.RecordBatchParams, { signal }), signal);
    if (typeof res !== 'object' || res === null) throw new CloudflareApiError('batch answer has no result', 'garbage', 200, []);
  }

  /**
   * One API operation under the rate limit, retried on 429 (waiting at least Retry-After) and
   * on 5xx and refused connections. Never retried: an unreadable answer (a write may have
   * happened) and anything the API refused on its merits. Once `signal` aborts, the request in
   * flight is cancelled and nothing more is sent or waited for: it fails as kind 'aborted'.
   */
  private async call<T>(operation: string, send: () => PromiseLike<T>, signal?: AbortSignal): Promise<T> {
    const aborted = () => new CloudflareApiError(`${this.o.name} ${this.baseUrl}: ${operation}: aborted: the controller stopped`, 'aborted', undefined, []);
    for (let attempt = 1;; attempt++) {
      try {
        await untilAborted(this.bucket.take(), signal);
      } catch {
        throw aborted();
      }
      const started = this.clock.now();
      try {
        const out = await send();
        this.observe(operation, 'ok', started);
        return out;
      } catch (e) {
        const err = signal?.aborted ? aborted() : this.describe(operation, e);
        this.observe(operation, err.kind === 'throttled' ? 'throttled' : 'error', started);
        const retryable = err.kind === 'throttled' || err.kind === 'server' || (err.kind === 'connection' && /ECONNREFUSED|ECONNRESET/.test(err.message));
        if (!retryable || attempt >= this.maxAttempts) throw err;
        try {
          await sleep(this.clock, this.delay(attempt, e), signal);
        } catch {
          throw aborted();
        }
      }
    }
  }

  private observe(operation: string, outcome: 'ok' | 'error' | 'throttled', started: number): void {
    try {
      this.o.observe?.({ provider: this.o.name, operation, outcome, ms: this.clock.now() - started });
    } catch {
      // An observer must not break the provider.
    }
  }

  private delay(attempt: number, e: unknown): number {
    const backoff = retryDelay(attempt, this.o.baseDelayMs ?? 500, this.o.maxDelayMs ?? 30_000, this.random);
    // `instanceof` narrows to APIError<any, any, any>; the class's defaults are the real types.
    const retryAfter = e instanceof APIError ? Number((e as APIError).headers?.get('retry-after')) : NaN;
    if (Number.isFinite(retryAfter) && retryAfter >= 0) {
      return Math.max(backoff, Math.min(retryAfter * 1000, this.o.maxRetryAfterMs ?? 300_000));
    }
    return backoff;
  }

  /** The SDK's error as ours: `<name> <base url>: <operation>: <what happened>`. */
  describe(operation: string, e: unknown): CloudflareApiError {
    const where = `${this.o.name} ${this.baseUrl}: ${operation}`;
    if (e instanceof CloudflareApiError) return new CloudflareApiError(`${where}: ${e.message}`, e.kind, e.status, e.codes);
    if (e instanceof APIUserAbortError) return new CloudflareApiError(`${where}: aborted: the controller stopped`, 'aborted', undefined, []);
    if (e instanceof APIConnectionTimeoutError) return new CloudflareApiError(`${where}: timed out (${causeChain(e)})`, 'connection', undefined, []);
    if (e instanceof APIConnectionError) return new CloudflareApiError(`${where}: cannot connect: ${causeChain(e)}`, 'connection', undefined, []);
    if (e instanceof APIError) {
      const err = e as APIError; // not APIError<any, any, any>, what `instanceof` narrows to
      const status = err.status ?? 0;
      const errors = Array.isArray(err.errors) ? err.errors : [];
      const codes = errors.map((x) => x.code).filter((c): c is number => typeof c === 'number');
      const words = errors.length > 0 ? errors.map((x) => `${x.code} ${x.message}`).join('; ') : bodySnippet(e.message);
      if (status === 401 || status === 403 || codes.some((c) => AUTH_CODES.has(c) && status < 500)) {
        return new CloudflareApiError(`${where}: authentication failed (HTTP ${status}: ${words}): check the API token, or the API key and email, and its DNS permissions`, 'auth', status, codes);
      }
      if (status === 429) return new CloudflareApiError(`${where}: rate limited (HTTP 429: ${words})`, 'throttled', status, codes);
      if (status >= 500) return new CloudflareApiError(`${where}: server error (HTTP ${status}: ${words})`, 'server', status, codes);
      return new CloudflareApiError(`${where}: HTTP ${status}: ${words}`, 'rejected', status, codes);
    }
    // The SDK parses the body itself: a body that is not JSON surfaces as a SyntaxError.
    if (e instanceof SyntaxError) return new CloudflareApiError(`${where}: unreadable answer (not the API's JSON: ${e.message})`, 'garbage', undefined, []);
    return new CloudflareApiError(`${where}: ${causeChain(e)}`, 'connection', undefined, []);
  }
}
