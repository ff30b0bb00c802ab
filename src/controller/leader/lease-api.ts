import { CoordinationV1Api, type KubeConfig, type V1Lease, type V1MicroTime } from '@kubernetes/client-node';
import { describeFailure } from '../../sources/kubernetes/errors.js';

/** The fields of a `coordination.k8s.io/v1` Lease spec the elector reads and writes. Times are RFC 3339 strings. */
export interface LeaseSpec {
  holderIdentity?: string;
  leaseDurationSeconds?: number;
  acquireTime?: string;
  renewTime?: string;
  leaseTransitions?: number;
}

export interface Lease {
  resourceVersion: string;
  spec: LeaseSpec;
}

/**
 * The three Lease calls leader election needs. `create` and `replace` throw `LeaseConflictError`
 * when someone else got there first (409: the Lease exists / the resourceVersion is stale);
 * any other failure is thrown as it came.
 */
export interface LeaseApi {
  /** `undefined` when the Lease does not exist. */
  read(namespace: string, name: string): Promise<Lease | undefined>;
  create(namespace: string, name: string, spec: LeaseSpec): Promise<Lease>;
  /** Compare-and-swap: succeeds only while the Lease is still at `resourceVersion`. */
  replace(namespace: string, name: string, resourceVersion: string, spec: LeaseSpec): Promise<Lease>;
}

/** Another writer changed (or created) the Lease since we read it. */
export class LeaseConflictError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'LeaseConflictError';
  }
}

function statusOf(err: unknown): number | undefined {
  return describeFailure(err).status;
}

function timeText(t: V1MicroTime | Date | string | undefined): string | undefined {
  if (t === undefined || t === null) return undefined;
  // client-node 1.4 types these as V1MicroTime but hands back the wire string on reads.
  return t instanceof Date ? t.toISOString() : String(t);
}

function fromV1(lease: V1Lease, what: string): Lease {
  const rv = lease.metadata?.resourceVersion;
  if (!rv) throw new Error(`${what}: the API server returned a Lease without a resourceVersion`);
  const s = lease.spec ?? {};
  const spec: LeaseSpec = {};
  if (s.holderIdentity !== undefined && s.holderIdentity !== null) spec.holderIdentity = s.holderIdentity;
  if (typeof s.leaseDurationSeconds === 'number') spec.leaseDurationSeconds = s.leaseDurationSeconds;
  const acquire = timeText(s.acquireTime);
  if (acquire !== undefined) spec.acquireTime = acquire;
  const renew = timeText(s.renewTime);
  if (renew !== undefined) spec.renewTime = renew;
  if (typeof s.leaseTransitions === 'number') spec.leaseTransitions = s.leaseTransitions;
  return { resourceVersion: rv, spec };
}

function toV1(namespace: string, name: string, spec: LeaseSpec, resourceVersion?: string): V1Lease {
  const body: V1Lease = {
    apiVersion: 'coordination.k8s.io/v1',
    kind: 'Lease',
    metadata: resourceVersion === undefined ? { name, namespace } : { name, namespace, resourceVersion },
    // The generated types say V1MicroTime (a Date); the serializer passes strings through unchanged.
    spec: spec as V1Lease['spec'],
  };
  return body;
}

function wrap(err: unknown, what: string): Error {
  const failure = describeFailure(err);
  if (failure.status === 409) return new LeaseConflictError(`${what}: ${failure.message}`);
  return new Error(`${what}: ${failure.message}`, { cause: err });
}

/** `LeaseApi` over client-node's `CoordinationV1Api`, built from one `KubeConfig`. */
export function kubeLeaseApi(kc: KubeConfig): LeaseApi {
  const api = kc.makeApiClient(CoordinationV1Api);
  return {
    async read(namespace, name) {
      const what = `read lease ${namespace}/${name}`;
      try {
        return fromV1(await api.readNamespacedLease({ name, namespace }), what);
      } catch (err) {
        if (statusOf(err) === 404) return undefined;
        throw wrap(err, what);
      }
    },
    async create(namespace, name, spec) {
      const what = `create lease ${namespace}/${name}`;
      try {
        return fromV1(await api.createNamespacedLease({ namespace, body: toV1(namespace, name, spec) }), what);
      } catch (err) {
        throw wrap(err, what);
      }
    },
    async replace(namespace, name, resourceVersion, spec) {
      const what = `replace lease ${namespace}/${name}`;
      try {
        return fromV1(
          await api.replaceNamespacedLease({ name, namespace, body: toV1(namespace, name, spec, resourceVersion) }),
          what,
        );
      } catch (err) {
        // A replace of a Lease deleted under us is a lost race too: re-read and decide again.
        if (statusOf(err) === 404) throw new LeaseConflictError(`${what}: 404 Not Found`);
        throw wrap(err, what);
      }
    },
  };
}
