// One signed Alidns RPC call: common parameters, signature, the account's rate limit, retries
// with backoff on throttling, 5xx and refused connections, and a reply checked against the
// shape the caller expects before anything is trusted. A caller's AbortSignal cancels the
// request in flight, the bucket wait, the retries and the backoff.
import { randomUUID } from 'node:crypto';
import { fetch } from 'undici';
import type { ZodType, ZodTypeDef } from 'zod';
import { sleep, systemClock } from '../../src/kernel/index.js';
import type { Clock, Random } from '../../src/kernel/index.js';
import { retryDelay, TokenBucket, untilAborted } from '../pacing.js';
import type { ProviderCallObserver } from '../provider.js';
import { canonicalQuery, percentEncode, rpcSignature, rpcTimestamp } from './signer.js';

export const ALIDNS_API_VERSION = '2015-01-09';
export const ALIDNS_DEFAULT_ENDPOINT = 'https://alidns.aliyuncs.com';

export interface AlidnsClientOptions {
  endpoint: string;
  accessKeyId: string;
  accessKeySecret: string;
  /** Sent as RegionId when set (Alidns is global; the parameter is optional). */
  regionId?: string;
  bucket: TokenBucket;
  /** Tries per call, the first included. */
  maxAttempts: number;
  baseDelayMs: number;
  maxDelayMs: number;
  /** Per attempt. */
  timeoutMs: number;
  clock?: Clock;
  random?: Random;
  nonce?: () => string;
  observe?: ProviderCallObserver;
  /** Provider name for `observe`. */
  providerName: string;
}

/** Codes that mean the credentials are wrong or lack rights: said plainly in messages. */
const AUTH_CODES = new Set([
  'InvalidAccessKeyId.NotFound',
  'InvalidAccessKeyId.Inactive',
  'InvalidAccessKeyId',
  'SignatureDoesNotMatch',
  'IncompleteSignature',
  'InvalidSecurityToken.Expired',
  'Forbidden',
  'Forbidden.RAM',
  'Forbidden.AccessKeyDisabled',
]);

/** An answer of the API (or of the network on the way to it) that is not a success. */
export class AlidnsApiError extends Error {
  override readonly name = 'AlidnsApiError';
  constructor(
    message: string,
    /** Alidns's Code ('DomainRecordDuplicate', 'Throttling.User'), or 'UnreadableReply', 'ECONNREFUSED', 'Timeout', 'Aborted'. */
    readonly code: string,
    /** HTTP status; 0 when no answer came. */
    readonly status: number,
    readonly requestId?: string,
    /** The last attempt was one of several (a write may have been applied by an earlier one). */
    readonly attempts = 1,
  ) {
    super(message);
  }

  get isAuth(): boolean {
    return AUTH_CODES.has(this.code);
  }
}

interface Attempt {
  error?: AlidnsApiError;
  retryable: boolean;
  throttled: boolean;
  retryAfterMs?: number;
  body?: unknown;
}

function isThrottling(code: string, status: number): boolean {
  return status === 429 || code === 'Throttling' || code.startsWith('Throttling.');
}

/** Alidns's words, minus the echo of the server's string to sign (long, and no help to a reader). */
function apiMessage(code: string, message: string): string {
  const m = message.replace(/\s*server string to sign is:.*$/s, '').trim();
  if (code === 'SignatureDoesNotMatch') return `authentication failed: ${code}: ${m} (is the AccessKey secret right?)`;
  if (code.startsWith('InvalidAccessKeyId')) return `authentication failed: ${code}: ${m} (is the AccessKey ID right?)`;
  if (AUTH_CODES.has(code)) return `authentication failed: ${code}: ${m}`;
  return `${code}: ${m}`;
}

function networkError(e: unknown, timeoutMs: number, host: string): AlidnsApiError {
  const err = e as { name?: string; message?: string; cause?: { code?: string; message?: string } };
  if (err.name === 'TimeoutError' || err.name === 'AbortError') return new AlidnsApiError(`${host}: timed out after ${timeoutMs} ms`, 'Timeout', 0);
  const code = err.cause?.code ?? 'NetworkError';
  return new AlidnsApiError(`${host}: ${err.cause?.message ?? err.message ?? String(e)}`, code, 0);
}

export class AlidnsClient {
  private readonly clock: Clock;
  private readonly random: Random;
  private readonly nonce: () => string;
  private readonly base: URL;

  constructor(private readonly o: AlidnsClientOptions) {
    this.clock = o.clock ?? systemClock;
    this.random = o.random ?? Math.random;
    this.nonce = o.nonce ?? randomUUID;
    this.base = new URL(o.endpoint);
    if (!(o.maxAttempts >= 1)) throw new Error('maxAttempts must be at least 1');
  }

  /** host[:port] of the endpoint, for messages. */
  get host(): string {
    return this.base.host;
  }

