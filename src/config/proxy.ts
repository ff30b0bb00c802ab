import { isIP } from 'node:net';
import { resolve } from 'node:path';
import { z } from 'zod';
import type { ListenAddress } from './listen.js';

/**
 * The `proxy:` section (the bundled HTTP/TLS ingress proxy) and the per-entry `proxy:` options.
 * The proxy runs when the section is present and not `enabled: false`; configs written before
 * the proxy existed do not grow a listener on upgrade.
 */

export interface ProxyTimeouts {
  /** Connecting to an upstream; a failure answers 502. */
  connectMs: number;
  /** Upstream response headers; 504 when they do not come. */
  headersMs: number;
  /** Silence between upstream body chunks; 504 (or a cut response once headers were sent). */
  bodyMs: number;
  /** A client must send its whole request head within this (slowloris defence). */
  clientHeadersMs: number;
  /** A client must send its whole request (head and body) within this; 0 is no limit. */
  clientRequestMs: number;
  /** Idle keep-alive connections from clients are closed after this. */
  clientIdleMs: number;
}

export interface ProxyHealthCheck {
  /** Consecutive failures (connect errors, timeouts, 502/503/504) that eject an endpoint. */
  ejectAfter: number;
  /** How often an ejected endpoint is re-checked. */
  intervalMs: number;
  timeoutMs: number;
  /** `tcp`: a connect; `http`: GET `path` answering below 500. */
  type: 'tcp' | 'http';
  path: string;
}

export interface ProxyConfig {
  enabled: boolean;
  /** Undefined host: every interface. False: no listener. */
  http: ProxyListen | false;
  https: ProxyListen | false;
  /** node:cluster workers; 0 runs the proxy in the main process. */
  workers: number;
  /**
   * The HTTP/1.x engine: `llhttp` (Node's internal parser binding, the fast one), `node`
   * (node:http's public API), or `auto`: llhttp when this Node.js has the binding, else node.
   */
  engine: 'auto' | 'llhttp' | 'node';
  balancing: 'round-robin' | 'least-outstanding';
  timeouts: ProxyTimeouts;
  limits: {
    /** Request body bytes; 413 above. */
    bodyBytes: number;
    /** Request head bytes (Node's maxHeaderSize); 431 above. */
    headerBytes: number;
    /** Keep-alive connections per upstream endpoint. */
    upstreamConnections: number;
  };
  /** CIDRs whose X-Forwarded-* / Forwarded headers are kept and appended to; others' are replaced. */
  trustedProxies: Cidr[];
  healthCheck: ProxyHealthCheck;
  /** Extra attempts of idempotent requests after a connect failure, on other endpoints. */
  retries: number;
  /** ACME for entries with `proxy.tls.acme: true`. */
  acme?: ProxyAcme;
  /** Cluster mode: how often certificate Secrets (entries' and the shared ACME ones) are read again. */
  secretPollMs: number;
}

export interface ProxyAcme {
  directoryUrl: string;
  email?: string;
  /** Absolute path of a PEM bundle trusted for the ACME server's HTTPS (test CAs such as pebble). */
  caFile?: string;
  renewBeforeDays?: number;
  /** node-cron expression of the renewal check. */
  schedule?: string;
  /**
   * How the CA validates a name: `http-01` (port 80, the HTTP listener) or `tls-alpn-01`
   * (RFC 8737, port 443, the HTTPS listener; for sites whose port 80 is closed).
   */
  challenge: AcmeChallengeType;
}

export type AcmeChallengeType = 'http-01' | 'tls-alpn-01';

export interface ProxyListen {
  /** Undefined: every interface. */
  host?: string;
  port: number;
}

export interface Cidr {
  /** As written, for messages. */
  text: string;
  family: 4 | 6;
  /** Network address bytes. */
  bytes: number[];
  prefix: number;
}

/** ":8080", "127.0.0.1:8080", "[::1]:8443", or false (no listener). */
const proxyListenSchema = z.union([
  z.literal(false),
  z.string().transform((s, ctx) => {
    const m = /^\[([^\]]+)\]:(\d+)$/.exec(s) ?? /^([^:[\]]*):(\d+)$/.exec(s);
    const port = m ? Number(m[2]) : NaN;
    const host = m?.[1] ?? '';
    if (!m || port > 65535 || (host !== '' && isIP(host) === 0)) {
      ctx.addIssue({ code: z.ZodIssueCode.custom, message: `not a listen address "${s}" (expected :port, ip:port or [v6]:port)` });
      return z.NEVER;
    }
    return host === '' ? { port } : { host, port };
  }),
]);

