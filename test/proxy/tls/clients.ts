// Real TLS clients for the tests: curl (verifies against a CA file) and openssl s_client.
import { execFile } from 'node:child_process';
import https from 'node:https';

import tls from 'node:tls';
import { promisify } from 'node:util';
import { readCertificate } from '../../../src/proxy/tls/index.js';

const run = promisify(execFile);

/** curl https://name:port/path resolved to 127.0.0.1, verified with `caFile`; the body. */
export async function curlHttps(name: string, port: number, caFile: string, urlPath = '/'): Promise<string> {
  const { stdout } = await run('curl', ['-sS', '--fail', '--max-time', '10', '--resolve', `${name}:${port}:127.0.0.1`, '--cacert', caFile, `https://${name}:${port}${urlPath}`]);
  return stdout;
}

/** The serial of the certificate `openssl s_client` is shown for SNI `name`. */
export async function servedSerial(name: string, port: number): Promise<string> {
  const { stdout } = await run('sh', ['-c', `openssl s_client -connect 127.0.0.1:${port} -servername ${name} </dev/null 2>/dev/null | openssl x509 -noout -serial`], { timeout: 10_000 });
  const m = /serial=([0-9A-F]+)/i.exec(stdout);
  if (!m) throw new Error(`s_client ${name}: no certificate in ${JSON.stringify(stdout)}`);
  return m[1].toUpperCase();
}

/** Names of the certificate served for SNI `name` (through node's TLS client, no verification). */
export function servedNames(name: string, port: number): Promise<string[]> {
  return new Promise((resolve, reject) => {
    const sock = tls.connect({ host: '127.0.0.1', port, servername: name, rejectUnauthorized: false }, () => {
      const der = sock.getPeerCertificate().raw;
      sock.destroy();
      resolve(readCertificate(`-----BEGIN CERTIFICATE-----\n${der.toString('base64')}\n-----END CERTIFICATE-----\n`).names);
    });
    sock.once('error', reject);
  });
}

export interface LoadResult {
  ok: number;
  failed: number;
  errors: string[];
  serials: Set<string>;
}

export function newLoadResult(): LoadResult {
  return { ok: 0, failed: 0, errors: [], serials: new Set() };
}

/** Resolves once `cond()` holds, checking every 50 ms; rejects after `ms`. */
export async function waitFor(cond: () => boolean, ms: number, what: string): Promise<void> {
  const end = Date.now() + ms;
  while (!cond()) {
    if (Date.now() > end) throw new Error(`timed out after ${ms} ms waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

/**
 * Requests over fresh TLS connections (so every one handshakes and sees the current
 * certificate), verified against `caPem`, one after another until `stop()` resolves or
 * `maxRequests` is reached: a bounded load loop.
 */
export async function loopRequests(opts: { name: string; port: number; caPem: string; maxRequests: number; until: Promise<unknown>; maxMs: number; progress?: LoadResult }): Promise<LoadResult> {
  const res: LoadResult = opts.progress ?? newLoadResult();
  let stopped = false;
  void opts.until.finally(() => (stopped = true));
  const deadline = Date.now() + opts.maxMs;
  for (let i = 0; i < opts.maxRequests && !stopped && Date.now() < deadline; i++) {
    try {
      const serial = await new Promise<string>((resolve, reject) => {
        const req = https.request({
          host: '127.0.0.1',
          port: opts.port,
          servername: opts.name,
          path: '/',
          ca: opts.caPem,
          headers: { host: opts.name },
          agent: false,
          timeout: 5000,
        }, (r) => {
          const cert = (r.socket as tls.TLSSocket).getPeerCertificate();
          r.resume();
          r.on('end', () => (r.statusCode === 200 ? resolve(cert.serialNumber.toUpperCase()) : reject(new Error(`status ${r.statusCode}`))));
        });
        req.on('timeout', () => req.destroy(new Error('timeout')));
        req.on('error', reject);
        req.end();
      });
      res.ok++;
      res.serials.add(serial);
    } catch (err) {
      res.failed++;
      if (res.errors.length < 5) res.errors.push((err as Error).message);
    }
  }
  return res;
}
