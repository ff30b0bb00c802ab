import type { Plan, RecordSet } from '../src/model/index.js';

/** A zone a provider may write: its provider-side id and its canonical apex name. */
export interface Zone {
  /** Provider-side id (Route53: the bare hosted zone id, 'Z…'). */
  id: string;
  /** Canonical apex: lower case, no trailing dot. */
  name: string;
  /** Private (VPC-only) zone; public and private zones of one name are different zones. */
  private?: boolean;
}

/** One change of a plan, as a provider applies and reports it. */
export type PlanChange =
  | { action: 'create'; record: RecordSet }
  | { action: 'update'; from: RecordSet; to: RecordSet }
  | { action: 'delete'; record: RecordSet };

export interface ChangeResult {
  change: PlanChange;
  ok: boolean;
  /** Why the change failed, in the provider's words (present when ok is false). */
  error?: string;
}

/** One result per change of the plan, in plan order: creates, updates, deletes. */
export interface ApplyResult {
  results: ChangeResult[];
  applied: number;
  failed: number;
}

/**
 * `signal` (every call): aborted when the caller stops (a shutdown, a provider replaced). The
 * call then rejects soon, its requests, retries and backoff sleeps cancelled, so that a
 * provider that does not answer never holds a shutdown past its bound. A provider that cannot
 * cancel must at least not start another request once it is aborted.
 */
export interface DnsProvider {
  readonly name: string;
  /** The zones it may write (after id, domain and type filters). */
  zones(signal?: AbortSignal): Promise<Zone[]>;
  /** Current state of a zone, ownership records included. */
  records(zone: Zone, signal?: AbortSignal): Promise<RecordSet[]>;
  /** Applies a plan; never all-or-nothing silently: every change gets its own result. */
  apply(zone: Zone, plan: Plan, signal?: AbortSignal): Promise<ApplyResult>;
  /**
   * Optional alias capability: true for a load-balancer hostname this provider writes as an
   * alias when an A/AAAA set's only value is that hostname (Route53). The planner then keeps
   * the hostname instead of flattening it to addresses.
   */
  aliasHostnames?(hostname: string): boolean;
}

/** The plan's changes in the order results are reported. */
export function planChanges(plan: Plan): PlanChange[] {
  return [
    ...plan.creates.map((record): PlanChange => ({ action: 'create', record })),
    ...plan.updates.map(({ from, to }): PlanChange => ({ action: 'update', from, to })),
    ...plan.deletes.map((record): PlanChange => ({ action: 'delete', record })),
  ];
}

export function applyResult(results: ChangeResult[]): ApplyResult {
  const applied = results.filter((r) => r.ok).length;
  return { results, applied, failed: results.length - applied };
}

/** 'create www.example.org A' — for logs and error messages. */
export function describeChange(c: PlanChange): string {
  const r = c.action === 'update' ? c.to : c.record;
  const id = r.setIdentifier === undefined ? '' : ` (${r.setIdentifier})`;
  return `${c.action} ${r.name} ${r.type}${id}`;
}

/** One request a provider made to its API or server, for metrics and benchmarks. */
export interface ProviderCall {
  provider: string;
  /** The API operation or DNS message: 'ListResourceRecordSets', 'PATCH rrsets', 'UPDATE', 'AXFR'. */
  operation: string;
  /** 'throttled': the API said slow down (429, Throttling); 'error': any other failure. */
  outcome: 'ok' | 'error' | 'throttled';
  ms: number;
}

/** Called once per request a provider sends (retries included); must not throw. */
export type ProviderCallObserver = (call: ProviderCall) => void;

/** What a provider's factory is given to build one provider. */
export interface ProviderFactoryInput<S> {
  /** The provider's name (the GlobalDNSProvider's, or the YAML's `name`). */
  name: string;
  /** The settings block, as the factory's schema parsed it. */
  settings: S;
  /** A secret value by key (a Secret's data key, or the YAML provider's secret file / env); undefined when absent. */
  secret: (key: string) => string | undefined;
  observe?: ProviderCallObserver;
  /**
   * Who wrote the settings: 'config' (the operator's YAML file, default) or 'resource' (a
   * GlobalDNSProvider, written by whoever may create one). A factory then takes what would
   * send the credentials to another server (Route53's endpoint) from the operator's
   * environment only; `resourceSettings` has already refused it in the settings.
   */
  origin?: SettingsOrigin;
  /** The environment for such operator overrides (default `process.env`). */
  env?: Readonly<Record<string, string | undefined>>;
}

export type SettingsOrigin = 'config' | 'resource';

/** What a settings schema needs to offer: zod's `safeParse`. */
export interface SettingsSchema<S> {
  safeParse(v: unknown): { success: true; data: S } | { success: false; error: { issues: { path: (string | number)[]; message: string }[] } };
}

/**
 * How config and the management runtime build a provider of one type without knowing it: the
 * settings block's schema (credentials never inline: they come through `secret`), the secret
 * keys it reads (for docs and error messages), and the constructor. A settings or secret
 * problem is thrown as an Error whose message names the field.
 */
export interface ProviderFactory<S = unknown> {
  type: string;
  /** zod schema of the settings block (`rfc2136: {...}`); `parse` must throw ZodError or return S. */
  settings: SettingsSchema<S>;
  /**
   * The settings a GlobalDNSProvider resource may give, when narrower than `settings` (the same
   * schema refusing the fields only the operator may set); `settings` when absent.
   */
  resourceSettings?: SettingsSchema<S>;
  /** Secret keys read, e.g. ['tsig-secret'] or ['api-token', 'api-key', 'email']. */
  secretKeys: readonly string[];
  create(input: ProviderFactoryInput<S>): DnsProvider;
}

/**
 * Thrown by `records()` when the zone cannot be listed but can still be written (RFC 2136
 * without AXFR rights). The controller then plans against an empty current state under the
 * `upsert-only` policy (nothing is ever deleted) and puts `message` on the provider's status;
 * the provider's `apply` must then treat a create of a record set it already owns as a
 * replace, and never overwrite one it does not own.
 */
export class ZoneNotListableError extends Error {
  readonly fallbackPolicy = 'upsert-only' as const;
  constructor(message: string) {
    super(message);
    this.name = 'ZoneNotListableError';
  }
}
