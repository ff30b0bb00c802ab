// The admin listener under bad input: random bytes, a broken request line, an unknown method,
// a huge path and a query string on /metrics never take it down; the next scrape is answered.
import net from 'node:net';
import test from 'ava';
import { AdminServer, buildStatus, Metrics } from '../../src/observe/index.js';
import { EndpointStore } from '../../src/sources/index.js';

function raw(port: number, bytes: Buffer | string): Promise<string> {
  return new Promise((resolve) => {
    const sock = net.connect(port, '127.0.0.1');
    let text = '';
    const timer = setTimeout(() => (sock.destroy(), resolve(text)), 3000);
    sock.on('data', (d) => (text += d.toString('latin1')));
    sock.on('close', () => (clearTimeout(timer), resolve(text)));
    sock.on('error', () => {});
    sock.end(bytes);
  });
}

test('garbage on the admin port: refused, and the next requests are answered', async (t) => {
  const metrics = new Metrics({ version: 'test' });
  const store = new EndpointStore();
  const readiness = () => ({ sourcesSynced: true, snapshotLoaded: false, listenersBound: true });
  const admin = new AdminServer({
    host: '127.0.0.1',
    port: 0,
    metrics,
    readiness,
    status: () => buildStatus({ version: 'test', clusters: () => [], endpoints: store, entries: () => [], entryFor: () => undefined, readiness }),
  });
  const { port } = await admin.start();
  t.teardown(() => admin.stop());

  const junk = Buffer.from(Array.from({ length: 4096 }, (_, i) => (i * 197 + 13) % 256));
  t.regex((await raw(port, junk)) || 'closed', /^(HTTP\/1\.1 400|closed)/);
  t.regex(await raw(port, 'GET\x00/metrics HTTP/1.1\r\n\r\n'), /^HTTP\/1\.1 400/);
  t.regex(await raw(port, 'BREW /metrics HTTP/1.1\r\nHost: x\r\n\r\n'), /^HTTP\/1\.1 (400|405)/);
  t.regex(await raw(port, `GET /${'a'.repeat(20_000)} HTTP/1.1\r\nHost: x\r\n\r\n`), /^HTTP\/1\.1 (404|414|431)/);
  t.regex(await raw(port, 'GET /api/v1/status?%zz=%%% HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n'), /^HTTP\/1\.1 200/);

  const healthz = await fetch(`http://127.0.0.1:${port}/healthz`);
  t.is(healthz.status, 200);
  const scrape = await fetch(`http://127.0.0.1:${port}/metrics`);
  t.is(scrape.status, 200);
  t.regex(await scrape.text(), /globaldns_build_info/);
});
