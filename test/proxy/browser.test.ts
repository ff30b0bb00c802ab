// A real browser through the proxy: headless Chromium (Debian's, driven by playwright-core)
// opens http://shop.example.test:<http>/, is sent to HTTPS by the entry's redirectHttps (308),
// loads the upstream's page over HTTP/2 with certificate checks on (the test's certificate is
// trusted by its public key hash, nothing else is), and a WebSocket opened by the page echoes
// through the proxy. The names resolve to 127.0.0.1 by Chromium's host resolver rules.
import { X509Certificate, createHash } from 'node:crypto';
import test from 'ava';
import { chromium } from 'playwright-core';
import type { Browser } from 'playwright-core';
import { ingressYaml, startGlobaldns } from '../support/globaldns.js';
import type { Globaldns } from '../support/globaldns.js';
import { freePort } from '../support/ports.js';
import { curl, selfSigned, sleep, upstream } from './world.js';
import type { Upstream } from './world.js';

const SHOP = 'shop.example.test';
/** A name with a certificate the browser does not trust: shows that checks are on. */
const OTHER = 'other.example.test';

let gd: Globaldns | undefined;
let browser: Browser | undefined;
let upstreams: Upstream[] = [];
let httpPort = 0;
let httpsPort = 0;

/** Chromium's form of a certificate's public key hash (base64 SHA-256 of the DER SPKI). */
function spkiHash(certPem: string): string {
  const der = new X509Certificate(certPem).publicKey.export({ type: 'spki', format: 'der' });
  return createHash('sha256').update(der).digest('base64');
}

test.before(async () => {
  const upstreamPort = await freePort({ ipv6: false });
  upstreams = [upstream('east', '127.0.0.2', upstreamPort), upstream('west', '127.0.0.3', upstreamPort)];
  for (const u of upstreams) await u.start();
  httpPort = await freePort({ ipv6: false });
  httpsPort = await freePort({ ipv6: false });
  const shopCert = selfSigned([SHOP]);
  const otherCert = selfSigned([OTHER]);
  gd = await startGlobaldns({
    ipv6: false,
    configYaml: {
      logLevel: 'warn',
      zones: [{ apex: 'example.test' }],
      clusters: [
        { name: 'east', manifests: 'clusters/east' },
        { name: 'west', manifests: 'clusters/west' },
      ],
      entries: [
        { fqdn: SHOP, targets: [{ cluster: 'east' }, { cluster: 'west' }], proxy: { upstreamPort, redirectHttps: true, tls: { certFile: 'certs/shop.pem', keyFile: 'certs/shop-key.pem' } } },
        { fqdn: OTHER, targets: [{ cluster: 'east' }], proxy: { upstreamPort, tls: { certFile: 'certs/other.pem', keyFile: 'certs/other-key.pem' } } },
      ],
      proxy: { http: `127.0.0.1:${httpPort}`, https: `127.0.0.1:${httpsPort}`, workers: 2 },
    },
    files: {
      'certs/shop.pem': shopCert.certPem,
      'certs/shop-key.pem': shopCert.keyPem,
      'certs/other.pem': otherCert.certPem,
      'certs/other-key.pem': otherCert.keyPem,
      'clusters/east/shop.yaml': ingressYaml({ name: 'shop', hostname: SHOP, ips: ['127.0.0.2'] }),
      'clusters/west/shop.yaml': ingressYaml({ name: 'shop', hostname: SHOP, ips: ['127.0.0.3'] }),
      'clusters/east/other.yaml': ingressYaml({ name: 'other', hostname: OTHER, ips: ['127.0.0.2'] }),
    },
  });
  // Routed (the 308 comes only for a known host) and the certificate loaded.
  const deadline = Date.now() + 15_000;
  for (;;) {
    const plain = await curl(['-H', `host: ${SHOP}`, `http://127.0.0.1:${httpPort}/`]);
    const tls = await curl(['-k', '--resolve', `${SHOP}:${httpsPort}:127.0.0.1`, `https://${SHOP}:${httpsPort}/`]);
    if (plain.status === 308 && tls.status === 200) break;
    if (Date.now() > deadline) throw new Error(`proxy not ready: http ${plain.status}, https ${tls.status} ${tls.stderr}\n${gd.logs()}`);
    await sleep(100);
  }
  browser = await chromium.launch({
    executablePath: '/usr/bin/chromium',
    args: [
      '--no-sandbox',
      '--disable-dev-shm-usage',
      `--host-resolver-rules=MAP ${SHOP} 127.0.0.1, MAP ${OTHER} 127.0.0.1`,
      // Trust exactly the test's certificate for shop; every other check stays on.
      `--ignore-certificate-errors-spki-list=${spkiHash(shopCert.certPem)}`,
    ],
  });
});

test.after.always(async () => {
  await browser?.close();
  await gd?.cleanup();
  for (const u of upstreams) await u.stop();
});

test.serial('Chromium: HTTP is redirected (308) to HTTPS, the page comes over HTTP/2 from an upstream', async (t) => {
  const context = await browser!.newContext({ ignoreHTTPSErrors: false });
  try {
    const page = await context.newPage();
    const response = await page.goto(`http://${SHOP}:${httpPort}/`, { timeout: 15_000 });
    t.truthy(response);
    t.is(response!.status(), 200);
    t.is(response!.url(), `https://${SHOP}:${httpsPort}/`);
    const redirect = await response!.request().redirectedFrom()?.response();
    t.is(redirect?.status(), 308, 'the plain HTTP request was answered 308');
    t.is(redirect?.headers().location, `https://${SHOP}:${httpsPort}/`);
    t.regex((await page.textContent('body')) ?? '', /^\s*(east|west)\s*$/, "the upstream's page");
    const protocol = await page.evaluate(() => (performance.getEntriesByType('navigation')[0] as PerformanceNavigationTiming).nextHopProtocol);
    t.is(protocol, 'h2');
    const security = await response!.securityDetails();
    t.is(security?.subjectName, SHOP, 'the certificate chosen by SNI');
  } finally {
    await context.close();
  }
});

test.serial('Chromium: a WebSocket opened by the page echoes through the proxy', async (t) => {
  const context = await browser!.newContext({ ignoreHTTPSErrors: false });
  try {
    const page = await context.newPage();
    await page.goto(`https://${SHOP}:${httpsPort}/`, { timeout: 15_000 });
    const echoed = await page.evaluate(
      (url) =>
        new Promise<string>((resolve, reject) => {
          const ws = new WebSocket(url);
          const timer = setTimeout(() => reject(new Error('no echo within 5 s')), 5000);
          ws.onopen = () => ws.send('hello from chromium');
          ws.onmessage = (e) => {
            clearTimeout(timer);
            ws.close();
            resolve(String(e.data));
          };
          ws.onerror = () => {
            clearTimeout(timer);
            reject(new Error('websocket error'));
          };
        }),
      `wss://${SHOP}:${httpsPort}/chat`,
    );
    t.regex(echoed, /^(east|west): hello from chromium$/);
  } finally {
    await context.close();
  }
});

test.serial('Chromium: a certificate it does not trust is refused (checks are on)', async (t) => {
  const context = await browser!.newContext({ ignoreHTTPSErrors: false });
  try {
    const page = await context.newPage();
    const error = await t.throwsAsync(page.goto(`https://${OTHER}:${httpsPort}/`, { timeout: 15_000 }));
    t.regex(error?.message ?? '', /ERR_CERT_(AUTHORITY_INVALID|INVALID)/);
  } finally {
    await context.close();
  }
});
