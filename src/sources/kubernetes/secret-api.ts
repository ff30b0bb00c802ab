import { CoreV1Api } from '@kubernetes/client-node';
import type { KubeConfig } from '@kubernetes/client-node';
import type { KubeApi, KubeObject, ListResult, WatchHandle, WatchParams } from './api.js';
import { openWatch } from './watch-stream.js';

/** The kubeconfig Secrets of one namespace that match a label selector. */
export type SecretKind = 'Secret';

const LIST_PAGE = 500;

/**
 * client-node 1.4 behind `KubeApi<'Secret'>`, scoped to one namespace and label selector: the
 * namespaced list and watch need only a Role in that namespace, never cluster-wide Secret
 * access, and Secrets without the label never reach this process. A Secret that loses the
 * label arrives as DELETED (the API server filters watches by the selector).
 */
export class ClientNodeSecretApi implements KubeApi<SecretKind> {
  private readonly core: CoreV1Api;

  constructor(
    private readonly kc: KubeConfig,
    private readonly namespace: string,
    private readonly labelSelector: string,
  ) {
    this.core = kc.makeApiClient(CoreV1Api);
  }

  async list(): Promise<ListResult> {
    const items: KubeObject[] = [];
    let cont: string | undefined;
    let resourceVersion = '';
    do {
      const page = await this.core.listNamespacedSecret({ namespace: this.namespace, labelSelector: this.labelSelector, limit: LIST_PAGE, _continue: cont });
      for (const item of page.items) items.push({ ...(item as object), kind: 'Secret' });
      resourceVersion = page.metadata?.resourceVersion ?? '';
      cont = page.metadata?._continue || undefined;
    } while (cont !== undefined);
    return { items, resourceVersion };
  }

  async watch(_kind: SecretKind, params: WatchParams, onEvent: (type: string, object: KubeObject) => void, onDone: (err: unknown) => void): Promise<WatchHandle> {
    const query = { resourceVersion: params.resourceVersion, timeoutSeconds: params.timeoutSeconds, allowWatchBookmarks: true, labelSelector: this.labelSelector };
    return openWatch(this.kc, `/api/v1/namespaces/${encodeURIComponent(this.namespace)}/secrets`, query, onEvent, onDone);
  }
}
