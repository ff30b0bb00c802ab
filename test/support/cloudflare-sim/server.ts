// A Cloudflare v4 API simulator: an HTTP server on 127.0.0.1 answering the zone and DNS record
// endpoints with the API's JSON envelope, error codes, pagination, auth checks, a per-user
// rate limit, fault injection and a log of every call.

import { randomBytes } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { seededRandom } from '../random.js';
import { listenOnLoopback } from '../sim-http.js';
import { buildRecord, checkNeighbours, compareRecords, fullName, SimApiError, type SimRecord, type SimRecordInput } from './records.js';

export type CfSimOp = 'ListZones' | 'GetZone' | 'ListRecords' | 'GetRecord' | 'CreateRecord' | 'PatchRecord' | 'PutRecord' | 'DeleteRecord' | 'Batch' | 'Unknown';

export interface CfSimCall {
  op: CfSimOp;
  method: string;
  /** Path and query as requested. */
  path: string;
  status: number;
  /** First error code answered, if any (9109, 81053, 971, ...). */
  code?: number;
  throttled: boolean;
  /** How the caller authenticated: 'token' (Bearer), 'key' (X-Auth-Email + X-Auth-Key) or 'none'. */
  auth: 'token' | 'key' | 'none';
  /** Batch: operations per kind, counted even when the batch was refused. */
  batch?: { deletes: number; patches: number; puts: number; posts: number };
  /** Date.now() when the request arrived. */
  time: number;
}

/** A scripted answer for the next request(s), before any processing: nothing is applied. */
export type CfSimFault =
  | { kind: 'throttle'; retryAfterSeconds?: number }
  | { kind: 'error'; status?: 500 | 502 | 503 }
  | { kind: 'garbage' }
  /** Answered normally (to place a fault on a later request). */
  | { kind: 'pass' };

export interface CfSimFaults {
  /** Share of calls answered 429 (code 971) with Retry-After. */
  throttleShare?: number;
  /** Retry-After of injected 429s, seconds (default 1). */
  retryAfterSeconds?: number;
  /** Share of calls answered 500 (JSON) or 502 (an HTML page, as the edge sends), alternating. */
  errorShare?: number;
  /** Share of calls answered 200 with a cut-off JSON body; nothing is applied. */
  garbageShare?: number;
  latencyMs?: number;
}

export interface CfSimOptions {
  /** API tokens accepted as `Authorization: Bearer <token>` (default ['sim-token']). */
  tokens?: string[];
  /** Global API keys accepted as X-Auth-Email + X-Auth-Key (default sim@example.org / 'sim-global-key'). */
  keys?: { email: string; key: string }[];
  /** Fault RNG seed (default 1). */
  seed?: number;
  /** Operations one batch may carry (default 200, the Free plan's; 3,500 on paid plans). */
  batchLimit?: number;
  /** Requests per user and window before 429 (default Cloudflare's 1,200 per 5 minutes); false: none. */
  rateLimit?: { requests: number; windowMs: number } | false;
  now?: () => number;
}

export interface SimZoneInfo {
  id: string;
  name: string;
}

export interface CloudflareSim {
  /** http://127.0.0.1:<port>/client/v4 — the provider's `baseUrl`. */
  readonly url: string;
  readonly token: string;
  readonly key: { email: string; key: string };
  /** Creates an active zone; returns its 32-hex id. */
  createZone(name: string): string;
  zone(id: string): SimZoneInfo;
  /** The zone's records as stored, in list order. */
  records(zoneId: string): SimRecord[];
  /** Writes a record straight into the zone (someone else's record); validated like the API. */
  seed(zoneId: string, input: SimRecordInput): SimRecord;
  readonly calls: CfSimCall[];
  faults(f: CfSimFaults): void;
  /** Answers the next requests with these faults, one each, in order. */
  script(...faults: CfSimFault[]): void;
  stop(): Promise<void>;
}

interface ZoneState {
  id: string;
  name: string;
  createdOn: string;
  records: Map<string, SimRecord>;
}

