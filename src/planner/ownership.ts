import { RR_TYPES, normalizeName } from '../model/index.js';
import type { RRType, RecordSet } from '../model/index.js';

/*
 * The ownership registry. Every record set globaldns writes to an external provider has a
 * companion TXT record set that says who wrote it; a record set without one, or with someone
 * else's, is never updated or deleted.
 *
 * Value: heritage=globaldns,globaldns/owner=<id>,globaldns/resource=<entry>,globaldns/record-type=<TYPE>
 *   The external-dns shape (heritage, then prefixed labels), so that operators who know it can
 *   read ours, but a heritage of our own: the two registries never mistake each other's records.
 *   Label values are percent-encoded where they hold ',', '"', '%', spaces or non-ASCII, so an
 *   odd owner id or resource can never forge another label. The record type is repeated in the
 *   value so that a companion copied to the wrong name is not believed.
 *
 * Name: one extra leftmost label, `_globaldns-<type>.<name>`; for a wildcard the `*` label is
 *   replaced instead: `*.apps.example.test` → `_globaldns-a-wildcard.apps.example.test`.
 *   - A separate name: a TXT at the record's own name would sit beside a CNAME (illegal,
 *     RFC 1034 §3.6.2) and inside the user's own TXT set (SPF, verification strings).
 *   - A label added, not `a-` glued to the first label (external-dns's form): at the apex that
 *     form leaves the zone (`a-example.test`), a wildcard becomes `a-*.apps`, which is no
 *     wildcard and which several providers refuse, and `a-shop.example.test` can be a real host
 *     or external-dns's own registry record in the same zone.
 *   - Leading underscore: the attribute-leaf convention (RFC 8552); no hostname can be one, so
 *     no claimed name ever collides with a companion.
 *   - No `*` anywhere in a companion name (providers reject a `*` that is not the whole
 *     leftmost label); `-wildcard` inside our own label keeps the mapping one-to-one.
 *   - One companion per (name, type, set identifier), so A and AAAA at one name are owned, and
 *     changed, independently; the companion carries the record's set identifier and weight,
 *     because Route53 requires routing settings on every set sharing a name and type.
 */

export type OwnershipHeritage = 'globaldns' | 'external-dns';

/** What one ownership TXT value says. */
export interface Ownership {
  heritage: OwnershipHeritage;
  owner: string;
  /** The entry (GlobalDNS namespace/name, or config fqdn); external-dns: its source object. */
  resource?: string;
  /** globaldns only: the type of the record set the companion owns. */
  recordType?: RRType;
}

/** Settings of the registry: who we are and whose external-dns records we take over. */
export interface OwnershipOptions {
  ownerId: string;
  /** external-dns owner ids whose records are taken over (opt-in); default none. */
  adoptFrom?: readonly string[];
  /**
   * external-dns `--txt-prefix` values to look for, `%{record_type}` allowed; default `['']`
   * (no prefix, external-dns's default and what Rancher's Global DNS ran with).
   */
  adoptPrefixes?: readonly string[];
}

/**
 * The types external-dns manages by default (`--managed-record-types`). Adoption takes over
 * only these: its legacy TXT sits at the record's own name and names no type, so it would
 * otherwise also "own" an MX or a TXT someone added to that name by hand.
 */
export const ADOPTABLE_TYPES: ReadonlySet<RRType> = new Set<RRType>(['A', 'AAAA', 'CNAME']);

const HERITAGE_LABEL = 'heritage';
const COMPANION_LABEL = /^_globaldns-([a-z]+)(-wildcard)?$/;

export function formatOwnership(o: Ownership): string {
  if (o.heritage === 'external-dns') {
    const parts = [`${HERITAGE_LABEL}=external-dns`, `external-dns/owner=${o.owner}`];
    if (o.resource !== undefined) parts.push(`external-dns/resource=${o.resource}`);
    return parts.join(',');
  }
  const parts = [`${HERITAGE_LABEL}=globaldns`, `globaldns/owner=${encode(o.owner)}`];
  if (o.resource !== undefined) parts.push(`globaldns/resource=${encode(o.resource)}`);
  if (o.recordType !== undefined) parts.push(`globaldns/record-type=${o.recordType}`);
  return parts.join(',');
}

