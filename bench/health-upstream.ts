// The upstreams of bench/health.ts, in a process of their own so that their CPU time is never
// counted as globaldns's: one raw node:net listener per loopback address (all on one port),
// each answering any request with a canned `HTTP/1.1 200` and closing, until the parent flips
// it to failing. Failing is one of:
//   503     a canned `HTTP/1.1 503` (the application is sick),
//   hang    the connection is accepted and never answered (the probe's timeout decides),
//   refuse  the listener is closed (connect ECONNREFUSED).
//
// Parent → child (IPC): { op: 'start', addresses, port } → { op: 'ready' } or { op: 'error' };
// { op: 'fail', address, mode, id } → { op: 'ack', id } once the address fails;
// { op: 'stats' } → { op: 'stats', accepted, answered200, answered503, hung }.
// Traffic: listeners on 127.0.0.0/8 only; hung sockets are destroyed after 10 s at the latest.
import net from 'node:net';

type Mode = 'ok' | '503' | 'hang' | 'refuse';
type Msg =
  | { op: 'start'; addresses: string[]; port: number }
  | { op: 'fail'; address: string; mode: Exclude<Mode, 'ok'>; id: number }
  | { op: 'stats' };

const OK = Buffer.from('HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nContent-Length: 2\r\nConnection: close\r\n\r\nok', 'latin1');
const SICK = Buffer.from('HTTP/1.1 503 Service Unavailable\r\nContent-Type: text/plain\r\nContent-Length: 4\r\nConnection: close\r\n\r\nsick', 'latin1');
const HANG_MAX_MS = 10_000;

const mode = new Map<string, Mode>();
const servers = new Map<string, net.Server>();
const stats = { accepted: 0, answered200: 0, answered503: 0, hung: 0 };

const send = (m: unknown) => process.send?.(m);

function onConnection(address: string, sock: net.Socket): void {
  stats.accepted++;
  sock.on('error', () => undefined);
  const m = mode.get(address) ?? 'ok';
  if (m === 'hang') {
    stats.hung++;
    sock.resume();
    sock.setTimeout(HANG_MAX_MS, () => sock.destroy());
    return;
  }
  // Answer on the first bytes of the request (a probe sends its whole head in one write); the
  // answer and the close go together, as a busy ingress controller's would.
  sock.once('data', () => {
    if (m === '503') stats.answered503++;
    else stats.answered200++;
    sock.end(m === '503' ? SICK : OK);
  });
  sock.setTimeout(HANG_MAX_MS, () => sock.destroy());
}

function listen(address: string, port: number): Promise<void> {
  return new Promise((resolve, reject) => {
    const srv = net.createServer({ noDelay: true }, (sock) => onConnection(address, sock));
    srv.once('error', reject);
    srv.listen({ host: address, port, backlog: 511, exclusive: true }, () => {
      srv.off('error', reject);
      servers.set(address, srv);
      resolve();
    });
  });
}

process.on('message', (raw: Msg) => {
  if (raw.op === 'start') {
    void (async () => {
      try {
        for (const a of raw.addresses) {
          if (!a.startsWith('127.')) throw new Error(`not a loopback address: ${a}`);
          mode.set(a, 'ok');
          await listen(a, raw.port);
        }
        send({ op: 'ready' });
      } catch (e) {
        send({ op: 'error', message: (e as Error).message });
      }
    })();
  } else if (raw.op === 'fail') {
    mode.set(raw.address, raw.mode);
    if (raw.mode === 'refuse') {
      const srv = servers.get(raw.address);
      servers.delete(raw.address);
      if (srv) srv.close(() => undefined);
    }
    send({ op: 'ack', id: raw.id });
  } else if (raw.op === 'stats') {
    send({ op: 'stats', ...stats });
  }
});

// The parent going away ends this process too.
process.on('disconnect', () => process.exit(0));
