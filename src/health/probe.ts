// The active health probers: one TCP connect, or one HTTP/1.1 GET over clear TCP or TLS, to a
// cluster endpoint (a load-balancer IP), decided into { ok, reason } for the scheduler.
//
// Built on node:net / node:tls directly (no undici, no http.request) so a probe is a socket,
// one timer and a few numbers: thousands a second stay cheap. The response head is parsed
// here, bounded (16 KiB); the body is read only when the spec has a bodyMatch, and then at
// most its first 5,120 bytes (de-chunked) are kept: a 10 MB body costs one socket read.
import net from 'node:net';
import tls from 'node:tls';
import { performance } from 'node:perf_hooks';

export type ProbeType = 'http' | 'https' | 'tcp';

export interface ProbeSpec {
  type: ProbeType;
  /** IPv4 or IPv6 literal (no brackets) */
  address: string;
  port: number;
  /** http(s): the request target, starts with '/' */
  path: string;
  /** http(s): the Host header; https: also the SNI servername (none when host is an IP literal) */
  host: string;
  /** inclusive ranges; the status is ok when it is in any */
  expectStatus: readonly (readonly [number, number])[];
  /** the first 5,120 bytes of the (de-chunked) body must contain it */
  bodyMatch?: string;
  /** the whole probe: connect + TLS + request + response */
  timeoutMs: number;
  /** https: verify the chain and the name (host) when true; otherwise accept any certificate */
  verifyCertificate: boolean;
}

export interface ProbeResult {
  ok: boolean;
  reason: string;
  durationMs: number;
}

export interface ProbeOptions {
  /** bind the local side to this address (same family as the target) */
  sourceAddress?: string;
  /** an extra trusted CA (PEM) for verifyCertificate, on top of the default roots (tests) */
  ca?: string | Buffer;
}

export type Prober = (spec: ProbeSpec, opts?: ProbeOptions) => Promise<ProbeResult>;

/** The most response head (status line + headers + the blank line) a probe reads. */
export const MAX_HEADER_BYTES = 16 * 1024;
/** The most body bytes a bodyMatch looks at. */
export const MAX_BODY_BYTES = 5120;

/** 2000 → "2s", 250 → "250ms", 1500 → "1.5s". */
export function formatDuration(ms: number): string {
  if (!Number.isFinite(ms)) return `${ms}ms`;
  if (Math.abs(ms) < 1000) return `${Math.round(ms)}ms`;
  return `${Number((ms / 1000).toFixed(3))}s`;
}

/** One probe. Never rejects, never throws: every failure is { ok: false, reason }. */
export const probe: Prober = (spec, opts) => {
  const start = performance.now();
  return new Promise<ProbeResult>((resolve) => {
    try {
      new Probe(spec, opts ?? {}, start, resolve).start();
    } catch (e) {
      resolve({ ok: false, reason: `probe failed: ${shortMessage(e)}`, durationMs: performance.now() - start });
    }
  });
};

// Visible ASCII only: what goes into the request line and the Host header cannot carry a
// CR/LF, a space or a control character.
const VISIBLE = /^[\x21-\x7e]+$/;
const STATUS_LINE = /^HTTP\/\d\.\d (\d{3})(?: .*)?$/;
const CHUNK_SIZE_LINE = /^([0-9a-fA-F]{1,15})[ \t]*(?:;.*)?$/;
const HTTP_PREFIX = Buffer.from('HTTP/', 'latin1');
const MAX_INTERIM = 8;

/** Cached TLS contexts: the default roots, and the default roots + an extra CA (tests). */
let defaultContext: tls.SecureContext | undefined;
const caContexts = new Map<string, tls.SecureContext>();

function secureContextFor(ca: string | Buffer | undefined): tls.SecureContext {
  if (ca === undefined) return (defaultContext ??= tls.createSecureContext());
  const key = typeof ca === 'string' ? ca : ca.toString('latin1');
  let ctx = caContexts.get(key);
  if (!ctx) {
    if (caContexts.size >= 16) caContexts.clear();
    ctx = tls.createSecureContext({ ca: [...tls.rootCertificates, key] });
    caContexts.set(key, ctx);
  }
  return ctx;
}

const noIdentityCheck = (): undefined => undefined;

const enum Phase {
  Connect,
  Tls,
  Head,
  Body,
}

const enum Chunk {
  Size,
  Data,
  DataEnd,
}

class Probe {
  private socket: net.Socket | undefined;
  private timer: NodeJS.Timeout | undefined;
  private done = false;
  private phase = Phase.Connect;

