// HTTP → HTTPS redirect target (308 keeps the method and body). Pure: the HTTP listener asks it
// after the ACME challenge responder, so challenge paths never reach here, and checks again
// here because a redirected challenge would fail validation on a name with no certificate yet.
export const ACME_CHALLENGE_PREFIX = '/.well-known/acme-challenge/';

export interface RedirectRequest {
  /** Host header (may carry a port) */
  host: string | undefined;
  /** request target as received: path and query */
  url: string | undefined;
}

/**
 * The `Location` for a 308 to HTTPS, or undefined when the request must not be redirected
 * (ACME challenge path, or no usable Host). `httpsPort` is the port clients reach HTTPS on;
 * 443 is left out of the URL.
 */
export function redirectTarget(req: RedirectRequest, httpsPort = 443): string | undefined {
  const url = req.url ?? '/';
  if (url.startsWith(ACME_CHALLENGE_PREFIX)) return undefined;
  if (!url.startsWith('/')) return undefined; // absolute-form or '*': not ours to rewrite
  const host = hostWithoutPort(req.host);
  if (!host) return undefined;
  const authority = host.includes(':') ? `[${host}]` : host;
  const port = httpsPort === 443 ? '' : `:${httpsPort}`;
  return `https://${authority}${port}${url}`;
}

/** The host part of a Host header, lower case; undefined when it is not a plausible host. */
export function hostWithoutPort(header: string | undefined): string | undefined {
  if (!header) return undefined;
  let host = header.trim().toLowerCase();
  if (host.startsWith('[')) {
    const end = host.indexOf(']');
    if (end < 0) return undefined;
    host = host.slice(1, end);
  } else {
    const colon = host.indexOf(':');
    if (colon >= 0) host = host.slice(0, colon);
  }
  if (host.endsWith('.')) host = host.slice(0, -1);
  return /^[a-z0-9._:-]+$/.test(host) ? host : undefined;
}
