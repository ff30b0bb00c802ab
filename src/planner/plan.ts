import { addressType } from '../model/index.js';
import type { Plan, RRType, RecordSet } from '../model/index.js';
import { canonicalAddress } from './addresses.js';
import { canonicalAliasTarget, isAliasSet } from './alias.js';
import { Registry, canonicalName, compareRecordSets, formatOwnership, ownershipName, ownershipRecord, parseOwnership, parseOwnershipName, recordSetKey, unquoteTxt } from './ownership.js';
import type { OwnershipOptions, ResourceOf } from './ownership.js';
import { applyPolicy } from './policy.js';
import type { Policy } from './policy.js';

export interface PlanOptions extends OwnershipOptions {
  policy: Policy;
  /**
   * The names this plan speaks for. Given, only record sets at these names (and at the names
   * of `desired`) are considered, so an incremental plan of a few touched names deletes
   * nothing elsewhere. Omitted, `current` is the whole zone and all of it is in scope.
   */
  managedNames?: ReadonlySet<string>;
  /** The `resource` label of companions (the entry); default the record set's name. */
  resourceOf?: ResourceOf;
}

/** A desired record set the plan leaves alone, and why. */
export interface PlanConflict {
  name: string;
  type: RRType;
  setIdentifier?: string;
  reason: string;
}

export interface PlanResult {
  plan: Plan;
  conflicts: PlanConflict[];
}

/** Longest name (RFC 1035 §2.3.4 in presentation form) and longest TXT string (§3.3.14). */
const MAX_NAME = 253;
const MAX_TXT_STRING = 255;

/*
 * The diff. Rows are keyed by (canonical name, type, set identifier); each desired row is
 * decided in one place (planDesired), then what we own and no longer want is deleted, then
 * the policy cuts the plan down, then creates that the policy made impossible are taken back.
 *
 *   desired, absent                       → create record + companion
 *   desired, present, ours, different     → update (values compared as sets, TTL, weight, proxied)
 *   desired, present, ours, no companion  → companion created (adoption, or re-stamp)
 *   desired, present, unclaimed, equal    → companion created: re-stamp (see below)
 *   desired, present, anyone else's       → conflict, never touched
 *   desired, foreign CNAME at the name (or desired CNAME, foreign data at the name) → conflict
 *   present, ours, not desired            → delete record + companion
 *   our companion, record not desired     → delete companion (also an orphan's)
 *   adopted external-dns TXT              → deleted once what it owned is re-stamped or deleted
 *
 * Re-stamp: a record set with no ownership record from anyone, holding exactly what we want,
 * is claimed by writing its companion. That is the trace of an earlier batch that created the
 * record and failed on the companion (providers that apply per record set: Cloudflare,
 * PowerDNS); claiming it changes nothing anyone resolves. Anything different stays a conflict.
 *
 * A record set and its companion are adjacent in each list (record first), so a provider that
 * cuts batches in order keeps the pair in one batch.
 */
export function plan(desired: readonly RecordSet[], current: readonly RecordSet[], opts: PlanOptions): PlanResult {
  const registry = new Registry(current, opts);
  const resourceOf: ResourceOf = opts.resourceOf ?? ((r) => canonicalName(r.name));
  const scope = opts.managedNames === undefined ? undefined : new Set([...opts.managedNames, ...desired.map((d) => d.name)].map(canonicalName));
  const inScope = (name: string): boolean => scope === undefined || scope.has(canonicalName(name));
  const changes = new Changes();
  const conflicts: PlanConflict[] = [];

  const wanted = wantedByKey(desired, conflicts);
  for (const [key, d] of wanted) {
    if (d !== undefined) planDesired(key, d, wanted, registry, opts.ownerId, resourceOf, changes, conflicts);
  }

  for (const r of registry.records) {
    const key = recordSetKey(r);
    if (!wanted.has(key) && inScope(r.name) && registry.isOurs(r)) changes.delete(r, key, ROLE_RECORD);
  }
  for (const [key, claim] of registry.companions) {
    const owned = parseOwnershipName(claim.txt.name);
    if (!owned || wanted.has(key) || !inScope(owned.name)) continue;
    if (claim.ownership.owner === opts.ownerId) changes.delete(claim.txt, key, ROLE_COMPANION);
  }
  retireAdoptedRegistry(registry, wanted, changes, inScope);

  const policed = applyPolicy(changes.toPlan(), opts.policy);
  const final = withdrawImpossibleCreates(policed, registry, opts.policy, conflicts);
  conflicts.sort((a, b) => compareKeys(recordSetKey(a), recordSetKey(b)));
  return { plan: final, conflicts };
}

