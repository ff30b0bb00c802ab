// The ClientHello peek against real ClientHellos: the first bytes that `openssl s_client` and
// Node's tls.connect send, captured by a plain TCP server; then every truncation of them, the
// same hello split over several TLS records, single-byte corruptions and random garbage.
import test from 'ava';
import { execFile } from 'node:child_process';
import net from 'node:net';
import tls from 'node:tls';
import { CLIENT_HELLO_PEEK_LIMIT, parseClientHello } from '../../../src/proxy/tls/client-hello.js';
import type { ClientHello, ClientHelloResult } from '../../../src/proxy/tls/client-hello.js';
import { seededRandom } from '../../support/random.js';

/**
 * What one client sends first: a TCP server on 127.0.0.1 collects the bytes of the first
 * connection until 300 ms of silence (the client waits for a ServerHello that never comes),
 * then closes it.
 */
async function capture(client: (port: number) => () => void): Promise<Buffer> {
  const server = net.createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as net.AddressInfo).port;
  try {
    const bytes = new Promise<Buffer>((resolve, reject) => {
      const overall = setTimeout(() => reject(new Error('no ClientHello within 10 s')), 10_000);
      server.once('connection', (socket) => {
        const chunks: Buffer[] = [];
        let quiet: NodeJS.Timeout | undefined;
        socket.on('data', (d) => {
          chunks.push(d);
          clearTimeout(quiet);
          quiet = setTimeout(() => {
            clearTimeout(overall);
            socket.destroy();
            resolve(Buffer.concat(chunks));
          }, 300);
        });
        socket.on('error', () => {});
      });
    });
    const stop = client(port);
    try {
      return await bytes;
    } finally {
      stop();
    }
  } finally {
    server.close();
  }
}

function openssl(args: string[]): (port: number) => () => void {
  return (port) => {
    const child = execFile('openssl', ['s_client', '-connect', `127.0.0.1:${port}`, ...args], { timeout: 10_000 }, () => {});
    child.stdin?.on('error', () => {});
    return () => child.kill();
  };
}

function node(options: tls.ConnectionOptions): (port: number) => () => void {
  return (port) => {
    const socket = tls.connect({ host: '127.0.0.1', port, rejectUnauthorized: false, ...options });
    socket.on('error', () => {});
    return () => socket.destroy();
  };
}

/** The handshake message re-framed into TLS records of at most `size` bytes each. */
function reframe(hello: Buffer, size: number): Buffer {
  const recordLength = hello.readUInt16BE(3);
  const message = hello.subarray(5, 5 + recordLength);
  const records: Buffer[] = [];
  for (let at = 0; at < message.length; at += size) {
    const fragment = message.subarray(at, at + size);
    const header = Buffer.from([22, hello[1], hello[2], 0, 0]);
    header.writeUInt16BE(fragment.length, 3);
    records.push(header, fragment);
  }
  return Buffer.concat(records);
}

function isHello(r: ClientHelloResult): r is ClientHello {
  return typeof r === 'object';
}

const captured = new Map<string, Buffer>();
async function hello(name: string, client: (port: number) => () => void): Promise<Buffer> {
  const known = captured.get(name);
  if (known) return known;
  const bytes = await capture(client);
  captured.set(name, bytes);
  return bytes;
}

const clients: [string, (port: number) => () => void, ClientHello][] = [
  ['openssl s_client -alpn acme-tls/1 -servername x.test', openssl(['-alpn', 'acme-tls/1', '-servername', 'x.test']), { servername: 'x.test', alpn: ['acme-tls/1'] }],
  ['openssl s_client -alpn h2,http/1.1 -noservername', openssl(['-alpn', 'h2,http/1.1', '-noservername']), { alpn: ['h2', 'http/1.1'] }],
  ['openssl s_client -tls1_2 -servername Shop.Example.TEST (no ALPN)', openssl(['-tls1_2', '-servername', 'Shop.Example.TEST']), { servername: 'shop.example.test', alpn: [] }],
  ['node tls.connect ALPN [acme-tls/1] SNI a.example.test', node({ servername: 'a.example.test', ALPNProtocols: ['acme-tls/1'] }), { servername: 'a.example.test', alpn: ['acme-tls/1'] }],
  ['node tls.connect ALPN [h2, http/1.1, acme-tls/1] SNI b.example.test', node({ servername: 'b.example.test', ALPNProtocols: ['h2', 'http/1.1', 'acme-tls/1'] }), { servername: 'b.example.test', alpn: ['h2', 'http/1.1', 'acme-tls/1'] }],
  // Node sends no SNI for an IP address.
  ['node tls.connect to an IP, no ALPN', node({}), { alpn: [] }],
];

