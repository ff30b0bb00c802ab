// A Route53 simulator: an HTTP server on 127.0.0.1 speaking the REST/XML API the AWS SDK v3
// uses (`/2013-04-01/...`), with fault injection and a log of every call.

import type { IncomingMessage, ServerResponse } from 'node:http';
import { applyBatch, compareNames, compareRecords, normalizeSimName, recordKey, type SimChange, type SimRecordSet } from './records.js';
import { child, childText, childrenNamed, parseXml, renderXml, type XmlElement, type XmlNode } from './xml.js';
import { seededRandom } from '../random.js';
import { listenOnLoopback, tokenBucket } from '../sim-http.js';

export type SimOp =
  | 'ListHostedZones'
  | 'ListHostedZonesByName'
  | 'GetHostedZone'
  | 'ListResourceRecordSets'
  | 'ChangeResourceRecordSets'
  | 'GetChange'
  | 'Unknown';

export interface SimCall {
  op: SimOp;
  /** Date.now() when the request arrived. */
  time: number;
  zoneId?: string;
  /** ChangeResourceRecordSets: Change elements, ResourceRecord elements, characters of values. */
  changes?: number;
  records?: number;
  valueChars?: number;
  status: number;
  /** Error code answered, if any (Throttling, InvalidChangeBatch, ...). */
  code?: string;
  throttled: boolean;
  /** The access key id the request was signed with (SigV4 Authorization header). */
  accessKeyId?: string;
}

export interface SimFaults {
  /** Share of calls answered 400 Throttling. */
  throttleShare?: number;
  /** Share of calls answered 500 InternalFailure or 503 ServiceUnavailable (alternating). */
  errorShare?: number;
  /** Delay before every answer. */
  latencyMs?: number;
  /** Share of ChangeResourceRecordSets calls answered 400 PriorRequestNotComplete. */
  priorRequestNotCompleteShare?: number;
  /** Share of calls answered 200 with a body that is not the API's XML (cut off mid-element); nothing is applied. */
  garbageShare?: number;
}

export interface Route53SimOptions {
  /** Seed of the fault RNG (default 1): the same seed injects the same faults. */
  seed?: number;
  /** How long a change stays PENDING before GetChange says INSYNC (default 0). */
  changeDelayMs?: number;
  /** Answer Throttling beyond this many requests a second (token bucket, burst = limit). */
  rateLimitPerSecond?: number;
  /** Clock of the rate limit and of change status (default Date.now); `calls[].time` is real time. */
  now?: () => number;
  /** Access key ids accepted; any other signer gets 403 InvalidClientTokenId (default: any). */
  accessKeyIds?: string[];
}

export interface SimZoneOptions {
  private?: boolean;
  vpc?: { region: string; id: string };
}

export interface SimZone {
  id: string;
  name: string;
  private: boolean;
  vpc?: { region: string; id: string };
}

export interface Route53Sim {
  /** http://127.0.0.1:<port> — give it to the SDK as `endpoint`. */
  readonly url: string;
  /** Creates a hosted zone with its apex SOA and NS; returns the bare id ('Z…'). */
  createZone(name: string, options?: SimZoneOptions): string;
  zone(zoneId: string): SimZone;
  /** The zone's record sets in Route53's list order, as stored. */
  records(zoneId: string): SimRecordSet[];
  /** Puts a record set in place without an API call (someone else's records). */
  seed(zoneId: string, record: SimRecordSet): void;
  /** Every API call, in arrival order. */
  readonly calls: SimCall[];
  /** Replaces the fault settings; the RNG keeps its sequence. */
  faults(f: SimFaults): void;
  stop(): Promise<void>;
}

interface ZoneState extends SimZone {
  callerReference: string;
  records: Map<string, SimRecordSet>;
}

interface ChangeState {
  id: string;
  submittedAt: number;
  comment?: string;
}

class SimError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
    readonly messages?: string[],
  ) {
    super(message);
  }
}

const NAME_SERVERS = ['ns-1.awsdns-01.org.', 'ns-2.awsdns-02.co.uk.', 'ns-3.awsdns-03.com.', 'ns-4.awsdns-04.net.'];
const API = '/2013-04-01';

const rng = seededRandom;

