// `npm start`: the demo. Starts the two local upstreams that stand for the clusters' ingresses
// (examples/upstreams.ts, on 127.0.0.11 and 127.0.0.12), then `globaldns serve --config
// examples/globaldns.yaml` with the arguments given after `npm start --`. Ctrl-C (or SIGTERM)
// stops globaldns, then the upstreams; when globaldns exits by itself, the upstreams stop too
// and the demo exits with its code. Nothing here reaches beyond 127.0.0.0/8.
import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { startUpstreams } from './upstreams.js';

// Run as dist/examples/demo.js (tsc's output): the repository is two folders up.
const root = fileURLToPath(new URL('../../', import.meta.url));
const cli = fileURLToPath(new URL('../src/cli.js', import.meta.url));

const upstreams = await startUpstreams().catch((e: Error) => {
  console.error(`demo: ${e.message}`);
  process.exit(1);
});
for (const [cluster, url] of Object.entries(upstreams.urls)) console.log(`demo: upstream ${cluster} on ${url}  (stop it: curl -X POST ${url}/fail)`);

// Its own process group: a Ctrl-C in the terminal reaches this process only, and globaldns gets
// exactly one signal from here (a second one would make it exit without draining).
const child = spawn(process.execPath, [cli, 'serve', '--config', 'examples/globaldns.yaml', ...process.argv.slice(2)], { cwd: root, stdio: ['ignore', 'inherit', 'inherit'], detached: true });
// Should this process end some other way, globaldns does not stay behind holding the ports.
process.on('exit', () => {
  if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
});

for (const signal of ['SIGINT', 'SIGTERM'] as const) process.on(signal, () => child.kill(signal));

child.once('exit', (code, signal) => {
  void upstreams.close().then(() => process.exit(code ?? (signal ? 1 : 0)));
});
