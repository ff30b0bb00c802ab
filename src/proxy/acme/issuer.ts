// Gets one certificate for one name from an ACME CA with HTTP-01 or TLS-ALPN-01 (acme-client
// does the protocol; we provide the account key, the challenge answers and clear errors).
import https from 'node:https';
import acme from 'acme-client';
import type { AcmeStorage, StoredCertificate } from './storage.js';
import type { AlpnChallengeResponder, HttpChallengeResponder } from './challenges.js';

/** How the CA validates a name: port 80 (HTTP listener) or port 443 (HTTPS listener, RFC 8737). */
export type AcmeChallengeType = 'http-01' | 'tls-alpn-01';

export interface AcmeIssuerOptions {
  directoryUrl: string;
  /** account contact (mailto:) */
  email?: string;
  /**
   * CA certificates to trust for the ACME server's own HTTPS (a test CA such as pebble's)
   * instead of the system roots. acme-client shares one HTTP client per process, so the
   * bundles of every issuer in the process are trusted together; leave it unset for public CAs.
   */
  caBundlePem?: string;
  storage: AcmeStorage;
  challenges: HttpChallengeResponder;
  /** default http-01 */
  challenge?: AcmeChallengeType;
  /** where TLS-ALPN-01 certificates go while validated (required for tls-alpn-01) */
  alpnChallenges?: AlpnChallengeResponder;
}

export class AcmeIssuer {
  private client: acme.Client | undefined;

  private readonly challenge: AcmeChallengeType;

  constructor(private readonly opts: AcmeIssuerOptions) {
    this.challenge = opts.challenge ?? 'http-01';
    if (this.challenge === 'tls-alpn-01' && !opts.alpnChallenges) throw new Error(`acme ${opts.directoryUrl}: tls-alpn-01 needs a responder for the HTTPS listener`);
    if (opts.caBundlePem) trustAcmeServerCa(opts.caBundlePem);
  }

  /** A new key and certificate for `host` (leaf + chain). Errors name the CA, the host and the reason. */
  async issue(host: string): Promise<StoredCertificate> {
    if (host.startsWith('*.')) throw this.error(host, 'wildcard names need DNS-01, which globaldns does not do; use a Secret or files');
    const client = await this.account();
    const [key, csr] = await acme.crypto.createCsr({ commonName: host, altNames: [host] }, await acme.crypto.createPrivateEcdsaKey('P-256'));
    try {
      const certPem = await client.auto({
        csr,
        email: this.opts.email,
        termsOfServiceAgreed: true,
        // Only the configured type: the CA offers both, and answering one we cannot serve would fail the order.
        challengePriority: [this.challenge],
        // The CA checks the challenge itself; a self-check would need our public address
        // to be reachable from here, which behind NAT or split DNS it often is not.
        skipChallengeVerification: true,
        challengeCreateFn: async (authz, challenge, keyAuthorization) => {
          const name = authz.identifier.value;
          // acme-client's types list http-01 and dns-01 only; tls-alpn-01 arrives all the same.
          const type: string = challenge.type;
          if (challenge.type === 'http-01') {
            this.opts.challenges.add(name, challenge.token, keyAuthorization);
          } else if (type === 'tls-alpn-01' && this.opts.alpnChallenges) {
            // A throwaway P-256 key: acme-client's default would be a 2048-bit RSA key per challenge.
            const challengeKey = await acme.crypto.createPrivateEcdsaKey('P-256');
            const [keyPem, certPem] = await acme.crypto.createAlpnCertificate(authz, keyAuthorization, challengeKey);
            this.opts.alpnChallenges.add(name, { certPem: certPem.toString('utf8'), keyPem: keyPem.toString('utf8') });
          } else {
            throw new Error(`challenge type ${type} is not supported`);
          }
        },
        challengeRemoveFn: async (authz, challenge) => {
          if (challenge.type === 'http-01') this.opts.challenges.delete(authz.identifier.value, challenge.token);
          else if ((challenge.type as string) === 'tls-alpn-01') this.opts.alpnChallenges?.delete(authz.identifier.value);
        },
      });
      return { certPem, keyPem: key.toString('utf8') };
    } catch (err) {
      throw this.error(host, describeAcmeError(err));
    }
  }

  private async account(): Promise<acme.Client> {
    if (this.client) return this.client;
    let accountKey = await this.opts.storage.loadAccountKey();
    if (!accountKey) {
      accountKey = (await acme.crypto.createPrivateEcdsaKey('P-256')).toString('utf8');
      await this.opts.storage.saveAccountKey(accountKey);
    }
    this.client = new acme.Client({ directoryUrl: this.opts.directoryUrl, accountKey, backoffAttempts: 10, backoffMin: 500, backoffMax: 5000 });
    return this.client;
  }

  private error(host: string, reason: string): Error {
    return new Error(`acme ${this.opts.directoryUrl}: certificate for ${host}: ${reason}`);
  }
}

const trustedAcmeCas = new Set<string>();

function trustAcmeServerCa(pem: string): void {
  if (trustedAcmeCas.has(pem)) return;
  trustedAcmeCas.add(pem);
  acme.axios.defaults.httpsAgent = new https.Agent({ ca: [...trustedAcmeCas], keepAlive: true });
}

/** The CA's problem detail when there is one (the JSON acme-client puts in the message). */
function describeAcmeError(err: unknown): string {
  const e = err as { message?: string; code?: string; response?: { status?: number; data?: { detail?: string; type?: string } } };
  if (e.response?.data?.detail) return `${e.response.status ?? ''} ${e.response.data.detail}`.trim();
  if (e.code && e.message) return `${e.code}: ${e.message}`;
  return e.message ?? String(err);
}
