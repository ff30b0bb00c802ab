// Launches the built globaldns CLI (`dist/src/cli.js serve`) in a temp dir with a given
// config and extra files (manifest folders), on a free port on 127.0.0.1 and ::1, and
// waits until the first zone's SOA is answered. `npm test` builds dist/ in pretest.
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtemp, mkdir, writeFile, rm, rename } from 'node:fs/promises';
import { existsSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import YAML from 'yaml';
import { freePort } from './ports.js';
import { waitForDns, headerOf } from './wire.js';

export const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');
/** GLOBALDNS_CLI overrides the entry point (e.g. to test another build). */
export const cliPath = process.env.GLOBALDNS_CLI ?? path.join(repoRoot, 'dist', 'src', 'cli.js');

export interface GlobaldnsOptions {
  /** YAML text or an object serialised to YAML; written to <dir>/globaldns.yaml */
  configYaml: string | object;
  /** extra files relative to <dir>, e.g. { 'clusters/east/shop.yaml': '...' } */
  files?: Record<string, string>;
  /** reuse this dir (and its state/) instead of a new temp dir: restarts, snapshots */
  dir?: string;
  port?: number;
  /** listen on ::1 too (default true) */
  ipv6?: boolean;
  /** name whose SOA signals readiness (default: first zone apex in the config) */
  readyName?: string;
  /** ms to wait for readiness (default 10 s) */
  startTimeoutMs?: number;
  /** extra CLI args after the defaults */
  args?: string[];
  /** extra environment */
  env?: Record<string, string>;
  /** node flags, e.g. ['--max-old-space-size=512'] */
  nodeArgs?: string[];
  /**
   * Port of the admin listener (/metrics, /readyz, dashboard) on 127.0.0.1; default a free one,
   * so that parallel instances never contend for the CLI's default 9090.
   */
  adminPort?: number;
}

export interface Globaldns {
  port: number;
  /** The admin listener's port and base URL (`http://127.0.0.1:<adminPort>`). */
  adminPort: number;
  adminUrl: string;
  dir: string;
  stateDir: string;
  configPath: string;
  proc: ChildProcess;
  pid: number;
  logs(): string;
  alive(): boolean;
  /** SIGTERM, SIGKILL after 3 s; the dir is kept (use cleanup() to remove it) */
  stop(): Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  /** stop, then start again with the same dir and state dir (optionally new config/files) */
  restart(changes?: Partial<Pick<GlobaldnsOptions, 'configYaml' | 'files' | 'readyName'>>): Promise<Globaldns>;
  /** write (or overwrite) a file relative to dir */
  writeFile(rel: string, text: string): Promise<void>;
  /** remove a file or folder relative to dir */
  remove(rel: string): Promise<void>;
  /** stop if running and remove the dir */
  cleanup(): Promise<void>;
}

function firstApex(config: unknown): string | undefined {
  const zones = (config as { zones?: { apex?: string }[] } | null)?.zones;
  return Array.isArray(zones) && zones[0]?.apex ? String(zones[0].apex) : undefined;
}

export async function startGlobaldns(opts: GlobaldnsOptions): Promise<Globaldns> {
  if (!existsSync(cliPath)) throw new Error(`${cliPath} missing: run \`npm run build\` (npm test does it in pretest)`);
  const dir = opts.dir ?? (await mkdtemp(path.join(os.tmpdir(), 'globaldns-')));
  const stateDir = path.join(dir, 'state');
  const configPath = path.join(dir, 'globaldns.yaml');
  const configText = typeof opts.configYaml === 'string' ? opts.configYaml : YAML.stringify(opts.configYaml);
  const configObj: unknown = typeof opts.configYaml === 'string' ? YAML.parse(opts.configYaml) : opts.configYaml;
  await mkdir(stateDir, { recursive: true });
  await writeFile(configPath, configText);
  for (const [rel, text] of Object.entries(opts.files ?? {})) {
    const p = path.join(dir, rel);
    await mkdir(path.dirname(p), { recursive: true });
    await writeFile(p, text);
  }
  const port = opts.port ?? (await freePort({ ipv6: opts.ipv6 ?? true }));
  const listen = ['--dns-listen', `127.0.0.1:${port}`];
  if (opts.ipv6 ?? true) listen.push('--dns-listen', `[::1]:${port}`);
  const adminPort = opts.adminPort ?? (await freePort({ ipv6: false }));
  const args = [...(opts.nodeArgs ?? []), cliPath, 'serve', '--config', configPath, ...listen, '--state-dir', stateDir, '--admin-listen', `127.0.0.1:${adminPort}`, ...(opts.args ?? [])];

  let log = '';
  const proc = spawn(process.execPath, args, {
    cwd: dir,
    stdio: ['ignore', 'pipe', 'pipe'],
    env: { ...process.env, ...opts.env },
  });
  proc.stdout.on('data', (d) => (log += d));
  proc.stderr.on('data', (d) => (log += d));
  let exit: { code: number | null; signal: NodeJS.Signals | null } | null = null;
  const exitP = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) =>
    proc.once('exit', (code, signal) => {
      exit = { code, signal };
      resolve(exit);
    })
  );

  const stop = async () => {
    if (!exit) {
      proc.kill('SIGTERM');
      const t = setTimeout(() => !exit && proc.kill('SIGKILL'), 3000);
      await exitP;
      clearTimeout(t);
    }
    return exit!;
  };

  const readyName = opts.readyName ?? firstApex(configObj);
  if (readyName) {
    try {
      await waitForDns({
        port,
        name: readyName,
        type: 'SOA',
        timeoutMs: opts.startTimeoutMs ?? 10_000,
        // NOERROR with an answer: the zone is loaded, not merely the socket bound
        accept: (reply) => {
          const h = headerOf(reply);
          return h.rcode === 0 && h.an > 0;
        },
        isDead: () => (exit ? `globaldns exited (code ${exit.code}, signal ${exit.signal}):\n${log}` : undefined),
      });
    } catch (err) {
      await stop();
      throw new Error(`${(err as Error).message}\n--- globaldns output ---\n${log}`);
    }
  }

  const self: Globaldns = {
    port,
    adminPort,
    adminUrl: `http://127.0.0.1:${adminPort}`,
    dir,
    stateDir,
    configPath,
    proc,
    pid: proc.pid!,
    logs: () => log,
    alive: () => exit === null && proc.exitCode === null,
    stop,
    async restart(changes = {}) {
      await stop();
      return startGlobaldns({
        ...opts,
        dir,
        port,
        adminPort,
        configYaml: changes.configYaml ?? configText,
        files: changes.files ?? {},
        readyName: changes.readyName ?? opts.readyName,
      });
    },
    async writeFile(rel, text) {
      const p = path.join(dir, rel);
      await mkdir(path.dirname(p), { recursive: true });
      // write then rename so a watcher never reads a half-written manifest
      const tmp = path.join(path.dirname(p), `.${path.basename(p)}.${process.pid}.tmp`);
      await writeFile(tmp, text);
      await rename(tmp, p);
    },
    async remove(rel) {
      await rm(path.join(dir, rel), { recursive: true, force: true });
    },
    async cleanup() {
      await stop();
      await rm(dir, { recursive: true, force: true });
    },
  };
  return self;
}

/** An Ingress manifest claiming `hostname`, with the given load-balancer IPs in its status. */
export function ingressYaml(o: { name: string; namespace?: string; hostname: string; ips: string[]; ttl?: number }): string {
  const ns = o.namespace ?? 'default';
  const annotations: Record<string, string> = { 'globaldns.io/hostname': o.hostname };
  if (o.ttl !== undefined) annotations['globaldns.io/ttl'] = String(o.ttl);
  return YAML.stringify({
    apiVersion: 'networking.k8s.io/v1',
    kind: 'Ingress',
    metadata: { name: o.name, namespace: ns, annotations },
    spec: { rules: [{ host: o.hostname, http: { paths: [{ path: '/', pathType: 'Prefix', backend: { service: { name: o.name, port: { number: 80 } } } }] } }] },
    status: { loadBalancer: { ingress: o.ips.map((ip) => ({ ip })) } },
  });
}

export function namespaceYaml(name: string, labels: Record<string, string> = {}): string {
  return YAML.stringify({ apiVersion: 'v1', kind: 'Namespace', metadata: { name, labels } });
}
