// Minimal servers for the TLS tests: an HTTPS server that takes its certificates from a
// CertificateStore (the same wiring core's listener uses) and an HTTP server answering ACME
// HTTP-01 challenges. Each answers 200 "<host> ok".
import http from 'node:http';
import http2 from 'node:http2';
import type { AddressInfo } from 'node:net';
import type { CertificateStore } from '../../../src/proxy/tls/index.js';
import type { AcmeChallenges } from '../../../src/proxy/acme/index.js';

export interface TestServer {
  port: number;
  close(): Promise<void>;
}

export async function startHttpsServer(store: CertificateStore, port = 0): Promise<TestServer> {
  const server = http2.createSecureServer({ allowHTTP1: true, SNICallback: store.sniCallback, ALPNProtocols: ['h2', 'http/1.1'] }, (req, res) => {
    res.writeHead(200, { 'content-type': 'text/plain' });
    res.end(`${req.headers.host ?? req.headers[':authority']} ok\n`);
  });
  server.on('tlsClientError', () => {/* a refused handshake is the test's business */});
  await new Promise<void>((resolve) => server.listen(port, '127.0.0.1', resolve));
  return {
    port: (server.address() as AddressInfo).port,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        // http2 sessions hold the server open; the tests are done with them
        setTimeout(() => resolve(), 2000).unref();
      }),
  };
}

export async function startChallengeServer(challenges: AcmeChallenges, port: number): Promise<TestServer> {
  const server = http.createServer((req, res) => {
    const answer = challenges.respond(req.headers.host ?? '', req.url ?? '/');
    if (answer === undefined) {
      res.writeHead(404).end('not a challenge\n');
      return;
    }
    res.writeHead(200, { 'content-type': 'application/octet-stream' }).end(answer);
  });
  await new Promise<void>((resolve) => server.listen(port, '127.0.0.1', resolve));
  return {
    port,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
