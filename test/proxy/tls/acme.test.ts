// ACME against a real pebble: certificates for two names served through the CertificateStore
// and verified by curl against pebble's root, storage in the state directory, renewal on the
// schedule under load, and a failed challenge that keeps the old certificate.
import test from 'ava';
import { systemClock, type Logger } from '../../../src/kernel/index.js';
import { mkdtemp, readFile, rm, stat, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { CertificateStore, TlsManager, readCertificate, type TlsManagerOptions } from '../../../src/proxy/tls/index.js';
import { startPebble, type Pebble } from '../../support/pebble.js';
import { freePort } from '../../support/ports.js';
import { startChallengeServer, startHttpsServer, type TestServer } from './servers.js';
import { curlHttps, loopRequests, newLoadResult, servedSerial, waitFor } from './clients.js';

const A = 'a.globaldns.test';
const B = 'b.globaldns.test';
const C = 'c.globaldns.test';

interface Rig {
  pebble: Pebble;
  stateDir: string;
  rootFile: string;
  rootPem: string;
  challenge: TestServer;
  logs: string[];
  manager(opts?: Partial<TlsManagerOptions>): { manager: TlsManager; store: CertificateStore; https: Promise<TestServer> };
}

function captureLogger(lines: string[]): Logger {
  const put = (level: string) => (obj: object, msg?: string) => lines.push(JSON.stringify({ level, msg, ...obj }));
  return { debug: put('debug'), info: put('info'), warn: put('warn'), error: put('error') };
}

async function rig(t: import('ava').ExecutionContext): Promise<Rig> {
  const httpPort = await freePort({ ipv6: false });
  const pebble = await startPebble({ httpPort, names: { [A]: '127.0.0.1', [B]: '127.0.0.1', [C]: '127.0.0.1' } });
  const stateDir = await mkdtemp(path.join(os.tmpdir(), 'tls-acme-state-'));
  const rootPem = await pebble.rootPem();
  const rootFile = path.join(stateDir, 'pebble-root.pem');
  await writeFile(rootFile, rootPem);
  const logs: string[] = [];
  const cleanups: (() => Promise<unknown>)[] = [];
  // Every manager's challenges are answered by the one port pebble calls: the latest manager's.
  let current: TlsManager | undefined;
  const challenge = await startChallengeServer({ respond: (h, p) => current?.challenges.respond(h, p) }, httpPort);
  t.teardown(async () => {
    for (const c of cleanups.reverse()) await c();
    await challenge.close();
    await pebble.stop();
    await rm(stateDir, { recursive: true, force: true });
  });
  return {
    pebble,
    stateDir,
    rootFile,
    rootPem,
    challenge,
    logs,
    manager(opts = {}) {
      const store = new CertificateStore();
      const manager = new TlsManager({
        stateDir,
        store,
        logger: captureLogger(logs),
        acme: { directoryUrl: pebble.directoryUrl, caBundlePem: pebble.serverCaPem, ...opts.acme },
        ...opts,
      });
      current = manager;
      const https = startHttpsServer(store);
      cleanups.push(async () => {
        await manager.stop();
        await (await https).close();
      });
      return { manager, store, https };
    },
  };
}

test.serial('two names get certificates from pebble, served by SNI and verified with curl --cacert; kept in the state dir and loaded again at start', async (t) => {
  const r = await rig(t);
  const { manager, store, https } = r.manager();
  manager.want([{ host: A, tls: { acme: true } }, { host: B, tls: { acme: true } }]);
  await manager.start();
  await manager.idle();
  t.deepEqual(manager.status().map((s) => s.lastError), [undefined, undefined], r.logs.join('\n'));
  const server = await https;

  t.is(await curlHttps(A, server.port, r.rootFile), `${A}:${server.port} ok\n`);
  t.is(await curlHttps(B, server.port, r.rootFile), `${B}:${server.port} ok\n`);
  t.deepEqual(store.lookup(A)?.names, [A], 'one certificate per name');
  t.deepEqual(store.lookup(B)?.names, [B]);

  for (const file of [`certs/${A}.pem`, `certs/${A}.key`, `certs/${B}.pem`, `certs/${B}.key`, 'acme/account.key']) {
    t.is((await stat(path.join(r.stateDir, file))).mode & 0o777, 0o600, file);
  }
  t.is(await readFile(path.join(r.stateDir, 'certs', `${A}.pem`), 'utf8'), store.lookup(A)!.certPem);
  t.false(r.logs.some((l) => l.includes('PRIVATE KEY')), 'no key in the logs');

  // a restart serves the stored certificates without a new order
  const serialA = await servedSerial(A, server.port);
  await manager.stop();
  const again = r.manager();
  again.manager.want([{ host: A, tls: { acme: true } }, { host: B, tls: { acme: true } }]);
  const issuedBefore = r.logs.length;
  await again.manager.start();
  t.true(again.store.has(A) && again.store.has(B), 'loaded at start');
  await again.manager.idle();
  const server2 = await again.https;
  t.is(await servedSerial(A, server2.port), serialA);
  t.is(r.logs.slice(issuedBefore).filter((l) => l.includes('certificate loaded')).length, 2, 'two loads from storage, no issuance');
});

test.serial('renewal on the schedule replaces the certificate (new serial) with no failed request under load', async (t) => {
  const r = await rig(t);
  let offsetMs = 0;
  const { manager, store, https } = r.manager({
    clock: { ...systemClock, now: () => Date.now() + offsetMs },
    acme: { directoryUrl: r.pebble.directoryUrl, caBundlePem: r.pebble.serverCaPem, schedule: '* * * * * *', renewBeforeDays: 30 },
  });
  manager.want([{ host: A, tls: { acme: true } }]);
  await manager.start();
  await manager.idle();
  const server = await https;
  const first = readCertificate(store.lookup(A)!.certPem);
  t.is(await servedSerial(A, server.port), first.serial);

  let stop!: () => void;
  const until = new Promise<void>((res) => (stop = res));
  const progress = newLoadResult();
  const load = loopRequests({ name: A, port: server.port, caPem: r.rootPem, maxRequests: 3000, until, maxMs: 60_000, progress });
  await waitFor(() => progress.ok + progress.failed >= 10, 20_000, 'requests before renewal');
  // the clock moves to 10 days before expiry: the next scheduled check (every second) renews
  offsetMs = first.notAfter.getTime() - 10 * 86_400_000 - Date.now();
  await waitFor(() => readCertificate(store.lookup(A)!.certPem).serial !== first.serial, 30_000, 'the renewed certificate');
  const seenAt = progress.ok + progress.failed;
  await waitFor(() => progress.ok + progress.failed >= seenAt + 10, 20_000, 'requests after renewal');
  stop();
  const res = await load;

  const second = readCertificate(store.lookup(A)!.certPem);
  t.not(second.serial, first.serial);
  t.deepEqual(res.errors, []);
  t.is(res.failed, 0);
  t.true(res.serials.has(first.serial) && res.serials.has(second.serial), `clients saw ${[...res.serials].join(', ')}`);
  t.is(await servedSerial(A, server.port), second.serial);
  t.is(readCertificate(await readFile(path.join(r.stateDir, 'certs', `${A}.pem`), 'utf8')).serial, second.serial, 'stored');
});

test.serial('a challenge that fails (name no longer resolves) gives a clear error and keeps the old certificate', async (t) => {
  const r = await rig(t);
  const { manager, store, https } = r.manager();
  manager.want([{ host: C, tls: { acme: true } }]);
  await manager.start();
  await manager.idle();
  const server = await https;
  const before = readCertificate(store.lookup(C)!.certPem).serial;

  r.pebble.dns.set(C, undefined);
  const [result] = await manager.renew([C]);
  t.log(result.error);
  t.false(result.renewed);
  t.regex(result.error ?? '', new RegExp(`^acme https://127\\.0\\.0\\.1:\\d+/dir: certificate for ${C.replace(/\./g, '\\.')}: `));
  t.regex(result.error ?? '', /NXDOMAIN|no valid A|DNS|resolv/i, result.error);
  t.is(manager.status()[0].lastError, result.error);
  t.true(r.logs.some((l) => l.includes('certificate not updated') && l.includes(C)));

  t.is(await servedSerial(C, server.port), before, 'the old certificate is still served');
  t.is(await curlHttps(C, server.port, r.rootFile), `${C}:${server.port} ok\n`);
});