const API = '/client/v4';
const hexId = (): string => randomBytes(16).toString('hex');

function intParam(q: URLSearchParams, key: string, dflt: number, min: number, max: number): number {
  const raw = q.get(key);
  if (raw === null) return dflt;
  const n = Number(raw);
  if (!Number.isInteger(n) || n < min || n > max) throw new SimApiError(400, 1004, `Invalid value for ${key}: ${raw} (must be between ${min} and ${max})`);
  return n;
}

function paginate<T>(all: T[], page: number, perPage: number) {
  const slice = all.slice((page - 1) * perPage, page * perPage);
  return {
    result: slice,
    result_info: { page, per_page: perPage, count: slice.length, total_count: all.length, total_pages: Math.max(1, Math.ceil(all.length / perPage)) },
  };
}

export async function startCloudflareSim(options: CfSimOptions = {}): Promise<CloudflareSim> {
  const tokens = new Set(options.tokens ?? ['sim-token']);
  const keys = options.keys ?? [{ email: 'sim@example.org', key: 'sim-global-key' }];
  const batchLimit = options.batchLimit ?? 200;
  const rateLimit = options.rateLimit === undefined ? { requests: 1200, windowMs: 300_000 } : options.rateLimit;
  const now = options.now ?? Date.now;
  const random = seededRandom(options.seed ?? 1);
  const zones = new Map<string, ZoneState>();
  const calls: CfSimCall[] = [];
  const recent = new Map<string, number[]>();
  let faults: CfSimFaults = {};
  const scripted: CfSimFault[] = [];
  let errorToggle = false;

  const iso = (): string => new Date(now()).toISOString();

  function getZone(id: string): ZoneState {
    const z = zones.get(id);
    if (!z) throw new SimApiError(404, 7003, 'Could not route to /zones/' + id + ', perhaps your object identifier is invalid?');
    return z;
  }

  function zoneJson(z: ZoneState) {
    return {
      id: z.id,
      name: z.name,
      status: 'active',
      paused: false,
      type: 'full',
      name_servers: ['ada.ns.cloudflare.com', 'bob.ns.cloudflare.com'],
      created_on: z.createdOn,
      modified_on: z.createdOn,
      account: { id: 'f037e56e89293a057740de681ac9abbe', name: 'sim account' },
      plan: { id: '0feeeeeeeeeeeeeeeeeeeeeeeeeeeeee', name: 'Free Website' },
    };
  }

  function authenticate(req: IncomingMessage, call: CfSimCall): string {
    const bearer = /^Bearer (.+)$/.exec(req.headers.authorization ?? '');
    if (bearer) {
      call.auth = 'token';
      if (!tokens.has(bearer[1])) throw new SimApiError(403, 9109, 'Invalid access token');
      return `token:${bearer[1]}`;
    }
    const email = req.headers['x-auth-email'];
    const key = req.headers['x-auth-key'];
    if (typeof email === 'string' || typeof key === 'string') {
      call.auth = 'key';
      if (!keys.some((k) => k.email === email && k.key === key)) throw new SimApiError(403, 9103, 'Unknown X-Auth-Key or X-Auth-Email');
      return `key:${email}`;
    }
    throw new SimApiError(400, 10000, 'Authentication error');
  }

  /** Cloudflare's per-user limit: past it every call is refused with 429 until the window moves on. */
  function checkRate(user: string): void {
    if (rateLimit === false) return;
    const t = now();
    const times = (recent.get(user) ?? []).filter((x) => x > t - rateLimit.windowMs);
    if (times.length >= rateLimit.requests) {
      recent.set(user, times);
      const wait = Math.max(1, Math.ceil((times[0] + rateLimit.windowMs - t) / 1000));
      throw new SimApiError(429, 971, 'Please wait and consider throttling your request speed', { 'retry-after': String(wait) });
    }
    times.push(t);
    recent.set(user, times);
  }

  function listRecords(z: ZoneState, q: URLSearchParams) {
    const page = intParam(q, 'page', 1, 1, 1_000_000);
    const perPage = intParam(q, 'per_page', 100, 1, 5_000_000);
    let list = [...z.records.values()].sort(compareRecords);
    const name = q.get('name') ?? q.get('name.exact');
    if (name !== null) list = list.filter((r) => r.name === fullName(name, z.name));
    const type = q.get('type');
    if (type !== null) list = list.filter((r) => r.type === type.toUpperCase());
    return paginate(list, page, perPage);
  }

  function record(z: ZoneState, id: string): SimRecord {
    const r = z.records.get(id);
    if (!r) throw new SimApiError(404, 81044, 'Record does not exist.');
    return r;
  }

  /** Writes `input` over record `id` (PATCH merges, PUT replaces) into `records`. */
  function overwrite(z: ZoneState, records: Map<string, SimRecord>, id: string, input: SimRecordInput, merge: boolean): SimRecord {
    const old = records.get(id);
    if (!old) throw new SimApiError(404, 81044, 'Record does not exist.');
    const base: SimRecordInput = merge ? { name: old.name, type: old.type, content: old.content, ttl: old.ttl, proxied: old.proxied, priority: old.priority, data: old.data, comment: old.comment } : {};
    const merged = { ...base, ...input };
    const r = buildRecord(merged, z.name, id, iso(), old.created_on);
    checkNeighbours(r, records.values());
    records.set(id, r);
    return r;
  }

  function create(z: ZoneState, records: Map<string, SimRecord>, input: SimRecordInput): SimRecord {
    const r = buildRecord(input, z.name, hexId(), iso());
    checkNeighbours(r, records.values());
    records.set(r.id, r);
    return r;
  }

  function asList(body: Record<string, unknown>, key: string): Record<string, unknown>[] {
    const v = body[key];
    if (v === undefined) return [];
    if (!Array.isArray(v) || v.some((x) => typeof x !== 'object' || x === null)) throw new SimApiError(400, 1004, `DNS Validation Error: ${key} must be an array of objects`);
    return v as Record<string, unknown>[];
  }

  /**
   * POST /dns_records/batch: deletes, patches, puts, posts in that order, as one transaction.
   * The first failing operation refuses the whole batch; its message says which one.
   */
  function batch(z: ZoneState, body: Record<string, unknown>, call: CfSimCall) {
    const deletes = asList(body, 'deletes');
    const patches = asList(body, 'patches');
    const puts = asList(body, 'puts');
    const posts = asList(body, 'posts');
    call.batch = { deletes: deletes.length, patches: patches.length, puts: puts.length, posts: posts.length };
    const total = deletes.length + patches.length + puts.length + posts.length;
    if (total > batchLimit) throw new SimApiError(400, 81058, `The batch request exceeds the maximum of ${batchLimit} record operations`);
    const records = new Map(z.records);
    const out = { deletes: [] as SimRecord[], patches: [] as SimRecord[], puts: [] as SimRecord[], posts: [] as SimRecord[] };
    const step = (kind: string, i: number, f: () => void): void => {
      try {
        f();
      } catch (e) {
        if (e instanceof SimApiError) throw new SimApiError(e.status, e.code, `${kind}[${i}]: ${e.message}`);
        throw e;
      }
    };
    deletes.forEach((d, i) =>
      step('deletes', i, () => {
        const r = records.get(String(d.id));
        if (!r) throw new SimApiError(404, 81044, 'Record does not exist.');
        records.delete(r.id);
        out.deletes.push(r);
      })
    );
    patches.forEach((p, i) => step('patches', i, () => void out.patches.push(overwrite(z, records, String(p.id), withoutId(p), true))));
    puts.forEach((p, i) => step('puts', i, () => void out.puts.push(overwrite(z, records, String(p.id), withoutId(p), false))));
    posts.forEach((p, i) => step('posts', i, () => void out.posts.push(create(z, records, p))));
    z.records = records;
    return out;
  }

  function withoutId(o: Record<string, unknown>): SimRecordInput {
    const { id: _id, ...rest } = o;
    return rest;
  }

  function route(method: string, path: string): { op: CfSimOp; zoneId?: string; recordId?: string } {
    if (!path.startsWith(API + '/')) return { op: 'Unknown' };
    const p = path.slice(API.length + 1).replace(/\/$/, '').split('/');
    if (p[0] !== 'zones') return { op: 'Unknown' };
    if (p.length === 1 && method === 'GET') return { op: 'ListZones' };
    if (p.length === 2 && method === 'GET') return { op: 'GetZone', zoneId: p[1] };
    if (p[2] !== 'dns_records') return { op: 'Unknown' };
    if (p.length === 3 && method === 'GET') return { op: 'ListRecords', zoneId: p[1] };
    if (p.length === 3 && method === 'POST') return { op: 'CreateRecord', zoneId: p[1] };
    if (p.length === 4 && p[3] === 'batch' && method === 'POST') return { op: 'Batch', zoneId: p[1] };
    if (p.length === 4) {
      const op = ({ GET: 'GetRecord', PATCH: 'PatchRecord', PUT: 'PutRecord', DELETE: 'DeleteRecord' } as const)[method as 'GET'];
      if (op) return { op, zoneId: p[1], recordId: p[3] };
    }
    return { op: 'Unknown' };
  }

  function parseBody(raw: string): Record<string, unknown> {
    if (raw.trim() === '') return {};
    let v: unknown;
    try {
      v = JSON.parse(raw);
    } catch {
      throw new SimApiError(400, 6007, 'Malformed JSON in request body');
    }
    if (typeof v !== 'object' || v === null || Array.isArray(v)) throw new SimApiError(400, 6007, 'Malformed JSON in request body');
    return v as Record<string, unknown>;
  }

  function injectFault(call: CfSimCall): SimApiError | 'garbage' | undefined {
    const f = scripted.shift();
    if (f?.kind === 'pass') return undefined;
    const f2 = faults;
    const kind = f?.kind ?? (f2.throttleShare && random() < f2.throttleShare ? 'throttle' : f2.errorShare && random() < f2.errorShare ? 'error' : f2.garbageShare && random() < f2.garbageShare ? 'garbage' : undefined);
    if (kind === undefined) return undefined;
    if (kind === 'garbage') return 'garbage';
    if (kind === 'throttle') {
      const after = (f?.kind === 'throttle' ? f.retryAfterSeconds : undefined) ?? f2.retryAfterSeconds ?? 1;
      return new SimApiError(429, 971, 'Please wait and consider throttling your request speed', { 'retry-after': String(after) });
    }
    errorToggle = !errorToggle;
    const status = (f?.kind === 'error' ? f.status : undefined) ?? (errorToggle ? 500 : 502);
    call.code = status === 500 ? 10001 : undefined;
    return new SimApiError(status, 10001, 'Internal server error');
  }

  async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const chunks: Buffer[] = [];
    for await (const chunk of req) chunks.push(chunk as Buffer);
    const raw = Buffer.concat(chunks).toString('utf8');
    const url = new URL(req.url ?? '/', 'http://sim');
    const method = req.method ?? 'GET';
    const r = route(method, url.pathname);
    const call: CfSimCall = { op: r.op, method, path: url.pathname + url.search, status: 200, throttled: false, auth: 'none', time: Date.now() };
    calls.push(call);
    // Unref'd: a latency still pending when the simulator stops never holds the test process open.
    if (faults.latencyMs) await new Promise((resolve) => setTimeout(resolve, faults.latencyMs).unref());
    let status = 200;
    let payload: unknown;
    let headers: Record<string, string> = {};
    try {
      const user = authenticate(req, call);
      checkRate(user);
      const body = method === 'POST' || method === 'PATCH' || method === 'PUT' ? parseBody(raw) : {};
      if (r.op === 'Batch') {
        call.batch = { deletes: asList(body, 'deletes').length, patches: asList(body, 'patches').length, puts: asList(body, 'puts').length, posts: asList(body, 'posts').length };
      }
      const fault = injectFault(call);
      if (fault === 'garbage') {
        call.code = -1;
        res.writeHead(200, { 'content-type': 'application/json' });
        res.end('{"success":true,"errors":[],"messages":[],"result":[{"id":"3f1c0e8a","name":"www.exa');
        return;
      }
      if (fault) throw fault;
      const zone = r.zoneId === undefined ? undefined : getZone(r.zoneId);
      let out: { result: unknown; result_info?: unknown };
      switch (r.op) {
        case 'ListZones': {
          const page = intParam(url.searchParams, 'page', 1, 1, 1_000_000);
          const perPage = intParam(url.searchParams, 'per_page', 20, 5, 50);
          const name = url.searchParams.get('name');
          const list = [...zones.values()].filter((z) => name === null || z.name === name.toLowerCase().replace(/\.$/, '')).sort((a, b) => (a.name < b.name ? -1 : 1));
          const p = paginate(list.map(zoneJson), page, perPage);
          out = p;
          break;
        }
        case 'GetZone':
          out = { result: zoneJson(zone!) };
          break;
        case 'ListRecords':
          out = listRecords(zone!, url.searchParams);
          break;
        case 'GetRecord':
          out = { result: record(zone!, r.recordId!) };
          break;
        case 'CreateRecord': {
          const records = new Map(zone!.records);
          const created = create(zone!, records, body);
          zone!.records = records;
          out = { result: created };
          break;
        }
        case 'PatchRecord':
        case 'PutRecord': {
          const records = new Map(zone!.records);
          const updated = overwrite(zone!, records, r.recordId!, withoutId(body), r.op === 'PatchRecord');
          zone!.records = records;
          out = { result: updated };
          break;
        }
        case 'DeleteRecord':
          record(zone!, r.recordId!);
          zone!.records.delete(r.recordId!);
          out = { result: { id: r.recordId } };
          break;
        case 'Batch':
          out = { result: batch(zone!, body, call) };
          break;
        default:
          throw new SimApiError(400, 7000, 'No route for that URI');
      }
      payload = { success: true, errors: [], messages: [], ...out };
    } catch (e) {
      const err = e instanceof SimApiError ? e : new SimApiError(500, 10001, `Internal server error: ${(e as Error).message}`);
      status = err.status;
      headers = err.headers;
      call.code = err.code;
      call.throttled = status === 429;
      call.status = status;
      if (status === 502) {
        // The edge answers a failed origin with an HTML page, not the API's JSON.
        res.writeHead(502, { 'content-type': 'text/html' });
        res.end('<html><head><title>502 Bad Gateway</title></head><body><center><h1>502 Bad Gateway</h1></center><hr><center>cloudflare</center></body></html>');
        return;
      }
      payload = { success: false, errors: [{ code: err.code, message: err.message }], messages: [], result: null };
    }
    call.status = status;
    const text = JSON.stringify(payload);
    res.writeHead(status, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(text), ...headers });
    res.end(text);
  }

  const { port, stop } = await listenOnLoopback(handle);

  return {
    url: `http://127.0.0.1:${port}${API}`,
    token: [...tokens][0] ?? '',
    key: keys[0],
    createZone(name) {
      const id = hexId();
      zones.set(id, { id, name: name.toLowerCase().replace(/\.$/, ''), createdOn: iso(), records: new Map() });
      return id;
    },
    zone(id) {
      const z = getZone(id);
      return { id: z.id, name: z.name };
    },
    records: (zoneId) => [...getZone(zoneId).records.values()].sort(compareRecords).map((r) => structuredClone(r)),
    seed(zoneId, input) {
      const z = getZone(zoneId);
      return create(z, z.records, input);
    },
    calls,
    faults(f) {
      faults = { ...f };
    },
    script(...f) {
      scripted.push(...f);
    },
    stop,
  };
}
