// ACME TLS-ALPN-01 (RFC 8737) end to end through the real CLI: `globaldns serve` (standalone,
// default workers, so the challenge certificate crosses IPC from the primary) with
// `proxy.acme.challenge: tls-alpn-01` and no HTTP listener at all (port 80 closed). Pebble's
// TLS-ALPN-01 port is the proxy's HTTPS port and its HTTP-01 port one nobody listens on, so
// only TLS-ALPN-01 can validate. While the certificate is ordered, ordinary HTTPS (HTTP/1.1
// and HTTP/2) to another name with a file certificate keeps working on the same listener; after
// it, curl verifies the new certificate against pebble's root. Garbage and a stalled
// ClientHello on the HTTPS port are closed without harm.
import test from 'ava';
import net from 'node:net';
import { availableParallelism } from 'node:os';
import tls from 'node:tls';
import { ingressYaml, startGlobaldns, type Globaldns } from '../support/globaldns.js';
import { startPebble, type Pebble } from '../support/pebble.js';
import { freePort } from '../support/ports.js';
import { seededRandom } from '../support/random.js';
import { curl, selfSigned, sleep, upstream, type CurlResult, type Upstream } from './world.js';

const A = 'alpn.example.test';
const FILES = 'files.example.test';
const CLIENT_HEADERS_S = 2;

interface Rig {
  gd: Globaldns;
  /** pebble's HTTP-01 port: counts connections, answers none */
  http01: net.Server;
  seen: { http01Connections: number };
  pebble: Pebble;
  east: Upstream;
  httpsPort: number;
  rootFile: string;
  selfSignedFile: string;
  /** ordinary HTTPS to the file-certificate name while pebble validated A */
  during: { ok: number; failed: string[]; h2: number; h1: number };
  issuedAfterMs: number;
}

let rig: Rig | undefined;

function curlHttps(httpsPort: number, name: string, cacert: string, extra: string[] = []): Promise<CurlResult> {
  return curl(['--max-time', '10', '--resolve', `${name}:${httpsPort}:127.0.0.1`, '--cacert', cacert, ...extra, `https://${name}:${httpsPort}/`]);
}

/** The body followed by " <HTTP version>" (curl's `-w`; the status stays on the last line). */
const WITH_VERSION = ['-w', ' %{http_version}\n%{http_code}'];

