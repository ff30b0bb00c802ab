// The three PowerDNS API calls globaldns needs, over undici, with retries on 429/5xx and
// dropped connections, one observer call per request sent, and errors that name the server
// and the cause without ever carrying the API key.

import { request } from 'undici';
import { z } from 'zod';
import { sleep, systemClock } from '../../src/kernel/index.js';
import type { Clock, Random } from '../../src/kernel/index.js';
import { retryDelay, untilAborted, type TokenBucket } from '../pacing.js';
import type { ProviderCallObserver } from '../provider.js';
import type { PdnsRRset, PdnsRRsetChange } from './wire.js';

/** What went wrong, as callers branch on it. */
export type PdnsErrorKind = 'auth' | 'not-found' | 'rejected' | 'server' | 'unreachable' | 'bad-reply';

/** A failed API call. `message` names the provider, the server, the operation and the cause. */
export class PowerDnsApiError extends Error {
  override readonly name = 'PowerDnsApiError';
  constructor(
    message: string,
    readonly kind: PdnsErrorKind,
    /** HTTP status, when the server answered. */
    readonly status: number | undefined,
    /** PowerDNS's own words (the `error` field of its JSON), when it said any. */
    readonly detail: string,
  ) {
    super(message);
  }
}

export interface PdnsClientOptions {
  /** Base URL of the webserver, e.g. http://127.0.0.1:8081 (any path prefix is kept). */
  url: string;
  apiKey: string;
  serverId: string;
  /** For messages and observer calls. */
  providerName: string;
  timeoutMs: number;
  /** Tries per request, the first included. */
  maxAttempts: number;
  baseDelayMs: number;
  maxDelayMs: number;
  bucket?: TokenBucket;
  clock?: Clock;
  random?: Random;
  observe?: ProviderCallObserver;
}

export interface PdnsZoneInfo {
  id: string;
  name: string;
  kind: string;
}

const zoneListSchema = z.array(z.object({ id: z.string(), name: z.string(), kind: z.string().default('Native') }).passthrough());
const zoneSchema = z
  .object({
    rrsets: z.array(
      z
        .object({
          name: z.string(),
          type: z.string(),
          ttl: z.number().int().nonnegative(),
          records: z.array(z.object({ content: z.string(), disabled: z.boolean().default(false) }).passthrough()),
        })
        .passthrough(),
    ),
  })
  .passthrough();

/** Network failures worth another try (undici and Node codes). */
const RETRYABLE_NETWORK = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'EPIPE',
  'ETIMEDOUT',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'EAI_AGAIN',
  'UND_ERR_SOCKET',
  'UND_ERR_CONNECT_TIMEOUT',
  'UND_ERR_HEADERS_TIMEOUT',
  'UND_ERR_BODY_TIMEOUT',
  'UND_ERR_CLOSED',
]);

/** The URL as shown in messages: no user info, no trailing slash. */
export function displayUrl(raw: string): string {
  try {
    const u = new URL(raw);
    u.username = '';
    u.password = '';
    u.search = '';
    return u.toString().replace(/\/$/, '');
  } catch {
    return '<invalid url>';
  }
}

function errorCode(e: unknown): string {
  if (typeof e !== 'object' || e === null) return '';
  const err = e as { code?: unknown; name?: unknown; cause?: { code?: unknown } };
  if (typeof err.code === 'string') return err.code;
  if (typeof err.cause?.code === 'string') return err.cause.code;
  return typeof err.name === 'string' ? err.name : '';
}

/** PowerDNS answers errors as {"error": "..."} (JSON) or a bare status text. */
function backendWords(body: string): string {
  try {
    const parsed = JSON.parse(body) as { error?: unknown };
    if (typeof parsed.error === 'string') return parsed.error;
  } catch {
    /* not JSON */
  }
  return body.trim().slice(0, 300);
}

type Attempt = { kind: 'ok'; status: number; body: string } | { kind: 'retry' | 'fail'; error: PowerDnsApiError };

export class PdnsClient {
  readonly label: string;
  private readonly base: string;
  private readonly clock: Clock;
  private readonly random: Random;

  constructor(private readonly o: PdnsClientOptions) {
    const parsed = new URL(o.url); // throws a TypeError naming the input on a bad url
    this.base = `${parsed.origin}${parsed.pathname.replace(/\/$/, '')}/api/v1/servers/${encodeURIComponent(o.serverId)}`;
    this.label = `${o.providerName} (PowerDNS ${displayUrl(o.url)}, server ${o.serverId})`;
    this.clock = o.clock ?? systemClock;
    this.random = o.random ?? Math.random;
    if (!(o.maxAttempts >= 1)) throw new Error('maxAttempts must be at least 1');
    if (!(o.timeoutMs > 0)) throw new Error('timeoutMs must be a positive number');
  }

  async listZones(signal?: AbortSignal): Promise<PdnsZoneInfo[]> {
    const body = await this.call('GET zones', 'list zones', 'GET', '/zones', undefined, signal);
    return this.parse(zoneListSchema, body, 'list zones');
  }

  async getZone(id: string, zoneName: string, signal?: AbortSignal): Promise<PdnsRRset[]> {
    const what = `read zone ${zoneName}`;
    const body = await this.call('GET zone', what, 'GET', `/zones/${encodeURIComponent(id)}`, undefined, signal);
    return this.parse(zoneSchema, body, what).rrsets;
  }

