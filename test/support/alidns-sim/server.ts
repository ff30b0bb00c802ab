// An Alibaba Cloud DNS (Alidns) simulator: an HTTP server on 127.0.0.1 speaking the RPC-style
// API version 2015-01-09 (GET or POST form, JSON replies), verifying the v1 HMAC-SHA1 signature
// of every request, with fault injection and a log of every call.
import { createHmac } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { seededRandom } from '../random.js';
import { listenOnLoopback, tokenBucket } from '../sim-http.js';
import { addRecord, deleteRecord, filterRecords, findRecord, recordInput, SIM_EDITIONS, SimApiError, updateRecord, type SimDomain, type SimEdition, type SimRecord } from './records.js';

export type AlidnsAction =
  | 'DescribeDomains'
  | 'DescribeDomainInfo'
  | 'DescribeDomainRecords'
  | 'AddDomainRecord'
  | 'UpdateDomainRecord'
  | 'DeleteDomainRecord';

export interface AlidnsSimCall {
  /** The Action parameter as sent ('' when absent). */
  action: string;
  method: string;
  path: string;
  /** Date.now() when the request arrived. */
  time: number;
  status: number;
  /** Code answered, if any; 'Garbage' for an injected unreadable body. */
  code?: string;
  throttled: boolean;
  accessKeyId?: string;
  domainName?: string;
  recordId?: string;
}

/** A fault for the next request(s), in order: see `failNext`. */
export type AlidnsSimFault = 'throttle' | 'error' | 'garbage' | 'unavailable';

export interface AlidnsSimFaults {
  /** Share of calls answered Throttling.User. */
  throttleShare?: number;
  /** HTTP status of an injected throttling answer (default 400, as Alibaba Cloud answers it). */
  throttleStatus?: number;
  /** Share of calls answered 500 InternalError. */
  errorShare?: number;
  /** Share of calls answered 200 with a body cut off mid-JSON; nothing is applied. */
  garbageShare?: number;
  /** Delay before every answer. */
  latencyMs?: number;
}

export interface AlidnsSimOptions {
  /** AccessKey pairs the simulator knows: id → secret. Default SIM_KEY. */
  keys?: Record<string, string>;
  /** Seed of the fault RNG (default 1). */
  seed?: number;
  /** Answer Throttling.User beyond this many requests a second (token bucket, burst = limit). */
  rateLimitPerSecond?: number;
  /** Clock of the rate limit and of the Timestamp check (default Date.now). */
  now?: () => number;
}

export interface AlidnsSim {
  /** http://127.0.0.1:<port>: the provider's `endpoint`. */
  readonly url: string;
  /** Adds a domain (an empty zone) to the account; returns its DomainId. */
  createDomain(name: string, options?: { edition?: SimEdition }): string;
  /** The domain's records as stored (copies), in RecordId order. */
  records(domainName: string): SimRecord[];
  /** Puts a record in place without an API call (someone else's); no checks; returns its RecordId. */
  seed(domainName: string, record: Partial<SimRecord> & Pick<SimRecord, 'RR' | 'Type' | 'Value'>): string;
  /** Every request, in arrival order. */
  readonly calls: AlidnsSimCall[];
  faults(f: AlidnsSimFaults): void;
  /** Answers the next requests with these faults, one each, before any share-based fault. */
  failNext(...faults: AlidnsSimFault[]): void;
  stop(): Promise<void>;
}

export const SIM_KEY = { accessKeyId: 'LTAI5tSimulatorKey0001', accessKeySecret: 'sim-secret-0123456789abcdef' };

const HOST_ID = 'alidns.aliyuncs.com';
const MAX_SKEW_MS = 15 * 60 * 1000;

/**
 * The percent-encoding of the signature, done the way the documentation describes for Java
 * (form-encode, then '+' → %20, '*' → %2A, %7E → '~'): a second implementation, independent
 * of the provider's, so that a wrong encoding there cannot be mirrored here.
 */
function formStyleEncode(s: string): string {
  return new URLSearchParams([['', s]]).toString().slice(1).replace(/\+/g, '%20').replace(/\*/g, '%2A').replace(/%7E/g, '~');
}

