import type { Plan } from '../model/index.js';

/** How much of a plan a provider may carry out (GlobalDNSProvider `policy`). */
export type Policy = 'sync' | 'upsert-only' | 'create-only';

export const POLICIES: readonly Policy[] = ['sync', 'upsert-only', 'create-only'];

/** Everything: creates, updates and deletes. */
export function syncPolicy(plan: Plan): Plan {
  return { creates: [...plan.creates], updates: [...plan.updates], deletes: [...plan.deletes] };
}

/** Creates and updates; nothing is ever deleted, not even our own records. */
export function upsertOnlyPolicy(plan: Plan): Plan {
  return { creates: [...plan.creates], updates: [...plan.updates], deletes: [] };
}

/** Creates only: what exists is never changed. */
export function createOnlyPolicy(plan: Plan): Plan {
  return { creates: [...plan.creates], updates: [], deletes: [] };
}

const APPLY: Readonly<Record<Policy, (plan: Plan) => Plan>> = {
  sync: syncPolicy,
  'upsert-only': upsertOnlyPolicy,
  'create-only': createOnlyPolicy,
};

export function applyPolicy(plan: Plan, policy: Policy): Plan {
  return APPLY[policy](plan);
}
