/**
 * An entry's `proxied` asks for Cloudflare's proxy (orange cloud). No other provider has one,
 * so `proxied: true` on another type would publish the origin addresses the user meant to
 * hide behind Cloudflare: that is refused, not ignored. `false` is what every other
 * provider does anyway and is accepted.
 */
export function entryProxiedProblem(entry: { provider: string; proxied?: boolean }, providerType: string | undefined): string | undefined {
  if (entry.proxied !== true || providerType === undefined || providerType === 'cloudflare') return undefined;
  return `proxied: only a cloudflare provider can proxy records; provider "${entry.provider}" is of type ${providerType} (leave proxied out or set it to false)`;
}
