/**
 * Name helpers. Names are kept in one canonical form everywhere inside globaldns:
 * lower case, no trailing dot, the root as ''.
 */

export function normalizeName(name: string): string {
  let n = name.trim().toLowerCase();
  if (n.endsWith('.')) n = n.slice(0, -1);
  return n;
}

const LABEL = /^(?:\*|[a-z0-9_](?:[a-z0-9_-]{0,61}[a-z0-9_])?)$/;

/**
 * True for a hostname a user may claim: LDH labels of 1..63 octets, 253 octets in all,
 * at least two labels, an optional leading '*' label for wildcards. Underscores are allowed
 * because service names (_acme-challenge, _http._tcp) are ordinary in zones.
 */
export function isValidHostname(name: string, opts: { allowWildcard?: boolean } = {}): boolean {
  const n = normalizeName(name);
  if (n.length === 0 || n.length > 253) return false;
  const labels = n.split('.');
  if (labels.length < 2) return false;
  return labels.every((label, i) => {
    if (label === '*') return i === 0 && opts.allowWildcard !== false;
    return LABEL.test(label) && label.length <= 63;
  });
}

/**
 * True for a load-balancer hostname (`status.loadBalancer.ingress[].hostname`): what Kubernetes
 * accepts there, a DNS-1123 subdomain, and that includes a single label (`localhost`, or a name
 * the resolver's search domain completes), since it is only ever looked up, never claimed or
 * published. No wildcard, and the last label not all digits: getaddrinfo reads such a name as
 * an address in inet_aton's forms ("10.1" is 10.0.0.1, "167772161" too), not as a name.
 */
export function isValidTargetHostname(name: string): boolean {
  const n = normalizeName(name);
  if (n.length === 0 || n.length > 253) return false;
  const labels = n.split('.');
  if (/^\d+$/.test(labels[labels.length - 1])) return false;
  return labels.every((label) => label !== '*' && LABEL.test(label));
}

/** True when `name` equals `apex` or lies below it. Both canonical. */
export function isInZone(name: string, apex: string): boolean {
  if (apex === '') return true;
  return name === apex || name.endsWith('.' + apex);
}

/** The longest apex among `apexes` that contains `name`, or undefined. */
export function findZone(name: string, apexes: Iterable<string>): string | undefined {
  let best: string | undefined;
  for (const apex of apexes) {
    if (isInZone(name, apex) && (best === undefined || apex.length > best.length)) best = apex;
  }
  return best;
}

/** `name` relative to the zone apex ('@' for the apex itself). */
export function relativeName(name: string, apex: string): string {
  if (name === apex) return '@';
  return apex === '' ? name : name.slice(0, -(apex.length + 1));
}

/** Resolve a zone-file owner ('@', relative or absolute with a dot) to a canonical name. */
export function absoluteName(owner: string, apex: string): string {
  if (owner === '@') return apex;
  if (owner.endsWith('.')) return normalizeName(owner);
  const n = normalizeName(owner);
  return apex === '' ? n : `${n}.${apex}`;
}