function serverStringToSign(method: string, params: URLSearchParams): string {
  const pairs = [...params.entries()].filter(([k]) => k !== 'Signature');
  pairs.sort(([a], [b]) => Buffer.compare(Buffer.from(a), Buffer.from(b)));
  const canonical = pairs.map(([k, v]) => `${formStyleEncode(k)}=${formStyleEncode(v)}`).join('&');
  return `${method}&${formStyleEncode('/')}&${formStyleEncode(canonical)}`;
}

function readBody(req: IncomingMessage): Promise<string> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => resolve(Buffer.concat(chunks).toString('utf8')));
    req.on('error', reject);
  });
}

function pageParams(q: URLSearchParams, dflt: number, max: number): { page: number; size: number } {
  const page = Number(q.get('PageNumber') ?? '1');
  const size = Number(q.get('PageSize') ?? String(dflt));
  if (!Number.isInteger(page) || page < 1) throw new SimApiError(400, 'InvalidParameter', 'The specified value of parameter "PageNumber" is not valid.');
  if (!Number.isInteger(size) || size < 1 || size > max) throw new SimApiError(400, 'InvalidParameter', 'The specified value of parameter "PageSize" is not valid.');
  return { page, size };
}

function recordJson(r: SimRecord): Record<string, unknown> {
  return { ...r };
}

