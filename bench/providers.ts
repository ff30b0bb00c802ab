// bench:providers — per provider, the time and the API calls it takes to apply 1,000 record
// changes, through the provider's real backend: real named and knotd (RFC 2136), real
// pdns_server (PowerDNS), and the wire-level simulators for Route53, Cloudflare and Alidns
// (the same backends the provider contract tests run on). One JSON line per provider:
//   {"bench":"providers","provider":"rfc2136-bind","changes":1000,"api_calls":…,"seconds":…}
// Three plans are applied in turn: 1,000 creates (the headline figures), then the same 1,000
// names with new addresses (updates), then their deletion. Each is checked against the
// backend afterwards; a run that did not land is reported with "ok": false.
//
// Usage: node --import=tsx bench/providers.ts [provider…]   (default: all)
import os from 'node:os';
import type { Plan, RecordSet } from '../src/model/index.js';
import type { ProviderCall } from '../providers/index.js';
import { CONTRACT_ZONE, type ContractBackend } from '../test/providers/world.js';
import { backend as route53 } from '../test/providers/route53/backend.js';
import { bindBackend, knotBackend } from '../test/providers/rfc2136/backend.js';
import { backend as powerdns } from '../test/providers/powerdns/backend.js';
import { backend as cloudflare } from '../test/providers/cloudflare/backend.js';
import { backend as alidns } from '../test/providers/alidns/backend.js';

process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';

const CHANGES = 1000;
/** A provider that takes longer than this for one plan is reported as timed out. */
const PLAN_TIMEOUT_MS = 300_000;

const BACKENDS: ContractBackend[] = [route53, bindBackend, knotBackend, powerdns, cloudflare, alidns];

const EMPTY: Plan = { creates: [], updates: [], deletes: [] };

/**
 * The simulators' providers run with test pacing (1,000 requests/s); production defaults are
 * slower, so for them the line also gives the floor that pacing puts under the same calls:
 * api_calls / default rate (Route53 5/s, Cloudflare 4/s, Alidns 60/s: the providers' defaults).
 */
const DEFAULT_RATE_PER_S: Record<string, number> = { route53: 5, cloudflare: 4, alidns: 60 };

function record(i: number, generation: number): RecordSet {
  return { name: `bench-${String(i).padStart(4, '0')}.${CONTRACT_ZONE}`, type: 'A', ttl: 600, values: [`10.${generation}.${i >> 8}.${i & 255}`] };
}

interface Phase {
  api_calls: number;
  seconds: number;
  failed: number;
  throttled: number;
  errors: number;
}

async function run(b: ContractBackend): Promise<Record<string, unknown>> {
  const calls: ProviderCall[] = [];
  const world = await b.start({ observe: (c) => calls.push(c) });
  try {
    const zones = await world.provider.zones();
    const zone = zones.find((z) => z.name === CONTRACT_ZONE);
    if (!zone) throw new Error(`${b.name}: no zone ${CONTRACT_ZONE}`);
    const first = Array.from({ length: CHANGES }, (_, i) => record(i, 1));
    const second = Array.from({ length: CHANGES }, (_, i) => record(i, 2));

    const phase = async (plan: Plan): Promise<Phase> => {
      calls.length = 0;
      const started = performance.now();
      let timer: NodeJS.Timeout | undefined;
      const timeout = new Promise<never>((_, reject) => {
        timer = setTimeout(() => reject(new Error(`${b.name}: no result within ${PLAN_TIMEOUT_MS / 1000} s`)), PLAN_TIMEOUT_MS);
      });
      try {
        const result = await Promise.race([world.provider.apply(zone, plan), timeout]);
        return {
          api_calls: calls.length,
          seconds: Number(((performance.now() - started) / 1000).toFixed(3)),
          failed: result.failed,
          throttled: calls.filter((c) => c.outcome === 'throttled').length,
          errors: calls.filter((c) => c.outcome === 'error').length,
        };
      } finally {
        clearTimeout(timer);
      }
    };

    const create = await phase({ ...EMPTY, creates: first });
    const afterCreate = (await world.read()).filter((r) => r.name.startsWith('bench-') && r.type === 'A');
    const update = await phase({ ...EMPTY, updates: first.map((from, i) => ({ from, to: second[i] })) });
    const afterUpdate = (await world.read()).filter((r) => r.name.startsWith('bench-') && r.type === 'A' && r.values[0]?.startsWith('10.2.'));
    const remove = await phase({ ...EMPTY, deletes: second });
    const afterDelete = (await world.read()).filter((r) => r.name.startsWith('bench-'));
    const ok = create.failed + update.failed + remove.failed === 0 && afterCreate.length === CHANGES && afterUpdate.length === CHANGES && afterDelete.length === 0;
    return {
      bench: 'providers',
      provider: b.name,
      changes: CHANGES,
      api_calls: create.api_calls,
      seconds: create.seconds,
      ok,
      update_api_calls: update.api_calls,
      update_seconds: update.seconds,
      delete_api_calls: remove.api_calls,
      delete_seconds: remove.seconds,
      failed: { create: create.failed, update: update.failed, delete: remove.failed },
      throttled_calls: create.throttled + update.throttled + remove.throttled,
      error_calls: create.errors + update.errors + remove.errors,
      backend: b.name.startsWith('rfc2136') || b.name === 'powerdns' ? 'daemon' : 'simulator',
      ...(DEFAULT_RATE_PER_S[b.name] !== undefined
        ? { default_rate_per_s: DEFAULT_RATE_PER_S[b.name], seconds_floor_at_default_rate: Number((create.api_calls / DEFAULT_RATE_PER_S[b.name]).toFixed(2)) }
        : {}),
      cpus: os.cpus().length,
      loadavg_1m: Number(os.loadavg()[0].toFixed(2)),
    };
  } finally {
    await world.stop();
  }
}

const wanted = process.argv.slice(2);
const selected = wanted.length === 0 ? BACKENDS : BACKENDS.filter((b) => wanted.includes(b.name));
if (selected.length === 0) {
  process.stderr.write(`no such provider; one of ${BACKENDS.map((b) => b.name).join(', ')}\n`);
  process.exit(2);
}
let failures = 0;
for (const b of selected) {
  try {
    process.stdout.write(`${JSON.stringify(await run(b))}\n`);
  } catch (e) {
    failures++;
    process.stdout.write(`${JSON.stringify({ bench: 'providers', provider: b.name, changes: CHANGES, ok: false, error: (e as Error).message })}\n`);
  }
}
process.exit(failures > 0 ? 1 : 0);