  /**
   * Calls `action`, retrying throttling, 5xx and refused connections (and, for Describe*
   * actions, timeouts and unreadable replies) up to maxAttempts. Throws AlidnsApiError. Once
   * `signal` aborts, the request in flight is cancelled and nothing more is sent or waited
   * for: the call fails with code 'Aborted'.
   */
  async call<T>(action: string, params: Record<string, string>, shape: ZodType<T, ZodTypeDef, unknown>, signal?: AbortSignal): Promise<T> {
    const readOnly = action.startsWith('Describe');
    const aborted = (attempt: number) => new AlidnsApiError(`${this.host}: aborted: the controller stopped`, 'Aborted', 0, undefined, attempt);
    for (let attempt = 1;; attempt++) {
      try {
        await untilAborted(this.o.bucket.take(), signal);
      } catch {
        return this.fail(aborted(attempt));
      }
      const started = this.clock.now();
      const result = await this.attempt(action, params, readOnly, signal);
      const outcome = result.error ? (result.throttled ? 'throttled' : 'error') : 'ok';
      try {
        this.o.observe?.({ provider: this.o.providerName, operation: action, outcome, ms: this.clock.now() - started });
      } catch {
        /* an observer must not break a call */
      }
      if (signal?.aborted && result.error) return this.fail(aborted(attempt));
      if (!result.error) {
        const parsed = shape.safeParse(result.body);
        if (parsed.success) return parsed.data;
        const issue = parsed.error.issues[0];
        const where = issue?.path.join('.') || 'reply';
        return this.fail(new AlidnsApiError(`unreadable reply to ${action}: ${where}: ${issue?.message ?? 'unexpected shape'}`, 'UnreadableReply', 200, undefined, attempt));
      }
      if (!result.retryable || attempt >= this.o.maxAttempts) {
        const e = result.error;
        return this.fail(new AlidnsApiError(e.message, e.code, e.status, e.requestId, attempt));
      }
      const backoff = retryDelay(attempt, this.o.baseDelayMs, this.o.maxDelayMs, this.random);
      try {
        await sleep(this.clock, Math.min(this.o.maxDelayMs, Math.max(backoff, result.retryAfterMs ?? 0)), signal);
      } catch {
        return this.fail(aborted(attempt));
      }
    }
  }

  private fail(e: AlidnsApiError): never {
    throw e;
  }

  private signedUrl(action: string, params: Record<string, string>): string {
    const all: Record<string, string> = {
      ...params,
      Action: action,
      Format: 'JSON',
      Version: ALIDNS_API_VERSION,
      AccessKeyId: this.o.accessKeyId,
      SignatureMethod: 'HMAC-SHA1',
      SignatureVersion: '1.0',
      // A fresh nonce per attempt: Alidns refuses a nonce it has seen (SignatureNonceUsed).
      SignatureNonce: this.nonce(),
      Timestamp: rpcTimestamp(this.clock.now()),
    };
    if (this.o.regionId) all.RegionId = this.o.regionId;
    const signature = rpcSignature('GET', all, this.o.accessKeySecret);
    const url = new URL(this.base);
    url.pathname = '/';
    return `${url.origin}/?${canonicalQuery(all)}&Signature=${percentEncode(signature)}`;
  }

  private async attempt(action: string, params: Record<string, string>, readOnly: boolean, signal: AbortSignal | undefined): Promise<Attempt> {
    let status: number;
    let text: string;
    let retryAfter: string | null;
    try {
      const timeout = AbortSignal.timeout(this.o.timeoutMs);
      const res = await fetch(this.signedUrl(action, params), { method: 'GET', signal: signal ? AbortSignal.any([timeout, signal]) : timeout });
      status = res.status;
      retryAfter = res.headers.get('retry-after');
      text = await res.text();
    } catch (e) {
      const error = networkError(e, this.o.timeoutMs, this.host);
      // A refused connection never reached the API: safe to repeat even a write.
      const retryable = readOnly || error.code === 'ECONNREFUSED';
      return { error, retryable, throttled: false };
    }
    let body: unknown;
    try {
      body = JSON.parse(text);
    } catch {
      const snippet = text.slice(0, 60).replace(/\s+/g, ' ');
      const error = new AlidnsApiError(`unreadable reply to ${action} (HTTP ${status}): not JSON: ${JSON.stringify(snippet)}`, 'UnreadableReply', status);
      // A write answered with garbage may or may not have been applied: never repeated blindly.
      return { error, retryable: readOnly || status >= 500, throttled: false };
    }
    const fields = (typeof body === 'object' && body !== null ? body : {}) as { Code?: unknown; Message?: unknown; RequestId?: unknown };
    const code = typeof fields.Code === 'string' ? fields.Code : undefined;
    if (status === 200 && code === undefined) return { body, retryable: false, throttled: false };
    const c = code ?? `HTTP${status}`;
    const message = typeof fields.Message === 'string' ? fields.Message : `HTTP ${status}`;
    const requestId = typeof fields.RequestId === 'string' ? fields.RequestId : undefined;
    const throttled = isThrottling(c, status);
    const seconds = retryAfter === null ? NaN : Number(retryAfter);
    return {
      error: new AlidnsApiError(apiMessage(c, message), c, status, requestId),
      retryable: throttled || status >= 500 || c === 'InternalError' || c === 'ServiceUnavailable',
      throttled,
      retryAfterMs: Number.isFinite(seconds) ? seconds * 1000 : undefined,
    };
  }
}
