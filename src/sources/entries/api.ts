import { CoreV1Api, CustomObjectsApi } from '@kubernetes/client-node';
import type { CoreV1Event, KubeConfig } from '@kubernetes/client-node';
import { CRD_GROUP, CRD_VERSION } from '../../config/index.js';
import type { KubeApi, KubeObject, ListResult, WatchHandle, WatchParams } from '../kubernetes/index.js';
import { openWatch } from '../kubernetes/index.js';

/** What the management source reads. */
export type ManagementKind = 'GlobalDNS' | 'GlobalDNSProvider' | 'Secret';
/** The kinds whose status it writes. */
export type StatusKind = 'GlobalDNS' | 'GlobalDNSProvider';

export const PLURALS: Record<ManagementKind, string> = { GlobalDNS: 'globaldnses', GlobalDNSProvider: 'globaldnsproviders', Secret: 'secrets' };

/** The writes of the management source, beside the reflectors' list and watch. */
export interface ManagementApi extends KubeApi<ManagementKind> {
  /** The object, or undefined when it does not exist (404). */
  get(kind: StatusKind, namespace: string | undefined, name: string): Promise<KubeObject | undefined>;
  /** PUT on the status subresource; the body's `metadata.resourceVersion` makes it conditional (409 when stale). */
  replaceStatus(kind: StatusKind, namespace: string | undefined, name: string, body: KubeObject): Promise<KubeObject>;
  /** PUT on the resource itself (metadata and spec; finalizers), conditional like `replaceStatus`. */
  replace(kind: StatusKind, namespace: string | undefined, name: string, body: KubeObject): Promise<KubeObject>;
  createEvent(namespace: string, event: CoreV1Event): Promise<CoreV1Event>;
  replaceEvent(namespace: string, name: string, event: CoreV1Event): Promise<CoreV1Event>;
}

export interface ManagementScope {
  /** GlobalDNS resources of this namespace only; all namespaces when absent. */
  namespace?: string;
  /** Secrets of this namespace only; all namespaces when absent. */
  secretNamespace?: string;
}

const LIST_PAGE = 500;