/** Desired record sets by key; a key desired twice with different content is a conflict (undefined). */
function wantedByKey(desired: readonly RecordSet[], conflicts: PlanConflict[]): Map<string, RecordSet | undefined> {
  const wanted = new Map<string, RecordSet | undefined>();
  for (const d of [...desired].sort(compareRecordSets)) {
    const key = recordSetKey(d);
    if (!wanted.has(key)) {
      wanted.set(key, d);
      continue;
    }
    const first = wanted.get(key);
    if (first !== undefined && !sameContent(first, d)) {
      wanted.set(key, undefined);
      conflicts.push(conflict(d, 'desired twice with different content'));
    }
  }
  // A CNAME owner has no other data (RFC 1034 §3.6.2): a desired state that says otherwise
  // is not applied at that name at all.
  const typesByName = new Map<string, Set<RRType>>();
  for (const d of wanted.values()) {
    if (d === undefined) continue;
    const name = canonicalName(d.name);
    const types = typesByName.get(name) ?? new Set<RRType>();
    types.add(d.type);
    typesByName.set(name, types);
  }
  for (const [key, d] of wanted) {
    if (d === undefined) continue;
    const types = typesByName.get(canonicalName(d.name));
    if (types && types.has('CNAME') && types.size > 1) {
      wanted.set(key, undefined);
      conflicts.push(conflict(d, 'desired CNAME shares its name with other desired records'));
    }
  }
  return wanted;
}

function planDesired(
  key: string,
  d: RecordSet,
  wanted: ReadonlyMap<string, RecordSet | undefined>,
  registry: Registry,
  ownerId: string,
  resourceOf: ResourceOf,
  changes: Changes,
  conflicts: PlanConflict[],
): void {
  const name = canonicalName(d.name);
  for (const other of registry.recordsByName.get(name) ?? []) {
    if (other.type === d.type || (d.type !== 'CNAME' && other.type !== 'CNAME')) continue;
    // Ours and no longer desired: it is deleted in the same plan (or the policy keeps it, and
    // withdrawImpossibleCreates takes this create back).
    if (registry.isOurs(other) && !wanted.has(recordSetKey(other))) continue;
    conflicts.push(conflict(d, `${other.type} ${name} ${ownerPhrase(registry, other)}; a CNAME cannot share a name`));
    return;
  }

  const companion = ownershipRecord(d, ownerId, resourceOf);
  if (companion.name.length > MAX_NAME) {
    conflicts.push(conflict(d, `ownership record name ${companion.name} is longer than ${MAX_NAME} characters`));
    return;
  }
  if (companion.values[0].length > MAX_TXT_STRING) {
    conflicts.push(conflict(d, `ownership record value is longer than ${MAX_TXT_STRING} characters (owner id or resource too long)`));
    return;
  }
  const ourCompanion = registry.companions.get(key);
  const slot = registry.byKey.get(recordSetKey(companion));
  const slotIsOurs = slot !== undefined && ourCompanion?.txt === slot && ourCompanion.ownership.owner === ownerId;
  if (slot !== undefined && !slotIsOurs) {
    const reason = ourCompanion?.txt === slot
      ? `claimed by globaldns owner ${ourCompanion.ownership.owner}`
      : `ownership record name ${companion.name} holds a TXT record that is not ours`;
    conflicts.push(conflict(d, reason));
    return;
  }
  const stamp = (): void => {
    if (slot === undefined) changes.create(companion, key, ROLE_COMPANION);
    else if (!sameContent(slot, companion)) changes.update(slot, companion, key, ROLE_COMPANION);
  };

  const cur = registry.recordsByKey.get(key);
  if (cur === undefined) {
    const registryRecord = registry.byKey.get(key);
    if (registryRecord !== undefined) {
      conflicts.push(conflict(d, 'an ownership record already holds this name and type'));
      return;
    }
    changes.create(d, key, ROLE_RECORD);
    stamp();
    return;
  }
  const claims = registry.claims(cur);
  if (claims.length > 0 && claims.every((c) => registry.isOurClaim(c, cur))) {
    if (!sameContent(cur, d)) changes.update(cur, d, key, ROLE_RECORD);
    stamp();
    return;
  }
  if (claims.length === 0 && sameContent(cur, d)) {
    stamp();
    return;
  }
  conflicts.push(conflict(d, ownerPhrase(registry, cur)));
}

