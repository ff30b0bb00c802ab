// The demo as a user runs it (`npm start`, README's first lines): the launcher tsc built
// (dist/examples/demo.js), examples/globaldns.yaml as it is, the two local upstreams on 127.0.0.11
// and 127.0.0.12. Its proxy ports (8080, 8443) and the upstreams' port (8081) are the demo's own,
// fixed ones; DNS, admin and state go elsewhere through the flags `npm start --` passes on. One
// cluster is taken down the README's way: the name leaves the DNS answer within the health
// check's bound and curl through the proxy reaches the other cluster; recovered, it comes back;
// Ctrl-C stops globaldns and the upstreams.
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import test from 'ava';
import YAML from 'yaml';
import { parseDuration } from '../../src/config/durations.js';
import { dig } from '../support/dig.js';
import { repoRoot } from '../support/globaldns.js';
import { freePort } from '../support/ports.js';
import { waitFor } from '../support/wait.js';
import { curl } from '../proxy/world.js';

const NAME = 'shop.example.test';
const EAST = '127.0.0.11';
const WEST = '127.0.0.12';
const UPSTREAM_PORT = 8081;
const launcher = path.join(repoRoot, 'dist', 'examples', 'demo.js');

/** The demo entry's health check, read from the config the demo runs. */
function demoCheck(): { intervalMs: number; timeoutMs: number; failureThreshold: number; successThreshold: number } {
  const config = YAML.parse(readFileSync(path.join(repoRoot, 'examples', 'globaldns.yaml'), 'utf8')) as { entries: { fqdn: string; healthCheck: Record<string, string | number> }[] };
  const h = config.entries.find((e) => e.fqdn === NAME)!.healthCheck;
  return { intervalMs: parseDuration(String(h.interval)), timeoutMs: parseDuration(String(h.timeout)), failureThreshold: Number(h.failureThreshold), successThreshold: Number(h.successThreshold) };
}

/** The sorted A records of the name, as dig shows them. */
async function answer(port: number): Promise<string> {
  const r = await dig({ port, name: NAME, type: 'A' });
  return r.answer.filter((rr) => rr.type === 'A').map((rr) => rr.data).sort().join(' ');
}

/** The health the service last logged for the address ("endpoint judged", "endpoint down", ...). */
function loggedHealth(address: string): string | undefined {
  let health: string | undefined;
  for (const line of log.split('\n')) {
    if (!line.includes('"module":"health"')) continue;
    const l = JSON.parse(line) as { address?: string; to?: string };
    if (l.address === address && l.to) health = l.to;
  }
  return health;
}

function portTaken(host: string, port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const s = net.createServer();
    s.once('error', () => resolve(true));
    s.listen({ host, port, exclusive: true }, () => s.close(() => resolve(false)));
  });
}

let demo: ChildProcess | undefined;
let log = '';
let exited: Promise<number | null> | undefined;
let dnsPort = 0;
const stateDir = mkdtempSync(path.join(os.tmpdir(), 'gdns-demo-'));

test.before(async () => {
  if (!existsSync(launcher)) throw new Error(`${launcher} missing: run \`npm run build\` (npm test does it in pretest)`);
  const taken = [];
  for (const [host, port] of [['::', 8080], ['::', 8443], [EAST, UPSTREAM_PORT], [WEST, UPSTREAM_PORT]] as const) if (await portTaken(host, port)) taken.push(`${host}:${port}`);
  if (taken.length > 0) throw new Error(`the demo's fixed ports are in use (${taken.join(', ')}): is \`npm start\` running?`);
  dnsPort = await freePort({ ipv6: false });
  const adminPort = await freePort({ ipv6: false });
  demo = spawn(process.execPath, [launcher, '--dns-listen', `127.0.0.1:${dnsPort}`, '--admin-listen', `127.0.0.1:${adminPort}`, '--state-dir', stateDir], { cwd: repoRoot, stdio: ['ignore', 'pipe', 'pipe'] });
  demo.stdout!.on('data', (d) => (log += d));
  demo.stderr!.on('data', (d) => (log += d));
  const proc = demo;
  exited = new Promise((resolve) => proc.once('exit', (code) => resolve(code)));
});

