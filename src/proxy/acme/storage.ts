// Where ACME state lives: the account key and one certificate per name. Standalone mode keeps
// files in the state directory (0600, written atomically so a crash never leaves half a key);
// cluster mode keeps Secrets in the management cluster, so every replica and every restart
// sees the same account and certificates.
import { mkdir, readFile, rename, writeFile, chmod } from 'node:fs/promises';
import path from 'node:path';
import { CoreV1Api, type KubeConfig, type V1Secret } from '@kubernetes/client-node';

export interface StoredCertificate {
  certPem: string;
  keyPem: string;
}

export interface AcmeStorage {
  /** where, for messages: "/var/lib/globaldns" or "secrets in namespace globaldns" */
  readonly where: string;
  loadAccountKey(): Promise<string | undefined>;
  saveAccountKey(pem: string): Promise<void>;
  loadCertificate(host: string): Promise<StoredCertificate | undefined>;
  saveCertificate(host: string, cert: StoredCertificate): Promise<void>;
}

function assertPlainHost(host: string): void {
  // The host becomes a file or Secret name: refuse anything that could leave the directory.
  if (!/^[a-z0-9]([a-z0-9.-]*[a-z0-9])?$/.test(host)) throw new Error(`not a plain host name: ${JSON.stringify(host)}`);
}

async function writePrivate(file: string, text: string): Promise<void> {
  const tmp = `${file}.${process.pid}.tmp`;
  await writeFile(tmp, text, { mode: 0o600 });
  await chmod(tmp, 0o600); // the mode option is masked by the umask
  await rename(tmp, file);
}

async function readIfExists(file: string): Promise<string | undefined> {
  try {
    return await readFile(file, 'utf8');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw err;
  }
}

/** `<stateDir>/acme/account.key`, `<stateDir>/certs/<host>.pem` and `.key`. */
export class FileAcmeStorage implements AcmeStorage {
  readonly where: string;
  constructor(private readonly stateDir: string) {
    this.where = stateDir;
  }

  certPaths(host: string): { cert: string; key: string } {
    assertPlainHost(host);
    const dir = path.join(this.stateDir, 'certs');
    return { cert: path.join(dir, `${host}.pem`), key: path.join(dir, `${host}.key`) };
  }

  async loadAccountKey(): Promise<string | undefined> {
    return readIfExists(path.join(this.stateDir, 'acme', 'account.key'));
  }

  async saveAccountKey(pem: string): Promise<void> {
    const dir = path.join(this.stateDir, 'acme');
    await mkdir(dir, { recursive: true, mode: 0o700 });
    await writePrivate(path.join(dir, 'account.key'), pem);
  }

  async loadCertificate(host: string): Promise<StoredCertificate | undefined> {
    const p = this.certPaths(host);
    const [certPem, keyPem] = await Promise.all([readIfExists(p.cert), readIfExists(p.key)]);
    return certPem && keyPem ? { certPem, keyPem } : undefined;
  }

  async saveCertificate(host: string, cert: StoredCertificate): Promise<void> {
    const p = this.certPaths(host);
    await mkdir(path.dirname(p.cert), { recursive: true, mode: 0o700 });
    // key first: a reader that sees the new certificate also finds its key
    await writePrivate(p.key, cert.keyPem);
    await writePrivate(p.cert, cert.certPem);
  }
}

const MANAGED_BY = { 'app.kubernetes.io/managed-by': 'globaldns' };
export const ACCOUNT_SECRET = 'globaldns-acme-account';

/** Secret name of the ACME certificate for `host` (host names are valid DNS subdomains). */
export function certificateSecretName(host: string): string {
  assertPlainHost(host);
  return `globaldns-acme-${host}`.slice(0, 253);
}

function isNotFound(err: unknown): boolean {
  return (err as { code?: number }).code === 404;
}

function b64(text: string): string {
  return Buffer.from(text, 'utf8').toString('base64');
}

function fromB64(value: string | undefined): string | undefined {
  return value === undefined ? undefined : Buffer.from(value, 'base64').toString('utf8');
}

/**
 * Secrets in `namespace` of the management cluster: `globaldns-acme-account` (Opaque,
 * `account.key`) and `globaldns-acme-<host>` (`kubernetes.io/tls`).
 */
export class SecretAcmeStorage implements AcmeStorage {
  readonly where: string;
  private readonly api: CoreV1Api;
  constructor(kubeConfig: KubeConfig, private readonly namespace: string) {
    this.api = kubeConfig.makeApiClient(CoreV1Api);
    this.where = `secrets in namespace ${namespace}`;
  }

  async loadAccountKey(): Promise<string | undefined> {
    return fromB64((await this.read(ACCOUNT_SECRET))?.data?.['account.key']);
  }

  async saveAccountKey(pem: string): Promise<void> {
    await this.write({ metadata: { name: ACCOUNT_SECRET, labels: MANAGED_BY }, type: 'Opaque', data: { 'account.key': b64(pem) } });
  }

  async loadCertificate(host: string): Promise<StoredCertificate | undefined> {
    const secret = await this.read(certificateSecretName(host));
    const certPem = fromB64(secret?.data?.['tls.crt']);
    const keyPem = fromB64(secret?.data?.['tls.key']);
    return certPem && keyPem ? { certPem, keyPem } : undefined;
  }

  async saveCertificate(host: string, cert: StoredCertificate): Promise<void> {
    await this.write({
      metadata: { name: certificateSecretName(host), labels: MANAGED_BY, annotations: { 'globaldns.io/host': host } },
      type: 'kubernetes.io/tls',
      data: { 'tls.crt': b64(cert.certPem), 'tls.key': b64(cert.keyPem) },
    });
  }

  private async read(name: string): Promise<V1Secret | undefined> {
    try {
      return await this.api.readNamespacedSecret({ name, namespace: this.namespace });
    } catch (err) {
      if (isNotFound(err)) return undefined;
      throw new Error(`read secret ${this.namespace}/${name}: ${kubeMessage(err)}`);
    }
  }

  private async write(body: V1Secret): Promise<void> {
    const name = body.metadata!.name!;
    body.metadata!.namespace = this.namespace;
    try {
      const existing = await this.read(name);
      if (existing) {
        body.metadata!.resourceVersion = existing.metadata?.resourceVersion;
        await this.api.replaceNamespacedSecret({ name, namespace: this.namespace, body });
      } else {
        await this.api.createNamespacedSecret({ namespace: this.namespace, body });
      }
    } catch (err) {
      throw new Error(`write secret ${this.namespace}/${name}: ${kubeMessage(err)}`);
    }
  }
}

/** The status line of a client-node error, never its body (which may echo Secret data). */
export function kubeMessage(err: unknown): string {
  const e = err as { code?: number; message?: string };
  if (typeof e.code === 'number') {
    const reason = /"reason":"([^"]+)"/.exec(e.message ?? '')?.[1];
    return `HTTP ${e.code}${reason ? ` ${reason}` : ''}`;
  }
  return e.message ?? String(err);
}