/**
 * An adopted external-dns TXT is deleted only once every record set it speaks for is either
 * deleted in this plan or already carries our companion. Deleting it earlier, in the batch
 * that creates our companion, would leave the record set with no owner at all if that create
 * failed; this way adoption takes two rounds and is never half done.
 */
function retireAdoptedRegistry(
  registry: Registry,
  wanted: ReadonlyMap<string, RecordSet | undefined>,
  changes: Changes,
  inScope: (name: string) => boolean,
): void {
  const spokenFor = new Map<string, RecordSet[]>();
  for (const r of registry.records) {
    for (const k of registry.externalKeys(r)) {
      if (!registry.externals.has(k)) continue;
      const list = spokenFor.get(k);
      if (list) list.push(r);
      else spokenFor.set(k, [r]);
    }
  }
  const deleted = changes.deletedKeys();
  for (const [key, ext] of registry.externals) {
    if (!registry.isAdopted(ext)) continue;
    const records = spokenFor.get(key) ?? [];
    const scoped = records.length > 0 ? records.some((r) => inScope(r.name)) : registry.externalCandidates(ext.txt.name).some(inScope);
    if (!scoped) continue;
    const done = records.every((r) => {
      const k = recordSetKey(r);
      if (!registry.isOurs(r)) return false;
      if (deleted.has(k)) return true;
      const companion = registry.companions.get(k);
      return wanted.get(k) !== undefined && companion !== undefined && registry.isOurClaim(companion, r);
    });
    if (done) changes.delete(ext.txt, key, ROLE_EXTERNAL);
  }
}

/**
 * A policy can keep one of our records that the plan meant to delete; a create that cannot
 * live beside it (CNAME and anything else at one name) would only fail at the provider, so it
 * is taken back, with its companion, and reported.
 */
function withdrawImpossibleCreates(p: Plan, registry: Registry, policy: Policy, conflicts: PlanConflict[]): Plan {
  const deleted = new Set(p.deletes.map(recordSetKey));
  const withdrawn = new Set<string>();
  for (const c of p.creates) {
    if (isCompanion(c)) continue;
    const name = canonicalName(c.name);
    const blocker = (registry.recordsByName.get(name) ?? []).find(
      (r) => !deleted.has(recordSetKey(r)) && r.type !== c.type && (r.type === 'CNAME' || c.type === 'CNAME'),
    );
    if (blocker === undefined) continue;
    withdrawn.add(recordSetKey(c));
    withdrawn.add(recordSetKey({ name: ownershipName(c.name, c.type), type: 'TXT', setIdentifier: c.setIdentifier }));
    conflicts.push(conflict(c, `${blocker.type} ${name} is kept under policy ${policy}; a CNAME cannot share a name`));
  }
  if (withdrawn.size === 0) return p;
  return { ...p, creates: p.creates.filter((c) => !withdrawn.has(recordSetKey(c))) };
}

function isCompanion(r: RecordSet): boolean {
  if (r.type !== 'TXT' || r.values.length !== 1 || parseOwnershipName(r.name) === undefined) return false;
  return parseOwnership(r.values[0])?.heritage === 'globaldns';
}

