import { CoreV1Api } from '@kubernetes/client-node';
import type { KubeConfig } from '@kubernetes/client-node';
import type { KubeApi, KubeObject, ListResult, WatchHandle, WatchParams } from './api.js';
import { openWatch } from './watch-stream.js';

const LIST_PAGE = 500;

/** One page of a namespaced list, as client-node returns it. */
interface Page {
  items: object[];
  metadata?: { resourceVersion?: string; _continue?: string };
}

/** The core/v1 kinds read this way, with their list call and plural. */
const KINDS = {
  Secret: { plural: 'secrets', list: (core: CoreV1Api, a: ListArgs): Promise<Page> => core.listNamespacedSecret(a) },
  ConfigMap: { plural: 'configmaps', list: (core: CoreV1Api, a: ListArgs): Promise<Page> => core.listNamespacedConfigMap(a) },
} as const;

interface ListArgs {
  namespace: string;
  labelSelector: string;
  limit: number;
  _continue?: string;
}

/**
 * client-node 1.4 behind `KubeApi`, for one core/v1 kind scoped to one namespace and label
 * selector: the namespaced list and watch need only a Role in that namespace, and objects
 * without the label never reach this process. An object that loses the label arrives as
 * DELETED (the API server filters watches by the selector).
 */
export class NamespacedLabelledApi<K extends keyof typeof KINDS> implements KubeApi<K> {
  protected readonly core: CoreV1Api;

  constructor(
    protected readonly kc: KubeConfig,
    private readonly kind: K,
    protected readonly namespace: string,
    private readonly labelSelector: string,
  ) {
    this.core = kc.makeApiClient(CoreV1Api);
  }

  async list(): Promise<ListResult> {
    const items: KubeObject[] = [];
    let cont: string | undefined;
    let resourceVersion = '';
    do {
      const page = await KINDS[this.kind].list(this.core, { namespace: this.namespace, labelSelector: this.labelSelector, limit: LIST_PAGE, _continue: cont });
      for (const item of page.items) items.push({ ...item, kind: this.kind });
      resourceVersion = page.metadata?.resourceVersion ?? '';
      cont = page.metadata?._continue || undefined;
    } while (cont !== undefined);
    return { items, resourceVersion };
  }

  async watch(_kind: K, params: WatchParams, onEvent: (type: string, object: KubeObject) => void, onDone: (err: unknown) => void): Promise<WatchHandle> {
    const query = { resourceVersion: params.resourceVersion, timeoutSeconds: params.timeoutSeconds, allowWatchBookmarks: true, labelSelector: this.labelSelector };
    return openWatch(this.kc, `/api/v1/namespaces/${encodeURIComponent(this.namespace)}/${KINDS[this.kind].plural}`, query, onEvent, onDone);
  }
}
