// Challenge answers while an order is pending.
// HTTP-01 (RFC 8555 8.3): the key authorization for each token; the HTTP listener asks
// `respond(host, path)` before anything else. Keyed by host and token, so one name's challenge
// is never answered on another name.
// TLS-ALPN-01 (RFC 8737): a self-signed certificate per name carrying the key authorization's
// digest; the HTTPS listener serves it to a client that offers ALPN `acme-tls/1` with that
// name as SNI. Keyed by name (orders run one at a time, one name each).
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

/** The certificate (and its throwaway key) that answers a TLS-ALPN-01 challenge for one name. */
export interface AlpnChallengeCertificate {
  certPem: string;
  keyPem: string;
}

export interface AlpnChallenges {
  /** the challenge certificate for this SNI name, or undefined (not being validated now) */
  certificate(servername: string): AlpnChallengeCertificate | undefined;
}

export class AlpnChallengeResponder implements AlpnChallenges {
  private readonly certificates = new Map<string, AlpnChallengeCertificate>();

  add(host: string, certificate: AlpnChallengeCertificate): void {
    this.certificates.set(host.toLowerCase(), certificate);
  }

  delete(host: string): void {
    this.certificates.delete(host.toLowerCase());
  }

  /** number of challenges being answered now */
  get pending(): number {
    return this.certificates.size;
  }

  certificate(servername: string): AlpnChallengeCertificate | undefined {
    return this.certificates.get(servername.toLowerCase().replace(/\.$/, ''));
  }
}