function ownerPhrase(registry: Registry, r: RecordSet): string {
  const foreign = registry.claims(r).filter((c) => !registry.isOurClaim(c, r));
  if (foreign.length === 0) return 'exists and is not managed by globaldns (no ownership record)';
  const owners = foreign.map((c) => `${c.ownership.heritage} owner ${c.ownership.owner}`);
  return `owned by ${[...new Set(owners)].sort().join(' and ')}`;
}

function conflict(r: RecordSet, reason: string): PlanConflict {
  const out: PlanConflict = { name: canonicalName(r.name), type: r.type, reason };
  if (r.setIdentifier !== undefined) out.setIdentifier = r.setIdentifier;
  return out;
}

/**
 * Same data: values as sets (in canonical spelling), TTL and weight. Two alias sets (A/AAAA
 * holding a host name) compare by target only: the provider keeps no TTL for an alias
 * (Route53 reads it back as 0), so a desired TTL never makes one differ. `proxied` counts
 * only when both sides state it: a desired set that leaves it to the provider's settings, or
 * a provider that does not read it (all but Cloudflare), never makes sets differ. A proxied
 * set's TTL is Cloudflare's (automatic, read back as 300), so it is not compared either.
 */
export function sameContent(a: RecordSet, b: RecordSet): boolean {
  if (a.type !== b.type || a.weight !== b.weight) return false;
  if (a.proxied !== undefined && b.proxied !== undefined && a.proxied !== b.proxied) return false;
  if (isAliasSet(a) && isAliasSet(b)) {
    const ta = [...new Set(a.values.map(canonicalAliasTarget))].sort();
    const tb = [...new Set(b.values.map(canonicalAliasTarget))].sort();
    return ta.length === tb.length && ta.every((v, i) => v === tb[i]);
  }
  if (a.ttl !== b.ttl && a.proxied !== true && b.proxied !== true) return false;
  const va = canonicalValues(a);
  const vb = canonicalValues(b);
  return va.length === vb.length && va.every((v, i) => v === vb[i]);
}

function canonicalValues(r: RecordSet): string[] {
  return [...new Set(r.values.map((v) => canonicalValue(r.type, v)))].sort();
}

function canonicalValue(type: RRType, value: string): string {
  const v = value.trim();
  switch (type) {
    case 'AAAA':
      return addressType(v) === 'AAAA' ? canonicalAddress(v) : v;
    case 'CNAME':
    case 'NS':
    case 'PTR':
      return canonicalName(v);
    case 'MX':
    case 'SRV': {
      const fields = v.split(/\s+/);
      fields[fields.length - 1] = canonicalName(fields[fields.length - 1]);
      return fields.join(' ');
    }
    case 'TXT': {
      const text = unquoteTxt(v);
      const ownership = parseOwnership(text);
      return ownership ? formatOwnership(ownership) : text;
    }
    default:
      return v;
  }
}

const ROLE_RECORD = 0;
const ROLE_COMPANION = 1;
const ROLE_EXTERNAL = 2;

/** Changes collected in any order, listed sorted by the record set they concern. */
class Changes {
  private readonly creates: { order: string; set: RecordSet }[] = [];
  private readonly updates: { order: string; from: RecordSet; to: RecordSet }[] = [];
  private readonly deletes: { order: string; set: RecordSet }[] = [];

  create(set: RecordSet, key: string, role: number): void {
    this.creates.push({ order: `${key}\u0000${role}`, set });
  }

  update(from: RecordSet, to: RecordSet, key: string, role: number): void {
    this.updates.push({ order: `${key}\u0000${role}`, from, to });
  }

  delete(set: RecordSet, key: string, role: number): void {
    this.deletes.push({ order: `${key}\u0000${role}`, set });
  }

  deletedKeys(): Set<string> {
    return new Set(this.deletes.map((d) => recordSetKey(d.set)));
  }

  toPlan(): Plan {
    const byOrder = (a: { order: string }, b: { order: string }): number => compareKeys(a.order, b.order);
    return {
      creates: [...this.creates].sort(byOrder).map((c) => c.set),
      updates: [...this.updates].sort(byOrder).map(({ from, to }) => ({ from, to })),
      deletes: [...this.deletes].sort(byOrder).map((d) => d.set),
    };
  }
}

function compareKeys(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}
