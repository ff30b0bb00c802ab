// Runs the real `dig` (bind9-dnsutils) or `kdig` (knot-dnsutils) and parses their text
// output, so integration tests see the server through the same eyes as an operator.
//
// The two tools print the same sections with different punctuation:
//   dig : ";; ->>HEADER<<- opcode: QUERY, status: NOERROR, id: 1"
//         ";; flags: qr aa rd; QUERY: 1, ANSWER: 1, AUTHORITY: 0, ADDITIONAL: 1"
//         "; EDNS: version: 0, flags:; udp: 1232"
//         ";name.		IN	A"                      (question)
//   kdig: ";; ->>HEADER<<- opcode: QUERY; status: NOERROR; id: 1"
//         ";; Flags: qr aa rd; QUERY: 1; ANSWER: 1; AUTHORITY: 0; ADDITIONAL: 1"
//         ";; Version: 0; flags: ; UDP size: 1232 B; ext-rcode: NOERROR"
//         ";; name.   		IN	A"                  (question)
// Both may print more than one message (TC → TCP retry, BADVERS → retry); the last
// message is the one parsed.
import { execFile } from 'node:child_process';

export type Tool = 'dig' | 'kdig';

export interface RR {
  name: string;
  ttl: number;
  class: string;
  type: string;
  data: string;
}

export interface Question {
  name: string;
  class: string;
  type: string;
}

export interface Opt {
  version: number;
  udp: number;
  flags: string[];
  /** kdig prints the extended rcode; dig folds it into the status */
  extRcode?: string;
}

export interface DigResult {
  tool: Tool;
  args: string[];
  /** rcode name (NOERROR, NXDOMAIN, REFUSED, BADVERS, ...); '' when no reply was parsed */
  status: string;
  opcode: string;
  id: number;
  /** lower-case header flags: qr aa tc rd ra ad cd */
  flags: string[];
  counts: { query: number; answer: number; authority: number; additional: number };
  question: Question[];
  answer: RR[];
  authority: RR[];
  additional: RR[];
  opt?: Opt;
  /** true when the tool got no reply at all (timeout / refused) */
  noReply: boolean;
  exitCode: number;
  raw: string;
  stderr: string;
}

export interface QueryOptions {
  tool?: Tool;
  /** '127.0.0.1' (default) or '::1' */
  server?: string;
  port: number;
  name: string;
  type?: string;
  tcp?: boolean;
  /** RD flag; default: tool default (set) */
  rd?: boolean;
  /** false: no EDNS; true: EDNS version 0; n: EDNS version n (dig: no renegotiation) */
  edns?: boolean | number;
  /** advertised EDNS UDP size (implies EDNS) */
  bufsize?: number;
  /** do not retry over TCP when TC=1 */
  ignoreTc?: boolean;
  /** dig only: +opcode=... */
  opcode?: string;
  /** send an EDNS cookie (dig sends one by default; default here: no) */
  cookie?: boolean;
  /** seconds to wait for a reply (default 2) */
  timeout?: number;
  /** raw extra options appended as-is */
  extra?: string[];
}