/**
 * The ownership a TXT value states, or undefined for any other text (SPF, site verification,
 * a heritage we do not know, a value without an owner). Surrounding quotes, as some provider
 * APIs return TXT data, are accepted.
 */
export function parseOwnership(txtValue: string): Ownership | undefined {
  const text = unquoteTxt(txtValue.trim());
  const labels = new Map<string, string>();
  for (const part of text.split(',')) {
    const eq = part.indexOf('=');
    if (eq <= 0) return undefined;
    labels.set(part.slice(0, eq).trim(), part.slice(eq + 1).trim());
  }
  const heritage = labels.get(HERITAGE_LABEL);
  if (heritage === 'external-dns') {
    const owner = labels.get('external-dns/owner');
    if (owner === undefined || owner === '') return undefined;
    const resource = labels.get('external-dns/resource');
    return resource === undefined ? { heritage, owner } : { heritage, owner, resource };
  }
  if (heritage !== 'globaldns') return undefined;
  const owner = decode(labels.get('globaldns/owner'));
  if (owner === undefined || owner === '') return undefined;
  const out: Ownership = { heritage, owner };
  const rawResource = labels.get('globaldns/resource');
  if (rawResource !== undefined) {
    const resource = decode(rawResource);
    if (resource === undefined) return undefined;
    out.resource = resource;
  }
  const rawType = labels.get('globaldns/record-type');
  if (rawType !== undefined) {
    const recordType = asRRType(rawType);
    if (recordType === undefined) return undefined;
    out.recordType = recordType;
  }
  return out;
}

/** The name of the companion TXT of a record set named `name` of type `type`. */
export function ownershipName(name: string, type: RRType): string {
  const n = canonicalName(name);
  const t = type.toLowerCase();
  if (n === '*') return `_globaldns-${t}-wildcard`;
  if (n.startsWith('*.')) return `_globaldns-${t}-wildcard.${n.slice(2)}`;
  return n === '' ? `_globaldns-${t}` : `_globaldns-${t}.${n}`;
}

/** The record set a companion name stands for, or undefined when `name` is no companion name. */
export function parseOwnershipName(name: string): { name: string; type: RRType } | undefined {
  const n = canonicalName(name);
  const dot = n.indexOf('.');
  const first = dot < 0 ? n : n.slice(0, dot);
  const rest = dot < 0 ? '' : n.slice(dot + 1);
  const m = COMPANION_LABEL.exec(first);
  if (!m) return undefined;
  const type = asRRType(m[1]);
  if (type === undefined) return undefined;
  if (m[2] !== undefined) return { name: rest === '' ? '*' : `*.${rest}`, type };
  return { name: rest, type };
}

/** What to write in a companion's `resource` label: one string, or one per record set. */
export type ResourceOf = string | ((record: RecordSet) => string);

/** The companion TXT record set of `record`. */
export function ownershipRecord(record: RecordSet, ownerId: string, resource: ResourceOf): RecordSet {
  const value = formatOwnership({
    heritage: 'globaldns',
    owner: ownerId,
    resource: typeof resource === 'string' ? resource : resource(record),
    recordType: record.type,
  });
  const out: RecordSet = { name: ownershipName(record.name, record.type), type: 'TXT', ttl: record.ttl, values: [value] };
  if (record.setIdentifier !== undefined) out.setIdentifier = record.setIdentifier;
  if (record.weight !== undefined) out.weight = record.weight;
  return out;
}

/** The companion TXT record sets of `desired`, in the same order. */
export function ownershipRecords(desired: readonly RecordSet[], ownerId: string, resource: ResourceOf): RecordSet[] {
  return desired.map((r) => ownershipRecord(r, ownerId, resource));
}

