import { LeaseConflictError, type Lease, type LeaseApi, type LeaseSpec } from './lease-api.js';

export interface MemoryLeaseCall {
  op: 'read' | 'create' | 'replace';
  namespace: string;
  name: string;
  /** the resourceVersion a replace was conditioned on */
  ifVersion?: string;
  /** 'ok', 'conflict', 'missing' (read of an absent Lease) or the injected error's message */
  outcome: string;
  spec?: LeaseSpec;
}

/**
 * An in-memory Lease store with the API server's concurrency rules (one resourceVersion counter,
 * 409 on a stale replace or a duplicate create), for tests of anything that elects a leader.
 * `gate` runs before each call reaches the store and `after` before its answer is returned, so
 * a test can hold calls, reorder them or add latency; `down` and `failNext` inject errors.
 */
export class MemoryLeaseApi implements LeaseApi {
  private readonly leases = new Map<string, Lease>();
  private version = 0;
  private failures = 0;
  /** while true every call fails as a refused connection would */
  down = false;
  gate: ((op: MemoryLeaseCall['op']) => Promise<void>) | undefined;
  after: ((op: MemoryLeaseCall['op']) => Promise<void>) | undefined;
  readonly calls: MemoryLeaseCall[] = [];

  /** the next `count` calls fail with 500 */
  failNext(count = 1): void {
    this.failures += count;
  }

  /** Test-side write with no version check (someone else's controller, or a hand edit). */
  set(namespace: string, name: string, spec: LeaseSpec): Lease {
    const lease = { resourceVersion: String(++this.version), spec: { ...spec } };
    this.leases.set(`${namespace}/${name}`, lease);
    return structuredClone(lease);
  }

  get(namespace: string, name: string): Lease | undefined {
    const lease = this.leases.get(`${namespace}/${name}`);
    return lease && structuredClone(lease);
  }

  async read(namespace: string, name: string): Promise<Lease | undefined> {
    return this.run({ op: 'read', namespace, name }, () => {
      const lease = this.get(namespace, name);
      return { outcome: lease ? 'ok' : 'missing', value: lease };
    });
  }

  async create(namespace: string, name: string, spec: LeaseSpec): Promise<Lease> {
    return this.run({ op: 'create', namespace, name, spec: { ...spec } }, () => {
      if (this.leases.has(`${namespace}/${name}`)) {
        return { outcome: 'conflict', error: new LeaseConflictError(`create lease ${namespace}/${name}: 409 AlreadyExists`) };
      }
      return { outcome: 'ok', value: this.set(namespace, name, spec) };
    });
  }

  async replace(namespace: string, name: string, resourceVersion: string, spec: LeaseSpec): Promise<Lease> {
    return this.run({ op: 'replace', namespace, name, ifVersion: resourceVersion, spec: { ...spec } }, () => {
      const current = this.leases.get(`${namespace}/${name}`);
      if (!current || current.resourceVersion !== resourceVersion) {
        return { outcome: 'conflict', error: new LeaseConflictError(`replace lease ${namespace}/${name}: 409 Conflict`) };
      }
      return { outcome: 'ok', value: this.set(namespace, name, spec) };
    });
  }

  private async run<T>(
    call: Omit<MemoryLeaseCall, 'outcome'>,
    apply: () => { outcome: string; value?: T; error?: Error },
  ): Promise<T> {
    if (this.gate) await this.gate(call.op);
    let result: { outcome: string; value?: T; error?: Error };
    if (this.down) {
      result = { outcome: 'down', error: new Error(`${call.op} lease ${call.namespace}/${call.name}: connect ECONNREFUSED`) };
    } else if (this.failures > 0) {
      this.failures--;
      result = { outcome: '500', error: new Error(`${call.op} lease ${call.namespace}/${call.name}: 500 Internal Server Error`) };
    } else {
      result = apply();
    }
    this.calls.push({ ...call, outcome: result.outcome });
    if (this.after) await this.after(call.op);
    if (result.error) throw result.error;
    return result.value as T;
  }
}