const ms = (name: string) =>
  z.union([z.number(), z.string()]).transform((v, ctx) => {
    const n = typeof v === 'number' ? v * 1000 : durationMs(v);
    if (!Number.isFinite(n) || n < 0) {
      ctx.addIssue({ code: z.ZodIssueCode.custom, message: `${name}: not a duration ${JSON.stringify(v)} (seconds, or like "5s", "500ms", "1m")` });
      return z.NEVER;
    }
    return Math.round(n);
  });

function durationMs(text: string): number {
  const m = /^(\d+(?:\.\d+)?)(ms|s|m|h)$/.exec(text.trim());
  if (!m) return NaN;
  return Number(m[1]) * { ms: 1, s: 1000, m: 60_000, h: 3_600_000 }[m[2] as 'ms' | 's' | 'm' | 'h'];
}

/** "10m", "64k", "1g" or a number of bytes. */
const bytes = z.union([z.number().int().min(0), z.string()]).transform((v, ctx) => {
  if (typeof v === 'number') return v;
  const m = /^(\d+)\s*([kmg]?)i?b?$/i.exec(v.trim());
  if (!m) {
    ctx.addIssue({ code: z.ZodIssueCode.custom, message: `not a size ${JSON.stringify(v)} (bytes, or like "64k", "10m")` });
    return z.NEVER;
  }
  return Number(m[1]) * { '': 1, k: 1024, m: 1024 ** 2, g: 1024 ** 3 }[m[2].toLowerCase() as '' | 'k' | 'm' | 'g'];
});

export function parseCidr(text: string): Cidr {
  const [addr, prefixText, extra] = text.split('/');
  const family = isIP(addr);
  if (family === 0 || extra !== undefined) throw new Error(`not a CIDR "${text}" (like 10.0.0.0/8 or fd00::/8)`);
  const max = family === 4 ? 32 : 128;
  const prefix = prefixText === undefined ? max : Number(prefixText);
  if (!/^\d+$/.test(prefixText ?? String(max)) || prefix > max) throw new Error(`prefix out of range in "${text}" (0-${max})`);
  return { text, family: family === 4 ? 4 : 6, bytes: addressBytes(addr)!, prefix };
}

/** Bytes of an IP literal (IPv4-mapped IPv6 as IPv4), or undefined. */
export function addressBytes(addr: string): number[] | undefined {
  if (addr.startsWith('::ffff:') && isIP(addr.slice(7)) === 4) addr = addr.slice(7);
  const family = isIP(addr);
  if (family === 4) return addr.split('.').map(Number);
  if (family !== 6) return undefined;
  const [head, tail] = addr.split('::');
  const part = (s: string | undefined) => (s ? s.split(':') : []);
  let groups = [...part(head)];
  const tailGroups = part(tail);
  // An embedded IPv4 tail (::1.2.3.4) counts as two groups.
  const last = tailGroups.length > 0 ? tailGroups[tailGroups.length - 1] : groups[groups.length - 1];
  const v4 = last !== undefined && last.includes('.') ? last.split('.').map(Number) : undefined;
  if (v4) (tailGroups.length > 0 ? tailGroups : groups).pop();
  const fill = 8 - groups.length - tailGroups.length - (v4 ? 2 : 0);
  groups = tail === undefined ? groups : [...groups, ...Array<string>(fill).fill('0'), ...tailGroups];
  const out: number[] = [];
  for (const g of groups) {
    const n = parseInt(g, 16);
    out.push(n >> 8, n & 255);
  }
  if (v4) out.push(...v4);
  return out;
}

export function cidrContains(cidr: Cidr, addrBytes: readonly number[]): boolean {
  if (addrBytes.length !== cidr.bytes.length) return false;
  let bits = cidr.prefix;
  for (let i = 0; bits > 0; i++, bits -= 8) {
    const mask = bits >= 8 ? 255 : (255 << (8 - bits)) & 255;
    if ((addrBytes[i] & mask) !== (cidr.bytes[i] & mask)) return false;
  }
  return true;
}

const cidrSchema = z.string().transform((s, ctx) => {
  try {
    return parseCidr(s);
  } catch (e) {
    ctx.addIssue({ code: z.ZodIssueCode.custom, message: (e as Error).message });
    return z.NEVER;
  }
});

