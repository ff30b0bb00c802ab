import { KubeConfig } from '@kubernetes/client-node';
import type { KubeConnection } from '../../config/index.js';

/**
 * A KubeConfig for one cluster. Everything a kubeconfig can say (bearer token, client
 * certificate, exec and auth-provider credentials, CA data or file, insecure-skip-tls-verify,
 * tls-server-name, proxy-url) is left to client-node; this only picks the file and context.
 * Throws an Error that says which file or context is wrong.
 */
export function loadKubeConfig(connection: KubeConnection): KubeConfig {
  const kc = new KubeConfig();
  if ('inCluster' in connection) {
    // loadFromCluster does not check; without these it would dial "https://undefined:undefined".
    if (!process.env.KUBERNETES_SERVICE_HOST || !process.env.KUBERNETES_SERVICE_PORT) {
      throw new Error('inCluster: KUBERNETES_SERVICE_HOST and KUBERNETES_SERVICE_PORT are not set (not running in a pod?)');
    }
    kc.loadFromCluster();
    return kc;
  }
  try {
    kc.loadFromFile(connection.kubeconfig);
  } catch (e) {
    throw new Error(`kubeconfig ${connection.kubeconfig}: ${(e as Error).message}`);
  }
  if (connection.context !== undefined) {
    if (!kc.getContextObject(connection.context)) {
      throw new Error(`kubeconfig ${connection.kubeconfig}: no context "${connection.context}"`);
    }
    kc.setCurrentContext(connection.context);
  }
  const context = kc.getCurrentContext();
  if (!kc.getCurrentCluster()) {
    throw new Error(`kubeconfig ${connection.kubeconfig}: context "${context}" names no cluster that the file defines`);
  }
  if (!kc.getCurrentUser()) {
    // client-node applies the CA and TLS settings only when the context has a user.
    throw new Error(`kubeconfig ${connection.kubeconfig}: context "${context}" names no user that the file defines`);
  }
  return kc;
}
