// Launches Debian's `pebble` (the ACME test CA) in a temp dir with a tiny DNS responder in
// front of its validation: names in `names` resolve to their address (A only), every other
// name is NXDOMAIN, so a test can make a name unresolvable on purpose. Pebble's own HTTPS
// certificate is made here with openssl (Debian ships pebble without its test certificates).
import { execFile } from 'node:child_process';
import dgram from 'node:dgram';
import https from 'node:https';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import dnsPacket from 'dns-packet';
import { startDaemon } from './daemon.js';
import { freePorts } from './ports.js';

const run = promisify(execFile);

export interface PebbleOptions {
  /** port pebble connects to for HTTP-01 (where the test's challenge server listens) */
  httpPort: number;
  /** port pebble connects to for TLS-ALPN-01 (default: a free port nobody listens on) */
  tlsPort?: number;
  /** host → IPv4 the DNS responder answers (default: none; see `dns.set`) */
  names?: Record<string, string>;
  /** lifetime of issued certificates in seconds (default: pebble's own, about 5 years) */
  certificateValiditySeconds?: number;
  /**
   * percentage of orders that reuse a still-valid authorization instead of a new challenge
   * (pebble's PEBBLE_AUTHZREUSE; default 0 here, so every renewal is really validated)
   */
  authzReusePercent?: number;
  startTimeoutMs?: number;
}

export interface Pebble {
  directoryUrl: string;
  managementUrl: string;
  /** the CA of pebble's own HTTPS endpoints (for the ACME client, not for issued certificates) */
  serverCaPem: string;
  /** pebble's issuing root (management API `/roots/0`): what `curl --cacert` needs */
  rootPem(): Promise<string>;
  /** the DNS responder pebble resolves names with: set a name's address, or remove it */
  dns: { port: number; set(name: string, ipv4: string | undefined): void; queries: string[] };
  dir: string;
  logs(): string;
  stop(): Promise<void>;
}

function startDns(names: Map<string, string>): Promise<{ port: number; queries: string[]; close(): void }> {
  const sock = dgram.createSocket('udp4');
  const queries: string[] = [];
  sock.on('message', (msg, rinfo) => {
    let query: dnsPacket.Packet;
    try {
      query = dnsPacket.decode(msg);
    } catch {
      return; // not DNS: drop
    }
    const q = query.questions?.[0];
    if (!q) return;
    const name = q.name.toLowerCase().replace(/\.$/, '');
    queries.push(`${name} ${q.type}`);
    const ip = names.get(name);
    const reply = dnsPacket.encode({
      id: query.id,
      type: 'response',
      flags: dnsPacket.AUTHORITATIVE_ANSWER | (ip === undefined ? 3 : 0), // rcode 3 = NXDOMAIN
      questions: [q],
      answers: ip !== undefined && q.type === 'A' ? [{ name: q.name, type: 'A', class: 'IN', ttl: 1, data: ip }] : [],
    });
    sock.send(reply, rinfo.port, rinfo.address);
  });
  return new Promise((resolve, reject) => {
    sock.once('error', reject);
    sock.bind(0, '127.0.0.1', () => resolve({ port: sock.address().port, queries, close: () => sock.close() }));
  });
}

function httpsGet(url: string, ca: string): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const req = https.get(url, { ca, timeout: 5000 }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (d) => (body += d));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
    });
    req.on('timeout', () => req.destroy(new Error('timeout')));
    req.on('error', reject);
  });
}

export async function startPebble(opts: PebbleOptions): Promise<Pebble> {
  const dir = await mkdtemp(path.join(os.tmpdir(), 'pebble-'));
  const names = new Map(Object.entries(opts.names ?? {}).map(([k, v]) => [k.toLowerCase(), v]));
  const dns = await startDns(names);
  let setup: { configFile: string; serverCaPem: string; acmePort: number; mgmtPort: number };
  try {
    setup = await writeConfig(dir, opts);
  } catch (err) {
    dns.close();
    await rm(dir, { recursive: true, force: true });
    throw err;
  }
  const { configFile, serverCaPem, acmePort, mgmtPort } = setup;

  const directoryUrl = `https://127.0.0.1:${acmePort}/dir`;
  const pebble = await startDaemon({
    name: 'pebble',
    command: 'pebble',
    args: ['-config', configFile, '-dnsserver', `127.0.0.1:${dns.port}`],
    dir,
    env: { ...process.env, PEBBLE_VA_NOSLEEP: '1', PEBBLE_VA_ALWAYS_VALID: '0', PEBBLE_WFE_NONCEREJECT: '0', PEBBLE_AUTHZREUSE: String(opts.authzReusePercent ?? 0) },
    ready: async () => (await httpsGet(directoryUrl, serverCaPem)).status === 200,
    readyWhat: `directory at ${directoryUrl}`,
    startTimeoutMs: opts.startTimeoutMs ?? 20_000,
    probeIntervalMs: 100,
    onStop: () => dns.close(),
  });
  const managementUrl = `https://127.0.0.1:${mgmtPort}`;
  return {
    directoryUrl,
    managementUrl,
    serverCaPem,
    async rootPem() {
      const res = await httpsGet(`${managementUrl}/roots/0`, serverCaPem);
      if (res.status !== 200) throw new Error(`pebble /roots/0: HTTP ${res.status}`);
      return res.body;
    },
    dns: {
      port: dns.port,
      queries: dns.queries,
      set(name, ipv4) {
        if (ipv4 === undefined) names.delete(name.toLowerCase());
        else names.set(name.toLowerCase(), ipv4);
      },
    },
    dir,
    logs: pebble.logs,
    stop: pebble.stop,
  };
}

/** Pebble's HTTPS certificate (made with openssl) and config file, on free ports. */
async function writeConfig(dir: string, opts: PebbleOptions): Promise<{ configFile: string; serverCaPem: string; acmePort: number; mgmtPort: number }> {
  const certFile = path.join(dir, 'pebble.pem');
  const keyFile = path.join(dir, 'pebble.key');
  await run('openssl', ['req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256', '-nodes', '-keyout', keyFile, '-out', certFile, '-days', '2', '-subj', '/CN=pebble test server', '-addext', 'subjectAltName=IP:127.0.0.1,DNS:localhost']);
  const serverCaPem = await readFile(certFile, 'utf8');
  const [acmePort, mgmtPort, spareTls] = await freePorts(3, { ipv6: false });
  const config = {
    pebble: {
      listenAddress: `127.0.0.1:${acmePort}`,
      managementListenAddress: `127.0.0.1:${mgmtPort}`,
      certificate: certFile,
      privateKey: keyFile,
      httpPort: opts.httpPort,
      tlsPort: opts.tlsPort ?? spareTls,
      ocspResponderURL: '',
      externalAccountBindingRequired: false,
      ...(opts.certificateValiditySeconds ? { certificateValidityPeriod: opts.certificateValiditySeconds } : {}),
    },
  };
  const configFile = path.join(dir, 'pebble.json');
  await writeFile(configFile, JSON.stringify(config, null, 2));
  return { configFile, serverCaPem, acmePort, mgmtPort };
}
