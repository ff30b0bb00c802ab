// Certificates from `kubernetes.io/tls` Secrets of the management cluster (cluster mode),
// read by name. The manager polls: a rotated Secret is served within one poll interval.
import { CoreV1Api, type KubeConfig } from '@kubernetes/client-node';
import { bundleFromPem, type CertificateBundle } from './bundle.js';

export interface SecretRef {
  namespace: string;
  name: string;
}

/** `name` (in `defaultNamespace`) or `namespace/name`. */
export function parseSecretRef(ref: string, defaultNamespace: string): SecretRef {
  const parts = ref.split('/');
  if (parts.length === 1 && parts[0]) return { namespace: defaultNamespace, name: parts[0] };
  if (parts.length === 2 && parts[0] && parts[1]) return { namespace: parts[0], name: parts[1] };
  throw new Error(`secretName ${JSON.stringify(ref)}: expected "name" or "namespace/name"`);
}

export class TlsSecretReader {
  private readonly api: CoreV1Api;
  constructor(kubeConfig: KubeConfig) {
    this.api = kubeConfig.makeApiClient(CoreV1Api);
  }

  /** The Secret as a bundle. Errors name the Secret and what is wrong, never its data. */
  async read(ref: SecretRef): Promise<CertificateBundle> {
    const where = `secret ${ref.namespace}/${ref.name}`;
    let secret;
    try {
      secret = await this.api.readNamespacedSecret({ name: ref.name, namespace: ref.namespace });
    } catch (err) {
      const e = err as { code?: number; message?: string };
      throw new Error(`${where}: ${typeof e.code === 'number' ? `HTTP ${e.code}${e.code === 404 ? ' not found' : ''}` : e.message}`);
    }
    if (secret.type !== 'kubernetes.io/tls') throw new Error(`${where}: type is ${secret.type ?? 'unset'}, expected kubernetes.io/tls`);
    const cert = secret.data?.['tls.crt'];
    const key = secret.data?.['tls.key'];
    if (!cert || !key) throw new Error(`${where}: tls.crt and tls.key are both required`);
    return bundleFromPem(Buffer.from(cert, 'base64').toString('utf8'), Buffer.from(key, 'base64').toString('utf8'), where);
  }
}