/**
 * Names where external-dns (with `--txt-prefix=prefix`) keeps the registry TXT of a record
 * set: the legacy form (prefix on the first label, no type) and the newer form, which adds
 * `<type>-` unless the prefix already holds `%{record_type}`.
 */
export function externalDnsRegistryNames(name: string, type: RRType, prefix = ''): string[] {
  const n = canonicalName(name);
  const t = type.toLowerCase();
  const templated = prefix.includes('%{record_type}');
  const legacy = prefix.replaceAll('%{record_type}', '') + n;
  const typed = templated ? prefix.replaceAll('%{record_type}', t) + n : `${prefix}${t}-${n}`;
  return [...new Set([canonicalName(legacy), canonicalName(typed)])];
}

/** One claim of ownership on a record set, and the TXT that makes it. */
export interface OwnershipClaim {
  ownership: Ownership;
  txt: RecordSet;
}

/**
 * The ownership records among `current`, indexed, and what they say about each other record
 * set. Built once per plan; every lookup after that is a map access.
 */
export class Registry {
  /** Every current record set by key (records and ownership TXTs alike). */
  readonly byKey = new Map<string, RecordSet>();
  /** Current record sets that are not ownership records. */
  readonly records: RecordSet[] = [];
  /** globaldns companions, by the key of the record set they own. */
  readonly companions = new Map<string, OwnershipClaim>();
  /** external-dns registry TXTs, by their own key. */
  readonly externals = new Map<string, OwnershipClaim>();
  /** Current record sets that are not ownership records, by key. */
  readonly recordsByKey = new Map<string, RecordSet>();
  /** Current record sets that are not ownership records, by canonical name. */
  readonly recordsByName = new Map<string, RecordSet[]>();
  private readonly ownerId: string;
  private readonly adoptFrom: ReadonlySet<string>;
  private readonly prefixes: readonly string[];

  constructor(current: readonly RecordSet[], opts: OwnershipOptions) {
    this.ownerId = opts.ownerId;
    this.adoptFrom = new Set(opts.adoptFrom ?? []);
    this.prefixes = opts.adoptPrefixes ?? [''];
    for (const set of current) {
      const key = recordSetKey(set);
      this.byKey.set(key, set);
      const ownership = set.type === 'TXT' && set.values.length === 1 ? parseOwnership(set.values[0]) : undefined;
      if (ownership?.heritage === 'external-dns') {
        this.externals.set(key, { ownership, txt: set });
        continue;
      }
      if (ownership?.heritage === 'globaldns') {
        const owned = parseOwnershipName(set.name);
        // A globaldns value at a name that does not match it is not believed: it stays an
        // ordinary (foreign) TXT record.
        if (owned && (ownership.recordType === undefined || ownership.recordType === owned.type)) {
          this.companions.set(recordSetKey({ name: owned.name, type: owned.type, setIdentifier: set.setIdentifier }), { ownership, txt: set });
          continue;
        }
      }
      this.records.push(set);
      this.recordsByKey.set(key, set);
      const name = canonicalName(set.name);
      const atName = this.recordsByName.get(name);
      if (atName) atName.push(set);
      else this.recordsByName.set(name, [set]);
    }
  }

  /** Every ownership claim on a (non-registry) record set. */
  claims(record: RecordSet): OwnershipClaim[] {
    const out: OwnershipClaim[] = [];
    const companion = this.companions.get(recordSetKey(record));
    if (companion) out.push(companion);
    for (const key of this.externalKeys(record)) {
      const ext = this.externals.get(key);
      if (ext) out.push(ext);
    }
    return out;
  }

  /** Keys where external-dns registry TXTs of `record` may sit. */
  externalKeys(record: RecordSet): string[] {
    const keys = new Set<string>();
    for (const prefix of this.prefixes) {
      for (const name of externalDnsRegistryNames(record.name, record.type, prefix)) {
        keys.add(recordSetKey({ name, type: 'TXT', setIdentifier: record.setIdentifier }));
      }
    }
    return [...keys];
  }