/** Build the command line for one query. Exported for tests of the helper itself. */
export function buildArgs(o: QueryOptions): { tool: Tool; args: string[] } {
  const tool = o.tool ?? 'dig';
  const server = o.server ?? '127.0.0.1';
  const timeout = o.timeout ?? 2;
  const args = [`@${server}`, '-p', String(o.port), o.name, o.type ?? 'A'];
  if (tool === 'dig') {
    args.push(`+time=${timeout}`, '+tries=1', '+retry=0');
    if (o.tcp) args.push('+tcp');
    if (o.rd === false) args.push('+norecurse');
    if (o.rd === true) args.push('+recurse');
    if (o.edns === false) args.push('+noedns');
    else if (o.edns === true) args.push('+edns=0');
    else if (typeof o.edns === 'number') args.push(`+edns=${o.edns}`, '+noednsnegotiation');
    if (o.bufsize !== undefined) args.push(`+bufsize=${o.bufsize}`);
    if (o.ignoreTc) args.push('+ignore');
    if (o.opcode) args.push(`+opcode=${o.opcode}`);
    args.push(o.cookie ? '+cookie' : '+nocookie');
  } else {
    args.push(`+timeout=${timeout}`, '+retry=0');
    if (o.tcp) args.push('+tcp');
    if (o.rd === false) args.push('+nordflag');
    if (o.rd === true) args.push('+rdflag');
    if (o.edns === false) args.push('+noedns');
    else if (o.edns === true) args.push('+edns=0');
    else if (typeof o.edns === 'number') args.push(`+edns=${o.edns}`);
    if (o.bufsize !== undefined) args.push(`+bufsize=${o.bufsize}`);
    if (o.ignoreTc) args.push('+ignore');
    if (o.opcode) throw new Error('kdig cannot set the opcode; use dig');
    if (o.cookie) args.push('+cookie');
  }
  if (o.extra) args.push(...o.extra);
  return { tool, args };
}

// Tests in a file run concurrently; on a 2-core machine dozens of dig processes at once
// make replies look slow. A small limit keeps timing meaningful.
const MAX_PARALLEL = 6;
let running = 0;
const waiting: (() => void)[] = [];
async function limited<T>(fn: () => Promise<T>): Promise<T> {
  if (running >= MAX_PARALLEL) await new Promise<void>((r) => waiting.push(r));
  running++;
  try {
    return await fn();
  } finally {
    running--;
    waiting.shift()?.();
  }
}

/** Run one query and parse the reply. Never throws on DNS errors; only on spawn failure. */
export function query(o: QueryOptions): Promise<DigResult> {
  return limited(() => runQuery(o));
}

function runQuery(o: QueryOptions): Promise<DigResult> {
  const { tool, args } = buildArgs(o);
  const limitMs = ((o.timeout ?? 2) + 5) * 1000;
  return new Promise((resolve, reject) => {
    execFile(tool, args, { timeout: limitMs, maxBuffer: 16 * 1024 * 1024 }, (err, stdout, stderr) => {
      const e = err as (NodeJS.ErrnoException & { code?: number | string }) | null;
      if (e && e.code === 'ENOENT') {
        reject(new Error(`${tool} not found; run test/support/install-deps.sh`));
        return;
      }
      const exitCode = e ? (typeof e.code === 'number' ? e.code : -1) : 0;
      const parsed = parseOutput(tool, String(stdout));
      resolve({ ...parsed, tool, args, exitCode, stderr: String(stderr) });
    });
  });
}

export const dig = (o: Omit<QueryOptions, 'tool'>) => query({ ...o, tool: 'dig' });
export const kdig = (o: Omit<QueryOptions, 'tool'>) => query({ ...o, tool: 'kdig' });

type Parsed = Omit<DigResult, 'tool' | 'args' | 'exitCode' | 'stderr'>;

const HEADER_RE = /->>HEADER<<-\s*opcode:\s*([A-Z0-9]+)[,;]\s*status:\s*([A-Z0-9]+)[,;]\s*id:\s*(\d+)/;
const FLAGS_RE = /^;;\s*flags:\s*([a-z ]*);\s*QUERY:\s*(\d+)[,;]\s*ANSWER:\s*(\d+)[,;]\s*AUTHORITY:\s*(\d+)[,;]\s*ADDITIONAL:\s*(\d+)/i;
const DIG_EDNS_RE = /^;\s*EDNS:\s*version:\s*(\d+),\s*flags:\s*([a-z ]*);\s*(?:MBZ:\s*\S+\s*,?\s*)?udp:\s*(\d+)/i;
const KDIG_EDNS_RE = /^;;\s*Version:\s*(\d+);\s*flags:\s*([a-z ]*);\s*UDP size:\s*(\d+)\s*B(?:;\s*ext-rcode:\s*([A-Z0-9]+))?/i;
const SECTION_RE = /^;;\s*(QUESTION|ANSWER|AUTHORITY|ADDITIONAL)\s+SECTION:/;
const RR_RE = /^(\S+)\s+(\d+)\s+([A-Z0-9]+)\s+([A-Z0-9-]+)\s*(.*)$/;

