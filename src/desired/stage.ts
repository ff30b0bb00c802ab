import { addressType } from '../model/index.js';
import type { AddressHealth, Endpoint, GlobalDnsEntry, RecordSet } from '../model/index.js';
import { canonicalAddress, claimRejection, findEntry, indexEntries, planName, targetHostnames } from '../planner/index.js';
import type { AliasHostnames, EntryIndex, HealthInput, NameHealth, RejectedClaim, ResolvedHostnames } from '../planner/index.js';
import { probeTarget } from '../health/index.js';
import type { HealthVerdicts, Verdict } from '../health/index.js';
import { systemClock } from '../kernel/index.js';
import type { Clock, Logger, TimerHandle } from '../kernel/index.js';

/** What the stage reads of the endpoint store. */
export interface EndpointSource {
  onChange(listener: (touched: ReadonlySet<string>) => void): () => void;
  names(): string[];
  byName(fqdn: string): Endpoint[];
}

/** What the stage reads of the load-balancer hostname resolver (src/sources/resolver). */
export interface HostnameAddresses {
  readonly resolved: ResolvedHostnames;
  ensure(hostnames: Iterable<string>): Promise<void>;
  retain(inUse: ReadonlySet<string>): void;
  onChange(listener: (hostnames: ReadonlySet<string>) => void): () => void;
}

/** The desired state of one claimed name, as every consumer reads it. */
export interface NameState {
  readonly fqdn: string;
  /** The entry governing the name (itself, or a wildcard above it); undefined: none does. */
  readonly entry: GlobalDnsEntry | undefined;
  /** Claims the entry accepts: what is published and proxied. */
  readonly accepted: readonly Endpoint[];
  /** Claims it refuses (wrong cluster, project, namespace; or no entry at all). */
  readonly rejected: readonly RejectedClaim[];
  /** The records with load-balancer hostnames flattened to addresses (embedded server, most providers). */
  readonly records: readonly RecordSet[];
  /** How health and routing chose the answer; absent when the entry has neither a health check nor failover. */
  readonly health?: NameHealth;
}

export interface DesiredStateOptions {
  store: EndpointSource;
  resolver: HostnameAddresses;
  entries: readonly GlobalDnsEntry[];
  logger: Logger;
  clock?: Clock;
  /** Coalescing window for store events: a folder re-read or a cluster re-list is one batch. */
  debounceMs?: number;
  /** Endpoint health (src/health): entries with a health check are planned with its verdicts. */
  health?: HealthVerdicts;
}

/**
 * The one place desired state is derived. It follows the endpoint store, the entries and the
 * load-balancer hostname resolver; plans each touched name once (`planName`), and tells its
 * listeners which names changed. The embedded zones, the external providers, the proxy's
 * routes, status, metrics and `globaldns plan` all read the result from here, so they can
 * never disagree on a name's addresses or on which claims count.
 *
 * Plans for providers that alias load balancers (Route53) differ only in how hostnames are
 * written; they are derived here too, on demand, once per name and capability (`records`).
 */
export class DesiredState {
  private readonly opts: DesiredStateOptions;
  private readonly clock: Clock;
  private index: EntryIndex;
  private entryList: readonly GlobalDnsEntry[];
  private readonly states = new Map<string, NameState>();
  /** Plans per alias capability, per name: made on demand, gone with the name's next plan. */
  private readonly aliasPlans = new Map<string, Map<AliasHostnames, RecordSet[]>>();
  /** Which load-balancer hostnames each name uses, and the reverse, for resolver refreshes. */
  private readonly lbByName = new Map<string, Set<string>>();
  private readonly namesByLb = new Map<string, Set<string>>();
  /** Which probes each name reads, and the reverse, for health transitions. */
  private readonly probesByName = new Map<string, Map<string, string>>();
  private readonly namesByProbe = new Map<string, Set<string>>();
  /** The verdicts each checked name was planned with (alias plans reuse them). */
  private readonly healthInputs = new Map<string, HealthInput>();
  /** Names whose answer changes at a known time (failback), and the one timer for the earliest. */
  private readonly rechecks = new Map<string, number>();
  private recheckTimer: { at: number; handle: TimerHandle } | undefined;
  /** Rejections already logged, so each is logged once while it lasts. */
  private readonly loggedRejections = new Map<string, Map<string, string>>();
  private readonly listeners = new Set<(names: ReadonlySet<string>) => void>();
  private pending = new Set<string>();
  private timer: TimerHandle | undefined;
  private work: Promise<void> = Promise.resolve();
  private unsubscribe: (() => void)[] = [];

