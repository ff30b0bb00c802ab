import type { NameHealth, UnitHealth } from '../planner/index.js';

/** An Event to record on the GlobalDNS resource governing a name. */
export interface HealthEvent {
  type: 'Normal' | 'Warning';
  reason: 'AllEndpointsDown' | 'FailedOver' | 'FailedBack' | 'EndpointDown' | 'EndpointUp';
  message: string;
}

/** Kubernetes truncates longer Event messages; we say "and N more" instead. */
const MAX_LISTED = 8;

const key = (u: Pick<UnitHealth, 'cluster' | 'target'>) => `${u.cluster}\0${u.target}`;

/**
 * The one Event a name's health change deserves, comparing its previous and next `NameHealth`
 * (pure). Undefined when there is nothing to say: no baseline (a name seen for the first time,
 * a new leader), a name gone or no longer checked, or no endpoint changed health. Endpoints that
 * come or go with their Ingresses are not health changes, and neither is a first verdict that
 * finds an endpoint healthy (a new endpoint being published is not news).
 *
 * One Event per change, the most telling reason first: AllEndpointsDown, then FailedOver
 * (the answered group moved to a higher priority number) or FailedBack, then EndpointDown, then
 * EndpointUp. The message names every endpoint that changed, with its last probe's reason
 * (`reasonOf`), and what the name answers now.
 */
export function healthEvent(fqdn: string, prev: NameHealth | undefined, next: NameHealth | undefined, reasonOf: (address: string) => string | undefined): HealthEvent | undefined {
  if (!prev || !next) return undefined;
  const before = new Map(prev.units.map((u) => [key(u), u]));
  const down: UnitHealth[] = [];
  const up: UnitHealth[] = [];
  for (const u of next.units) {
    const b = before.get(key(u));
    if (!b) continue;
    if (u.health === 'unhealthy' && b.health !== 'unhealthy') down.push(u);
    else if (u.health === 'healthy' && b.health === 'unhealthy') up.push(u);
  }
  const kept = (group: number | undefined) => group !== undefined && prev.units.some((u) => u.priority === group) && next.units.some((u) => u.priority === group);
  // A group change counts when both groups were there before and after: not an Ingress coming or going.
  const moved = prev.activeGroup !== undefined && next.activeGroup !== undefined && prev.activeGroup !== next.activeGroup && kept(prev.activeGroup) && kept(next.activeGroup);
  const allDownNow = next.allDown && !prev.allDown && next.units.length > 0;
  if (down.length === 0 && up.length === 0 && !moved && !allDownNow) return undefined;

  const describe = (us: readonly UnitHealth[], withReason: boolean) =>
    list(us.map((u) => {
      const reason = withReason ? reasonOf(u.target) : undefined;
      return `${u.cluster} ${u.target}${reason ? ` (${reason})` : ''}`;
    }));
  const changes = [down.length > 0 ? `down: ${describe(down, true)}` : '', up.length > 0 ? `up again: ${describe(up, false)}` : ''].filter((x) => x !== '').join('; ');
  const answer = answering(next);
  const detail = changes === '' ? answer : `${changes}; ${answer}`;

  if (allDownNow) {
    return { type: 'Warning', reason: 'AllEndpointsDown', message: `${fqdn}: every endpoint is down (${describe(next.units, true)}); ${answer}` };
  }
  if (moved && prev.activeGroup !== undefined && next.activeGroup !== undefined) {
    const over = next.activeGroup > prev.activeGroup;
    return over
      ? { type: 'Warning', reason: 'FailedOver', message: `${fqdn}: failed over from priority ${prev.activeGroup} to priority ${next.activeGroup}; ${detail}` }
      : { type: 'Normal', reason: 'FailedBack', message: `${fqdn}: back to priority ${next.activeGroup} from priority ${prev.activeGroup}; ${detail}` };
  }
  if (down.length > 0) return { type: 'Warning', reason: 'EndpointDown', message: `${fqdn}: ${detail}` };
  return { type: 'Normal', reason: 'EndpointUp', message: `${fqdn}: ${detail}` };
}

function answering(h: NameHealth): string {
  if (h.allDown) return h.servfail ? 'answering SERVFAIL' : 'answering all of them (serve-all)';
  const served = h.units.filter((u) => u.served).map((u) => u.target);
  return served.length === 0 ? 'answering nothing' : `answering ${list(served)}`;
}

function list(items: readonly string[]): string {
  if (items.length <= MAX_LISTED) return items.join(', ');
  return `${items.slice(0, MAX_LISTED).join(', ')} and ${items.length - MAX_LISTED} more`;
}