function emptyParsed(raw: string): Parsed {
  return {
    status: '',
    opcode: '',
    id: -1,
    flags: [],
    counts: { query: 0, answer: 0, authority: 0, additional: 0 },
    question: [],
    answer: [],
    authority: [],
    additional: [],
    noReply: true,
    raw,
  };
}

/** Parse dig or kdig text output; the last message printed wins. */
export function parseOutput(tool: Tool, raw: string): Parsed {
  const lines = raw.split('\n');
  let start = -1;
  for (let i = 0; i < lines.length; i++) if (HEADER_RE.test(lines[i])) start = i;
  const out = emptyParsed(raw);
  if (start < 0) return out;
  out.noReply = false;
  const h = HEADER_RE.exec(lines[start])!;
  out.opcode = h[1];
  out.status = h[2];
  out.id = Number(h[3]);

  type Section = 'QUESTION' | 'ANSWER' | 'AUTHORITY' | 'ADDITIONAL';
  let section: Section | null = null;
  for (let i = start + 1; i < lines.length; i++) {
    const line = lines[i].replace(/\s+$/, '');
    const f = FLAGS_RE.exec(line);
    if (f) {
      out.flags = f[1].trim().split(/\s+/).filter(Boolean).map((s) => s.toLowerCase());
      out.counts = { query: +f[2], answer: +f[3], authority: +f[4], additional: +f[5] };
      continue;
    }
    const e = (tool === 'dig' ? DIG_EDNS_RE : KDIG_EDNS_RE).exec(line);
    if (e) {
      out.opt = {
        version: +e[1],
        flags: e[2].trim().split(/\s+/).filter(Boolean),
        udp: +e[3],
        ...(e[4] ? { extRcode: e[4] } : {}),
      };
      continue;
    }
    const s = SECTION_RE.exec(line);
    if (s) {
      section = s[1] as Section;
      continue;
    }
    if (line === '') {
      section = null;
      continue;
    }
    if (section === 'QUESTION') {
      // dig: ";name. IN A"  kdig: ";; name. IN A"
      const q = /^;+\s*(\S+)\s+([A-Z0-9]+)\s+([A-Z0-9-]+)/.exec(line);
      if (q) out.question.push({ name: q[1], class: q[2], type: q[3] });
      continue;
    }
    if (section && !line.startsWith(';')) {
      const r = RR_RE.exec(line);
      if (r) {
        const rr: RR = { name: r[1], ttl: Number(r[2]), class: r[3], type: r[4], data: r[5].trim() };
        if (section === 'ANSWER') out.answer.push(rr);
        else if (section === 'AUTHORITY') out.authority.push(rr);
        else out.additional.push(rr);
      }
    }
  }
  return out;
}

/** The SOA fields of an SOA RR's data. */
export function soaFields(data: string): { mname: string; rname: string; serial: number; refresh: number; retry: number; expire: number; minimum: number } {
  const p = data.trim().split(/\s+/);
  if (p.length < 7) throw new Error(`not SOA data: ${data}`);
  return { mname: p[0], rname: p[1], serial: Number(p[2]), refresh: Number(p[3]), retry: Number(p[4]), expire: Number(p[5]), minimum: Number(p[6]) };
}

/** Every tool × transport × address family combination, for matrix tests. */
export interface Variant {
  tool: Tool;
  tcp: boolean;
  server: string;
  label: string;
}
export function variants(tools: Tool[] = ['dig', 'kdig'], servers: string[] = ['127.0.0.1', '::1']): Variant[] {
  const out: Variant[] = [];
  for (const tool of tools)
    for (const tcp of [false, true])
      for (const server of servers) out.push({ tool, tcp, server, label: `${tool} ${tcp ? 'tcp' : 'udp'} ${server}` });
  return out;
}
