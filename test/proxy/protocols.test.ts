// WebSocket and HTTP/2 through the proxy, HTTPS by SNI with a certificate from files, the
// 421 for a Host the connection's certificate does not cover, and the 308 to HTTPS.
import { randomBytes } from 'node:crypto';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { writeFileSync } from 'node:fs';
import test from 'ava';
import { curl, selfSigned, startWorld } from './world.js';
import type { ProxyWorld } from './world.js';

let world: ProxyWorld;
let caFile: string;

test.before(async () => {
  const cert = selfSigned(['shop.example.test']);
  caFile = path.join(os.tmpdir(), `gdns-proxy-ca-${process.pid}.pem`);
  writeFileSync(caFile, cert.certPem);
  world = await startWorld({
    files: { 'certs/shop.pem': cert.certPem, 'certs/shop-key.pem': cert.keyPem },
    entryProxy: { tls: { certFile: 'certs/shop.pem', keyFile: 'certs/shop-key.pem' } },
  });
});

test.after.always(async () => {
  await world?.stop();
});

function https(args: string[]): Promise<ReturnType<typeof curl> extends Promise<infer R> ? R : never> {
  return curl(['--cacert', caFile, '--resolve', `shop.example.test:${world.httpsPort}:127.0.0.1`, ...args]);
}

test('HTTP/2 via curl --http2 over TLS, certificate chosen by SNI and verified', async (t) => {
  const r = await https(['--http2', '-i', `https://shop.example.test:${world.httpsPort}/`]);
  t.is(r.code, 0, r.stderr);
  t.regex(r.body, /^HTTP\/2 200\s/, 'answered over HTTP/2');
  const body = await https(['--http2', `https://shop.example.test:${world.httpsPort}/headers`]);
  t.is(body.status, 200, body.stderr);
  const h = JSON.parse(body.body) as Record<string, string>;
  t.is(h.host, `shop.example.test:${world.httpsPort}`);
  t.is(h['x-forwarded-proto'], 'https');
  t.false(':authority' in h, 'no pseudo-header reaches the upstream');
});

test('HTTP/1.1 over TLS works on the same listener', async (t) => {
  const r = await https(['--http1.1', `https://shop.example.test:${world.httpsPort}/`]);
  t.is(r.status, 200, r.stderr);
  t.regex(r.body, /^(east|west)$/);
});

test('a Host the SNI certificate does not cover gets 421', async (t) => {
  const r = await https(['--http2', '-H', 'host: other.example.test', `https://shop.example.test:${world.httpsPort}/`]);
  t.is(r.status, 421, r.stderr);
  t.regex(r.body, /this connection is for "shop\.example\.test", not "other\.example\.test"/);
});

test('a name with no certificate: the handshake is refused', async (t) => {
  const r = await curl(['-k', '--resolve', `nocert.example.test:${world.httpsPort}:127.0.0.1`, `https://nocert.example.test:${world.httpsPort}/`]);
  t.not(r.code, 0);
  t.is(r.status, 0);
});

test('WebSocket echo through the proxy (HTTP/1.1 upgrade)', async (t) => {
  const sock = net.connect(world.httpPort, '127.0.0.1');
  await new Promise<void>((resolve, reject) => sock.once('connect', resolve).once('error', reject));
  const key = randomBytes(16).toString('base64');
  sock.write(`GET /chat HTTP/1.1\r\nHost: shop.example.test\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Key: ${key}\r\nSec-WebSocket-Version: 13\r\n\r\n`);
  let buf = Buffer.alloc(0);
  const waitFor = (pred: () => boolean) =>
    new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`timed out; got ${JSON.stringify(buf.toString('latin1'))}`)), 5000);
      const check = () => {
        if (pred()) {
          clearTimeout(timer);
          sock.off('data', onData);
          resolve();
        }
      };
      const onData = (d: Buffer) => {
        buf = Buffer.concat([buf, d]);
        check();
      };
      sock.on('data', onData);
      check();
    });
  await waitFor(() => buf.includes('\r\n\r\n'));
  const head = buf.subarray(0, buf.indexOf('\r\n\r\n')).toString('latin1');
  t.regex(head, /^HTTP\/1\.1 101 /);
  buf = buf.subarray(buf.indexOf('\r\n\r\n') + 4);
  // One masked text frame.
  const text = Buffer.from('hello through globaldns');
  const mask = randomBytes(4);
  const masked = Buffer.from(text.map((b, i) => b ^ mask[i & 3]));
  sock.write(Buffer.concat([Buffer.from([0x81, 0x80 | text.length]), mask, masked]));
  await waitFor(() => buf.length >= 2 && buf.length >= 2 + (buf[1] & 0x7f));
  t.is(buf[0], 0x81);
  t.regex(buf.subarray(2, 2 + (buf[1] & 0x7f)).toString(), /^(east|west): hello through globaldns$/);
  sock.destroy();
});

test('plain HTTP: unknown hosts 404, upgrades for unknown hosts too', async (t) => {
  const r = await curl(['-H', 'host: nowhere.example.test', '-H', 'upgrade: websocket', '-H', 'connection: upgrade', `http://127.0.0.1:${world.httpPort}/`]);
  t.is(r.status, 404);
});
