// Shared pieces of the cluster benchmarks (convergence.ts, scale.ts): a raw UDP DNS client that
// keeps one socket and many queries in flight, a bounded "poll until the answer is right" loop,
// percentiles, RSS from /proc, and the globaldns log lines with their timestamps.
// Traffic goes to 127.0.0.1 only.
import dgram from 'node:dgram';
import { readFileSync } from 'node:fs';
import { performance } from 'node:perf_hooks';

export const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

export function makeLog(tag: string): (...a: unknown[]) => void {
  return (...a: unknown[]) => console.error(`[${tag}]`, ...a);
}

/** A DNS reply reduced to what the benchmarks check; `at` is performance.now() at arrival. */
export interface Reply {
  rcode: number;
  /** A values in answer order */
  a: string[];
  at: number;
  /** ms from send to arrival */
  rtt: number;
}

interface Pending {
  resolve: (r: Reply | null) => void;
  timer: NodeJS.Timeout;
  sentAt: number;
}

function encodeQuery(id: number, name: string, qtype: number): Buffer {
  const labels = name.split('.').filter((l) => l !== '');
  const qname = Buffer.alloc(labels.reduce((n, l) => n + 1 + Buffer.byteLength(l), 1));
  let off = 0;
  for (const l of labels) {
    off = qname.writeUInt8(Buffer.byteLength(l), off);
    off += qname.write(l, off, 'ascii');
  }
  const header = Buffer.alloc(12);
  header.writeUInt16BE(id, 0);
  header.writeUInt16BE(0, 2); // standard query, RD=0: we ask the authority itself
  header.writeUInt16BE(1, 4);
  const tail = Buffer.alloc(4);
  tail.writeUInt16BE(qtype, 0);
  tail.writeUInt16BE(1, 2); // IN
  return Buffer.concat([header, qname, tail]);
}

/** Offset just past the (possibly compressed) name at `off`. */
function skipName(buf: Buffer, off: number): number {
  for (let guard = 0; guard < 128; guard++) {
    if (off >= buf.length) return -1;
    const len = buf[off];
    if (len === 0) return off + 1;
    if ((len & 0xc0) === 0xc0) return off + 2;
    off += 1 + len;
  }
  return -1;
}

/** id, rcode and the A records of the answer section; undefined for anything malformed. */
export function parseReply(buf: Buffer): { id: number; rcode: number; a: string[] } | undefined {
  if (buf.length < 12) return undefined;
  const id = buf.readUInt16BE(0);
  const flags = buf.readUInt16BE(2);
  if ((flags & 0x8000) === 0) return undefined;
  const qd = buf.readUInt16BE(4);
  const an = buf.readUInt16BE(6);
  let off = 12;
  for (let i = 0; i < qd; i++) {
    off = skipName(buf, off);
    if (off < 0) return undefined;
    off += 4;
  }
  const a: string[] = [];
  for (let i = 0; i < an; i++) {
    off = skipName(buf, off);
    if (off < 0 || off + 10 > buf.length) return undefined;
    const type = buf.readUInt16BE(off);
    const rdlen = buf.readUInt16BE(off + 8);
    off += 10;
    if (off + rdlen > buf.length) return undefined;
    if (type === 1 && rdlen === 4) a.push(`${buf[off]}.${buf[off + 1]}.${buf[off + 2]}.${buf[off + 3]}`);
    off += rdlen;
  }
  return { id, rcode: flags & 0xf, a };
}

/** One UDP socket to the server under test; any number of queries in flight, matched by id. */
export class DnsClient {
  private readonly pending = new Map<number, Pending>();
  private nextId = 1;
  sent = 0;
  timeouts = 0;

  private constructor(
    private readonly sock: dgram.Socket,
    private readonly port: number,
  ) {
    sock.on('message', (msg) => {
      const at = performance.now();
      const r = parseReply(msg);
      if (!r) return;
      const p = this.pending.get(r.id);
      if (!p) return; // a late reply to a query that timed out
      this.pending.delete(r.id);
      clearTimeout(p.timer);
      p.resolve({ rcode: r.rcode, a: r.a, at, rtt: at - p.sentAt });
    });
    sock.on('error', () => undefined);
  }

  static async open(port: number): Promise<DnsClient> {
    const sock = dgram.createSocket({ type: 'udp4', recvBufferSize: 4 * 1024 * 1024 });
    await new Promise<void>((resolve, reject) => {
      sock.once('error', reject);
      sock.bind(0, '127.0.0.1', () => {
        sock.off('error', reject);
        resolve();
      });
    });
    return new DnsClient(sock, port);
  }

  get inFlight(): number {
    return this.pending.size;
  }