export const proxySchema = z
  .object({
    enabled: z.boolean().default(true),
    http: proxyListenSchema.default(':8080'),
    https: proxyListenSchema.default(':8443'),
    workers: z.union([z.literal('auto'), z.number().int().min(0).max(256)]).default('auto'),
    balancing: z.enum(['round-robin', 'least-outstanding']).default('round-robin'),
    engine: z.enum(['auto', 'llhttp', 'node']).default('auto'),
    timeouts: z
      .object({
        connect: ms('connect').default(5),
        headers: ms('headers').default(60),
        body: ms('body').default(60),
        clientHeaders: ms('clientHeaders').default(10),
        clientRequest: ms('clientRequest').default(300),
        clientIdle: ms('clientIdle').default(60),
      })
      .strict()
      .default({}),
    limits: z
      .object({
        bodyBytes: bytes.default('10m'),
        headerBytes: bytes.refine((n) => n >= 1024 && n <= 1024 * 1024, { message: 'must be between 1k and 1m' }).default(16384),
        upstreamConnections: z.number().int().min(1).max(4096).default(128),
      })
      .strict()
      .default({}),
    trustedProxies: z.array(cidrSchema).default([]),
    healthCheck: z
      .object({
        ejectAfter: z.number().int().min(1).max(1000).default(3),
        interval: ms('interval').default(2),
        timeout: ms('timeout').default(2),
        type: z.enum(['tcp', 'http']).default('tcp'),
        path: z.string().startsWith('/').default('/'),
      })
      .strict()
      .default({}),
    retries: z.number().int().min(0).max(5).default(1),
    secretPoll: ms('secretPoll').refine((n) => n >= 1000, { message: 'secretPoll: at least 1s' }).default(30),
    acme: z
      .object({
        directoryUrl: z.string().url(),
        email: z.string().email().optional(),
        caFile: z.string().min(1).optional(),
        renewBeforeDays: z.number().positive().max(365).optional(),
        schedule: z.string().min(1).optional(),
        challenge: z.enum(['http-01', 'tls-alpn-01']).default('http-01'),
      })
      .strict()
      .optional(),
  })
  .strict()
  .refine((p) => p.timeouts.clientRequest === 0 || p.timeouts.clientRequest >= p.timeouts.clientHeaders, {
    message: 'timeouts.clientRequest must be 0 (no limit) or at least timeouts.clientHeaders',
    path: ['timeouts', 'clientRequest'],
  })
  // The CA connects to the HTTPS port for TLS-ALPN-01: without that listener no name could be validated.
  .refine((p) => p.acme?.challenge !== 'tls-alpn-01' || p.https !== false, {
    message: 'acme.challenge tls-alpn-01 needs the https listener (it answers the CA on that port); use http-01 or set proxy.https',
    path: ['acme', 'challenge'],
  });

/** Per-entry options (`entries[].proxy`). */
export const entryProxySchema = z
  .object({
    enabled: z.boolean().default(true),
    upstreamPort: z.number().int().min(1).max(65535).optional(),
    upstreamScheme: z.enum(['http', 'https']).default('http'),
    redirectHttps: z.boolean().default(false),
    tls: z
      .object({
        secretName: z.string().min(1).optional(),
        certFile: z.string().min(1).optional(),
        keyFile: z.string().min(1).optional(),
        acme: z.boolean().optional(),
      })
      .strict()
      .refine((t) => (t.certFile === undefined) === (t.keyFile === undefined), { message: '"certFile" and "keyFile" go together' })
      .optional(),
  })
  .strict();

/**
 * The section as the rest of the program sees it; workers "auto" resolved against the CPU
 * count, file paths against the config's folder.
 */
export function resolveProxyConfig(p: z.output<typeof proxySchema>, cpus: number, baseDir: string): ProxyConfig {
  const t = p.timeouts;
  const h = p.healthCheck;
  return {
    enabled: p.enabled,
    http: p.http,
    https: p.https,
    workers: p.workers === 'auto' ? Math.max(1, cpus) : p.workers,
    balancing: p.balancing,
    engine: p.engine,
    timeouts: {
      connectMs: t.connect,
      headersMs: t.headers,
      bodyMs: t.body,
      clientHeadersMs: t.clientHeaders,
      clientRequestMs: t.clientRequest,
      clientIdleMs: t.clientIdle,
    },
    limits: { bodyBytes: p.limits.bodyBytes, headerBytes: p.limits.headerBytes, upstreamConnections: p.limits.upstreamConnections },
    trustedProxies: p.trustedProxies,
    healthCheck: { ejectAfter: h.ejectAfter, intervalMs: h.interval, timeoutMs: h.timeout, type: h.type, path: h.path },
    retries: p.retries,
    secretPollMs: p.secretPoll,
    ...(p.acme ? { acme: { ...p.acme, ...(p.acme.caFile ? { caFile: resolve(baseDir, p.acme.caFile) } : {}) } } : {}),
  };
}

/** An entry's certificate file paths, resolved against the config's folder. */
export function resolveEntryProxyFiles<E extends { proxy?: { tls?: { certFile?: string; keyFile?: string } } }>(entry: E, baseDir: string): E {
  const t = entry.proxy?.tls;
  if (!t || (t.certFile === undefined && t.keyFile === undefined)) return entry;
  return {
    ...entry,
    proxy: { ...entry.proxy, tls: { ...t, ...(t.certFile ? { certFile: resolve(baseDir, t.certFile) } : {}), ...(t.keyFile ? { keyFile: resolve(baseDir, t.keyFile) } : {}) } },
  };
}

export type { ListenAddress };