function bareZoneId(id: string): string {
  return decodeURIComponent(id).replace(/^\/?hostedzone\//, '');
}

export async function startRoute53Sim(options: Route53SimOptions = {}): Promise<Route53Sim> {
  const zones = new Map<string, ZoneState>();
  const changes = new Map<string, ChangeState>();
  const calls: SimCall[] = [];
  const random = rng(options.seed ?? 1);
  let faults: SimFaults = {};
  let zoneCounter = 0;
  let changeCounter = 0;
  let requestCounter = 0;
  let errorToggle = false;
  const now = options.now ?? Date.now;
  const takeToken = tokenBucket(options.rateLimitPerSecond, now);

  function getZone(id: string): ZoneState {
    const z = zones.get(bareZoneId(id));
    if (!z) throw new SimError(404, 'NoSuchHostedZone', `No hosted zone found with ID: ${bareZoneId(id)}`);
    return z;
  }

  function createZone(name: string, o: SimZoneOptions = {}): string {
    zoneCounter++;
    const id = `Z${String(zoneCounter).padStart(4, '0')}SIM${'0'.repeat(8)}`.slice(0, 16);
    const zoneName = normalizeSimName(name);
    const records = new Map<string, SimRecordSet>();
    const soa: SimRecordSet = {
      name: zoneName,
      type: 'SOA',
      ttl: 900,
      values: [`${NAME_SERVERS[0]} awsdns-hostmaster.amazon.com. 1 7200 900 1209600 86400`],
    };
    const ns: SimRecordSet = { name: zoneName, type: 'NS', ttl: 172800, values: [...NAME_SERVERS] };
    records.set(recordKey(soa), soa);
    records.set(recordKey(ns), ns);
    const priv = o.private ?? false;
    zones.set(id, {
      id,
      name: zoneName,
      private: priv,
      vpc: priv ? (o.vpc ?? { region: 'us-east-1', id: 'vpc-0sim' }) : undefined,
      callerReference: `sim-${zoneCounter}`,
      records,
    });
    return id;
  }

  function sortedRecords(z: ZoneState): SimRecordSet[] {
    return [...z.records.values()].sort(compareRecords);
  }

  function hostedZoneXml(z: ZoneState): XmlNode {
    return [
      'HostedZone',
      [
        ['Id', `/hostedzone/${z.id}`],
        ['Name', z.name],
        ['CallerReference', z.callerReference],
        ['Config', [['PrivateZone', z.private]]],
        ['ResourceRecordSetCount', z.records.size],
      ],
    ];
  }

  function recordXml(r: SimRecordSet): XmlNode {
    const body: XmlNode[] = [
      ['Name', r.name],
      ['Type', r.type],
    ];
    if (r.setIdentifier !== undefined) body.push(['SetIdentifier', r.setIdentifier]);
    if (r.weight !== undefined) body.push(['Weight', r.weight]);
    if (r.ttl !== undefined) body.push(['TTL', r.ttl]);
    if (r.values !== undefined) body.push(['ResourceRecords', r.values.map((v): XmlNode => ['ResourceRecord', [['Value', v]]])]);
    if (r.alias !== undefined) {
      body.push([
        'AliasTarget',
        [
          ['HostedZoneId', r.alias.hostedZoneId],
          ['DNSName', r.alias.dnsName],
          ['EvaluateTargetHealth', r.alias.evaluateTargetHealth],
        ],
      ]);
    }
    return ['ResourceRecordSet', body];
  }

  function changeInfoXml(c: ChangeState): XmlNode {
    const insync = now() - c.submittedAt >= (options.changeDelayMs ?? 0);
    const body: XmlNode[] = [
      ['Id', `/change/${c.id}`],
      ['Status', insync ? 'INSYNC' : 'PENDING'],
      ['SubmittedAt', new Date(c.submittedAt).toISOString()],
    ];
    if (c.comment !== undefined) body.push(['Comment', c.comment]);
    return ['ChangeInfo', body];
  }

  function maxItems(q: URLSearchParams, dflt: number, cap: number): number {
    const raw = q.get('maxitems');
    if (raw === null) return dflt;
    const n = Number(raw);
    if (!Number.isInteger(n) || n < 1) throw new SimError(400, 'InvalidInput', `Invalid value for MaxItems: ${raw}`);
    return Math.min(n, cap);
  }

  function listHostedZones(q: URLSearchParams): string {
    const max = maxItems(q, 100, 100);
    const all = [...zones.values()].sort((a, b) => (a.id < b.id ? -1 : 1));
    const marker = q.get('marker');
    const type = q.get('hostedzonetype');
    let list = all.filter((z) => type !== 'PrivateHostedZone' || z.private);
    if (marker !== null) list = list.filter((z) => z.id >= marker);
    const page = list.slice(0, max);
    const truncated = list.length > max;
    const body: XmlNode[] = [['HostedZones', page.map(hostedZoneXml)]];
    if (marker !== null) body.push(['Marker', marker]);
    body.push(['IsTruncated', truncated]);
    if (truncated) body.push(['NextMarker', list[max].id]);
    body.push(['MaxItems', max]);
    return renderXml(['ListHostedZonesResponse', body]);
  }

  function listHostedZonesByName(q: URLSearchParams): string {
    const max = maxItems(q, 100, 100);
    const dnsName = q.get('dnsname');
    const startId = q.get('hostedzoneid');
    if (startId !== null && dnsName === null) throw new SimError(400, 'InvalidInput', 'HostedZoneId requires DNSName');
    const byName = (a: ZoneState, b: ZoneState): number => compareNames(a.name, b.name) || (a.id < b.id ? -1 : a.id > b.id ? 1 : 0);
    let list = [...zones.values()].sort(byName);
    if (dnsName !== null) {
      const n = normalizeSimName(dnsName);
      list = list.filter((z) => {
        const c = compareNames(z.name, n);
        return c > 0 || (c === 0 && (startId === null || z.id >= bareZoneId(startId)));
      });
    }
    const page = list.slice(0, max);
    const truncated = list.length > max;
    const body: XmlNode[] = [['HostedZones', page.map(hostedZoneXml)]];
    if (dnsName !== null) body.push(['DNSName', normalizeSimName(dnsName)]);
    if (startId !== null) body.push(['HostedZoneId', bareZoneId(startId)]);
    body.push(['IsTruncated', truncated]);
    if (truncated) {
      body.push(['NextDNSName', list[max].name]);
      body.push(['NextHostedZoneId', list[max].id]);
    }
    body.push(['MaxItems', max]);
    return renderXml(['ListHostedZonesByNameResponse', body]);
  }

  function getHostedZone(z: ZoneState): string {
    const body: XmlNode[] = [hostedZoneXml(z)];
    if (z.private && z.vpc) {
      body.push(['VPCs', [['VPC', [['VPCRegion', z.vpc.region], ['VPCId', z.vpc.id]]]]]);
    } else {
      body.push(['DelegationSet', [['NameServers', NAME_SERVERS.map((n): XmlNode => ['NameServer', n.replace(/\.$/, '')])]]]);
    }
    return renderXml(['GetHostedZoneResponse', body]);
  }

  function listResourceRecordSets(z: ZoneState, q: URLSearchParams): string {
    const max = maxItems(q, 300, 300);
    const name = q.get('name');
    const type = q.get('type');
    const identifier = q.get('identifier');
    if (type !== null && name === null) throw new SimError(400, 'InvalidInput', 'The input is not valid: StartRecordType requires StartRecordName');
    if (identifier !== null && type === null) throw new SimError(400, 'InvalidInput', 'The input is not valid: StartRecordIdentifier requires StartRecordType');
    let list = sortedRecords(z);
    if (name !== null) {
      const start: SimRecordSet = { name: normalizeSimName(name), type: type ?? '', setIdentifier: identifier ?? undefined };
      list = list.filter((r) => compareRecords(r, start) >= 0);
    }
    const page = list.slice(0, max);
    const truncated = list.length > max;
    const body: XmlNode[] = [['ResourceRecordSets', page.map(recordXml)], ['IsTruncated', truncated]];
    if (truncated) {
      const next = list[max];
      body.push(['NextRecordName', next.name], ['NextRecordType', next.type]);
      if (next.setIdentifier !== undefined) body.push(['NextRecordIdentifier', next.setIdentifier]);
    }
    body.push(['MaxItems', max]);
    return renderXml(['ListResourceRecordSetsResponse', body]);
  }

  function parseRecord(el: XmlElement | undefined): SimRecordSet {
    const name = childText(el, 'Name');
    const type = childText(el, 'Type');
    if (name === undefined || type === undefined) throw new SimError(400, 'InvalidInput', 'Invalid XML ; ResourceRecordSet needs Name and Type');
    const r: SimRecordSet = { name: normalizeSimName(name), type };
    const ttl = childText(el, 'TTL');
    if (ttl !== undefined) r.ttl = Number(ttl);
    const rrs = child(el, 'ResourceRecords');
    if (rrs) r.values = childrenNamed(rrs, 'ResourceRecord').map((rr) => childText(rr, 'Value') ?? '');
    const setId = childText(el, 'SetIdentifier');
    if (setId !== undefined) r.setIdentifier = setId;
    const weight = childText(el, 'Weight');
    if (weight !== undefined) r.weight = Number(weight);
    const alias = child(el, 'AliasTarget');
    if (alias) {
      r.alias = {
        hostedZoneId: childText(alias, 'HostedZoneId') ?? '',
        dnsName: normalizeSimName(childText(alias, 'DNSName') ?? ''),
        evaluateTargetHealth: childText(alias, 'EvaluateTargetHealth') === 'true',
      };
    }
    return r;
  }

  function parseChanges(body: string): { changes: SimChange[]; comment?: string } {
    let root: XmlElement;
    try {
      root = parseXml(body);
    } catch (e) {
      throw new SimError(400, 'InvalidInput', `Invalid XML ; ${(e as Error).message}`);
    }
    const batch = child(root, 'ChangeBatch');
    const list = childrenNamed(child(batch, 'Changes'), 'Change');
    if (list.length === 0) throw new SimError(400, 'InvalidInput', 'Invalid XML ; ChangeBatch needs at least one Change');
    const changesOut = list.map((c): SimChange => {
      const action = childText(c, 'Action');
      if (action !== 'CREATE' && action !== 'DELETE' && action !== 'UPSERT') {
        throw new SimError(400, 'InvalidInput', `Invalid XML ; Action must be CREATE, DELETE or UPSERT, not ${action}`);
      }
      return { action: action, record: parseRecord(child(c, 'ResourceRecordSet')) };
    });
    return { changes: changesOut, comment: childText(batch, 'Comment') };
  }

  function changeResourceRecordSets(z: ZoneState, parsed: { changes: SimChange[]; comment?: string }): string {
    const result = applyBatch(z.records, parsed.changes, z.name);
    if (!result.ok) {
      throw new SimError(400, 'InvalidChangeBatch', `[${result.messages.join(', ')}]`, result.messages);
    }
    z.records = result.records;
    changeCounter++;
    const c: ChangeState = { id: `C${String(changeCounter).padStart(12, '0')}SIM`, submittedAt: now(), comment: parsed.comment };
    changes.set(c.id, c);
    return renderXml(['ChangeResourceRecordSetsResponse', [changeInfoXml(c)]]);
  }

  function getChange(id: string): string {
    const bare = decodeURIComponent(id).replace(/^\/?change\//, '');
    const c = changes.get(bare);
    if (!c) throw new SimError(404, 'NoSuchChange', `A change with the specified change ID does not exist: ${bare}`);
    return renderXml(['GetChangeResponse', [changeInfoXml(c)]]);
  }

  function route(method: string, path: string): { op: SimOp; zoneId?: string; changeId?: string } {
    if (!path.startsWith(API + '/')) return { op: 'Unknown' };
    const parts = path.slice(API.length + 1).replace(/\/$/, '').split('/');
    if (method === 'GET' && parts.length === 1 && parts[0] === 'hostedzone') return { op: 'ListHostedZones' };
    if (method === 'GET' && parts.length === 1 && parts[0] === 'hostedzonesbyname') return { op: 'ListHostedZonesByName' };
    if (parts[0] === 'hostedzone' && parts.length === 2 && method === 'GET') return { op: 'GetHostedZone', zoneId: bareZoneId(parts[1]) };
    if (parts[0] === 'hostedzone' && parts.length === 3 && parts[2] === 'rrset') {
      if (method === 'GET') return { op: 'ListResourceRecordSets', zoneId: bareZoneId(parts[1]) };
      if (method === 'POST') return { op: 'ChangeResourceRecordSets', zoneId: bareZoneId(parts[1]) };
    }
    if (parts[0] === 'change' && parts.length === 2 && method === 'GET') return { op: 'GetChange', changeId: parts[1] };
    return { op: 'Unknown' };
  }

  function errorXml(e: SimError, requestId: string): string {
    const error: XmlNode[] = [
      ['Type', e.status >= 500 ? 'Receiver' : 'Sender'],
      ['Code', e.code],
      ['Message', e.message],
    ];
    // The SDK reads InvalidChangeBatch's list of messages from Error/Messages.
    if (e.messages) error.push(['Messages', e.messages.map((m): XmlNode => ['Message', m])]);
    return renderXml(['ErrorResponse', [['Error', error], ['RequestId', requestId]]]);
  }

  async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const time = Date.now();
    const chunks: Buffer[] = [];
    for await (const chunk of req) chunks.push(chunk as Buffer);
    const body = Buffer.concat(chunks).toString('utf8');
    const url = new URL(req.url ?? '/', 'http://sim');
    const r = route(req.method ?? 'GET', url.pathname);
    const call: SimCall = { op: r.op, time, zoneId: r.zoneId, status: 200, throttled: false };
    const signedBy = /Credential=([^/,\s]+)\//.exec(req.headers.authorization ?? '');
    if (signedBy) call.accessKeyId = signedBy[1];
    calls.push(call);
    requestCounter++;
    const requestId = `sim-${String(requestCounter).padStart(8, '0')}`;
    const f = faults;
    // Unref'd: a latency still pending when the simulator stops (60 s in test/observe/shutdown)
    // never holds the test process open.
    if (f.latencyMs) await new Promise((resolve) => setTimeout(resolve, f.latencyMs).unref());
    if (f.garbageShare && random() < f.garbageShare) {
      call.code = 'Garbage';
      const junk = '<?xml version="1.0"?>\n<ListResourceRecordSetsResponse><ResourceRecordSets><ResourceRecordSet><Name>\u0000\u00ff';
      res.writeHead(200, { 'content-type': 'text/xml', 'x-amzn-requestid': requestId });
      res.end(junk);
      return;
    }
    let status = 200;
    let out: string;
    try {
      if (options.accessKeyIds && !options.accessKeyIds.includes(call.accessKeyId ?? '')) {
        throw new SimError(403, 'InvalidClientTokenId', 'The security token included in the request is invalid.');
      }
      if (r.op === 'ChangeResourceRecordSets') {
        // Counted before faults so the log shows what every attempt carried.
        const parsed = parseChanges(body);
        call.changes = parsed.changes.length;
        call.records = parsed.changes.reduce((n, c) => n + (c.record.values?.length ?? 0), 0);
        call.valueChars = parsed.changes.reduce((n, c) => n + (c.record.values ?? []).reduce((m, v) => m + v.length, 0), 0);
        injectFaults(f, r.op);
        out = changeResourceRecordSets(getZone(r.zoneId ?? ''), parsed);
      } else {
        injectFaults(f, r.op);
        switch (r.op) {
          case 'ListHostedZones':
            out = listHostedZones(url.searchParams);
            break;
          case 'ListHostedZonesByName':
            out = listHostedZonesByName(url.searchParams);
            break;
          case 'GetHostedZone':
            out = getHostedZone(getZone(r.zoneId ?? ''));
            break;
          case 'ListResourceRecordSets':
            out = listResourceRecordSets(getZone(r.zoneId ?? ''), url.searchParams);
            break;
          case 'GetChange':
            out = getChange(r.changeId ?? '');
            break;
          default:
            throw new SimError(400, 'InvalidAction', `The action ${req.method} ${url.pathname} is not valid for this web service.`);
        }
      }
    } catch (e) {
      const err = e instanceof SimError ? e : new SimError(500, 'InternalFailure', (e as Error).message);
      status = err.status;
      call.code = err.code;
      call.throttled = err.code === 'Throttling';
      out = errorXml(err, requestId);
    }
    call.status = status;
    res.writeHead(status, { 'content-type': 'text/xml', 'x-amzn-requestid': requestId, 'content-length': Buffer.byteLength(out) });
    res.end(out);
  }

  function injectFaults(f: SimFaults, op: SimOp): void {
    if (!takeToken()) throw new SimError(400, 'Throttling', 'Rate exceeded');
    if (f.throttleShare && random() < f.throttleShare) throw new SimError(400, 'Throttling', 'Rate exceeded');
    if (f.errorShare && random() < f.errorShare) {
      errorToggle = !errorToggle;
      throw errorToggle
        ? new SimError(500, 'InternalFailure', 'We encountered an internal error. Please try again.')
        : new SimError(503, 'ServiceUnavailable', 'Service Unavailable');
    }
    if (op === 'ChangeResourceRecordSets' && f.priorRequestNotCompleteShare && random() < f.priorRequestNotCompleteShare) {
      throw new SimError(400, 'PriorRequestNotComplete', 'The request was rejected because Route 53 was still processing a prior request.');
    }
  }

  const { port, stop } = await listenOnLoopback(handle);

  return {
    url: `http://127.0.0.1:${port}`,
    createZone,
    zone(zoneId) {
      const z = getZone(zoneId);
      return { id: z.id, name: z.name, private: z.private, vpc: z.vpc };
    },
    records: (zoneId) => sortedRecords(getZone(zoneId)).map((r) => structuredClone(r)),
    seed(zoneId, record) {
      const z = getZone(zoneId);
      const r: SimRecordSet = { ...structuredClone(record), name: normalizeSimName(record.name) };
      z.records.set(recordKey(r), r);
    },
    calls,
    faults(next) {
      faults = { ...next };
    },
    stop,
  };
}
