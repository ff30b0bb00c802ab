// Launches a real BIND 9 `named` (Debian `bind9`) in the foreground on a free port, with
// zones given as zone-file text, TSIG keys, and per-zone update / transfer ACLs: the
// reference server of the RFC 2136 provider tests. Everything (config, zones, journals,
// pid and session-key files) lives in a temp dir removed on stop.
import type { ChildProcess } from 'node:child_process';
import { mkdtemp, writeFile } from 'node:fs/promises';
import { existsSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { startDaemon } from './daemon.js';
import { freePort } from './ports.js';
import { dnsProbe } from './wire.js';

/** A TSIG key as named.conf spells it; `secret` is base64. */
export interface BindKey {
  name: string;
  /** 'hmac-sha256' (default), 'hmac-sha512', 'hmac-md5', ... */
  algorithm?: string;
  secret: string;
}

export interface BindZone {
  apex: string;
  /** zone file text; relative names are relative to the apex ($ORIGIN and $TTL are prepended) */
  zoneText: string;
  /** address-match-list elements for `allow-update`, e.g. ['key k1']; default: none */
  allowUpdate?: string[];
  /** `update-policy` rules instead of allow-update, e.g. ['grant k1 zonesub ANY'] */
  updatePolicy?: string[];
  /** address-match-list elements for `allow-transfer`, e.g. ['key k1']; default: none */
  allowTransfer?: string[];
}

export interface BindOptions {
  zones: BindZone[];
  keys?: BindKey[];
  port?: number;
  /** also listen on ::1 (default false) */
  ipv6?: boolean;
  /** wait this long for the first zone's SOA (default 20 s: the machine is shared) */
  startTimeoutMs?: number;
}

export interface Bind {
  port: number;
  dir: string;
  proc: ChildProcess;
  logs(): string;
  stop(): Promise<void>;
}

const NAMED = existsSync('/usr/sbin/named') ? '/usr/sbin/named' : 'named';

function fqdn(name: string): string {
  return name.endsWith('.') ? name : `${name}.`;
}

function matchList(elements: string[] | undefined): string {
  const list = elements && elements.length > 0 ? elements : ['none'];
  return `{ ${list.map((e) => `${e};`).join(' ')} }`;
}

/** named.conf text for the options; exported for tests of the launcher itself. */
export function bindConfig(dir: string, port: number, opts: BindOptions): string {
  const lines = [
    'options {',
    `  directory "${dir}";`,
    `  pid-file "${dir}/named.pid";`,
    `  session-keyfile "${dir}/session.key";`,
    `  managed-keys-directory "${dir}";`,
    `  dump-file "${dir}/named.dump";`,
    `  statistics-file "${dir}/named.stats";`,
    `  listen-on port ${port} { 127.0.0.1; };`,
    opts.ipv6 ? `  listen-on-v6 port ${port} { ::1; };` : '  listen-on-v6 { none; };',
    '  recursion no;',
    '  dnssec-validation no;',
    '  notify no;',
    '  allow-query { any; };',
    // Zones hold whatever a test writes: an MX or SRV target in the zone without an address
    // would make named refuse the update (check-integrity), which is not the point of a test.
    '  check-integrity no;',
    '  check-names primary ignore;',
    '  check-mx ignore;',
    '  check-mx-cname ignore;',
    '  check-srv-cname ignore;',
    '};',
    // No rndc channel: the launcher stops named with a signal.
    'controls { };',
  ];
  for (const k of opts.keys ?? []) {
    lines.push(`key "${k.name}" { algorithm ${k.algorithm ?? 'hmac-sha256'}; secret "${k.secret}"; };`);
  }
  for (const z of opts.zones) {
    const apex = fqdn(z.apex);
    const update = z.updatePolicy ? `update-policy { ${z.updatePolicy.map((r) => `${r};`).join(' ')} };` : `allow-update ${matchList(z.allowUpdate)};`;
    lines.push(
      `zone "${apex}" {`,
      '  type primary;',
      `  file "${dir}/${apex}zone";`,
      `  journal "${dir}/${apex}jnl";`,
      `  ${update}`,
      `  allow-transfer ${matchList(z.allowTransfer)};`,
      '};',
    );
  }
  return lines.join('\n') + '\n';
}

export async function startBind(opts: BindOptions): Promise<Bind> {
  if (opts.zones.length === 0) throw new Error('startBind: at least one zone');
  const port = opts.port ?? (await freePort({ ipv6: opts.ipv6 ?? false }));
  const dir = await mkdtemp(path.join(os.tmpdir(), 'bind-'));
  await writeFile(path.join(dir, 'named.conf'), bindConfig(dir, port, opts));
  for (const z of opts.zones) {
    const apex = fqdn(z.apex);
    await writeFile(path.join(dir, `${apex}zone`), `$ORIGIN ${apex}\n$TTL 300\n${z.zoneText}\n`);
  }

  const named = await startDaemon({
    name: 'named',
    command: NAMED,
    // -g: foreground, log to stderr; -n 1: one worker thread is plenty on a shared 2-core box.
    args: ['-g', '-n', '1', '-c', path.join(dir, 'named.conf')],
    dir,
    // named answers SERVFAIL/REFUSED before the zone is loaded; wait for an authoritative answer.
    ready: dnsProbe({ port, name: opts.zones[0].apex, type: 'SOA', accept: (reply) => (reply.readUInt16BE(2) & 0x040f) === 0x0400 }),
    readyWhat: `authoritative SOA answer for ${opts.zones[0].apex} on port ${port}`,
    startTimeoutMs: opts.startTimeoutMs ?? 20_000,
  });
  return { port, dir, proc: named.proc, logs: named.logs, stop: named.stop };
}
