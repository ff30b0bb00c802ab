import type { Plan, RecordSet } from '../../src/model/index.js';
import { RR_TYPES } from '../../src/model/index.js';
import { ownershipRecord } from '../../src/planner/index.js';

/**
 * A record set from zone-file lines (`shop.example.test. 300 IN A 192.0.2.10`), one line per
 * value, all of one name and type. TXT data is written quoted, as in a zone file, and kept
 * unquoted, as RecordSet holds it.
 */
export function rrset(...lines: string[]): RecordSet {
  let set: RecordSet | undefined;
  for (const line of lines) {
    const m = /^(\S+)\s+(\d+)\s+(?:IN\s+)?([A-Z]+)\s+(.+)$/.exec(line.trim());
    if (!m) throw new Error(`not a record: ${line}`);
    const type = RR_TYPES.find((t) => t === m[3]);
    if (type === undefined) throw new Error(`unknown type in: ${line}`);
    const name = m[1].replace(/\.$/, '');
    const value = type === 'TXT' ? m[4].replace(/^"(.*)"$/, '$1') : m[4].replace(/\.$/, '');
    if (set === undefined) set = { name, type, ttl: Number(m[2]), values: [value] };
    else if (set.name !== name || set.type !== type) throw new Error(`mixed record set: ${line}`);
    else set.values.push(value);
  }
  if (set === undefined) throw new Error('no lines');
  return set;
}

/** The same record set with other settings (set identifier, weight, ttl...). */
export function withSet(r: RecordSet, over: Partial<RecordSet>): RecordSet {
  return { ...r, ...over };
}

export const OWNER = 'globaldns-prod';

/** Our companion of `r`, as globaldns writes it. */
export function stamp(r: RecordSet, owner = OWNER, resource = r.name): RecordSet {
  return ownershipRecord(r, owner, resource);
}

/** An external-dns registry TXT (Rancher's Global DNS wrote these). */
export function externalDnsTxt(name: string, owner: string, resource = 'ingress/shop/web'): RecordSet {
  return { name, type: 'TXT', ttl: 300, values: [`heritage=external-dns,external-dns/owner=${owner},external-dns/resource=${resource}`] };
}

function show(r: RecordSet): string {
  const id = r.setIdentifier !== undefined ? ` [${r.setIdentifier}${r.weight !== undefined ? ` w${r.weight}` : ''}]` : '';
  const values = r.type === 'TXT' ? r.values.map((v) => `"${v}"`) : r.values;
  return `${r.name} ${r.ttl} ${r.type}${id} ${values.join(' ')}`;
}

/** A plan as lines: `+ created`, `~ old -> new`, `- deleted`, in plan order. */
export function lines(p: Plan): string[] {
  return [
    ...p.creates.map((r) => `+ ${show(r)}`),
    ...p.updates.map(({ from, to }) => `~ ${show(from)} -> ${show(to)}`),
    ...p.deletes.map((r) => `- ${show(r)}`),
  ];
}

/** Name and type of the record sets a plan touches in any way. */
export function touched(p: Plan): string[] {
  const all = [...p.creates, ...p.updates.flatMap((u) => [u.from, u.to]), ...p.deletes];
  return [...new Set(all.map((r) => `${r.name} ${r.type}`))].sort();
}