  // the response head: parsed in place from the chunk when it arrives whole, else copied
  // into `head` (at most MAX_HEADER_BYTES)
  private head: Buffer | undefined;
  private headLen = 0;
  private lineStart = 0;
  private status = -1;
  private interim = 0;
  private contentLength = -1;
  private chunked = false;

  // the body, when there is a bodyMatch
  private needle: Buffer | undefined;
  private body: Buffer | undefined;
  private bodyLen = 0;
  private bodyLeft = -1; // Content-Length bytes still to come; -1: until close or last chunk
  private chunkState = Chunk.Size;
  private chunkLine = '';
  private chunkLeft = 0;

  constructor(
    private readonly spec: ProbeSpec,
    private readonly opts: ProbeOptions,
    private readonly started: number,
    private readonly resolve: (r: ProbeResult) => void,
  ) {}

  start(): void {
    const { spec, opts } = this;
    const bad = checkSpec(spec, opts);
    if (bad) return this.finish(false, bad);
    // Timers run before pending I/O in each turn of the loop: on a busy thread the answer may
    // already be waiting when the timer fires. One turn later (setImmediate runs after I/O),
    // such an answer wins; only a probe with nothing to read times out.
    this.timer = setTimeout(() => setImmediate(() => this.finish(false, `timeout after ${formatDuration(spec.timeoutMs)}`)), spec.timeoutMs);
    const base = { host: spec.address, port: spec.port, localAddress: opts.sourceAddress, noDelay: true };
    let socket: net.Socket;
    if (spec.type === 'https') {
      socket = tls.connect({
        ...base,
        servername: net.isIP(spec.host) ? undefined : spec.host,
        secureContext: secureContextFor(spec.verifyCertificate ? opts.ca : undefined),
        rejectUnauthorized: spec.verifyCertificate,
        checkServerIdentity: spec.verifyCertificate ? (_name, cert) => tls.checkServerIdentity(spec.host, cert) : noIdentityCheck,
      });
      socket.once('secureConnect', () => this.sendRequest());
    } else {
      socket = net.connect(base);
    }
    this.socket = socket;
    socket.once('connect', () => this.onConnect());
    socket.on('error', (e) => this.onError(e));
    socket.on('end', () => this.onEnd());
    socket.on('close', () => this.onEnd());
    if (spec.type !== 'tcp') socket.on('data', (d: Buffer) => this.onData(d));
  }

  private finish(ok: boolean, reason: string): void {
    if (this.done) return;
    this.done = true;
    if (this.timer) clearTimeout(this.timer);
    this.socket?.destroy();
    this.resolve({ ok, reason, durationMs: performance.now() - this.started });
  }

  private onConnect(): void {
    if (this.done) return;
    if (this.spec.type === 'tcp') return this.finish(true, 'connected');
    if (this.spec.type === 'https') this.phase = Phase.Tls;
    else this.sendRequest();
  }

  private sendRequest(): void {
    if (this.done) return;
    const { spec } = this;
    this.phase = Phase.Head;
    if (spec.bodyMatch !== undefined) this.needle = Buffer.from(spec.bodyMatch, 'utf8');
    const host = net.isIP(spec.host) === 6 ? `[${spec.host}]` : spec.host;
    this.socket!.write(`GET ${spec.path} HTTP/1.1\r\nHost: ${host}\r\nUser-Agent: globaldns-health\r\nAccept: */*\r\nConnection: close\r\n\r\n`, 'latin1');
  }

  private onError(e: Error): void {
    if (this.done) return;
    const code = (e as NodeJS.ErrnoException).code;
    switch (this.phase) {
      case Phase.Connect:
        return this.finish(false, `connect ${code ?? shortMessage(e)}`);
      case Phase.Tls:
        // the server went away during the handshake: the same as before a response
        if (code === 'ECONNRESET' || code === 'EPIPE') return this.finish(false, 'closed before response');
        return this.finish(false, `tls ${code ?? shortMessage(e)}`);
      default:
        // a reset while the response was due is the server going away, like a close
        return this.onEnd();
    }
  }

  /** 'end', 'close' or a reset: the response ends here. */
  private onEnd(): void {
    if (this.done) return;
    if (this.phase === Phase.Body) return this.bodyEnded();
    this.finish(false, 'closed before response');
  }

  private onData(chunk: Buffer): void {
    if (this.done) return;
    try {
      if (this.phase === Phase.Head) this.readHead(chunk);
      else if (this.phase === Phase.Body) this.readBody(chunk);
    } catch (e) {
      this.finish(false, `probe failed: ${shortMessage(e)}`);
    }
  }

  // ---- the response head ----

