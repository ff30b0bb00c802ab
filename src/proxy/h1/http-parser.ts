import { createRequire } from 'node:module';
import type { Socket } from 'node:net';

/**
 * Node's own HTTP/1 parser (llhttp in C++), the one node:http runs on, reached through the
 * `_http_common` module. Not a documented API, so every use goes through this file, its shape
 * is checked before first use (`parserAvailability()`), and test/proxy/conformance.test.ts pins the
 * behaviour.
 *
 * Why not node:http or undici: the proxy measured about 10k req/s with either (node:http's
 * per-request objects and streams on one side, undici's wasm parser and request objects on
 * the other), against about 20k with this parser reading straight from the socket's handle
 * (`consume`), which skips the JavaScript 'data' event on every read.
 */
interface NativeParser {
  initialize(type: number, resource: object, maxHeaderSize: number, lenient: number): void;
  execute(data: Buffer): number | ParseError;
  finish(): number | ParseError | undefined;
  consume(handle: unknown): void;
  unconsume(): void;
  getCurrentBuffer(): Buffer;
  [key: number]: unknown;
}

export interface ParseError extends Error {
  code: string;
  reason?: string;
  bytesParsed?: number;
}

interface ParserModule {
  HTTPParser: {
    new(): NativeParser;
    REQUEST: number;
    RESPONSE: number;
    kOnHeaders: number;
    kOnHeadersComplete: number;
    kOnBody: number;
    kOnMessageComplete: number;
    kOnExecute: number;
    kLenientNone: number;
  };
  methods: string[];
}

/** Whether this Node.js has the binding in the shape this file uses; `reason` says what is missing. */
export type ParserAvailability = { ok: true } | { ok: false; reason: string };

const METHOD_NAMES = ['initialize', 'execute', 'finish', 'consume', 'unconsume', 'getCurrentBuffer'] as const;

/**
 * Checks a loaded `_http_common` for what this file uses. Pure, so that a module of another
 * shape (a future Node.js) can be judged without being that Node.js.
 */
export function checkParserModule(mod: unknown): ParserAvailability {
  const m = mod as Partial<ParserModule> | null | undefined;
  const P = m?.HTTPParser;
  if (typeof P !== 'function') return { ok: false, reason: '_http_common has no HTTPParser' };
  for (const name of METHOD_NAMES) {
    if (typeof (P.prototype as Record<string, unknown> | undefined)?.[name] !== 'function') return { ok: false, reason: `HTTPParser has no ${name}()` };
  }
  for (const k of ['REQUEST', 'RESPONSE', 'kOnHeaders', 'kOnHeadersComplete', 'kOnBody', 'kOnMessageComplete', 'kOnExecute', 'kLenientNone'] as const) {
    if (typeof P[k] !== 'number') return { ok: false, reason: `HTTPParser.${k} is not a number` };
  }
  if (!Array.isArray(m?.methods)) return { ok: false, reason: '_http_common has no methods list' };
  return { ok: true };
}

/**
 * Loaded on first use, never at import: a Node.js without the module (it is deprecated as
 * DEP0199 in Node 24) must still be able to load this file, so that the proxy can pick the
 * node:http engine instead (../engine.ts) rather than the process dying in `require`.
 */
let loaded: { mod: ParserModule; availability: ParserAvailability } | { mod: undefined; availability: ParserAvailability } | undefined;

function load(): NonNullable<typeof loaded> {
  if (loaded) return loaded;
  try {
    const mod = createRequire(import.meta.url)('_http_common') as ParserModule;
    const availability = checkParserModule(mod);
    loaded = availability.ok ? { mod, availability } : { mod: undefined, availability };
  } catch (err) {
    loaded = { mod: undefined, availability: { ok: false, reason: `require('_http_common') failed: ${(err as Error).message.split('\n')[0]}` } };
  }
  return loaded;
}

/** Whether the llhttp engine can run on this Node.js. */
export function parserAvailability(): ParserAvailability {
  return load().availability;
}

function binding(): ParserModule {
  const l = load();
  if (!l.mod) {
    const reason = l.availability.ok ? 'unknown' : l.availability.reason;
    throw new Error(`globaldns proxy: this Node.js (${process.version}) lacks the HTTP parser binding the llhttp engine is built on (${reason}); use proxy.engine: node`);
  }
  return l.mod;
}

/** The method name for the index a parser reports (a parser exists, so the module is loaded). */
export function methodName(index: number): string {
  return loaded?.mod?.methods[index] ?? 'GET';
}

/** What `onHeadersComplete` returns: go on with the body, or the message has none (HEAD, 1xx). */
export const BODY = 0;
export const NO_BODY = 1;

