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

/**
 * A KubeConfig from kubeconfig text (a Secret's `data.kubeconfig`), with `context` or the
 * text's current-context. `what` names the text in errors (`Secret globaldns-system/east`).
 * Errors never quote the text: a YAML error is its position and reason only (the parser's
 * snippet of the offending line could hold a token).
 */
export function kubeConfigFromText(text: string, context: string | undefined, what: string): KubeConfig {
  if (text.trim() === '') throw new Error(`${what}: kubeconfig: empty`);
  const kc = new KubeConfig();
  try {
    kc.loadFromString(text);
  } catch (e) {
    throw new Error(`${what}: kubeconfig: ${firstLine((e as Error).message)}`);
  }
  if (kc.getClusters().length === 0 && kc.getContexts().length === 0) throw new Error(`${what}: kubeconfig: no clusters and no contexts (not a kubeconfig?)`);
  if (context !== undefined) {
    if (!kc.getContextObject(context)) throw new Error(`${what}: kubeconfig: no context "${context}" (contexts: ${kc.getContexts().map((c) => c.name).join(', ') || 'none'})`);
    kc.setCurrentContext(context);
  }
  const current = kc.getCurrentContext();
  if (!current || !kc.getContextObject(current)) throw new Error(`${what}: kubeconfig: no current-context and no "context" key to choose one`);
  if (!kc.getCurrentCluster()) throw new Error(`${what}: kubeconfig: context "${current}" names no cluster that the kubeconfig defines`);
  if (!kc.getCurrentUser()) throw new Error(`${what}: kubeconfig: context "${current}" names no user that the kubeconfig defines`);
  return kc;
}

/** The reason of a parser error without the quoted source lines that follow it, bounded. */
function firstLine(message: string): string {
  const line = message.split('\n')[0].trim();
  return line.length > 200 ? `${line.slice(0, 200)}…` : line;
}