  private readHead(chunk: Buffer): void {
    let view: Buffer;
    let rest: Buffer | undefined;
    if (this.headLen === 0) {
      view = chunk.length > MAX_HEADER_BYTES ? chunk.subarray(0, MAX_HEADER_BYTES) : chunk;
      if (view.length < chunk.length) rest = chunk.subarray(view.length);
    } else {
      const head = this.head!;
      const n = Math.min(MAX_HEADER_BYTES - this.headLen, chunk.length);
      chunk.copy(head, this.headLen, 0, n);
      this.headLen += n;
      view = head.subarray(0, this.headLen);
      if (n < chunk.length) rest = chunk.subarray(n);
    }
    const end = this.parseLines(view);
    if (this.done) return;
    if (end < 0) {
      if (view.length >= MAX_HEADER_BYTES) return this.finish(false, 'header too large');
      if (this.headLen === 0) {
        // the head goes on in a later chunk: keep what came so far
        this.head ??= Buffer.allocUnsafe(MAX_HEADER_BYTES);
        view.copy(this.head, 0);
        this.headLen = view.length;
      }
      return;
    }
    // the head is complete; what follows it is the body (or the next head after a 1xx)
    let after: Buffer | undefined = end < view.length ? view.subarray(end) : undefined;
    if (rest) after = after ? Buffer.concat([after, rest]) : rest;
    if (this.status >= 100 && this.status < 200 && this.status !== 101) {
      if (++this.interim > MAX_INTERIM) return this.finish(false, 'bad response: too many 1xx');
      this.headLen = 0;
      this.lineStart = 0;
      this.status = -1;
      this.contentLength = -1;
      this.chunked = false;
      // `after` may lie in `head`, which the next head is copied into: take it out first
      if (after) this.readHead(rest ? after : Buffer.from(after));
      return;
    }
    this.headDone(after);
  }

  /** Walks the complete lines of the head from lineStart; the offset after the blank line, or -1. */
  private parseLines(view: Buffer): number {
    if (this.status < 0) {
      // not HTTP at all shows in the first bytes: no need to wait for a line end
      const n = Math.min(view.length, HTTP_PREFIX.length);
      if (view.compare(HTTP_PREFIX, 0, n, 0, n) !== 0) {
        this.finish(false, 'bad response: not HTTP');
        return -1;
      }
    }
    let pos = this.lineStart;
    for (;;) {
      const nl = view.indexOf(10, pos);
      if (nl < 0) {
        this.lineStart = pos;
        return -1;
      }
      const lineEnd = nl > pos && view[nl - 1] === 13 ? nl - 1 : nl;
      if (this.status < 0) {
        const m = STATUS_LINE.exec(view.toString('latin1', pos, lineEnd));
        if (!m) {
          this.finish(false, 'bad response: malformed status line');
          return -1;
        }
        this.status = Number(m[1]);
      } else if (lineEnd === pos) {
        return nl + 1;
      } else if (!this.headerLine(view, pos, lineEnd)) {
        return -1;
      }
      pos = nl + 1;
    }
  }

  /** One header line; false when the probe failed on it. Only the framing headers matter, and only for a bodyMatch. */
  private headerLine(view: Buffer, start: number, end: number): boolean {
    const colon = view.indexOf(58, start);
    if (colon < 0 || colon >= end) {
      // a folded continuation line (obsolete, but harmless) is let through
      if (view[start] === 32 || view[start] === 9) return true;
      this.finish(false, 'bad response: malformed header');
      return false;
    }
    if (!this.needle) return true;
    const nameLen = colon - start;
    if (nameLen !== 14 && nameLen !== 17) return true;
    const name = view.toString('latin1', start, colon).toLowerCase();
    const value = view.toString('latin1', colon + 1, end).trim();
    if (name === 'content-length') {
      if (!/^\d{1,15}$/.test(value)) {
        this.finish(false, 'bad response: bad content-length');
        return false;
      }
      this.contentLength = Number(value);
    } else if (name === 'transfer-encoding') {
      const codings = value.toLowerCase().split(',');
      this.chunked = codings[codings.length - 1].trim() === 'chunked';
    }
    return true;
  }

  private headDone(after: Buffer | undefined): void {
    const { spec, status } = this;
    if (!spec.expectStatus.some(([lo, hi]) => status >= lo && status <= hi)) return this.finish(false, `status ${status}`);
    const needle = this.needle;
    if (!needle || needle.length === 0) return this.finish(true, `status ${status}`);
    this.head = undefined;
    this.phase = Phase.Body;
    if (status === 204 || status === 304) return this.bodyEnded();
    if (!this.chunked && this.contentLength >= 0) {
      if (this.contentLength === 0) return this.bodyEnded();
      this.bodyLeft = this.contentLength;
    }
    this.body = Buffer.allocUnsafe(this.bodyLeft >= 0 ? Math.min(this.bodyLeft, MAX_BODY_BYTES) : MAX_BODY_BYTES);
    if (after) this.readBody(after);
  }

