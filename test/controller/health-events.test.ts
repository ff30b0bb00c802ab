// Which Event a name's health change deserves (management mode records it on the GlobalDNS
// resource): pure, from the name's previous and next plan. One Event per change, the most
// telling reason first, naming the endpoints and their last probe's reason.
import test from 'ava';
import { healthEvent } from '../../src/controller/index.js';
import type { NameHealth, UnitHealth } from '../../src/planner/index.js';

const NAME = 'shop.example.test';
const unit = (cluster: string, target: string, health: UnitHealth['health'], served: boolean, priority = 1): UnitHealth => ({ cluster, target, priority, health, served, since: 0 });
const name = (units: UnitHealth[], o: Partial<NameHealth> = {}): NameHealth => ({ units, allDown: false, servfail: false, ...o });
const reasons: Record<string, string> = { '127.0.0.2': 'status 503', '127.0.0.3': 'connect ECONNREFUSED', '127.0.0.4': 'timeout after 2s' };
const reasonOf = (a: string) => reasons[a];

test('an endpoint going down: EndpointDown (Warning) with the probe reason and the new answer', (t) => {
  const prev = name([unit('east', '127.0.0.2', 'healthy', true), unit('west', '127.0.0.3', 'healthy', true)]);
  const next = name([unit('east', '127.0.0.2', 'unhealthy', false), unit('west', '127.0.0.3', 'healthy', true)]);
  t.deepEqual(healthEvent(NAME, prev, next, reasonOf), { type: 'Warning', reason: 'EndpointDown', message: 'shop.example.test: down: east 127.0.0.2 (status 503); answering 127.0.0.3' });
  // And back: EndpointUp (Normal).
  t.deepEqual(healthEvent(NAME, next, prev, reasonOf), { type: 'Normal', reason: 'EndpointUp', message: 'shop.example.test: up again: east 127.0.0.2; answering 127.0.0.2, 127.0.0.3' });
});

test('a new endpoint never probed failing its first probes is down too; its first good verdict is no news', (t) => {
  const fresh = name([unit('east', '127.0.0.2', 'healthy', true), unit('east', '127.0.0.4', 'unknown', false)]);
  t.like(healthEvent(NAME, fresh, name([unit('east', '127.0.0.2', 'healthy', true), unit('east', '127.0.0.4', 'unhealthy', false)]), reasonOf), { reason: 'EndpointDown', message: 'shop.example.test: down: east 127.0.0.4 (timeout after 2s); answering 127.0.0.2' });
  t.is(healthEvent(NAME, fresh, name([unit('east', '127.0.0.2', 'healthy', true), unit('east', '127.0.0.4', 'healthy', true)]), reasonOf), undefined);
});

test('failover and failback between priority groups', (t) => {
  const primary = name([unit('east', '127.0.0.2', 'healthy', true, 1), unit('west', '127.0.0.3', 'healthy', false, 2)], { activeGroup: 1 });
  const secondary = name([unit('east', '127.0.0.2', 'unhealthy', false, 1), unit('west', '127.0.0.3', 'healthy', true, 2)], { activeGroup: 2 });
  t.deepEqual(healthEvent(NAME, primary, secondary, reasonOf), {
    type: 'Warning',
    reason: 'FailedOver',
    message: 'shop.example.test: failed over from priority 1 to priority 2; down: east 127.0.0.2 (status 503); answering 127.0.0.3',
  });
  // Up again, but inside its failback: the answer stays on group 2; the Event says it is up.
  const recovering = name([{ ...unit('east', '127.0.0.2', 'healthy', false, 1), recovered: true }, unit('west', '127.0.0.3', 'healthy', true, 2)], { activeGroup: 2, recheckAt: 60_000 });
  t.like(healthEvent(NAME, secondary, recovering, reasonOf), { type: 'Normal', reason: 'EndpointUp', message: 'shop.example.test: up again: east 127.0.0.2; answering 127.0.0.3' });
  // The failback runs out: no endpoint changed health, the answer moves back.
  const back = name([{ ...unit('east', '127.0.0.2', 'healthy', true, 1), recovered: true }, unit('west', '127.0.0.3', 'healthy', false, 2)], { activeGroup: 1 });
  t.deepEqual(healthEvent(NAME, recovering, back, reasonOf), { type: 'Normal', reason: 'FailedBack', message: 'shop.example.test: back to priority 1 from priority 2; answering 127.0.0.2' });
});

test('every endpoint down: AllEndpointsDown says what is answered (serve-all or SERVFAIL)', (t) => {
  const one = name([unit('east', '127.0.0.2', 'unhealthy', false), unit('west', '127.0.0.3', 'healthy', true)]);
  const all = name([unit('east', '127.0.0.2', 'unhealthy', true), unit('west', '127.0.0.3', 'unhealthy', true)], { allDown: true });
  t.deepEqual(healthEvent(NAME, one, all, reasonOf), {
    type: 'Warning',
    reason: 'AllEndpointsDown',
    message: 'shop.example.test: every endpoint is down (east 127.0.0.2 (status 503), west 127.0.0.3 (connect ECONNREFUSED)); answering all of them (serve-all)',
  });
  t.regex(healthEvent(NAME, one, { ...all, servfail: true }, reasonOf)?.message ?? '', /; answering SERVFAIL$/);
  // Still all down on the next plan: nothing new.
  t.is(healthEvent(NAME, all, all, reasonOf), undefined);
  // One back: EndpointUp.
  t.like(healthEvent(NAME, all, name([unit('east', '127.0.0.2', 'unhealthy', false), unit('west', '127.0.0.3', 'healthy', true)]), reasonOf), { reason: 'EndpointUp', message: 'shop.example.test: up again: west 127.0.0.3; answering 127.0.0.3' });
});

test('no Event without a health change: no baseline, name gone, endpoints coming or going with their Ingresses', (t) => {
  const h = name([unit('east', '127.0.0.2', 'healthy', true, 1), unit('west', '127.0.0.3', 'healthy', false, 2)], { activeGroup: 1 });
  t.is(healthEvent(NAME, undefined, h, reasonOf), undefined, 'first plan seen (or a new leader)');
  t.is(healthEvent(NAME, h, undefined, reasonOf), undefined, 'the name is gone or no longer checked');
  t.is(healthEvent(NAME, h, h, reasonOf), undefined);
  // east's Ingress is deleted: the answer moves to group 2, but no endpoint's health changed.
  t.is(healthEvent(NAME, h, name([unit('west', '127.0.0.3', 'healthy', true, 2)], { activeGroup: 2 }), reasonOf), undefined);
  // A new primary cluster appears.
  t.is(healthEvent(NAME, name([unit('west', '127.0.0.3', 'healthy', true, 2)], { activeGroup: 2 }), h, reasonOf), undefined);
});

test('a long list of endpoints is cut short in the message', (t) => {
  const many = (health: UnitHealth['health']) => name(Array.from({ length: 20 }, (_, i) => unit('east', `10.0.0.${i + 1}`, health, true)), { allDown: health === 'unhealthy' });
  const ev = healthEvent(NAME, many('healthy'), many('unhealthy'), () => 'status 503');
  t.is(ev?.reason, 'AllEndpointsDown');
  t.regex(ev?.message ?? '', /10\.0\.0\.8 \(status 503\) and 12 more\)/);
  t.true((ev?.message.length ?? 0) < 1024);
});