  /**
   * Names an external-dns registry TXT at `txtName` may stand for (the inverse of
   * externalKeys), to decide whether an orphaned one is in a plan's scope.
   */
  externalCandidates(txtName: string): string[] {
    const n = canonicalName(txtName);
    const out = new Set<string>();
    for (const prefix of this.prefixes) {
      const starts = [prefix.replaceAll('%{record_type}', '')];
      for (const type of ADOPTABLE_TYPES) {
        const t = type.toLowerCase();
        starts.push(prefix.includes('%{record_type}') ? prefix.replaceAll('%{record_type}', t) : `${prefix}${t}-`);
      }
      for (const start of starts) {
        const s = start.toLowerCase();
        if (n.startsWith(s) && n.length > s.length) out.add(n.slice(s.length));
      }
    }
    return [...out];
  }

  /** True when this claim makes `record` ours: our companion, or an adopted external-dns owner. */
  isOurClaim(claim: OwnershipClaim, record: Pick<RecordSet, 'type'>): boolean {
    if (claim.ownership.heritage === 'globaldns') return claim.ownership.owner === this.ownerId;
    return this.adoptFrom.has(claim.ownership.owner) && ADOPTABLE_TYPES.has(record.type);
  }

  /** True when an external-dns TXT belongs to an owner we adopt. */
  isAdopted(ext: OwnershipClaim): boolean {
    return this.adoptFrom.has(ext.ownership.owner);
  }

  /**
   * Ours when at least one registry record claims it and every claim is ours: a record set
   * two registries claim is left alone (someone else believes they manage it).
   */
  isOurs(record: RecordSet): boolean {
    const claims = this.claims(record);
    return claims.length > 0 && claims.every((c) => this.isOurClaim(c, record));
  }
}

/** The current record sets we own (matched through their ownership records), sorted. */
export function ownedBy(current: readonly RecordSet[], ownerId: string, adoption: Omit<OwnershipOptions, 'ownerId'> = {}): RecordSet[] {
  const registry = new Registry(current, { ...adoption, ownerId });
  return registry.records.filter((r) => registry.isOurs(r)).sort(compareRecordSets);
}

/** Key of a record set: canonical name, type, set identifier. */
export function recordSetKey(r: Pick<RecordSet, 'name' | 'type' | 'setIdentifier'>): string {
  return `${canonicalName(r.name)}\u0000${r.type}\u0000${r.setIdentifier ?? ''}`;
}

export function compareRecordSets(a: RecordSet, b: RecordSet): number {
  const ka = recordSetKey(a);
  const kb = recordSetKey(b);
  return ka < kb ? -1 : ka > kb ? 1 : 0;
}

/**
 * Canonical name, also undoing the one escape providers are known to return: Route53 lists a
 * wildcard label as `\052`.
 */
export function canonicalName(name: string): string {
  return normalizeName(name.replaceAll('\\052', '*'));
}

/** The text of a TXT value without one pair of surrounding quotes, as some APIs return it. */
export function unquoteTxt(value: string): string {
  if (value.length >= 2 && value.startsWith('"') && value.endsWith('"')) {
    const inner = value.slice(1, -1);
    if (!inner.includes('"')) return inner;
  }
  return value;
}

function asRRType(s: string): RRType | undefined {
  const up = s.toUpperCase();
  return RR_TYPES.find((t) => t === up);
}

// Everything but a small safe set is percent-encoded, so a value can never hold ',' or '"'.
const UNSAFE = /[^A-Za-z0-9._~:/@*+=-]/gu;

function encode(value: string): string {
  return value.replace(UNSAFE, (c) => encodeURIComponent(c));
}

function decode(value: string | undefined): string | undefined {
  if (value === undefined) return undefined;
  try {
    return decodeURIComponent(value);
  } catch {
    return undefined;
  }
}
