// Launches Debian's nginx in the foreground with a config of ours, in a temp prefix dir
// (`nginx -p <dir> -c nginx.conf -e stderr -g 'daemon off;'`), and waits until it accepts
// connections on the ports it was given. Used by bench/proxy.ts as the reference proxy and as
// the upstream both proxies forward to.
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';

export interface NginxOptions {
  /** The `http { ... }` block's contents; `events`, pid and temp paths are set here. */
  http: string;
  /** Address:port pairs to wait for. */
  waitFor: { host: string; port: number }[];
  /** `worker_processes` (default "auto"). */
  workers?: number | 'auto';
  /** Files to write into the prefix dir first (certificates). */
  files?: Record<string, string>;
  startTimeoutMs?: number;
}

export interface Nginx {
  dir: string;
  proc: ChildProcess;
  logs(): string;
  stop(): Promise<void>;
}

export async function startNginx(o: NginxOptions): Promise<Nginx> {
  const dir = await mkdtemp(path.join(os.tmpdir(), 'gdns-nginx-'));
  for (const [rel, text] of Object.entries(o.files ?? {})) await writeFile(path.join(dir, rel), text);
  const conf = `
worker_processes ${o.workers ?? 'auto'};
pid ${dir}/nginx.pid;
error_log stderr warn;
events { worker_connections 4096; multi_accept on; }
http {
  access_log off;
  client_body_temp_path ${dir}/client_body;
  proxy_temp_path ${dir}/proxy;
  fastcgi_temp_path ${dir}/fastcgi;
  uwsgi_temp_path ${dir}/uwsgi;
  scgi_temp_path ${dir}/scgi;
  ${o.http}
}
`;
  await writeFile(path.join(dir, 'nginx.conf'), conf);
  let log = '';
  const proc = spawn('nginx', ['-p', dir, '-c', path.join(dir, 'nginx.conf'), '-e', 'stderr', '-g', 'daemon off;'], { stdio: ['ignore', 'pipe', 'pipe'] });
  proc.stdout!.on('data', (d) => (log += d));
  proc.stderr!.on('data', (d) => (log += d));
  let exited = false;
  const exit = new Promise<void>((resolve) => proc.once('exit', () => ((exited = true), resolve())));
  const stop = async () => {
    if (!exited) {
      proc.kill('SIGQUIT');
      const kill = setTimeout(() => proc.kill('SIGKILL'), 3000);
      await exit;
      clearTimeout(kill);
    }
    await rm(dir, { recursive: true, force: true });
  };
  const deadline = Date.now() + (o.startTimeoutMs ?? 10_000);
  for (const at of o.waitFor) {
    while (!(await accepts(at.host, at.port))) {
      if (exited || Date.now() > deadline) {
        await stop();
        throw new Error(`nginx did not listen on ${at.host}:${at.port}:\n${log}`);
      }
      await new Promise((r) => setTimeout(r, 50));
    }
  }
  return { dir, proc, logs: () => log, stop };
}

function accepts(host: string, port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const s = net.connect({ host, port });
    s.once('connect', () => {
      s.destroy();
      resolve(true);
    });
    s.once('error', () => resolve(false));
  });
}