for (const [name, client, expected] of clients) {
  test(`real ClientHello: ${name}`, async (t) => {
    const bytes = await hello(name, client);
    t.log(`${bytes.length} bytes`);
    t.deepEqual(parseClientHello(bytes), expected);
  });

  test(`every truncation of the ClientHello is incomplete, and one split over TLS records parses the same: ${name}`, async (t) => {
    const bytes = await hello(name, client);
    const recordEnd = 5 + bytes.readUInt16BE(3);
    for (let n = 0; n < recordEnd; n++) {
      const r = parseClientHello(bytes.subarray(0, n));
      if (r !== 'incomplete') t.fail(`${n} of ${recordEnd} bytes: ${JSON.stringify(r)}`);
    }
    for (const size of [1, 7, 100, 512]) {
      const split = reframe(bytes, size);
      t.deepEqual(parseClientHello(split), expected, `records of ${size} bytes`);
      const cut = parseClientHello(split.subarray(0, split.length - 1));
      t.is(cut, 'incomplete', `records of ${size} bytes, last byte missing`);
    }
  });

  test(`single corrupted bytes never throw and give a hello, incomplete or not-tls: ${name}`, async (t) => {
    const bytes = await hello(name, client);
    const random = seededRandom(bytes.length);
    for (let i = 0; i < 2000; i++) {
      const copy = Buffer.from(bytes);
      copy[Math.floor(random() * copy.length)] = Math.floor(random() * 256);
      const r = parseClientHello(copy);
      if (!(r === 'incomplete' || r === 'not-tls' || (isHello(r) && Array.isArray(r.alpn)))) t.fail(`iteration ${i}: ${String(r)}`);
    }
    t.pass();
  });
}

test('not TLS: an HTTP request, an HTTP/2 preface, a non-handshake record, SSLv2-style hello', (t) => {
  t.is(parseClientHello(Buffer.from('GET / HTTP/1.1\r\nHost: x\r\n\r\n')), 'not-tls');
  t.is(parseClientHello(Buffer.from('PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n')), 'not-tls');
  t.is(parseClientHello(Buffer.from([23, 3, 3, 0, 5, 1, 2, 3, 4, 5])), 'not-tls', 'application data record');
  t.is(parseClientHello(Buffer.from([0x80, 0x2e, 0x01, 0x03, 0x01])), 'not-tls');
  t.is(parseClientHello(Buffer.from([22])), 'incomplete', 'one byte could still be a handshake record');
  t.is(parseClientHello(Buffer.from([22, 9])), 'not-tls', 'record version is not 3.x');
  t.is(parseClientHello(Buffer.alloc(0)), 'incomplete');
});

test('a handshake that is not a ClientHello, an empty record, or a ClientHello claiming more than the peek limit is not-tls', (t) => {
  t.is(parseClientHello(Buffer.from([22, 3, 1, 0, 4, 2, 0, 0, 0])), 'not-tls', 'ServerHello');
  t.is(parseClientHello(Buffer.from([22, 3, 1, 0, 0])), 'not-tls', 'empty record');
  const huge = Buffer.from([22, 3, 1, 0, 4, 1, 0, 0, 0]);
  huge.writeUIntBE(CLIENT_HELLO_PEEK_LIMIT, 6, 3);
  t.is(parseClientHello(huge), 'not-tls');
  // A ClientHello whose inner lengths point past its end.
  t.is(parseClientHello(Buffer.from([22, 3, 1, 0, 8, 1, 0, 0, 4, 3, 3, 0, 0])), 'not-tls');
});

test('random garbage never throws; garbage behind a plausible record header neither', (t) => {
  const random = seededRandom(8737);
  const bytes = (n: number) => Buffer.from(Array.from({ length: n }, () => Math.floor(random() * 256)));
  let hellos = 0;
  for (let i = 0; i < 5000; i++) {
    const plain = parseClientHello(bytes(1 + Math.floor(random() * 600)));
    const framed = Buffer.concat([Buffer.from([22, 3, 1]), bytes(2 + Math.floor(random() * 600))]);
    const inner = parseClientHello(framed);
    for (const r of [plain, inner]) {
      if (isHello(r)) hellos++;
      else if (r !== 'incomplete' && r !== 'not-tls') t.fail(String(r));
    }
  }
  t.log(`${hellos} of 10000 random inputs happened to parse as a ClientHello`);
  t.pass();
});
