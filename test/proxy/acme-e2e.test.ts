// ACME end to end through the real CLI: `globaldns serve` (standalone, default workers) with a
// `proxy.acme` pointing at a real pebble, two names with `proxy.tls.acme: true` whose clusters
// (folders) send them to upstream servers on 127.0.0.2 and 127.0.0.3. Pebble validates HTTP-01
// through the proxy's HTTP listener (its httpPort is that listener's port). Certificates are
// verified with curl against pebble's root and inspected with openssl s_client; pebble issues
// 30-second certificates, so the renewal rule (a third of the lifetime left) renews each one
// about 20 s after issuance, on the every-second schedule, while a client loop runs.
import test from 'ava';
import { execFile } from 'node:child_process';
import https from 'node:https';
import { availableParallelism } from 'node:os';
import type tls from 'node:tls';
import { promisify } from 'node:util';
import { ingressYaml, startGlobaldns, type Globaldns } from '../support/globaldns.js';
import { startPebble, type Pebble } from '../support/pebble.js';
import { freePort } from '../support/ports.js';
import { curl, sleep, upstream, type Upstream } from './world.js';

const run = promisify(execFile);
const A = 'a.example.test';
const B = 'b.example.test';
const LIFETIME_S = 30;

interface Rig {
  gd: Globaldns;
  pebble: Pebble;
  east: Upstream;
  west: Upstream;
  httpPort: number;
  httpsPort: number;
  rootPem: string;
  rootFile: string;
}

let rig: Rig | undefined;

test.before(async () => {
  const upstreamPort = await freePort({ ipv6: false });
  const east = upstream('east', '127.0.0.2', upstreamPort);
  const west = upstream('west', '127.0.0.3', upstreamPort);
  await east.start();
  await west.start();
  const httpPort = await freePort({ ipv6: false });
  const httpsPort = await freePort({ ipv6: false });
  const pebble = await startPebble({ httpPort, names: { [A]: '127.0.0.1', [B]: '127.0.0.1' }, certificateValiditySeconds: LIFETIME_S });
  const rootPem = await pebble.rootPem();
  const config = {
    zones: [{ apex: 'example.test' }],
    clusters: [
      { name: 'east', manifests: 'clusters/east' },
      { name: 'west', manifests: 'clusters/west' },
    ],
    entries: [
      { fqdn: A, targets: [{ cluster: 'east' }], proxy: { upstreamPort, redirectHttps: true, tls: { acme: true } } },
      { fqdn: B, targets: [{ cluster: 'west' }], proxy: { upstreamPort, tls: { acme: true } } },
    ],
    logLevel: 'info',
    proxy: {
      http: `127.0.0.1:${httpPort}`,
      https: `127.0.0.1:${httpsPort}`,
      // workers: the default (one per core)
      acme: { directoryUrl: pebble.directoryUrl, caFile: 'pebble-server-ca.pem', schedule: '* * * * * *' },
    },
  };
  const gd = await startGlobaldns({
    configYaml: config,
    ipv6: false,
    files: {
      'pebble-server-ca.pem': pebble.serverCaPem,
      'pebble-root.pem': rootPem,
      'clusters/east/a.yaml': ingressYaml({ name: 'a', hostname: A, ips: ['127.0.0.2'] }),
      'clusters/west/b.yaml': ingressYaml({ name: 'b', hostname: B, ips: ['127.0.0.3'] }),
    },
  });
  rig = { gd, pebble, east, west, httpPort, httpsPort, rootPem, rootFile: `${gd.dir}/pebble-root.pem` };
});

test.after.always(async () => {
  await rig?.gd.cleanup();
  await rig?.pebble.stop();
  await rig?.east.stop();
  await rig?.west.stop();
});

function curlHttps(r: Rig, name: string, urlPath = '/', extra: string[] = []) {
  return curl(['--max-time', '10', '--resolve', `${name}:${r.httpsPort}:127.0.0.1`, '--cacert', r.rootFile, ...extra, `https://${name}:${r.httpsPort}${urlPath}`]);
}

/** stdin → a command's stdout. */
function pipe(cmd: string, args: string[], input: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const child = execFile(cmd, args, { timeout: 15_000, maxBuffer: 1 << 20 }, (err, stdout) => (err ? reject(err) : resolve(stdout)));
    // A command that exits first (no handshake) closes its stdin: not an error here.
    child.stdin!.on('error', () => {});
    child.stdin!.end(input);
  });
}