test.before(async () => {
  const seen = { http01Connections: 0 };
  const upstreamPort = await freePort({ ipv6: false });
  const east = upstream('east', '127.0.0.2', upstreamPort);
  await east.start();
  const httpsPort = await freePort({ ipv6: false });
  // Pebble's HTTP-01 port: a plain TCP server that only counts connections (HTTP-01 never answered).
  const http01 = net.createServer((s) => {
    seen.http01Connections++;
    s.destroy();
  });
  await new Promise<void>((resolve) => http01.listen(0, '127.0.0.1', resolve));
  const pebble = await startPebble({ httpPort: (http01.address() as net.AddressInfo).port, tlsPort: httpsPort, names: { [A]: '127.0.0.1' } });
  const rootPem = await pebble.rootPem();
  const files = selfSigned([FILES]);
  const config = {
    zones: [{ apex: 'example.test' }],
    clusters: [{ name: 'east', manifests: 'clusters/east' }],
    entries: [
      { fqdn: A, targets: [{ cluster: 'east' }], proxy: { upstreamPort, tls: { acme: true } } },
      { fqdn: FILES, targets: [{ cluster: 'east' }], proxy: { upstreamPort, tls: { certFile: 'files.pem', keyFile: 'files.key' } } },
    ],
    logLevel: 'info',
    proxy: {
      http: false,
      https: `127.0.0.1:${httpsPort}`,
      // workers: the default (one per core)
      timeouts: { clientHeaders: CLIENT_HEADERS_S },
      acme: { directoryUrl: pebble.directoryUrl, caFile: 'pebble-server-ca.pem', challenge: 'tls-alpn-01' },
    },
  };
  const gd = await startGlobaldns({
    configYaml: config,
    ipv6: false,
    files: {
      'pebble-server-ca.pem': pebble.serverCaPem,
      'pebble-root.pem': rootPem,
      'files.pem': files.certPem,
      'files.key': files.keyPem,
      'clusters/east/a.yaml': ingressYaml({ name: 'a', hostname: A, ips: ['127.0.0.2'] }),
      'clusters/east/files.yaml': ingressYaml({ name: 'files', hostname: FILES, ips: ['127.0.0.2'] }),
    },
  });
  const r: Rig = {
    seen,
    http01,
    gd,
    pebble,
    east,
    httpsPort,
    rootFile: `${gd.dir}/pebble-root.pem`,
    selfSignedFile: `${gd.dir}/files.pem`,
    during: { ok: 0, failed: [], h2: 0, h1: 0 },
    issuedAfterMs: -1,
  };
  rig = r;

  // From the start until A is served with pebble's certificate: ordinary HTTPS on the same
  // port, alternating HTTP/1.1 and HTTP/2 (new connections each, so each one is peeked).
  // Failures count from the first answer on (before it the workers may not listen yet).
  const started = Date.now();
  const deadline = started + 90_000;
  let issued = false;
  let last = '';
  const ordinary = (async () => {
    for (let i = 0; !issued && Date.now() < deadline && i < 2000; i++) {
      const h2 = i % 2 === 1;
      const res = await curlHttps(httpsPort, FILES, r.selfSignedFile, [h2 ? '--http2' : '--http1.1', ...WITH_VERSION]);
      // Before the routes are read the answer is 404; only a TLS or transport failure counts.
      if (res.code === 0 && (res.status === 200 || res.status === 404)) {
        r.during.ok++;
        if (res.status === 200 && res.body.endsWith(h2 ? ' 2' : ' 1.1')) r.during[h2 ? 'h2' : 'h1']++;
      } else if (r.during.ok > 0 && r.during.failed.length < 10) r.during.failed.push(`${h2 ? 'h2' : 'h1'}: ${res.code} ${res.status} ${res.stderr.trim()}`);
      await sleep(50);
    }
  })();
  while (Date.now() < deadline) {
    const res = await curlHttps(httpsPort, A, r.rootFile);
    last = `${res.code} ${res.status} ${res.body} ${res.stderr}`;
    if (res.status === 200) {
      issued = true;
      r.issuedAfterMs = Date.now() - started;
      break;
    }
    await sleep(300);
  }
  issued = true;
  await ordinary;
  if (r.issuedAfterMs < 0) r.during.failed.push(`no certificate for ${A} within 90 s: ${last}`);
});

test.after.always(async () => {
  await rig?.gd.cleanup();
  await rig?.pebble.stop();
  await rig?.east.stop();
  rig?.http01.close();
});

