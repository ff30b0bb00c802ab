import net from 'node:net';
import type { Socket } from 'node:net';
import tls from 'node:tls';
import type { Logger } from '../kernel/index.js';
import type { ForwardContext } from './forward.js';
import { endWith } from './h1/index.js';
import type { UpgradeRequest } from './h1/index.js';
import { clientFacts, upstreamRequestHeaders } from './headers.js';
import { hostName, pickUpstream } from './router.js';
import { pathOf } from './forward.js';

/**
 * Upgrades (WebSocket) over HTTP/1.1: the request head is rewritten as for any request, sent
 * on a fresh connection to the chosen upstream, and from then on bytes are piped both ways,
 * the upstream's own 101 (or refusal) included. Backpressure is `pipe()`'s.
 */
export function upgrade(ctx: ForwardContext, req: UpgradeRequest, client: Socket, head: Buffer, proto: 'http' | 'https', logger: Logger): void {
  client.on('error', () => client.destroy());
  const host = req.headers.host ?? '';
  const route = ctx.router.find(host);
  if (!route) {
    ctx.tally.unrouted.count(404);
    endWith(client, 404, `globaldns: no route for host "${hostName(host) ?? host}"`);
    return;
  }
  const upstream = pickUpstream(route, pathOf(req.url ?? '/'), ctx.config.balancing, null);
  if (!upstream) {
    route.own.count(502);
    endWith(client, 502, `globaldns: no upstream for ${route.host}`);
    return;
  }
  const headers = upgradeHeaders(req, host, proto, ctx);
  let text = `${req.method ?? 'GET'} ${req.url ?? '/'} HTTP/1.1\r\n`;
  for (let i = 0; i < headers.length; i += 2) text += `${headers[i]}: ${headers[i + 1]}\r\n`;
  text += '\r\n';

  const startedAt = performance.now();
  const tally = route.tallies[route.upstreams.indexOf(upstream)] ?? route.own;
  const onConnected = (): void => {
    upstream.succeeded();
    // Counted with the upstream's own status (101, or its refusal) from its first bytes.
    up.once('data', (d: Buffer) => tally.count(Number(d.toString('latin1', 9, 12)) || 502, performance.now() - startedAt));
    up.write(text);
    if (head.length > 0) up.write(head);
    up.pipe(client);
    client.pipe(up);
  };
  const up = upstream.secure
    ? tls.connect({ host: upstream.host, port: upstream.port, servername: upstream.servername, ALPNProtocols: ['http/1.1'] }, onConnected)
    : net.connect({ host: upstream.host, port: upstream.port }, onConnected);
  up.setNoDelay(true);
  let connected = false;
  up.once(upstream.secure ? 'secureConnect' : 'connect', () => (connected = true));
  up.on('error', (err: NodeJS.ErrnoException) => {
    if (!connected) {
      upstream.failed();
      tally.count(502, performance.now() - startedAt);
      logger.debug({ upstream: upstream.origin, err: err.message }, 'upgrade: upstream unreachable');
      endWith(client, 502, `globaldns: ${route.host}: ${upstream.origin}: ${err.code ?? err.message}`);
    } else {
      client.destroy();
    }
  });
  up.on('close', () => client.destroy());
  client.on('close', () => up.destroy());
}

/** The upgrade keeps its Connection/Upgrade pair (hop-by-hop, but the upgrade is for the next hop too). */
function upgradeHeaders(req: UpgradeRequest, host: string, proto: 'http' | 'https', ctx: ForwardContext): string[] {
  const out = upstreamRequestHeaders(req.rawHeaders, host, proto, clientFacts(req.socket, ctx.config.trustedProxies));
  out.push('connection', 'upgrade', 'upgrade', req.headers.upgrade ?? 'websocket');
  return out;
}