function isObj(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function statusCode(e: unknown): number | undefined {
  if (!isObj(e)) return undefined;
  return typeof e.code === 'number' ? e.code : typeof e.statusCode === 'number' ? e.statusCode : undefined;
}

interface Page {
  items: unknown[];
  metadata?: { resourceVersion?: string; _continue?: string; continue?: string };
}

function asPage(v: unknown): Page {
  if (!isObj(v) || !Array.isArray(v.items)) throw new Error('the API server answered a list with something that is not a list');
  const meta = isObj(v.metadata) ? v.metadata : {};
  return {
    items: v.items,
    metadata: {
      resourceVersion: typeof meta.resourceVersion === 'string' ? meta.resourceVersion : undefined,
      _continue: typeof meta._continue === 'string' ? meta._continue : typeof meta.continue === 'string' ? meta.continue : undefined,
    },
  };
}

/** client-node 1.4 behind `ManagementApi`: generated clients for lists and writes, `openWatch` for watches (a refusal keeps its Status message). */
export class ClientNodeManagementApi implements ManagementApi {
  private readonly core: CoreV1Api;
  private readonly custom: CustomObjectsApi;

  constructor(
    private readonly kc: KubeConfig,
    private readonly scope: ManagementScope = {},
  ) {
    this.core = kc.makeApiClient(CoreV1Api);
    this.custom = kc.makeApiClient(CustomObjectsApi);
  }

  private watchPath(kind: ManagementKind): string {
    const { namespace, secretNamespace } = this.scope;
    switch (kind) {
      case 'Secret':
        return secretNamespace === undefined ? '/api/v1/secrets' : `/api/v1/namespaces/${encodeURIComponent(secretNamespace)}/secrets`;
      case 'GlobalDNS':
        return namespace === undefined
          ? `/apis/${CRD_GROUP}/${CRD_VERSION}/globaldnses`
          : `/apis/${CRD_GROUP}/${CRD_VERSION}/namespaces/${encodeURIComponent(namespace)}/globaldnses`;
      case 'GlobalDNSProvider':
        return `/apis/${CRD_GROUP}/${CRD_VERSION}/globaldnsproviders`;
    }
  }

  private async listPage(kind: ManagementKind, cont: string | undefined): Promise<Page> {
    const paging = { limit: LIST_PAGE, _continue: cont };
    const { namespace, secretNamespace } = this.scope;
    const crd = { group: CRD_GROUP, version: CRD_VERSION, plural: PLURALS[kind] };
    switch (kind) {
      case 'Secret': {
        const page = secretNamespace === undefined ? await this.core.listSecretForAllNamespaces(paging) : await this.core.listNamespacedSecret({ namespace: secretNamespace, ...paging });
        return { items: page.items, metadata: { resourceVersion: page.metadata?.resourceVersion, _continue: page.metadata?._continue } };
      }
      case 'GlobalDNS': {
        const page: unknown = namespace === undefined ? await this.custom.listClusterCustomObject({ ...crd, ...paging }) : await this.custom.listNamespacedCustomObject({ ...crd, namespace, ...paging });
        return asPage(page);
      }
      case 'GlobalDNSProvider': {
        const page: unknown = await this.custom.listClusterCustomObject({ ...crd, ...paging });
        return asPage(page);
      }
    }
  }

  async list(kind: ManagementKind): Promise<ListResult> {
    const items: KubeObject[] = [];
    let cont: string | undefined;
    let resourceVersion = '';
    do {
      const page = await this.listPage(kind, cont);
      // List items carry no kind of their own in real API servers.
      for (const item of page.items) if (isObj(item)) items.push({ ...item, kind });
      resourceVersion = page.metadata?.resourceVersion ?? '';
      cont = page.metadata?._continue || undefined;
    } while (cont !== undefined);
    return { items, resourceVersion };
  }

  async watch(kind: ManagementKind, params: WatchParams, onEvent: (type: string, object: KubeObject) => void, onDone: (err: unknown) => void): Promise<WatchHandle> {
    const query = { resourceVersion: params.resourceVersion, timeoutSeconds: params.timeoutSeconds, allowWatchBookmarks: true };
    return openWatch(this.kc, this.watchPath(kind), query, onEvent, onDone);
  }

  async get(kind: StatusKind, namespace: string | undefined, name: string): Promise<KubeObject | undefined> {
    const crd = { group: CRD_GROUP, version: CRD_VERSION, plural: PLURALS[kind], name };
    try {
      const obj: unknown = kind === 'GlobalDNS' ? await this.custom.getNamespacedCustomObject({ ...crd, namespace: namespace ?? 'default' }) : await this.custom.getClusterCustomObject(crd);
      return isObj(obj) ? obj : undefined;
    } catch (e) {
      if (statusCode(e) === 404) return undefined;
      throw e;
    }
  }

  async replaceStatus(kind: StatusKind, namespace: string | undefined, name: string, body: KubeObject): Promise<KubeObject> {
    const crd = { group: CRD_GROUP, version: CRD_VERSION, plural: PLURALS[kind], name, body };
    const obj: unknown = kind === 'GlobalDNS'
      ? await this.custom.replaceNamespacedCustomObjectStatus({ ...crd, namespace: namespace ?? 'default' })
      : await this.custom.replaceClusterCustomObjectStatus(crd);
    return isObj(obj) ? obj : {};
  }

  async replace(kind: StatusKind, namespace: string | undefined, name: string, body: KubeObject): Promise<KubeObject> {
    const crd = { group: CRD_GROUP, version: CRD_VERSION, plural: PLURALS[kind], name, body };
    const obj: unknown = kind === 'GlobalDNS' ? await this.custom.replaceNamespacedCustomObject({ ...crd, namespace: namespace ?? 'default' }) : await this.custom.replaceClusterCustomObject(crd);
    return isObj(obj) ? obj : {};
  }

  createEvent(namespace: string, event: CoreV1Event): Promise<CoreV1Event> {
    return this.core.createNamespacedEvent({ namespace, body: event });
  }

  replaceEvent(namespace: string, name: string, event: CoreV1Event): Promise<CoreV1Event> {
    return this.core.replaceNamespacedEvent({ namespace, name, body: event });
  }
}