test.serial('pebble validates over TLS-ALPN-01 on the HTTPS port (HTTP-01 has nowhere to go); curl --cacert verifies the certificate and reaches the upstream', async (t) => {
  const r = rig!;
  t.true(r.issuedAfterMs >= 0, `${r.during.failed.join('\n')}\n${r.gd.logs().slice(-4000)}\n${r.pebble.logs().slice(-3000)}`);
  const workers = Number(/"workers":(\d+)/.exec(r.gd.logs())?.[1]);
  t.log(`certificate served ${(r.issuedAfterMs / 1000).toFixed(1)} s after start, ${workers} workers`);
  t.is(workers, Math.max(1, availableParallelism()), 'the default: one worker per core (the challenge certificate crossed IPC)');
  const res = await curlHttps(r.httpsPort, A, r.rootFile, ['-v']);
  t.is(res.code, 0, res.stderr);
  t.is(res.status, 200);
  t.is(res.body, 'east');
  t.regex(res.stderr, /subjectAltName: host "alpn\.example\.test" matched cert's "alpn\.example\.test"/);
  const h2 = await curlHttps(r.httpsPort, A, r.rootFile, ['--http2', ...WITH_VERSION]);
  t.is(h2.body, 'east 2', h2.stderr);
  // The proxy served the challenge certificate (pebble validates from several perspectives);
  // pebble never connected to the HTTP-01 port.
  t.regex(r.gd.logs(), /TLS-ALPN-01 challenge certificate for alpn\.example\.test served/);
  t.is(r.seen.http01Connections, 0);
  t.false(r.gd.logs().includes('PRIVATE KEY'), 'no key in the logs');
});

test.serial('ordinary HTTPS (HTTP/1.1 and HTTP/2) on the same listener kept working while the order ran', (t) => {
  const r = rig!;
  t.log(`during issuance: ${r.during.ok} ok (${r.during.h1} HTTP/1.1 and ${r.during.h2} HTTP/2 answered 200)`);
  t.deepEqual(r.during.failed, []);
  t.true(r.during.h1 >= 1 && r.during.h2 >= 1, JSON.stringify(r.during));
});

test.serial('after issuance: HTTP/1.1 and HTTP/2 to both names; a client offering acme-tls/1 for a name not being validated gets no challenge certificate', async (t) => {
  const r = rig!;
  for (const [name, ca] of [[A, r.rootFile], [FILES, r.selfSignedFile]] as const) {
    for (const v of ['--http1.1', '--http2']) {
      const res = await curlHttps(r.httpsPort, name, ca, [v, ...WITH_VERSION]);
      t.is(res.code, 0, `${name} ${v}: ${res.stderr}`);
      t.is(res.body, `east ${v === '--http2' ? '2' : '1.1'}`, `${name} ${v}`);
    }
  }
  // No challenge pending for A any more: the connection goes to the ordinary server, which
  // speaks h2 and http/1.1 only, so acme-tls/1 is never selected.
  const outcome = await new Promise<string>((resolve) => {
    const s = tls.connect({ host: '127.0.0.1', port: r.httpsPort, servername: A, ALPNProtocols: ['acme-tls/1'], rejectUnauthorized: false });
    const timer = setTimeout(() => {
      s.destroy();
      resolve('timeout');
    }, 10_000);
    s.once('secureConnect', () => {
      clearTimeout(timer);
      resolve(`handshake, alpn ${String(s.alpnProtocol)}`);
      s.destroy();
    });
    s.once('error', (e: Error) => {
      clearTimeout(timer);
      resolve(`refused: ${e.message}`);
    });
  });
  t.log(outcome);
  t.not(outcome, 'timeout');
  t.false(outcome.includes('acme-tls/1'), outcome);
});

/** Connects, writes `bytes`, and reports how the proxy ended the connection, and when. */
function closedAfter(port: number, bytes: Buffer, limitMs: number): Promise<{ how: string; ms: number }> {
  return new Promise((resolve) => {
    const started = Date.now();
    const s = net.connect({ host: '127.0.0.1', port }, () => s.write(bytes));
    let received = 0;
    s.on('data', (d) => (received += d.length));
    const done = (how: string): void => {
      clearTimeout(timer);
      s.destroy();
      resolve({ how: `${how}, ${received} bytes received`, ms: Date.now() - started });
    };
    const timer = setTimeout(() => done('still open'), limitMs);
    s.on('error', (e) => done(`error ${(e as NodeJS.ErrnoException).code ?? e.message}`));
    s.on('close', () => done('closed'));
  });
}

test.serial('garbage on the HTTPS port is closed at once; a stalled ClientHello is closed after clientHeaders; the proxy keeps serving', async (t) => {
  const r = rig!;
  const random = seededRandom(8737);
  const garbage = Buffer.from(Array.from({ length: 512 }, () => Math.floor(random() * 256)));
  const results = await Promise.all([
    closedAfter(r.httpsPort, garbage, 10_000),
    closedAfter(r.httpsPort, Buffer.from('GET / HTTP/1.1\r\nHost: alpn.example.test\r\n\r\n'), 10_000),
    // A record header announcing a ClientHello that never comes.
    closedAfter(r.httpsPort, Buffer.from([22, 3, 1, 2, 0, 1, 0, 1, 252, 3, 3]), 15_000),
  ]);
  t.log(results.map((x) => `${x.how} after ${x.ms} ms`).join('; '));
  const [random512, http, stalled] = results;
  for (const x of [random512, http]) {
    t.false(x.how.startsWith('still open'), x.how);
    t.true(x.ms < 5000, `${x.how} after ${x.ms} ms`);
  }
  t.false(stalled.how.startsWith('still open'), stalled.how);
  t.true(stalled.ms >= CLIENT_HEADERS_S * 1000 - 200 && stalled.ms < CLIENT_HEADERS_S * 1000 + 5000, `stalled hello closed after ${stalled.ms} ms`);
  const res = await curlHttps(r.httpsPort, A, r.rootFile);
  t.is(res.status, 200, res.stderr);
  t.is(res.body, 'east');
});
