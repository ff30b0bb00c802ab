import type { KubeConfig, V1ConfigMap } from '@kubernetes/client-node';
import { describeFailure, NamespacedLabelledApi } from '../sources/kubernetes/index.js';
import type { KubeApi } from '../sources/kubernetes/index.js';

export type ReportKind = 'ConfigMap';

/** Where the vantages' reports live: list and watch them (a reflector's calls), write and delete one's own. */
export interface ReportStore extends KubeApi<ReportKind> {
  /** Creates or replaces the ConfigMap `name` (each replica alone writes its own: last write wins). */
  put(name: string, labels: Record<string, string>, data: Record<string, string>): Promise<void>;
  /** Deletes it; a missing one is no error. */
  remove(name: string): Promise<void>;
}

/**
 * The reports as ConfigMaps of one namespace of the management cluster (the Lease's), through
 * client-node and the management mode's kubeconfig; reads only those with the label selector,
 * so a Role on configmaps in that one namespace is all it needs.
 */
export class ClientNodeReportStore extends NamespacedLabelledApi<ReportKind> implements ReportStore {
  constructor(kc: KubeConfig, namespace: string, labelSelector: string) {
    super(kc, 'ConfigMap', namespace, labelSelector);
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