export async function startAlidnsSim(options: AlidnsSimOptions = {}): Promise<AlidnsSim> {
  const keys = options.keys ?? { [SIM_KEY.accessKeyId]: SIM_KEY.accessKeySecret };
  const now = options.now ?? Date.now;
  const random = seededRandom(options.seed ?? 1);
  const domains = new Map<string, SimDomain>();
  const calls: AlidnsSimCall[] = [];
  const nonces = new Set<string>();
  const queued: AlidnsSimFault[] = [];
  let faults: AlidnsSimFaults = {};
  let domainCounter = 0;
  let recordCounter = 0;
  let requestCounter = 0;
  const takeToken = tokenBucket(options.rateLimitPerSecond, now);

  const nextRecordId = () => String(1_000_000_000_000 + ++recordCounter);

  function domainOf(q: URLSearchParams): SimDomain {
    const name = q.get('DomainName');
    if (name === null || name === '') throw new SimApiError(400, 'MissingParameter', 'The input parameter "DomainName" that is mandatory for processing this request is not supplied.');
    const d = domains.get(name.toLowerCase().replace(/\.$/, ''));
    if (!d) throw new SimApiError(400, 'InvalidDomainName.NoExist', 'The specified domain name does not exist. Refresh the page and try again.');
    return d;
  }

  function authenticate(method: string, q: URLSearchParams, call: AlidnsSimCall): void {
    for (const p of ['AccessKeyId', 'Signature', 'SignatureMethod', 'SignatureNonce', 'Timestamp', 'Version', 'Format']) {
      if (!q.get(p)) throw new SimApiError(400, 'MissingParameter', `The input parameter "${p}" that is mandatory for processing this request is not supplied.`);
    }
    if (q.get('Version') !== '2015-01-09') throw new SimApiError(400, 'NoSuchVersion', 'The specified version does not exist.');
    if (q.get('SignatureMethod') !== 'HMAC-SHA1' || (q.get('SignatureVersion') ?? '1.0') !== '1.0') {
      throw new SimApiError(400, 'IncompleteSignature', 'The request signature does not conform to Aliyun standards.');
    }
    if (q.get('Format')?.toUpperCase() !== 'JSON') throw new SimApiError(400, 'InvalidParameter', 'The simulator answers Format=JSON only.');
    const id = q.get('AccessKeyId') ?? '';
    call.accessKeyId = id;
    const secret = keys[id];
    if (secret === undefined) throw new SimApiError(404, 'InvalidAccessKeyId.NotFound', 'Specified access key is not found.');
    const sts = serverStringToSign(method, q);
    const expected = createHmac('sha1', `${secret}&`).update(sts, 'utf8').digest('base64');
    if (q.get('Signature') !== expected) {
      throw new SimApiError(400, 'SignatureDoesNotMatch', `Specified signature is not matched with our calculation. server string to sign is:${sts}`);
    }
    const ts = Date.parse(q.get('Timestamp') ?? '');
    if (!/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/.test(q.get('Timestamp') ?? '') || Number.isNaN(ts)) {
      throw new SimApiError(400, 'IllegalTimestamp', 'The input parameter "Timestamp" that is mandatory for processing this request is not supplied.');
    }
    if (Math.abs(now() - ts) > MAX_SKEW_MS) throw new SimApiError(400, 'InvalidTimeStamp.Expired', 'Specified time stamp or date value is expired.');
    const nonce = q.get('SignatureNonce') ?? '';
    if (nonces.has(nonce)) throw new SimApiError(400, 'SignatureNonceUsed', 'Specified signature nonce was used already.');
    nonces.add(nonce);
  }

  function injectFaults(): 'garbage' | undefined {
    const throttled = () => new SimApiError(faults.throttleStatus ?? 400, 'Throttling.User', 'Request was denied due to user flow control.');
    const next = queued.shift();
    if (next === 'throttle') throw throttled();
    if (next === 'error') throw new SimApiError(500, 'InternalError', 'The request processing has failed due to some unknown error, exception or failure.');
    if (next === 'unavailable') throw new SimApiError(503, 'ServiceUnavailable', 'The request has failed due to a temporary failure of the server.');
    if (next === 'garbage') return 'garbage';
    if (!takeToken()) throw throttled();
    if (faults.throttleShare && random() < faults.throttleShare) throw throttled();
    if (faults.errorShare && random() < faults.errorShare) {
      throw new SimApiError(500, 'InternalError', 'The request processing has failed due to some unknown error, exception or failure.');
    }
    if (faults.garbageShare && random() < faults.garbageShare) return 'garbage';
    return undefined;
  }

  function act(action: string, q: URLSearchParams, call: AlidnsSimCall): Record<string, unknown> {
    switch (action) {
      case 'DescribeDomains': {
        const { page, size } = pageParams(q, 20, 100);
        const kw = q.get('KeyWord')?.toLowerCase();
        const all = [...domains.values()].filter((d) => !kw || d.DomainName.includes(kw));
        const slice = all.slice((page - 1) * size, page * size);
        return {
          TotalCount: all.length,
          PageNumber: page,
          PageSize: size,
          Domains: {
            Domain: slice.map((d) => ({
              DomainId: d.DomainId,
              DomainName: d.DomainName,
              PunyCode: d.DomainName,
              AliDomain: false,
              RecordCount: d.records.size,
              VersionCode: SIM_EDITIONS[d.edition].versionCode,
              VersionName: SIM_EDITIONS[d.edition].versionName,
              DnsServers: { DnsServer: ['dns1.hichina.com', 'dns2.hichina.com'] },
            })),
          },
        };
      }
      case 'DescribeDomainInfo': {
        const d = domainOf(q);
        call.domainName = d.DomainName;
        const e = SIM_EDITIONS[d.edition];
        return { DomainId: d.DomainId, DomainName: d.DomainName, VersionCode: e.versionCode, VersionName: e.versionName, MinTtl: e.minTtl, AliDomain: false };
      }
      case 'DescribeDomainRecords': {
        const d = domainOf(q);
        call.domainName = d.DomainName;
        const { page, size } = pageParams(q, 20, 500);
        const all = filterRecords(d, q);
        return {
          TotalCount: all.length,
          PageNumber: page,
          PageSize: size,
          DomainRecords: { Record: all.slice((page - 1) * size, page * size).map(recordJson) },
        };
      }
      case 'AddDomainRecord': {
        const d = domainOf(q);
        call.domainName = d.DomainName;
        const rec = addRecord(d, recordInput(q, d), nextRecordId());
        call.recordId = rec.RecordId;
        return { RecordId: rec.RecordId };
      }
      case 'UpdateDomainRecord': {
        const { domain, record } = findRecord(domains.values(), q.get('RecordId'));
        call.domainName = domain.DomainName;
        call.recordId = record.RecordId;
        updateRecord(domain, record, recordInput(q, domain));
        return { RecordId: record.RecordId };
      }
      case 'DeleteDomainRecord': {
        const { domain, record } = findRecord(domains.values(), q.get('RecordId'));
        call.domainName = domain.DomainName;
        call.recordId = record.RecordId;
        deleteRecord(domain, record);
        return { RecordId: record.RecordId };
      }
      default:
        throw new SimApiError(404, 'InvalidAction.NotFound', 'Specified api is not found, please check your url and method.');
    }
  }

  async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const url = new URL(req.url ?? '/', 'http://127.0.0.1');
    const method = req.method ?? 'GET';
    const body = await readBody(req);
    const q = method === 'POST' ? new URLSearchParams(body) : url.searchParams;
    if (method === 'POST') { for (const [k, v] of url.searchParams) q.append(k, v); }
    const action = q.get('Action') ?? '';
    const call: AlidnsSimCall = { action, method, path: url.pathname, time: Date.now(), status: 200, throttled: false };
    calls.push(call);
    const requestId = `5A1D0C5E-0000-4000-8000-${String(++requestCounter).padStart(12, '0')}`;
    // Unref'd: a latency still pending when the simulator stops never holds the test process open.
    if (faults.latencyMs) await new Promise((r) => setTimeout(r, faults.latencyMs).unref());
    let out: string;
    try {
      if (method !== 'GET' && method !== 'POST') throw new SimApiError(403, 'UnsupportedHTTPMethod', 'This http method is not supported.');
      authenticate(method, q, call);
      if (injectFaults() === 'garbage') {
        call.code = 'Garbage';
        res.writeHead(200, { 'content-type': 'application/json;charset=utf-8' });
        res.end(`{"RequestId":"${requestId}","TotalCount":3,"DomainRecords":{"Record":[{"RecordId":"10`);
        return;
      }
      out = JSON.stringify({ RequestId: requestId, ...act(action, q, call) });
    } catch (e) {
      const err = e instanceof SimApiError ? e : new SimApiError(500, 'InternalError', (e as Error).message);
      call.status = err.status;
      call.code = err.code;
      call.throttled = err.code.startsWith('Throttling');
      out = JSON.stringify({
        RequestId: requestId,
        HostId: HOST_ID,
        Code: err.code,
        Message: err.message,
        Recommend: `https://api.aliyun.com/troubleshoot?q=${encodeURIComponent(err.code)}&product=Alidns&requestId=${requestId}`,
      });
    }
    res.writeHead(call.status, { 'content-type': 'application/json;charset=utf-8', 'content-length': Buffer.byteLength(out) });
    res.end(out);
  }

  const { port, stop } = await listenOnLoopback(handle);

  function getDomain(name: string): SimDomain {
    const d = domains.get(name.toLowerCase().replace(/\.$/, ''));
    if (!d) throw new Error(`alidns-sim: no domain ${name}`);
    return d;
  }

  return {
    url: `http://127.0.0.1:${port}`,
    createDomain(name, o = {}) {
      const DomainName = name.toLowerCase().replace(/\.$/, '');
      const DomainId = `00000000-0000-4000-a000-${String(++domainCounter).padStart(12, '0')}`;
      domains.set(DomainName, { DomainId, DomainName, edition: o.edition ?? 'free', records: new Map() });
      return DomainId;
    },
    records: (name) => [...getDomain(name).records.values()].map((r) => ({ ...r })),
    seed(name, r) {
      const d = getDomain(name);
      const id = nextRecordId();
      d.records.set(id, {
        DomainName: d.DomainName,
        TTL: 600,
        Line: 'default',
        Status: 'ENABLE',
        Locked: false,
        Weight: 1,
        ...r,
        RR: r.RR.toLowerCase(),
        Type: r.Type.toUpperCase(),
        RecordId: id,
      });
      return id;
    },
    calls,
    faults(f) {
      faults = { ...f };
    },
    failNext(...f) {
      queued.push(...f);
    },
    stop,
  };
}
