import type { EndpointHealth } from '../model/index.js';
import { compareAddresses } from '../planner/index.js';
import type { NameHealth } from '../planner/index.js';
import type { Verdict } from '../health/index.js';

/** Which vantages (replicas) agree with the verdict of an endpoint, and which do not. */
export interface VantageAgreement {
  agree: string[];
  disagree: string[];
}

/** One endpoint address of a name, as the status surfaces show it. */
export interface EndpointHealthReport {
  cluster: string;
  address: string;
  /** Failover group of its cluster (1 when the entry says none). */
  priority: number;
  health: EndpointHealth;
  /** Clock milliseconds (wall time in serve) since the health holds; absent without a check. */
  since?: number;
  /** Whether the name's answer holds it. */
  served: boolean;
  /** The latest probe of this vantage, whatever the verdict made of it. */
  lastProbe?: { ok: boolean; reason: string; durationMs: number; at: number };
  /** Filled only where the stage can tell (a quorum over replicas); absent otherwise. */
  vantages?: VantageAgreement;
}

/** How health shaped one name's answer. */
export interface NameHealthReport {
  endpoints: EndpointHealthReport[];
  /** Failover: the priority group answered; absent for policy `all`. */
  activeGroup?: number;
  /** No endpoint healthy or unknown: every one is answered (serve-all), or SERVFAIL. */
  allDown: boolean;
  /** All down and the entry asks for SERVFAIL. */
  servfail: boolean;
  /** Endpoints healthy now, of `total`. */
  healthy: number;
  total: number;
}

/** What a report reads of the desired-state stage (`DesiredState` has it; `vantagesOf` only once a quorum exists). */
export interface HealthReportSource {
  get(fqdn: string): { readonly health?: NameHealth } | undefined;
  verdictOf(fqdn: string, address: string): Verdict | undefined;
  vantagesOf?(fqdn: string, address: string): VantageAgreement | undefined;
}

/**
 * The health of `fqdn`'s endpoints for status, metrics and the GlobalDNS status: the plan's
 * units (what was decided) joined with the latest probe of each (why). Undefined for a name
 * that is not claimed, or whose entry has neither a health check nor failover. Sorted by
 * priority, cluster and address, so that the report does not follow the watches' order.
 */
export function nameHealthReport(src: HealthReportSource, fqdn: string): NameHealthReport | undefined {
  const health = src.get(fqdn)?.health;
  if (!health) return undefined;
  const endpoints = health.units.map((u): EndpointHealthReport => {
    const r: EndpointHealthReport = { cluster: u.cluster, address: u.target, priority: u.priority, health: u.health, served: u.served };
    if (u.since !== undefined) r.since = u.since;
    const last = src.verdictOf(fqdn, u.target)?.last;
    if (last) r.lastProbe = { ok: last.ok, reason: last.reason, durationMs: last.durationMs, at: last.at };
    const vantages = src.vantagesOf?.(fqdn, u.target);
    if (vantages) r.vantages = { agree: [...vantages.agree], disagree: [...vantages.disagree] };
    return r;
  });
  endpoints.sort((a, b) => a.priority - b.priority || (a.cluster < b.cluster ? -1 : a.cluster > b.cluster ? 1 : compareAddresses(a.address, b.address)));
  const report: NameHealthReport = { endpoints, allDown: health.allDown, servfail: health.servfail, healthy: endpoints.filter((e) => e.health === 'healthy').length, total: endpoints.length };
  if (health.activeGroup !== undefined) report.activeGroup = health.activeGroup;
  return report;
}
