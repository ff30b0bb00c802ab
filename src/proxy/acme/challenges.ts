// HTTP-01 challenge answers (RFC 8555 8.3): while an order is pending, the key authorization
// for each token is kept here; the HTTP listener asks `respond(host, path)` before anything
// else. Keyed by host and token, so one name's challenge is never answered on another name.
import { hostWithoutPort, ACME_CHALLENGE_PREFIX } from '../tls/redirect.js';

export interface AcmeChallenges {
  /** the key authorization to send as the 200 body, or undefined (answer 404 or route on) */
  respond(host: string, path: string): string | undefined;
}

export class HttpChallengeResponder implements AcmeChallenges {
  private readonly answers = new Map<string, string>();

  add(host: string, token: string, keyAuthorization: string): void {
    this.answers.set(key(host, token), keyAuthorization);
  }

  delete(host: string, token: string): void {
    this.answers.delete(key(host, token));
  }

  /** number of challenges being answered now */
  get pending(): number {
    return this.answers.size;
  }

  respond(host: string, path: string): string | undefined {
    if (!path.startsWith(ACME_CHALLENGE_PREFIX)) return undefined;
    const h = hostWithoutPort(host);
    if (!h) return undefined;
    let token = path.slice(ACME_CHALLENGE_PREFIX.length);
    const q = token.indexOf('?');
    if (q >= 0) token = token.slice(0, q);
    return this.answers.get(key(h, token));
  }
}

function key(host: string, token: string): string {
  return `${host.toLowerCase()}/${token}`;
}