/** What `openssl s_client` is shown for SNI `name`: subject, SANs, serial, notAfter, and whether it verifies against pebble's root. */
async function servedCertificate(r: Rig, name: string): Promise<{ subject: string; san: string; serial: string; notAfter: number; verify: string }> {
  const session = await pipe('openssl', ['s_client', '-connect', `127.0.0.1:${r.httpsPort}`, '-servername', name, '-CAfile', r.rootFile], '');
  const facts = await pipe('openssl', ['x509', '-noout', '-subject', '-serial', '-enddate', '-ext', 'subjectAltName'], session);
  return {
    subject: /subject=(.*)/.exec(facts)?.[1]?.trim() ?? '',
    serial: /serial=([0-9A-F]+)/i.exec(facts)?.[1]?.toUpperCase() ?? '',
    san: /DNS:[^\n]*/.exec(facts)?.[0]?.trim() ?? '',
    notAfter: new Date(/notAfter=(.*)/.exec(facts)?.[1] ?? '').getTime(),
    verify: /Verify return code: (\d+ \([^)]*\))/.exec(session)?.[1] ?? '',
  };
}

test.serial("both names get certificates from pebble through the proxy; curl --cacert verifies them and reaches each upstream; SNI picks each name's certificate", async (t) => {
  const r = rig!;
  // Issuance: pebble fetches the HTTP-01 answer from the proxy's HTTP listener (a worker asks the primary).
  const deadline = Date.now() + 60_000;
  let last = { a: '', b: '' };
  for (;;) {
    const [a, b] = await Promise.all([curlHttps(r, A), curlHttps(r, B)]);
    last = { a: `${a.code} ${a.status} ${a.body} ${a.stderr}`, b: `${b.code} ${b.status} ${b.body} ${b.stderr}` };
    if (a.status === 200 && b.status === 200) break;
    if (Date.now() > deadline) t.fail(`no certificates within 60 s: ${JSON.stringify(last)}\n${r.gd.logs().slice(-4000)}\n${r.pebble.logs().slice(-2000)}`);
    if (Date.now() > deadline) return;
    await sleep(300);
  }
  const a = await curlHttps(r, A);
  const b = await curlHttps(r, B);
  t.is(a.code, 0, a.stderr);
  t.is(a.body, 'east');
  t.is(b.code, 0, b.stderr);
  t.is(b.body, 'west');
  t.is(r.east.lastHeaders['x-forwarded-proto'], 'https');

  const certA = await servedCertificate(r, A);
  const certB = await servedCertificate(r, B);
  t.log(`${A}: ${certA.san} serial ${certA.serial}; ${B}: ${certB.san} serial ${certB.serial}`);
  t.is(certA.san, `DNS:${A}`);
  t.is(certB.san, `DNS:${B}`);
  t.not(certA.serial, certB.serial);
  t.is(certA.verify, '0 (ok)', "openssl verifies the chain against pebble's root");
  t.is(certB.verify, '0 (ok)');

  // curl -v names the certificate it got for each name.
  const verbose = await curlHttps(r, B, '/', ['-v']);
  t.regex(verbose.stderr, new RegExp(`subjectAltName: host "${B.replace(/\./g, '\\.')}" matched cert's "${B.replace(/\./g, '\\.')}"`));
  // An HTTP/2 client gets the same.
  const h2 = await curlHttps(r, A, '/', ['--http2', '-o', '/dev/null', '-w', '%{http_version}']);
  t.regex(h2.body + h2.status, /^2/);

  // Stored in the state directory (standalone).
  const { stdout } = await run('ls', [`${r.gd.stateDir}/certs`]);
  t.deepEqual(stdout.trim().split('\n').sort(), [`${A}.key`, `${A}.pem`, `${B}.key`, `${B}.pem`]);
  t.false(r.gd.logs().includes('PRIVATE KEY'), 'no key in the logs');
});

test.serial('the redirect entry answers plain HTTP with 308 to https, except ACME challenge paths; the other entry is served on HTTP', async (t) => {
  const r = rig!;
  const plain = (name: string, urlPath: string, extra: string[] = []) => curl(['--max-time', '10', '--resolve', `${name}:${r.httpPort}:127.0.0.1`, ...extra, `http://${name}:${r.httpPort}${urlPath}`]);
  const redirected = await plain(A, '/shop?x=1', ['-D', '-']);
  t.is(redirected.status, 308);
  t.regex(redirected.body, new RegExp(`location: https://${A.replace(/\./g, '\\.')}:${r.httpsPort}/shop\\?x=1`, 'i'));
  // Followed, it lands on HTTPS with pebble's certificate.
  const followed = await curl(['--max-time', '10', '-L', '--resolve', `${A}:${r.httpPort}:127.0.0.1`, '--resolve', `${A}:${r.httpsPort}:127.0.0.1`, '--cacert', r.rootFile, `http://${A}:${r.httpPort}/`]);
  t.is(followed.status, 200, followed.stderr);
  t.is(followed.body, 'east');
  // A challenge path is never redirected: one that is not ours goes to the cluster as it is.
  const hitsBefore = r.east.requests.length;
  const challenge = await plain(A, '/.well-known/acme-challenge/not-a-token');
  t.is(challenge.status, 200);
  t.is(challenge.body, 'east');
  t.is(r.east.requests.slice(hitsBefore).at(-1), 'GET /.well-known/acme-challenge/not-a-token');
  const other = await plain(B, '/');
  t.is(other.status, 200);
  t.is(other.body, 'west');
});