  constructor(opts: DesiredStateOptions) {
    this.opts = opts;
    this.clock = opts.clock ?? systemClock;
    this.entryList = opts.entries;
    this.index = indexEntries(opts.entries);
  }

  /** Follows the store and the resolver, and plans every name the store holds now. */
  start(): Promise<void> {
    this.unsubscribe.push(this.opts.store.onChange((names) => this.enqueue(names)));
    this.unsubscribe.push(this.opts.resolver.onChange((hosts) => this.enqueue(this.namesUsing(hosts))));
    if (this.opts.health) this.unsubscribe.push(this.opts.health.onChange((keys) => this.enqueue(this.namesProbing(keys))));
    this.enqueue(this.opts.store.names());
    return this.flush();
  }

  stop(): void {
    for (const u of this.unsubscribe) u();
    this.unsubscribe = [];
    this.timer?.cancel();
    this.timer = undefined;
    this.recheckTimer?.handle.cancel();
    this.recheckTimer = undefined;
  }

  /** Replaces the entries (management mode: GlobalDNS resources come and go) and re-plans every name. */
  setEntries(entries: readonly GlobalDnsEntry[]): void {
    this.entryList = entries;
    this.index = indexEntries(entries);
    this.enqueue([...this.opts.store.names(), ...this.states.keys()]);
  }

  /** The entries now (YAML and resources, merged). */
  entries(): readonly GlobalDnsEntry[] {
    return this.entryList;
  }

  /** The governing entry of `fqdn`, claimed or not. */
  entryFor(fqdn: string): GlobalDnsEntry | undefined {
    return findEntry(fqdn, this.index);
  }

  /** A claimed name's state; undefined when nothing claims it. */
  get(fqdn: string): NameState | undefined {
    return this.states.get(fqdn);
  }

  /** Every claimed name. */
  names(): IterableIterator<string> {
    return this.states.keys();
  }

  /**
   * The records of `fqdn` for a provider: flattened without `alias`; with a provider's alias
   * capability, load balancers it can alias are written as aliases (`planName`).
   */
  records(fqdn: string, alias?: AliasHostnames): readonly RecordSet[] {
    const state = this.states.get(fqdn);
    if (!state) return [];
    if (!alias) return state.records;
    let plans = this.aliasPlans.get(fqdn);
    if (!plans) this.aliasPlans.set(fqdn, plans = new Map<AliasHostnames, RecordSet[]>());
    let records = plans.get(alias);
    if (!records) {
      const health = this.healthInputs.get(fqdn);
      records = planName(fqdn, state.entry, state.accepted, this.opts.resolver.resolved, { aliasHostnames: alias, ...(health ? { health } : {}) }).records;
      plans.set(alias, records);
    }
    return records;
  }

  /** An endpoint's addresses: its IP targets and what its load-balancer hostnames resolve to now. */
  addresses(endpoint: Endpoint): string[] {
    const resolved = this.opts.resolver.resolved;
    return endpoint.targets.flatMap((t) => {
      if (addressType(t) !== undefined) return [t];
      const r = resolved.get(t);
      return r ? [...r.v4, ...r.v6] : [];
    });
  }

  /**
   * The addresses of `endpoint` that `fqdn`'s answer holds: all of them for a name without
   * health or failover, else only those health and routing chose (what the proxy may send to).
   */
  servedAddresses(fqdn: string, endpoint: Endpoint): string[] {
    const all = this.addresses(endpoint);
    const health = this.states.get(fqdn)?.health;
    if (!health) return all;
    if (health.servfail) return [];
    if (health.allDown) return all;
    const served = new Set(health.units.filter((u) => u.served && u.cluster === endpoint.cluster).map((u) => u.target));
    return all.filter((a) => served.has(canonicalAddress(a)));
  }

  /** The verdict (with the last probe) of one address of a checked name; undefined when it is not probed. */
  verdictOf(fqdn: string, address: string): Verdict | undefined {
    const key = this.probesByName.get(fqdn)?.get(canonicalAddress(address));
    return key === undefined ? undefined : this.opts.health?.verdict(key);
  }

