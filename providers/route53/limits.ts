// What Route53 asks us to retry; the pacing itself (token bucket, backoff) is providers/pacing.ts.

const RETRYABLE_CODES = new Set([
  'Throttling',
  'ThrottlingException',
  'PriorRequestNotComplete',
  'RequestLimitExceeded',
  'ServiceUnavailable',
  'InternalFailure',
  'InternalError',
  'TimeoutError',
  'ECONNRESET',
  'ECONNREFUSED',
  'EPIPE',
  'ETIMEDOUT',
]);

/** Throttling, PriorRequestNotComplete, 5xx and dropped connections: worth another try. */
export function isRetryable(e: unknown): boolean {
  if (typeof e !== 'object' || e === null) return false;
  const err = e as { name?: string; code?: string; $metadata?: { httpStatusCode?: number } };
  const status = err.$metadata?.httpStatusCode;
  if (status !== undefined && status >= 500) return true;
  return RETRYABLE_CODES.has(err.name ?? '') || RETRYABLE_CODES.has(err.code ?? '');
}

export function errorName(e: unknown): string {
  return typeof e === 'object' && e !== null && 'name' in e ? String(e.name) : 'Error';
}

export function errorMessage(e: unknown): string {
  return e instanceof Error ? e.message : String(e);
}