  // ---- the body (bodyMatch only) ----

  private readBody(data: Buffer): void {
    if (!this.chunked) {
      if (this.bodyLeft >= 0 && data.length > this.bodyLeft) data = data.subarray(0, this.bodyLeft);
      if (this.bodyLeft >= 0) this.bodyLeft -= data.length;
      if (this.append(data)) return;
      if (this.bodyLeft === 0) this.bodyEnded();
      return;
    }
    let i = 0;
    while (i < data.length && !this.done) {
      if (this.chunkState === Chunk.Size) {
        const nl = data.indexOf(10, i);
        this.chunkLine += data.toString('latin1', i, nl < 0 ? data.length : nl);
        if (this.chunkLine.length > 1024) return this.finish(false, 'bad response: bad chunk size');
        if (nl < 0) return;
        i = nl + 1;
        const line = this.chunkLine.endsWith('\r') ? this.chunkLine.slice(0, -1) : this.chunkLine;
        this.chunkLine = '';
        const m = CHUNK_SIZE_LINE.exec(line);
        if (!m) return this.finish(false, 'bad response: bad chunk size');
        const size = parseInt(m[1], 16);
        if (size === 0) return this.bodyEnded();
        this.chunkLeft = size;
        this.chunkState = Chunk.Data;
      } else if (this.chunkState === Chunk.Data) {
        const take = Math.min(this.chunkLeft, data.length - i);
        if (this.append(data.subarray(i, i + take))) return;
        i += take;
        this.chunkLeft -= take;
        if (this.chunkLeft === 0) this.chunkState = Chunk.DataEnd;
      } else {
        const b = data[i++];
        if (b === 10) this.chunkState = Chunk.Size;
        else if (b !== 13) return this.finish(false, 'bad response: bad chunk');
      }
    }
  }

  /** Keeps body bytes up to MAX_BODY_BYTES; true when that decided the probe. */
  private append(data: Buffer): boolean {
    const body = this.body!;
    const needle = this.needle!;
    const before = this.bodyLen;
    const n = Math.min(body.length - before, data.length);
    if (n <= 0) return false;
    data.copy(body, before, 0, n);
    this.bodyLen += n;
    const from = Math.max(0, before - needle.length + 1);
    if (body.subarray(0, this.bodyLen).indexOf(needle, from) >= 0) {
      this.finish(true, `status ${this.status}`);
      return true;
    }
    if (this.bodyLen >= MAX_BODY_BYTES || this.bodyLen >= body.length) {
      this.finish(false, 'body did not match');
      return true;
    }
    return false;
  }

  /** The body ended (or its first MAX_BODY_BYTES are in) without the match. */
  private bodyEnded(): void {
    this.finish(false, 'body did not match');
  }
}

/** Why a spec cannot be probed, or undefined. */
function checkSpec(spec: ProbeSpec, opts: ProbeOptions): string | undefined {
  if (spec.type !== 'http' && spec.type !== 'https' && spec.type !== 'tcp') return `bad spec: type ${String(spec.type)}`;
  const family = net.isIP(spec.address);
  if (family === 0) return `bad spec: address ${spec.address}`;
  if (!Number.isInteger(spec.port) || spec.port < 1 || spec.port > 65535) return `bad spec: port ${spec.port}`;
  if (!Number.isFinite(spec.timeoutMs) || spec.timeoutMs <= 0 || spec.timeoutMs > 2_147_483_647) return `bad spec: timeout ${spec.timeoutMs}`;
  if (spec.type !== 'tcp') {
    if (typeof spec.path !== 'string' || !spec.path.startsWith('/') || !VISIBLE.test(spec.path)) return `bad spec: path ${JSON.stringify(spec.path)}`;
    if (typeof spec.host !== 'string' || !VISIBLE.test(spec.host)) return `bad spec: host ${JSON.stringify(spec.host)}`;
  }
  const src = opts.sourceAddress;
  if (src !== undefined) {
    const srcFamily = net.isIP(src);
    if (srcFamily === 0) return `bad spec: source address ${src}`;
    if (srcFamily !== family) return `source address ${src} cannot reach IPv${family}`;
  }
  return undefined;
}

function shortMessage(e: unknown): string {
  const text = e instanceof Error ? e.message : String(e);
  return text.length > 80 ? `${text.slice(0, 77)}...` : text;
}
