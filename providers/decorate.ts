// What every decorator of a DnsProvider (the leader-only guard of management mode, the timing
// of a benchmark) builds on: it wraps some of the calls and hands everything else through.
// Listing the forwarded methods by hand dropped the optional ones a wrapper did not know of
// (`aliasHostnames`: Route53 aliases were flattened into A records that went stale); a Proxy
// forwards by construction, so a capability added to DnsProvider later cannot be lost again.
import type { DnsProvider } from './provider.js';

/** The calls a decorator may replace. */
export type ProviderCalls = Pick<DnsProvider, 'zones' | 'records' | 'apply'>;

/**
 * `inner` with the calls of `wrap` replacing its own; every other member (name, optional
 * capabilities, anything added later) is inner's, methods bound to inner. A capability inner
 * lacks stays absent (`'aliasHostnames' in p` is false), so callers' feature checks still work.
 */
export function decorate(inner: DnsProvider, wrap: Partial<ProviderCalls>): DnsProvider {
  return new Proxy(inner, {
    get(target, prop) {
      if (Object.hasOwn(wrap, prop)) return wrap[prop as keyof ProviderCalls];
      const value: unknown = Reflect.get(target, prop, target);
      return typeof value === 'function' ? (value as (...args: unknown[]) => unknown).bind(target) : value;
    },
  });
}