test.after.always(async () => {
  if (demo && demo.exitCode === null && demo.signalCode === null) {
    demo.kill('SIGTERM');
    const t = setTimeout(() => demo?.kill('SIGKILL'), 5000);
    await exited;
    clearTimeout(t);
  }
  rmSync(stateDir, { recursive: true, force: true });
});

test.serial('npm start runs this launcher, built first', (t) => {
  const pkg = JSON.parse(readFileSync(path.join(repoRoot, 'package.json'), 'utf8')) as { scripts: Record<string, string> };
  t.is(pkg.scripts.start, 'node dist/examples/demo.js');
  t.is(pkg.scripts.prestart, 'tsc -p .');
});

test.serial('both clusters judged healthy: the name answers both, and curl through the proxy reaches both', async (t) => {
  await waitFor(() => (loggedHealth(EAST) === 'healthy' && loggedHealth(WEST) === 'healthy' ? true : undefined), 20_000, () => `both upstreams judged healthy\n${log}`);
  await waitFor(async () => ((await answer(dnsPort)) === `${EAST} ${WEST}` ? true : undefined), 2000, 'both addresses answered', { intervalMs: 100 });
  const seen = new Set<string>();
  for (let i = 0; i < 20 && seen.size < 2; i++) {
    const r = await curl(['-H', `Host: ${NAME}`, 'http://127.0.0.1:8080/']);
    t.is(r.status, 200, `${r.body}${r.stderr}`);
    seen.add(r.body.trim());
  }
  t.deepEqual([...seen].sort(), ['hello from east', 'hello from west']);
});

test.serial('east taken down: it leaves the answer within failureThreshold × interval + timeout, the proxy serves west; recovered, it comes back', async (t) => {
  const check = demoCheck();
  const slack = 2000;
  const fail = await curl(['-X', 'POST', `http://${EAST}:${UPSTREAM_PORT}/fail`]);
  t.is(fail.status, 200, fail.stderr);
  const t0 = Date.now();
  const downBound = check.failureThreshold * check.intervalMs + check.timeoutMs + slack;
  await waitFor(async () => ((await answer(dnsPort)) === WEST ? true : undefined), downBound, () => `only ${WEST} answered\n${log}`, { intervalMs: 100 });
  t.log(`east left the answer after ${Date.now() - t0} ms (bound ${downBound} ms)`);
  t.is(loggedHealth(EAST), 'unhealthy');
  // The proxy's workers hear of the verdict over IPC: a moment after the DNS answer at most.
  await waitFor(async () => ((await curl(['-H', `Host: ${NAME}`, 'http://127.0.0.1:8080/'])).body.trim() === 'hello from west' ? true : undefined), 1000, 'the proxy sends to west');
  for (let i = 0; i < 10; i++) {
    const r = await curl(['-H', `Host: ${NAME}`, 'http://127.0.0.1:8080/']);
    t.is(r.status, 200, `${r.body}${r.stderr}`);
    t.is(r.body.trim(), 'hello from west');
  }
  t.is(await answer(dnsPort), WEST, 'east stays out while it fails');

  const recover = await curl(['-X', 'POST', `http://${EAST}:${UPSTREAM_PORT}/recover`]);
  t.is(recover.status, 200, recover.stderr);
  const t1 = Date.now();
  // successThreshold good probes, and (src/health/verdict.ts) not before about failureThreshold
  // intervals after it went down, so that it changes at most once per failureThreshold × interval.
  const upBound = Math.max(check.successThreshold, check.failureThreshold) * check.intervalMs + check.timeoutMs + slack;
  await waitFor(async () => ((await answer(dnsPort)) === `${EAST} ${WEST}` ? true : undefined), upBound, () => `both answered again\n${log}`, { intervalMs: 100 });
  t.log(`east came back after ${Date.now() - t1} ms (bound ${upBound} ms)`);
  t.is(loggedHealth(EAST), 'healthy');
});

test.serial('Ctrl-C stops globaldns and the upstreams', async (t) => {
  demo!.kill('SIGINT');
  const code = await Promise.race([exited!, new Promise<string>((r) => setTimeout(() => r('still running after 15 s'), 15_000))]);
  t.is(code, 0, log);
  t.regex(log, /"msg":"stopped"/);
  for (const host of [EAST, WEST]) t.false(await portTaken(host, UPSTREAM_PORT), `${host}:${UPSTREAM_PORT} released`);
  t.false(await portTaken('::', 8080), 'the proxy port released');
});