export interface ParserCallbacks {
  /**
   * The head is complete. `headers` is the flat [name, value, ...] list as received, `url`
   * the request target (requests), `status`/`statusText` (responses).
   */
  onHeadersComplete(versionMinor: number, headers: string[], method: number, url: string, status: number, statusText: string, upgrade: boolean, keepAlive: boolean): number;
  onBody(chunk: Buffer): void;
  onMessageComplete(): void;
  /** After each read handed to the parser (consume mode): bytes parsed, or the parse error. */
  onExecute(result: number | ParseError): void;
  /**
   * A callback above threw. Called from C++ on a socket read, an exception would reach
   * 'uncaughtException' and end the process; it comes here instead, and the owner closes
   * the connection.
   */
  onFault(err: Error): void;
}

/**
 * One HTTP/1 parser bound to callbacks. Heads with many fields reach JavaScript in parts
 * (`kOnHeaders`); they are joined here so callers always see one list.
 */
export class HttpParser {
  private readonly p: NativeParser;
  private partialHeaders: string[] | undefined;
  private partialUrl = '';
  private consumed = false;

  constructor(kind: 'request' | 'response', maxHeaderSize: number, private readonly cb: ParserCallbacks) {
    const P = binding().HTTPParser;
    const p = (this.p = new P());
    p.initialize(kind === 'request' ? P.REQUEST : P.RESPONSE, {}, maxHeaderSize, P.kLenientNone);
    p[P.kOnHeaders] = (headers: string[], url: string) => {
      this.partialHeaders = this.partialHeaders ? this.partialHeaders.concat(headers) : headers;
      this.partialUrl += url ?? '';
    };
    p[P.kOnHeadersComplete] = (_major: number, minor: number, headers: string[] | undefined, method: number, url: string | undefined, status: number, statusText: string, upgrade: boolean, keepAlive: boolean) => {
      if (headers === undefined) {
        headers = this.partialHeaders ?? [];
        url = this.partialUrl;
      }
      this.partialHeaders = undefined;
      this.partialUrl = '';
      try {
        return cb.onHeadersComplete(minor, headers, method, url ?? '', status, statusText ?? '', upgrade, keepAlive);
      } catch (err) {
        cb.onFault(err as Error);
        return NO_BODY;
      }
    };
    p[P.kOnBody] = (chunk: Buffer) => {
      try {
        cb.onBody(chunk);
      } catch (err) {
        cb.onFault(err as Error);
      }
    };
    p[P.kOnMessageComplete] = () => {
      // Trailers arrive through kOnHeaders too; they must not prefix the next message's head.
      this.partialHeaders = undefined;
      this.partialUrl = '';
      try {
        cb.onMessageComplete();
      } catch (err) {
        cb.onFault(err as Error);
      }
    };
    p[P.kOnExecute] = (result: number | ParseError) => {
      try {
        cb.onExecute(result);
      } catch (err) {
        cb.onFault(err as Error);
      }
    };
  }

  /**
   * Reads go straight from the socket's handle into the parser (no 'data' events); EOF and
   * errors still reach the socket. Sockets without a native handle are fed by 'data' events.
   */
  attach(socket: Socket): void {
    const handle = (socket as unknown as { _handle?: { isStreamBase?: boolean; _consumed?: boolean } })._handle;
    if (handle?.isStreamBase && !handle._consumed) {
      handle._consumed = true;
      this.consumed = true;
      this.p.consume(handle);
    } else {
      socket.on('data', (d: Buffer) => this.cb.onExecute(this.p.execute(d)));
    }
  }

  /** Gives the socket's reads back (before an upgrade pipes the socket elsewhere). */
  detach(socket: Socket): void {
    if (!this.consumed) return;
    this.consumed = false;
    this.p.unconsume();
    const handle = (socket as unknown as { _handle?: { _consumed?: boolean } })._handle;
    if (handle) handle._consumed = false;
  }

  /** The buffer of the read being parsed (consume mode), for the bytes after an upgrade's head. */
  currentBuffer(): Buffer {
    return this.p.getCurrentBuffer();
  }

  /** EOF: completes a message delimited by the connection closing, or reports a cut one. */
  finish(): number | ParseError | undefined {
    return this.p.finish();
  }
}

export function isParseError(r: unknown): r is ParseError {
  return r instanceof Error;
}

/** Stops and restarts reading a socket whose reads the parser consumes (backpressure). */
export function pauseReading(socket: Socket): void {
  const h = (socket as unknown as { _handle?: { reading?: boolean; readStop?: () => number } })._handle;
  if (h?.readStop && h.reading !== false) {
    h.reading = false;
    h.readStop();
  }
}

export function resumeReading(socket: Socket): void {
  const h = (socket as unknown as { _handle?: { reading?: boolean; readStart?: () => number } })._handle;
  if (h?.readStart && !h.reading && !socket.destroyed) {
    h.reading = true;
    h.readStart();
  }
}