  /** Resolves with the reply, or null after `timeoutMs`. */
  query(name: string, qtype = 1, timeoutMs = 200): Promise<Reply | null> {
    let id = this.nextId;
    for (let i = 0; this.pending.has(id) && i < 65536; i++) id = (id % 65535) + 1;
    if (this.pending.has(id)) return Promise.resolve(null); // 65,535 in flight: cannot happen with our callers
    this.nextId = (id % 65535) + 1;
    return new Promise((resolve) => {
      const timer = setTimeout(() => {
        this.pending.delete(id);
        this.timeouts++;
        resolve(null);
      }, timeoutMs);
      this.pending.set(id, { resolve, timer, sentAt: performance.now() });
      this.sent++;
      this.sock.send(encodeQuery(id, name, qtype), this.port, '127.0.0.1', (err) => {
        if (!err) return;
        const p = this.pending.get(id);
        if (!p) return;
        this.pending.delete(id);
        clearTimeout(p.timer);
        resolve(null);
      });
    });
  }

  close(): void {
    for (const p of this.pending.values()) {
      clearTimeout(p.timer);
      p.resolve(null);
    }
    this.pending.clear();
    this.sock.close();
  }
}

export function sameSet(got: readonly string[], want: readonly string[]): boolean {
  if (got.length !== want.length) return false;
  const a = [...got].sort();
  const b = [...want].sort();
  return a.every((x, i) => x === b[i]);
}

export interface PollResult {
  /** ms from `t0` to the arrival of the first correct reply; undefined on timeout */
  ms: number | undefined;
  polls: number;
  last: string;
}

/**
 * Asks for `name` A every `intervalMs` (one query at a time, each waiting for its reply) until
 * the A set equals `want`, or `timeoutMs` after `t0` (a performance.now() value).
 */
export async function pollUntil(
  client: DnsClient,
  name: string,
  want: readonly string[],
  t0: number,
  o: { intervalMs?: number; timeoutMs?: number } = {},
): Promise<PollResult> {
  const interval = o.intervalMs ?? 1;
  const deadline = t0 + (o.timeoutMs ?? 5000);
  let polls = 0;
  let last = '';
  while (performance.now() < deadline) {
    polls++;
    const r = await client.query(name, 1, 200);
    if (r) {
      if (r.rcode === 0 && sameSet(r.a, want)) return { ms: r.at - t0, polls, last: r.a.join(',') };
      last = r.rcode === 0 ? r.a.join(',') || 'NODATA' : `rcode ${r.rcode}`;
    } else {
      last = 'TIMEOUT';
    }
    if (interval > 0) await sleep(interval);
  }
  return { ms: undefined, polls, last };
}

/** Nearest-rank percentile of an unsorted list. */
export function percentile(values: readonly number[], p: number): number {
  if (values.length === 0) return NaN;
  const s = [...values].sort((a, b) => a - b);
  const rank = Math.min(s.length, Math.max(1, Math.ceil((p / 100) * s.length)));
  return s[rank - 1];
}

export const round = (v: number, digits = 2): number => (Number.isFinite(v) ? +v.toFixed(digits) : v);

export function summary(values: readonly number[]): { p50: number; p90: number; p99: number; max: number; mean: number } {
  const mean = values.reduce((a, b) => a + b, 0) / Math.max(1, values.length);
  return {
    p50: round(percentile(values, 50)),
    p90: round(percentile(values, 90)),
    p99: round(percentile(values, 99)),
    max: round(percentile(values, 100)),
    mean: round(mean),
  };
}

/** VmRSS and VmHWM of one process (not its children), in MiB. */
export function memoryMb(pid: number): { rss: number; hwm: number } {
  const text = readFileSync(`/proc/${pid}/status`, 'utf8');
  const kb = (field: string) => Number(new RegExp(`${field}:\\s+(\\d+)\\s+kB`).exec(text)?.[1] ?? NaN);
  return { rss: round(kb('VmRSS') / 1024, 1), hwm: round(kb('VmHWM') / 1024, 1) };
}

/** A pino JSON line of the globaldns log: its time in epoch ms and its message. */
export interface LogLine {
  time: number;
  level: string;
  msg: string;
  raw: Record<string, unknown>;
}

export function logLines(text: string, re?: RegExp): LogLine[] {
  const out: LogLine[] = [];
  for (const line of text.split('\n')) {
    if (!line.startsWith('{')) continue;
    try {
      const j = JSON.parse(line) as Record<string, unknown>;
      const msg = typeof j.msg === 'string' ? j.msg : '';
      if (re && !re.test(msg)) continue;
      out.push({ time: typeof j.time === 'string' ? Date.parse(j.time) : Number(j.time), level: String(j.level), msg, raw: j });
    } catch {
      /* not a log line */
    }
  }
  return out;
}

/** The kubeconfig fragment of a globaldns config for clusters written as kube/<name>.yaml. */
export function kubeClusters(names: readonly string[]): { kubeconfig: string }[] {
  return names.map((n) => ({ kubeconfig: `kube/${n}.yaml` }));
}