  /** Which vantages agree on one address of a checked name (management mode: a quorum of replicas); undefined standalone. */
  vantagesOf(fqdn: string, address: string): { agree: string[]; disagree: string[] } | undefined {
    const key = this.probesByName.get(fqdn)?.get(canonicalAddress(address));
    const q = key === undefined ? undefined : this.opts.health?.vantages?.(key);
    return q && { agree: q.agree, disagree: q.disagree };
  }

  /** The answers of the load-balancer hostname resolver now (for planners that need them, like the proxy's routes). */
  get resolved(): ResolvedHostnames {
    return this.opts.resolver.resolved;
  }

  /** Every rejected claim now, sorted by name. */
  rejected(): RejectedClaim[] {
    return [...this.states.keys()].sort().flatMap((n) => this.states.get(n)?.rejected ?? []);
  }

  /**
   * Whether `endpoint`'s claim of `hostname` counts: only accepted claims make a name
   * "served" (the fleet keeps a lost cluster's endpoints where no other live, accepted claim
   * serves the name).
   */
  accepts(endpoint: Endpoint, hostname: string): boolean {
    const entry = findEntry(hostname, this.index);
    return entry !== undefined && claimRejection(entry, endpoint) === undefined;
  }

  /** Names changed (planned, re-planned or gone); returns the unsubscribe. */
  onChange(listener: (names: ReadonlySet<string>) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  /** Plans what is pending now and waits for it. */
  async flush(): Promise<void> {
    if (this.timer) {
      this.timer.cancel();
      this.timer = undefined;
      this.runPending();
    }
    await this.work;
  }

  private enqueue(names: Iterable<string>): void {
    for (const n of names) this.pending.add(n);
    if (this.timer || this.pending.size === 0) return;
    this.timer = this.clock.setTimeout(() => {
      this.timer = undefined;
      this.runPending();
    }, this.opts.debounceMs ?? 10);
  }

  private runPending(): void {
    const names = this.pending;
    this.pending = new Set();
    this.work = this.work.then(() => this.plan(names));
  }

  private async plan(names: ReadonlySet<string>): Promise<void> {
    if (names.size === 0) return;
    const started = performance.now();
    try {
      const { store, resolver } = this.opts;
      const endpoints = new Map([...names].map((n) => [n, store.byName(n)]));
      await resolver.ensure(targetHostnames([...endpoints.values()].flat()));
      for (const [name, eps] of endpoints) this.planOne(name, eps);
      resolver.retain(new Set(this.namesByLb.keys()));
      this.scheduleRecheck();
      this.opts.logger.debug({ names: names.size, durationMs: Math.round((performance.now() - started) * 1000) / 1000 }, 'desired state planned');
    } catch (e) {
      // A bug here must not stop the next batch, nor the process.
      this.opts.logger.error({ err: (e as Error).stack ?? String(e) }, 'planning failed');
    }
    for (const l of this.listeners) {
      try {
        l(names);
      } catch (e) {
        this.opts.logger.error({ err: (e as Error).stack ?? String(e) }, 'a consumer of the desired state failed');
      }
    }
  }

  private planOne(name: string, endpoints: readonly Endpoint[]): void {
    this.aliasPlans.delete(name);
    this.indexLbHostnames(name, endpoints.length === 0 ? new Set() : targetHostnames(endpoints));
    if (endpoints.length === 0) {
      this.states.delete(name);
      this.watchHealth(name, undefined, []);
      this.logRejections(name, []);
      return;
    }
    const entry = findEntry(name, this.index);
    const health = this.watchHealth(name, entry, endpoints);
    const plan = planName(name, entry, endpoints, this.opts.resolver.resolved, health ? { health } : {});
    this.states.set(name, { fqdn: name, entry, accepted: plan.accepted, rejected: plan.rejected, records: plan.records, ...(plan.health ? { health: plan.health } : {}) });
    if (plan.health?.recheckAt !== undefined) this.rechecks.set(name, plan.health.recheckAt);
    else this.rechecks.delete(name);
    this.logRejections(name, plan.rejected);
  }

  /**
   * Asks the health checker for the probes `name` needs (one per address of its accepted
   * endpoints, under the entry's check) and returns their verdicts now, the plan's input;
   * undefined when the name is not checked.
   */
  private watchHealth(name: string, entry: GlobalDnsEntry | undefined, endpoints: readonly Endpoint[]): HealthInput | undefined {
    const checker = this.opts.health;
    const check = entry?.healthCheck;
    const probes = new Map<string, string>();
    if (checker && check && entry) {
      for (const e of endpoints) {
        if (claimRejection(entry, e) !== undefined) continue;
        for (const a of this.addresses(e)) {
          const address = canonicalAddress(a);
          if (!probes.has(address)) probes.set(address, probeTarget(check, address, name).key);
        }
      }
    }
    const before = this.probesByName.get(name);
    for (const key of before?.values() ?? []) {
      const names = this.namesByProbe.get(key);
      names?.delete(name);
      if (names?.size === 0) this.namesByProbe.delete(key);
    }
    for (const key of probes.values()) {
      let names = this.namesByProbe.get(key);
      if (!names) this.namesByProbe.set(key, names = new Set());
      names.add(name);
    }
    if (probes.size > 0) this.probesByName.set(name, probes);
    else this.probesByName.delete(name);
    if (!checker || !check || !entry) {
      if (before) checker?.want(name, []);
      this.healthInputs.delete(name);
      return undefined;
    }
    checker.want(name, [...probes].map(([address]) => probeTarget(check, address, name)));
    const verdicts = new Map<string, AddressHealth>();
    for (const [address, key] of probes) {
      const v = checker.verdict(key);
      if (v) verdicts.set(address, { health: v.health, since: v.since, ...(v.recovered ? { recovered: true } : {}) });
    }
    const input: HealthInput = { of: (a) => verdicts.get(canonicalAddress(a)), now: this.clock.now() };
    this.healthInputs.set(name, input);
    return input;
  }

  private namesProbing(keys: ReadonlySet<string>): Set<string> {
    const names = new Set<string>();
    for (const k of keys) for (const n of this.namesByProbe.get(k) ?? []) names.add(n);
    return names;
  }

  /** One timer for the earliest failback running out; it re-plans the names due. */
  private scheduleRecheck(): void {
    let at = Infinity;
    for (const t of this.rechecks.values()) at = Math.min(at, t);
    if (this.recheckTimer && this.recheckTimer.at === at) return;
    this.recheckTimer?.handle.cancel();
    this.recheckTimer = undefined;
    if (at === Infinity) return;
    const handle = this.clock.setTimeout(() => {
      this.recheckTimer = undefined;
      const now = this.clock.now();
      const due = [...this.rechecks].filter(([, t]) => t <= now).map(([n]) => n);
      for (const n of due) this.rechecks.delete(n);
      this.enqueue(due);
      this.scheduleRecheck();
    }, Math.max(0, at - this.clock.now()));
    this.recheckTimer = { at, handle };
  }

  private namesUsing(hostnames: ReadonlySet<string>): Set<string> {
    const names = new Set<string>();
    for (const h of hostnames) for (const n of this.namesByLb.get(h) ?? []) names.add(n);
    return names;
  }

  private indexLbHostnames(name: string, hosts: Set<string>): void {
    for (const h of this.lbByName.get(name) ?? []) {
      const names = this.namesByLb.get(h);
      names?.delete(name);
      if (names?.size === 0) this.namesByLb.delete(h);
    }
    if (hosts.size === 0) {
      this.lbByName.delete(name);
      return;
    }
    this.lbByName.set(name, hosts);
    for (const h of hosts) {
      let names = this.namesByLb.get(h);
      if (!names) this.namesByLb.set(h, names = new Set());
      names.add(name);
    }
  }

  private logRejections(name: string, rejected: readonly RejectedClaim[]): void {
    const before = this.loggedRejections.get(name) ?? new Map<string, string>();
    const now = new Map<string, string>();
    for (const r of rejected) {
      now.set(r.key, r.reason);
      if (before.get(r.key) !== r.reason) this.opts.logger.warn({ fqdn: name, endpoint: r.key, reason: r.reason }, 'claim rejected');
    }
    if (now.size > 0) this.loggedRejections.set(name, now);
    else this.loggedRejections.delete(name);
  }
}
