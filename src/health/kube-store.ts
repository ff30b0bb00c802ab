import { CoreV1Api } from '@kubernetes/client-node';
import type { KubeConfig, V1ConfigMap } from '@kubernetes/client-node';
import { describeFailure, openWatch } from '../sources/kubernetes/index.js';
import type { KubeApi, KubeObject, ListResult, WatchHandle, WatchParams } from '../sources/kubernetes/index.js';

export type ReportKind = 'ConfigMap';

/** Where the vantages' reports live: list and watch them (a reflector's calls), write and delete one's own. */
export interface ReportStore extends KubeApi<ReportKind> {
  /** Creates or replaces the ConfigMap `name` (each replica alone writes its own: last write wins). */
  put(name: string, labels: Record<string, string>, data: Record<string, string>): Promise<void>;
  /** Deletes it; a missing one is no error. */
  remove(name: string): Promise<void>;
}

const LIST_PAGE = 500;

/**
 * The reports as ConfigMaps of one namespace of the management cluster (the Lease's), through
 * client-node and the management mode's kubeconfig; reads only those with the label selector,
 * so a Role on configmaps in that one namespace is all it needs.
 */
export class ClientNodeReportStore implements ReportStore {
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
      const page = await this.core.listNamespacedConfigMap({ namespace: this.namespace, labelSelector: this.labelSelector, limit: LIST_PAGE, _continue: cont });
      for (const item of page.items) items.push({ ...(item as object), kind: 'ConfigMap' });
      resourceVersion = page.metadata?.resourceVersion ?? '';
      cont = page.metadata?._continue || undefined;
    } while (cont !== undefined);
    return { items, resourceVersion };
  }

  async watch(_kind: ReportKind, params: WatchParams, onEvent: (type: string, object: KubeObject) => void, onDone: (err: unknown) => void): Promise<WatchHandle> {
    const query = { resourceVersion: params.resourceVersion, timeoutSeconds: params.timeoutSeconds, allowWatchBookmarks: true, labelSelector: this.labelSelector };
    return openWatch(this.kc, `/api/v1/namespaces/${encodeURIComponent(this.namespace)}/configmaps`, query, onEvent, onDone);
  }

  async put(name: string, labels: Record<string, string>, data: Record<string, string>): Promise<void> {
    const body: V1ConfigMap = { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name, namespace: this.namespace, labels }, data };
    try {
      // No resourceVersion: an unconditional replace, the object is this replica's alone.
      await this.core.replaceNamespacedConfigMap({ name, namespace: this.namespace, body });
      return;
    } catch (e) {
      if (describeFailure(e).status !== 404) throw new Error(`replace configmap ${this.namespace}/${name}: ${describeFailure(e).message}`, { cause: e });
    }
    try {
      await this.core.createNamespacedConfigMap({ namespace: this.namespace, body });
    } catch (e) {
      throw new Error(`create configmap ${this.namespace}/${name}: ${describeFailure(e).message}`, { cause: e });
    }
  }

  async remove(name: string): Promise<void> {
    try {
      await this.core.deleteNamespacedConfigMap({ name, namespace: this.namespace });
    } catch (e) {
      if (describeFailure(e).status === 404) return;
      throw new Error(`delete configmap ${this.namespace}/${name}: ${describeFailure(e).message}`, { cause: e });
    }
  }
}
