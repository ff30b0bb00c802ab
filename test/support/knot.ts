// Launches a real knotd (Debian `knot`) on a free port with zones given as zone-file
// text: the reference server for benchmarks and, later, the secondary in AXFR/IXFR tests.
// Everything (config, zones, rundir, database, control socket) lives in a temp dir.
import { type ChildProcess, execFile } from 'node:child_process';
import { mkdtemp, writeFile, mkdir } from 'node:fs/promises';
import { existsSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { startDaemon } from './daemon.js';
import { freePort } from './ports.js';
import { dnsProbe } from './wire.js';

export interface KnotZone {
  apex: string;
  /** zone file text; relative names are relative to the apex ($ORIGIN is prepended) */
  zoneText: string;
  /** ids of `acls` entries for this zone (default: none, knot's default: no update, no transfer) */
  acl?: string[];
}

/** A TSIG key as knot.conf spells it; `secret` is base64. */
export interface KnotKey {
  id: string;
  /** 'hmac-sha256' (default), 'hmac-sha512', 'hmac-md5', ... */
  algorithm?: string;
  secret: string;
}

/** One `acl:` entry; a zone refers to it by id. */
export interface KnotAcl {
  id: string;
  /** key ids the rule matches (absent: any sender, signed or not) */
  key?: string[];
  action: ('update' | 'transfer' | 'notify' | 'query')[];
  /** a denying rule (knot takes the first rule that matches) */
  deny?: boolean;
}

export interface KnotOptions {
  zones: KnotZone[];
  port?: number;
  /** also listen on ::1 (default true) */
  ipv6?: boolean;
  /** UDP/TCP worker threads (default: knot's own default) */
  workers?: number;
  /** extra lines appended verbatim to the `server:` section */
  serverExtra?: string[];
  /** wait this long for the first zone's SOA (default 20 s: big zones take a while) */
  startTimeoutMs?: number;
  /** TSIG keys (`key:` section) */
  keys?: KnotKey[];
  /** access rules (`acl:` section), referred to by KnotZone.acl */
  acls?: KnotAcl[];
  /**
   * Keep zone changes in the journal ('changes') instead of knot's default here ('none'):
   * needed to apply dynamic updates and to serve IXFR.
   */
  journalContent?: 'none' | 'changes' | 'all';
}

export interface Knot {
  port: number;
  dir: string;
  proc: ChildProcess;
  pid: number;
  logs(): string;
  /** knotc against this instance */
  knotc(...args: string[]): Promise<string>;
  stop(): Promise<void>;
}

const KNOTD = existsSync('/usr/sbin/knotd') ? '/usr/sbin/knotd' : 'knotd';
const KNOTC = existsSync('/usr/sbin/knotc') ? '/usr/sbin/knotc' : 'knotc';

function fqdn(name: string): string {
  return name.endsWith('.') ? name : `${name}.`;
}

export async function startKnot(opts: KnotOptions): Promise<Knot> {
  if (opts.zones.length === 0) throw new Error('startKnot: at least one zone');
  const port = opts.port ?? (await freePort());
  const dir = await mkdtemp(path.join(os.tmpdir(), 'knot-'));
  await mkdir(path.join(dir, 'db'), { recursive: true });
  await mkdir(path.join(dir, 'zones'), { recursive: true });
  const listen = [`127.0.0.1@${port}`];
  if (opts.ipv6 ?? true) listen.push(`::1@${port}`);
  const conf = [
    'server:',
    `    rundir: "${dir}"`,
    `    pidfile: "${dir}/knot.pid"`,
    `    listen: [ ${listen.join(', ')} ]`,
    ...(opts.workers ? [`    udp-workers: ${opts.workers}`, `    tcp-workers: ${opts.workers}`] : []),
    ...(opts.serverExtra ?? []).map((l) => `    ${l}`),
    'database:',
    `    storage: "${dir}/db"`,
    'control:',
    `    listen: "${dir}/knot.sock"`,
    ...((opts.keys ?? []).length > 0 ? ['key:'] : []),
    ...(opts.keys ?? []).flatMap((k) => [`  - id: ${fqdn(k.id)}`, `    algorithm: ${k.algorithm ?? 'hmac-sha256'}`, `    secret: ${k.secret}`]),
    ...((opts.acls ?? []).length > 0 ? ['acl:'] : []),
    ...(opts.acls ?? []).flatMap((a) => [
      `  - id: ${a.id}`,
      ...(a.key ? [`    key: [ ${a.key.map(fqdn).join(', ')} ]`] : []),
      `    action: [ ${a.action.join(', ')} ]`,
      ...(a.deny ? ['    deny: on'] : []),
    ]),
    'log:',
    '  - target: stderr',
    '    any: notice',
    'template:',
    '  - id: default',
    `    storage: "${dir}/zones"`,
    '    file: "%s.zone"',
    '    zonefile-sync: -1',
    '    zonefile-load: whole',
    `    journal-content: ${opts.journalContent ?? 'none'}`,
    '    semantic-checks: off',
    'zone:',
    ...opts.zones.flatMap((z) => [`  - domain: ${fqdn(z.apex)}`, ...(z.acl && z.acl.length > 0 ? [`    acl: [ ${z.acl.join(', ')} ]`] : [])]),
    '',
  ].join('\n');
  await writeFile(path.join(dir, 'knot.conf'), conf);
  for (const z of opts.zones) {
    const apex = fqdn(z.apex);
    await writeFile(path.join(dir, 'zones', `${apex}zone`), `$ORIGIN ${apex}\n$TTL 300\n${z.zoneText}\n`);
  }

  const knotd = await startDaemon({
    name: 'knotd',
    command: KNOTD,
    args: ['-c', path.join(dir, 'knot.conf')],
    dir,
    ready: dnsProbe({ port, name: opts.zones[0].apex, type: 'SOA' }),
    readyWhat: `answer for ${opts.zones[0].apex} SOA on port ${port}`,
    startTimeoutMs: opts.startTimeoutMs ?? 20_000,
  });

  return {
    port,
    dir,
    proc: knotd.proc,
    pid: knotd.pid,
    logs: knotd.logs,
    knotc: (...args: string[]) => new Promise((resolve, reject) => execFile(KNOTC, ['-s', path.join(dir, 'knot.sock'), ...args], { timeout: 10_000 }, (err, out, errOut) => err ? reject(new Error(`knotc ${args.join(' ')}: ${errOut || err.message}`)) : resolve(String(out)))),
    stop: knotd.stop,
  };
}
