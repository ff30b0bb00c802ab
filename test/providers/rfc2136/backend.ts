// Contract backends for the RFC 2136 provider: a real BIND 9 `named` and a real `knotd`,
// each with a fresh `example.org` writable and transferable with one TSIG key. The world
// reads the zone with `dig AXFR -y …` (not through the provider) and seeds foreign records
// with `nsupdate -y …`, as an operator would.
import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import type { RecordSet, RRType } from '../../../src/model/index.js';
import { Rfc2136Provider, type Rfc2136ProviderOptions, type TsigAlgorithm, type ProviderCallObserver } from '../../../providers/index.js';
import { startBind, type Bind } from '../../support/bind.js';
import { startKnot, type Knot } from '../../support/knot.js';
import { freePort } from '../../support/ports.js';
// Types only: contract.ts registers ava tests when loaded, and the bench loads this file outside ava.
import type { ContractBackend, ContractWorld } from '../world.js';

/** The contract's zone (CONTRACT_ZONE in contract.ts). */
const CONTRACT_ZONE = 'example.org';

export type Daemon = 'bind' | 'knot';

export interface Rfc2136WorldOptions {
  /** the key may transfer example.org (default true) */
  transfer?: boolean;
  /** algorithm of the key (default hmac-sha256) */
  algorithm?: TsigAlgorithm;
  /** more zones, each with the key allowed to transfer but (update: false) not to update */
  extraZones?: { apex: string; update: boolean }[];
  /** told of every message the world's provider sends (bench:providers counts them) */
  observe?: ProviderCallObserver;
}

export interface Rfc2136World extends ContractWorld {
  daemon: Daemon;
  port: number;
  key: { name: string; algorithm: TsigAlgorithm; secret: string };
  /** a provider for example.org on this server, with options changed */
  makeProvider(over?: Partial<Rfc2136ProviderOptions>): Rfc2136Provider;
  /** runs nsupdate with the world's own key (always allowed); the script's lines without `server`, `zone` and `send` */
  nsupdate(lines: string[], zone?: string): Promise<void>;
  /** dig AXFR with the world's own key: the zone's records (SOA and apex NS left out) */
  readZone(zone: string): Promise<RecordSet[]>;
  logs(): string;
}

const KEY_NAME = 'globaldns-test';

function run(cmd: string, args: string[], input?: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const child = execFile(cmd, args, { timeout: 30_000, maxBuffer: 64 * 1024 * 1024 }, (err, stdout, stderr) => err ? reject(new Error(`${cmd} failed: ${String(stderr) || err.message}`)) : resolve(String(stdout)));
    if (input !== undefined) child.stdin!.end(input);
  });
}

/** Text as DNS presentation character-strings: quoted, `"` and `\` escaped, other odd octets \DDD (decimal). */
export function txtPresentation(text: string): string {
  const bytes = Buffer.from(text, 'utf8');
  const strings: string[] = [];
  for (let i = 0; i === 0 || i < bytes.length; i += 255) {
    let s = '"';
    for (const b of bytes.subarray(i, i + 255)) {
      if (b === 0x22 || b === 0x5c) s += '\\' + String.fromCharCode(b);
      else if (b < 0x20 || b > 0x7e) s += '\\' + String(b).padStart(3, '0');
      else s += String.fromCharCode(b);
    }
    strings.push(s + '"');
  }
  return strings.join(' ');
}

/** dig's TXT rdata (`"a \"b\"" "c"`, \DDD decimal) as one text: the strings joined. */
export function parseTxtPresentation(data: string): string {
  const out: number[] = [];
  let i = 0;
  while (i < data.length) {
    if (data[i] !== '"') {
      i++;
      continue;
    }
    i++;
    while (i < data.length && data[i] !== '"') {
      if (data[i] === '\\') {
        const dec = data.slice(i + 1, i + 4);
        if (/^\d{3}$/.test(dec)) {
          out.push(Number(dec));
          i += 4;
        } else {
          out.push(...Buffer.from(data[i + 1], 'utf8'));
          i += 2;
        }
      } else {
        out.push(...Buffer.from(data[i], 'utf8'));
        i++;
      }
    }
    i++;
  }
  return Buffer.from(out).toString('utf8');
}

const canonical = (n: string) => n.toLowerCase().replace(/\.$/, '');
const MODEL_TYPES = new Set(['A', 'AAAA', 'CNAME', 'TXT', 'MX', 'NS', 'SRV', 'PTR', 'CAA']);

/** `dig +noall +answer` AXFR lines as record sets (SOA, apex NS and TSIG left out). */
export function parseAxfr(text: string, zone: string): RecordSet[] {
  const sets = new Map<string, RecordSet>();
  for (const line of text.split('\n')) {
    const m = /^(\S+)\s+(\d+)\s+IN\s+([A-Z0-9]+)\s+(.*)$/.exec(line.trim());
    if (!m || !MODEL_TYPES.has(m[3])) continue;
    const name = canonical(m[1]);
    const type = m[3] as RRType;
    if (type === 'NS' && name === zone) continue;
    let value = m[4].trim();
    if (type === 'TXT') value = parseTxtPresentation(value);
    else if (type === 'CNAME' || type === 'NS' || type === 'PTR') value = canonical(value);
    else if (type === 'MX' || type === 'SRV') value = value.replace(/\S+$/, (t) => canonical(t));
    const key = `${name} ${type}`;
    const set = sets.get(key);
    if (set) set.values.push(value);
    else sets.set(key, { name, type, ttl: Number(m[2]), values: [value] });
  }
  return [...sets.values()];
}