  /** One atomic PATCH: every RRset change applies, or none does. */
  async patchZone(id: string, zoneName: string, rrsets: readonly PdnsRRsetChange[], signal?: AbortSignal): Promise<void> {
    await this.call('PATCH zone', `PATCH ${zoneName}`, 'PATCH', `/zones/${encodeURIComponent(id)}`, JSON.stringify({ rrsets }), signal);
  }

  private parse<T>(schema: z.ZodType<T, z.ZodTypeDef, unknown>, body: string, what: string): T {
    let json: unknown;
    try {
      json = JSON.parse(body);
    } catch {
      throw new PowerDnsApiError(`${this.label}: ${what}: the server's reply is not JSON: ${JSON.stringify(body.slice(0, 120))}`, 'bad-reply', 200, '');
    }
    const parsed = schema.safeParse(json);
    if (!parsed.success) {
      const issue = parsed.error.issues[0];
      throw new PowerDnsApiError(`${this.label}: ${what}: unexpected reply: ${issue.path.join('.') || '(top)'}: ${issue.message}`, 'bad-reply', 200, '');
    }
    return parsed.data;
  }

  /**
   * Sends one request, retried on 429, 5xx and dropped connections; returns the body of a 2xx.
   * Once `signal` aborts: the request in flight is cancelled, and no retry, no wait follows.
   */
  private async call(operation: string, what: string, method: 'GET' | 'PATCH', path: string, body?: string, signal?: AbortSignal): Promise<string> {
    for (let attempt = 1;; attempt++) {
      await untilAborted(this.o.bucket?.take() ?? Promise.resolve(), signal);
      const result = await this.attempt(operation, what, method, path, body, signal);
      if (result.kind === 'ok') return result.body;
      if (signal?.aborted) throw new PowerDnsApiError(`${this.label}: ${what}: aborted: the controller stopped`, 'unreachable', undefined, '');
      if (result.kind === 'fail' || attempt >= this.o.maxAttempts) {
        if (result.kind === 'retry' && attempt > 1) result.error.message += ` (after ${attempt} attempts)`;
        throw result.error;
      }
      await sleep(this.clock, retryDelay(attempt, this.o.baseDelayMs, this.o.maxDelayMs, this.random), signal);
    }
  }

  private async attempt(operation: string, what: string, method: 'GET' | 'PATCH', path: string, body: string | undefined, signal: AbortSignal | undefined): Promise<Attempt> {
    const started = this.clock.now();
    const observe = (outcome: 'ok' | 'error' | 'throttled') => {
      try {
        this.o.observe?.({ provider: this.o.providerName, operation, outcome, ms: this.clock.now() - started });
      } catch {
        /* an observer must not break a request */
      }
    };
    const fail = (kind: PdnsErrorKind, status: number | undefined, detail: string, text: string, retry: boolean): Attempt => ({
      kind: retry ? 'retry' : 'fail',
      error: new PowerDnsApiError(`${this.label}: ${what}: ${text}`, kind, status, detail),
    });
    let status: number;
    let text: string;
    try {
      const res = await request(this.base + path, {
        method,
        headers: {
          'x-api-key': this.o.apiKey,
          accept: 'application/json',
          ...(body === undefined ? {} : { 'content-type': 'application/json' }),
        },
        body,
        headersTimeout: this.o.timeoutMs,
        bodyTimeout: this.o.timeoutMs,
        signal: signal ? AbortSignal.any([AbortSignal.timeout(this.o.timeoutMs), signal]) : AbortSignal.timeout(this.o.timeoutMs),
      });
      status = res.statusCode;
      text = await res.body.text();
    } catch (e) {
      observe('error');
      const code = errorCode(e);
      if (code === 'TimeoutError' || code === 'AbortError' || code.endsWith('_TIMEOUT')) {
        return fail('unreachable', undefined, '', `timed out after ${this.o.timeoutMs} ms talking to ${displayUrl(this.o.url)}`, true);
      }
      const message = e instanceof Error ? e.message : String(e);
      const cause = (e as { cause?: unknown }).cause;
      const causeText = cause instanceof Error && cause.message !== message ? ` (${cause.message})` : '';
      return fail('unreachable', undefined, '', `cannot reach ${displayUrl(this.o.url)}: ${code ? `${code}: ` : ''}${message}${causeText}`, RETRYABLE_NETWORK.has(code));
    }
    if (status >= 200 && status < 300) {
      observe('ok');
      return { kind: 'ok', status, body: text };
    }
    const words = backendWords(text);
    const said = words ? `: ${words}` : '';
    if (status === 429) {
      observe('throttled');
      return fail('server', status, words, `throttled (HTTP 429)${said}`, true);
    }
    observe('error');
    if (status === 401 || status === 403) {
      return fail('auth', status, words, `authentication failed (check the API key): HTTP ${status}${said}`, false);
    }
    if (status === 404) return fail('not-found', status, words, `not found (HTTP 404)${said}`, false);
    if (status === 400 || status === 422) return fail('rejected', status, words, `rejected (HTTP ${status})${said}`, false);
    if (status >= 500) return fail('server', status, words, `server error (HTTP ${status})${said}`, true);
    return fail('server', status, words, `unexpected HTTP ${status}${said}`, false);
  }
}
