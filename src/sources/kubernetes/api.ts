import { CoreV1Api, NetworkingV1Api } from '@kubernetes/client-node';
import type { KubeConfig } from '@kubernetes/client-node';
import { openWatch } from './watch-stream.js';

/** The kinds a cluster source reads. */
export type ResourceKind = 'Namespace' | 'Ingress' | 'Service';

/** A Kubernetes object as JSON; read through the extraction helpers, never trusted to have a shape. */
export type KubeObject = Record<string, unknown>;

export interface ListResult {
  items: KubeObject[];
  resourceVersion: string;
}

export interface WatchParams {
  resourceVersion: string;
  /** Asks the server to end the watch cleanly after this long, so a healthy watch is never silent for longer. */
  timeoutSeconds: number;
}

export interface WatchHandle {
  abort(): void;
}

/**
 * The two calls a reflector makes, separated from the client library so the supervisor can
 * be tested against a scripted fake. `K` names the kinds it serves (other sources, such as the
 * management cluster's custom resources, bring their own).
 */
export interface KubeApi<K extends string = ResourceKind> {
  list(kind: K): Promise<ListResult>;
  /**
   * Opens a watch. `onEvent` gets each event (`ADDED`, `MODIFIED`, `DELETED`, `BOOKMARK`,
   * `ERROR`); `onDone` is called once when the watch ends: null for a clean end, else the error.
   * May call `onDone` before the returned promise resolves.
   */
  watch(kind: K, params: WatchParams, onEvent: (type: string, object: KubeObject) => void, onDone: (err: unknown) => void): Promise<WatchHandle>;
}

const WATCH_PATHS: Record<ResourceKind, string> = {
  Namespace: '/api/v1/namespaces',
  Service: '/api/v1/services',
  Ingress: '/apis/networking.k8s.io/v1/ingresses',
};

/** Page size of lists: big clusters are listed in pieces, as kubectl and client-go do. */
const LIST_PAGE = 500;

/**
 * client-node 1.4 behind `KubeApi`: the generated clients for lists (auth, TLS, exec
 * credentials and tls-server-name all come from the KubeConfig), and `openWatch` with the same
 * connection settings for watches (it keeps the Status message of a refused watch).
 */
export class ClientNodeApi implements KubeApi {
  private readonly core: CoreV1Api;
  private readonly networking: NetworkingV1Api;

  constructor(private readonly kc: KubeConfig) {
    this.core = kc.makeApiClient(CoreV1Api);
    this.networking = kc.makeApiClient(NetworkingV1Api);
  }

  async list(kind: ResourceKind): Promise<ListResult> {
    const items: KubeObject[] = [];
    let cont: string | undefined;
    let resourceVersion = '';
    do {
      const page = await this.listPage(kind, cont);
      // List items carry no kind of their own in real API servers.
      for (const item of page.items) items.push({ ...(item as object), kind });
      resourceVersion = page.metadata?.resourceVersion ?? '';
      cont = page.metadata?._continue || undefined;
    } while (cont !== undefined);
    return { items, resourceVersion };
  }

  private listPage(kind: ResourceKind, cont: string | undefined): Promise<{ items: unknown[]; metadata?: { resourceVersion?: string; _continue?: string } }> {
    const param = { limit: LIST_PAGE, _continue: cont };
    switch (kind) {
      case 'Namespace':
        return this.core.listNamespace(param);
      case 'Service':
        return this.core.listServiceForAllNamespaces(param);
      case 'Ingress':
        return this.networking.listIngressForAllNamespaces(param);
    }
  }

  async watch(kind: ResourceKind, params: WatchParams, onEvent: (type: string, object: KubeObject) => void, onDone: (err: unknown) => void): Promise<WatchHandle> {
    const query = { resourceVersion: params.resourceVersion, timeoutSeconds: params.timeoutSeconds, allowWatchBookmarks: true };
    return openWatch(this.kc, WATCH_PATHS[kind], query, onEvent, onDone);
  }
}
