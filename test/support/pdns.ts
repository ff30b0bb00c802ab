// Launches a real PowerDNS Authoritative server (Debian pdns-server + pdns-backend-sqlite3) on
// free loopback ports with its HTTP API on, and creates zones through that API. Everything
// (config, sqlite database, control socket) lives in a temp dir removed on stop.
import { execFile, type ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdtemp, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { request } from 'undici';
import { startDaemon } from './daemon.js';
import { freePort } from './ports.js';

const PDNS_SERVER = existsSync('/usr/sbin/pdns_server') ? '/usr/sbin/pdns_server' : 'pdns_server';
const SCHEMA = '/usr/share/doc/pdns-backend-sqlite3/schema.sqlite3.sql';

export interface PdnsOptions {
  /** Zones created (Native, SOA + NS ns1.<zone>) once the API answers; default ['example.org']. */
  zones?: string[];
  /** Default: a random key per instance. */
  apiKey?: string;
  /** Wait this long for the API (default 15 s: the machine is shared). */
  startTimeoutMs?: number;
}

export interface PdnsReply {
  status: number;
  body: string;
  /** The body parsed as JSON, or undefined when it is not JSON. */
  json: unknown;
}

export interface Pdns {
  /** DNS (UDP and TCP) on 127.0.0.1. */
  dnsPort: number;
  apiPort: number;
  /** http://127.0.0.1:<apiPort>: the provider's `url`. */
  url: string;
  apiKey: string;
  serverId: 'localhost';
  dir: string;
  proc: ChildProcess;
  /** One API call with the right key; `apiPath` below /api/v1/servers/localhost ('/zones'). */
  api(method: string, apiPath: string, body?: unknown): Promise<PdnsReply>;
  createZone(name: string): Promise<void>;
  logs(): string;
  stop(): Promise<void>;
}

function run(cmd: string, args: string[]): Promise<void> {
  return new Promise((resolve, reject) => execFile(cmd, args, { timeout: 20_000 }, (err, _out, errOut) => (err ? reject(new Error(`${cmd} ${args.join(' ')}: ${errOut || err.message}`)) : resolve())));
}

export async function startPdns(opts: PdnsOptions = {}): Promise<Pdns> {
  const dir = await mkdtemp(path.join(os.tmpdir(), 'pdns-'));
  const db = path.join(dir, 'pdns.sqlite3');
  const apiKey = opts.apiKey ?? `test-${Math.random().toString(36).slice(2)}${Date.now().toString(36)}`;
  const dnsPort = await freePort({ ipv6: false });
  let apiPort = await freePort({ ipv6: false });
  while (apiPort === dnsPort) apiPort = await freePort({ ipv6: false });
  await run('sqlite3', [db, `.read ${SCHEMA}`]);
  const conf = [
    'launch=gsqlite3',
    `gsqlite3-database=${db}`,
    'local-address=127.0.0.1',
    `local-port=${dnsPort}`,
    'api=yes',
    `api-key=${apiKey}`,
    'webserver=yes',
    'webserver-address=127.0.0.1',
    `webserver-port=${apiPort}`,
    'webserver-allow-from=127.0.0.0/8',
    'webserver-loglevel=none',
    `socket-dir=${dir}`,
    'guardian=no',
    'daemon=no',
    'disable-syslog=yes',
    'write-pid=no',
    'loglevel=4',
    // No queries to the outside world (security status polling goes to secpoll.powerdns.com).
    'security-poll-suffix=',
    // Tests read through DNS right after the API wrote: no cache may answer from before.
    'cache-ttl=0',
    'query-cache-ttl=0',
    'negquery-cache-ttl=0',
    // Small footprint on a shared 2-core machine.
    'receiver-threads=1',
    'distributor-threads=1',
    'default-soa-content=ns1.@ hostmaster.@ 0 10800 3600 604800 3600',
    '',
  ].join('\n');
  await writeFile(path.join(dir, 'pdns.conf'), conf, { mode: 0o600 });

  const url = `http://127.0.0.1:${apiPort}`;
  const api = async (method: string, apiPath: string, body?: unknown): Promise<PdnsReply> => {
    const res = await request(`${url}/api/v1/servers/localhost${apiPath}`, {
      method: method as 'GET',
      headers: { 'x-api-key': apiKey, ...(body === undefined ? {} : { 'content-type': 'application/json' }) },
      body: body === undefined ? undefined : JSON.stringify(body),
      headersTimeout: 20_000,
      bodyTimeout: 20_000,
    });
    const text = await res.body.text();
    let json: unknown;
    try {
      json = JSON.parse(text);
    } catch {
      json = undefined;
    }
    return { status: res.statusCode, body: text, json };
  };

  const createZone = async (name: string) => {
    const apex = name.endsWith('.') ? name : `${name}.`;
    const r = await api('POST', '/zones', { name: apex, kind: 'Native', nameservers: [`ns1.${apex}`] });
    if (r.status !== 201) throw new Error(`pdns: create zone ${apex}: HTTP ${r.status} ${r.body}`);
  };

  const pdns = await startDaemon({
    name: 'pdns_server',
    command: PDNS_SERVER,
    args: [`--config-dir=${dir}`],
    dir,
    ready: async () => (await api('GET', '')).status === 200,
    readyWhat: `API answer on ${url}`,
    startTimeoutMs: opts.startTimeoutMs ?? 15_000,
  });
  try {
    for (const zone of opts.zones ?? ['example.org']) await createZone(zone);
  } catch (err) {
    await pdns.stop();
    throw err;
  }

  return { dnsPort, apiPort, url, apiKey, serverId: 'localhost', dir, proc: pdns.proc, api, createZone, logs: pdns.logs, stop: pdns.stop };
}
