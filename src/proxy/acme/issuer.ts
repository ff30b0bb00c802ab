// Gets one certificate for one name from an ACME CA with HTTP-01 (acme-client does the
// protocol; we provide the account key, the challenge answers and clear errors).
import https from 'node:https';
import acme from 'acme-client';
import type { AcmeStorage, StoredCertificate } from './storage.js';
import type { HttpChallengeResponder } from './challenges.js';

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
}

export class AcmeIssuer {
  private client: acme.Client | undefined;

  constructor(private readonly opts: AcmeIssuerOptions) {
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
        challengePriority: ['http-01'],
        // The CA checks the challenge itself; a self-check would need our public address
        // to be reachable from here, which behind NAT or split DNS it often is not.
        skipChallengeVerification: true,
        challengeCreateFn: async (authz, challenge, keyAuthorization) => {
          if (challenge.type !== 'http-01') throw new Error(`challenge type ${challenge.type} is not supported`);
          this.opts.challenges.add(authz.identifier.value, challenge.token, keyAuthorization);
        },
        challengeRemoveFn: async (authz, challenge) => {
          if (challenge.type === 'http-01') this.opts.challenges.delete(authz.identifier.value, challenge.token);
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
