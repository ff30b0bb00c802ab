// Launches Debian's nginx in the foreground with a config of ours, in a temp prefix dir
// (`nginx -p <dir> -c nginx.conf -e stderr -g 'daemon off;'`), and waits until it accepts
// connections on the ports it was given. Used by bench/proxy.ts as the reference proxy and as
// the upstream both proxies forward to.
import type { ChildProcess } from 'node:child_process';
import { mkdtemp, writeFile } from 'node:fs/promises';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { startDaemon } from './daemon.js';

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
  const nginx = await startDaemon({
    name: 'nginx',
    command: 'nginx',
    args: ['-p', dir, '-c', path.join(dir, 'nginx.conf'), '-e', 'stderr', '-g', 'daemon off;'],
    dir,
    ready: async () => {
      for (const at of o.waitFor) if (!(await accepts(at.host, at.port))) return false;
      return true;
    },
    readyWhat: `connections accepted on ${o.waitFor.map((at) => `${at.host}:${at.port}`).join(', ')}`,
    startTimeoutMs: o.startTimeoutMs ?? 10_000,
    // SIGQUIT: graceful shutdown (SIGTERM is nginx's fast one).
    stopSignal: 'SIGQUIT',
  });
  return { dir, proc: nginx.proc, logs: nginx.logs, stop: nginx.stop };
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