/** A record set as nsupdate `update add` lines. */
function addLines(r: RecordSet): string[] {
  return r.values.map((v) => `update add ${r.name}. ${r.ttl} ${r.type} ${r.type === 'TXT' ? txtPresentation(v) : /^(CNAME|NS|PTR)$/.test(r.type) ? `${v}.` : /^(MX|SRV)$/.test(r.type) ? `${v}.` : v}`);
}

function zoneText(): string {
  return ['@ SOA ns1.example.net. hostmaster.example.org. 1 3600 600 86400 300', '@ NS ns1.example.net.'].join('\n');
}

const ADMIN_KEY = 'test-admin';

export async function startRfc2136World(daemon: Daemon, opts: Rfc2136WorldOptions = {}): Promise<Rfc2136World> {
  const algorithm = opts.algorithm ?? 'hmac-sha256';
  const secret = randomBytes(algorithm === 'hmac-sha512' || algorithm === 'hmac-sha384' ? 64 : 32).toString('base64');
  const key = { name: KEY_NAME, algorithm, secret };
  // The world reads and seeds with a key of its own, which may always update and transfer:
  // the provider's key is the one whose rights a test restricts.
  const admin = { name: ADMIN_KEY, algorithm: 'hmac-sha256' as const, secret: randomBytes(32).toString('base64') };
  const transfer = opts.transfer ?? true;
  const zones = [{ apex: CONTRACT_ZONE, update: true, transfer }, ...(opts.extraZones ?? []).map((z) => ({ ...z, transfer: true }))];
  let server: Bind | Knot;
  if (daemon === 'bind') {
    server = await startBind({
      keys: [key, admin],
      zones: zones.map((z) => ({
        apex: z.apex,
        zoneText: zoneText(),
        allowUpdate: [`key ${ADMIN_KEY}`, ...(z.update ? [`key ${KEY_NAME}`] : [])],
        allowTransfer: [`key ${ADMIN_KEY}`, ...(z.transfer ? [`key ${KEY_NAME}`] : [])],
      })),
    });
  } else {
    const actions = (z: { update: boolean; transfer: boolean }) => [...(z.update ? ['update'] : []), ...(z.transfer ? ['transfer'] : [])] as ('update' | 'transfer')[];
    const aclId = (apex: string) => `acl-${apex.replace(/\W/g, '-')}`;
    server = await startKnot({
      ipv6: false,
      keys: [key, admin].map((k) => ({ id: k.name, algorithm: k.algorithm, secret: k.secret })),
      acls: [
        { id: 'acl-admin', key: [ADMIN_KEY], action: ['update', 'transfer'] },
        ...zones.filter((z) => actions(z).length > 0).map((z) => ({ id: aclId(z.apex), key: [KEY_NAME], action: actions(z) })),
      ],
      zones: zones.map((z) => ({ apex: z.apex, zoneText: zoneText(), acl: ['acl-admin', ...(actions(z).length > 0 ? [aclId(z.apex)] : [])] })),
    });
  }
  const port = server.port;
  const y = `${admin.algorithm}:${admin.name}:${admin.secret}`;
  const makeProvider = (over: Partial<Rfc2136ProviderOptions> = {}) => new Rfc2136Provider({ name: `test-${daemon}`, zones: [CONTRACT_ZONE], servers: [`127.0.0.1:${port}`], tsig: key, timeoutMs: 3000, ...over });
  const nsupdate = async (lines: string[], zone = CONTRACT_ZONE) => {
    if (lines.length === 0) return;
    await run('nsupdate', ['-y', y], [`server 127.0.0.1 ${port}`, `zone ${zone}`, ...lines, 'send', ''].join('\n'));
  };
  const readZone = async (zone: string) => {
    const out = await run('dig', [`@127.0.0.1`, '-p', String(port), zone, 'AXFR', '-y', y, '+noall', '+answer', '+time=5', '+tries=1']);
    if (!/\sSOA\s/.test(out)) throw new Error(`dig AXFR ${zone} failed: ${out.trim()}`);
    return parseAxfr(out, zone);
  };
  const unreachablePort = await freePort({ ipv6: false });
  return {
    daemon,
    port,
    key,
    provider: makeProvider({ observe: opts.observe }),
    makeProvider,
    nsupdate,
    readZone,
    seed: async (records) => nsupdate(records.flatMap(addLines)),
    read: () => readZone(CONTRACT_ZONE),
    badCredentials: () => makeProvider({ tsig: { ...key, secret: randomBytes(32).toString('base64') } }),
    unreachable: () => makeProvider({ servers: [`127.0.0.1:${unreachablePort}`], timeoutMs: 2000 }),
    logs: () => server.logs(),
    stop: () => server.stop(),
  };
}

export const bindBackend: ContractBackend = { name: 'rfc2136-bind', start: (o) => startRfc2136World('bind', { observe: o?.observe }) };
export const knotBackend: ContractBackend = { name: 'rfc2136-knot', start: (o) => startRfc2136World('knot', { observe: o?.observe }) };