interface LoadStats {
  ok: number;
  failed: number;
  errors: string[];
  serials: Map<string, Set<string>>;
}

/** One client: requests alternating between the names until `stop()`, at most `max` of them. */
async function client(r: Rig, agent: https.Agent | false, stats: LoadStats, stopped: () => boolean, max: number): Promise<void> {
  for (let i = 0; i < max && !stopped(); i++) {
    const name = i % 2 === 0 ? A : B;
    try {
      const { status, body, serial } = await new Promise<{ status: number; body: string; serial: string }>((resolve, reject) => {
        const req = https.request(
          { host: '127.0.0.1', port: r.httpsPort, servername: name, path: '/', ca: r.rootPem, headers: { host: name }, agent, timeout: 10_000 },
          (res) => {
            const serial = (res.socket as tls.TLSSocket).getPeerCertificate().serialNumber?.toUpperCase() ?? '';
            let body = '';
            res.setEncoding('utf8');
            res.on('data', (d: string) => (body += d));
            res.on('end', () => resolve({ status: res.statusCode ?? 0, body, serial }));
            res.on('error', reject);
          },
        );
        req.on('timeout', () => req.destroy(new Error('timeout')));
        req.on('error', reject);
        req.end();
      });
      const want = name === A ? 'east' : 'west';
      if (status !== 200 || body !== want) throw new Error(`${name}: ${status} ${body.slice(0, 100)}`);
      stats.ok++;
      const seen = stats.serials.get(name) ?? new Set<string>();
      seen.add(serial);
      stats.serials.set(name, seen);
    } catch (err) {
      stats.failed++;
      if (stats.errors.length < 10) stats.errors.push(`${name}: ${(err as Error).message}`);
    }
  }
}

test.serial('renewal under load: new serials for both names on new connections, no failed request (default workers)', async (t) => {
  const r = rig!;
  const workers = Number(/"workers":(\d+)/.exec(r.gd.logs())?.[1]);
  t.is(workers, Math.max(1, availableParallelism()), 'the default: one worker per core');
  const before = { a: await servedCertificate(r, A), b: await servedCertificate(r, B) };
  t.truthy(before.a.serial && before.b.serial);
  // When the renewal rule makes each due: a third of the lifetime before notAfter.
  const dueA = before.a.notAfter - (LIFETIME_S * 1000) / 3;
  const dueB = before.b.notAfter - (LIFETIME_S * 1000) / 3;
  const firstDue = Math.min(dueA, dueB);
  // Start the load about 3 s before the first renewal is due (and not before now).
  await sleep(Math.max(0, firstDue - 3000 - Date.now()));

  const stats: LoadStats = { ok: 0, failed: 0, errors: [], serials: new Map() };
  let stop = false;
  const keepAlive = new https.Agent({ keepAlive: true, maxSockets: 1 });
  const started = Date.now();
  const clients = [
    client(r, false, stats, () => stop, 20_000),
    client(r, false, stats, () => stop, 20_000),
    client(r, keepAlive, stats, () => stop, 20_000),
    client(r, keepAlive, stats, () => stop, 20_000),
  ];
  // Until both names were seen with a new serial on fresh connections, then 1.5 s more; at most 40 s.
  const renewed = () => [A, B].every((n) => (stats.serials.get(n)?.size ?? 0) >= 2);
  const deadline = Date.now() + 40_000;
  while (!renewed() && Date.now() < deadline) await sleep(100);
  await sleep(1500);
  stop = true;
  await Promise.all(clients);
  keepAlive.destroy();
  const seconds = ((Date.now() - started) / 1000).toFixed(1);
  t.log(`load ${seconds} s: ${stats.ok} ok, ${stats.failed} failed; serials ${A}: ${[...(stats.serials.get(A) ?? [])].join(', ')}; ${B}: ${[...(stats.serials.get(B) ?? [])].join(', ')}`);

  t.true(renewed(), `new serials seen on new connections (${r.gd.logs().split('\n').filter((l) => l.includes('tls:')).slice(-6).join('\n')})`);
  t.deepEqual(stats.errors, []);
  t.is(stats.failed, 0);
  t.true(stats.ok > 100, `requests answered: ${stats.ok}`);
  const after = { a: await servedCertificate(r, A), b: await servedCertificate(r, B) };
  t.not(after.a.serial, before.a.serial);
  t.not(after.b.serial, before.b.serial);
  t.is(after.a.san, `DNS:${A}`);
  t.is(after.b.san, `DNS:${B}`);
  t.true((await curlHttps(r, A)).body === 'east' && (await curlHttps(r, B)).body === 'west', 'curl --cacert still verifies after the renewal');
});
