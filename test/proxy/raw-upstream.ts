// A scripted upstream on a plain `net` server: it parses each request (head, and a body framed
// by Content-Length or chunked) and hands it to a script that writes whatever bytes it likes on
// the socket. Tests use it for answers node:http would never produce: garbage, a status line
// that is not one, Content-Length with Transfer-Encoding, close-delimited bodies, a reset in the
// middle of a body, a silent close after each response.
import net from 'node:net';
import type { Socket } from 'node:net';
import { killServer, listenOn } from '../support/tcp-server.js';

export interface RawRequest {
  method: string;
  /** The request target exactly as received. */
  target: string;
  version: string;
  /** Header fields in order, names as sent. */
  headers: [string, string][];
  body: Buffer;
  /** Which accepted connection (1, 2, ...) carried it. */
  connection: number;
}

/** Writes the answer to `req` on `socket`; may end or destroy it, now or later. */
export type RawScript = (req: RawRequest, socket: Socket) => void;

export interface RawUpstream {
  readonly host: string;
  readonly port: number;
  /** Every request parsed, in arrival order. */
  readonly requests: RawRequest[];
  /** Connections accepted and closed so far. */
  readonly stats: { accepted: number; closed: number };
  start(): Promise<void>;
  stop(): Promise<void>;
}

export function rawUpstream(host: string, port: number, script: RawScript): RawUpstream {
  let server: net.Server | undefined;
  const sockets = new Set<Socket>();
  const u: RawUpstream = {
    host,
    port,
    requests: [],
    stats: { accepted: 0, closed: 0 },
    async start() {
      server = net.createServer((socket) => {
        const connection = ++u.stats.accepted;
        sockets.add(socket);
        socket.once('close', () => {
          sockets.delete(socket);
          u.stats.closed++;
        });
        socket.on('error', () => socket.destroy());
        let buf = Buffer.alloc(0);
        socket.on('data', (d: Buffer) => {
          buf = Buffer.concat([buf, d]);
          // One request at a time: a script may answer later, a pipelined next one waits for it.
          for (;;) {
            const parsed = parseRequest(buf, connection);
            if (parsed === 'incomplete') return;
            if (parsed === 'invalid') {
              socket.end('HTTP/1.1 400 Bad Request\r\ncontent-length: 0\r\nconnection: close\r\n\r\n');
              return;
            }
            buf = buf.subarray(parsed.used);
            u.requests.push(parsed.request);
            script(parsed.request, socket);
            if (socket.destroyed || !socket.writable) return;
          }
        });
      });
      await listenOn(server, port, host);
    },
    async stop() {
      if (!server) return;
      const s = server;
      server = undefined;
      await killServer(s, sockets);
    },
  };
  return u;
}

/** The first request in `buf`, or what is missing. */
function parseRequest(buf: Buffer, connection: number): { request: RawRequest; used: number } | 'incomplete' | 'invalid' {
  const end = buf.indexOf('\r\n\r\n');
  if (end < 0) return buf.length > 64 * 1024 ? 'invalid' : 'incomplete';
  const lines = buf.subarray(0, end).toString('latin1').split('\r\n');
  const m = /^([A-Z]+) (\S+) (HTTP\/1\.[01])$/.exec(lines[0]);
  if (!m) return 'invalid';
  const headers: [string, string][] = [];
  for (const line of lines.slice(1)) {
    const colon = line.indexOf(':');
    if (colon <= 0) return 'invalid';
    headers.push([line.slice(0, colon), line.slice(colon + 1).trim()]);
  }
  const header = (name: string) => headers.find(([n]) => n.toLowerCase() === name)?.[1];
  let pos = end + 4;
  let body = Buffer.alloc(0);
  if (/chunked/i.test(header('transfer-encoding') ?? '')) {
    const pieces: Buffer[] = [];
    for (;;) {
      const lineEnd = buf.indexOf('\r\n', pos);
      if (lineEnd < 0) return 'incomplete';
      const size = parseInt(buf.subarray(pos, lineEnd).toString('latin1'), 16);
      if (!Number.isFinite(size)) return 'invalid';
      if (size === 0) {
        // No trailers expected: the last chunk is followed by an empty line.
        if (buf.length < lineEnd + 4) return 'incomplete';
        pos = lineEnd + 4;
        break;
      }
      if (buf.length < lineEnd + 2 + size + 2) return 'incomplete';
      pieces.push(buf.subarray(lineEnd + 2, lineEnd + 2 + size));
      pos = lineEnd + 2 + size + 2;
    }
    body = Buffer.concat(pieces);
  } else {
    const length = Number(header('content-length') ?? 0);
    if (buf.length < pos + length) return 'incomplete';
    body = Buffer.from(buf.subarray(pos, pos + length));
    pos += length;
  }
  return { request: { method: m[1], target: m[2], version: m[3], headers, body, connection }, used: pos };
}
