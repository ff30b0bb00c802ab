/**
 * A DNS provider that keeps its zones in memory. A real implementation of DnsProvider with the
 * strict semantics of the strictest real one (Route53): a create of an existing set fails, an
 * update or delete must name the current content exactly. Used by `globaldns plan` dry runs,
 * by tests of the controller, and as a reference for provider authors.
 */
import type { Plan, RecordSet } from '../../src/model/index.js';
import { applyResult, describeChange, planChanges, type ApplyResult, type ChangeResult, type DnsProvider, type PlanChange, type Zone } from '../provider.js';

export interface InMemoryCall {
  op: 'zones' | 'records' | 'apply';
  zone?: string;
  changes?: number;
}

export class InMemoryProvider implements DnsProvider {
  readonly calls: InMemoryCall[] = [];
  private readonly data = new Map<string, Map<string, RecordSet>>();

  constructor(
    readonly name: string,
    private readonly zoneList: Zone[],
  ) {
    for (const z of zoneList) this.data.set(z.id, new Map());
  }

  async zones(): Promise<Zone[]> {
    this.calls.push({ op: 'zones' });
    return this.zoneList.map((z) => ({ ...z }));
  }

  async records(zone: Zone): Promise<RecordSet[]> {
    this.calls.push({ op: 'records', zone: zone.id });
    return [...this.zoneData(zone).values()].map(copy);
  }

  /** Puts a record set in place directly (someone else's record, for tests). */
  seed(zoneId: string, record: RecordSet): void {
    this.data.get(zoneId)?.set(key(record), copy(record));
  }

  /** Current content of a zone, sorted, for assertions. */
  snapshot(zoneId: string): RecordSet[] {
    return [...(this.data.get(zoneId)?.values() ?? [])].map(copy).sort((a, b) => (key(a) < key(b) ? -1 : key(a) > key(b) ? 1 : 0));
  }

  async apply(zone: Zone, plan: Plan): Promise<ApplyResult> {
    const changes = planChanges(plan);
    this.calls.push({ op: 'apply', zone: zone.id, changes: changes.length });
    const records = this.zoneData(zone);
    return applyResult(changes.map((c) => this.applyOne(records, c)));
  }

  private applyOne(records: Map<string, RecordSet>, change: PlanChange): ChangeResult {
    const fail = (error: string): ChangeResult => ({ change, ok: false, error: `${describeChange(change)}: ${error}` });
    switch (change.action) {
      case 'create':
        if (records.has(key(change.record))) return fail('already exists');
        records.set(key(change.record), copy(change.record));
        return { change, ok: true };
      case 'update': {
        const cur = records.get(key(change.from));
        if (!cur || !same(cur, change.from)) return fail('current content differs');
        records.delete(key(change.from));
        records.set(key(change.to), copy(change.to));
        return { change, ok: true };
      }
      case 'delete': {
        const cur = records.get(key(change.record));
        if (!cur || !same(cur, change.record)) return fail('current content differs');
        records.delete(key(change.record));
        return { change, ok: true };
      }
    }
  }

  private zoneData(zone: Zone): Map<string, RecordSet> {
    const d = this.data.get(zone.id);
    if (!d) throw new Error(`${this.name}: no zone ${zone.id}`);
    return d;
  }
}

function key(r: RecordSet): string {
  return `${r.name.toLowerCase()}\u0000${r.type}\u0000${r.setIdentifier ?? ''}`;
}

function copy(r: RecordSet): RecordSet {
  return { ...r, values: [...r.values] };
}

function same(a: RecordSet, b: RecordSet): boolean {
  return a.ttl === b.ttl && a.values.length === b.values.length && [...a.values].sort().join('\u0000') === [...b.values].sort().join('\u0000');
}
