import type { KubeConfig } from '@kubernetes/client-node';
import { NamespacedLabelledApi } from './labelled-api.js';

/** The kubeconfig Secrets of one namespace that match a label selector. */
export type SecretKind = 'Secret';

/**
 * The kubeconfig Secrets through client-node: only a Role on Secrets in that one namespace is
 * needed, never cluster-wide Secret access.
 */
export class ClientNodeSecretApi extends NamespacedLabelledApi<SecretKind> {
  constructor(kc: KubeConfig, namespace: string, labelSelector: string) {
    super(kc, 'Secret', namespace, labelSelector);
  }
}
