import http from 'node:http';
import https from 'node:https';
import { createInterface } from 'node:readline';
import type { KubeConfig } from '@kubernetes/client-node';
import type { KubeObject, WatchHandle } from './api.js';

/** Query parameters of a watch; undefined ones are left out. */
export type WatchQuery = Record<string, string | number | boolean | undefined>;

/** An error body is read this far for its Status message; a proxy's HTML page is not worth more. */
const MAX_ERROR_BODY = 64 * 1024;

/**
 * One watch request: GET `path?watch=true&…` on the kubeconfig's current cluster, one JSON
 * event per line. Written here rather than taken from client-node's `Watch`, which drops the
 * body of a refused watch: the Status message of a 403 (`ingresses.networking.k8s.io is
 * forbidden: User "…" cannot watch …`) is the one thing an operator needs to fix RBAC. A
 * refusal ends the watch with an error carrying `statusCode` and `body`, the shape
 * `describeFailure` reads.
 *
 * Connection settings (CA, client certificates, tokens, exec credentials, tls-server-name,
 * proxy-url) all come from client-node's `applyToHTTPSOptions`, as for its own requests.
 *
 * Resolves once the server has answered the request (or it failed, `onDone` then already
 * called), so a caller can tell an accepted watch from a refused one. `onDone` is called
 * once: null for a clean end, else the error (an AbortError after `abort()`).
 */
export async function openWatch(
  kc: KubeConfig,
  path: string,
  query: WatchQuery,
  onEvent: (type: string, object: KubeObject) => void,
  onDone: (err: unknown) => void,
): Promise<WatchHandle> {
  const cluster = kc.getCurrentCluster();
  if (!cluster) throw new Error('no current cluster in the kubeconfig');
  const url = new URL(cluster.server + path);
  url.searchParams.set('watch', 'true');
  for (const [k, v] of Object.entries(query)) if (v !== undefined) url.searchParams.set(k, String(v));
  const opts: https.RequestOptions = {};
  await kc.applyToHTTPSOptions(opts);

  const controller = new AbortController();
  const handle: WatchHandle = { abort: () => controller.abort() };
  let finished = false;
  const finish = (err: unknown): void => {
    if (finished) return;
    finished = true;
    controller.abort();
    onDone(err);
  };

  return new Promise<WatchHandle>((resolve) => {
    const transport = url.protocol === 'http:' ? http : https;
    const req = transport.request(url, { ...opts, method: 'GET', signal: controller.signal }, (res) => {
      resolve(handle);
      if (res.statusCode === 200) streamEvents(res, onEvent, finish);
      else readRefusal(res, finish);
    });
    req.on('socket', (socket) => socket.setKeepAlive(true, 30_000));
    req.on('error', (err) => {
      finish(err);
      resolve(handle);
    });
    req.end();
  });
}

function streamEvents(res: http.IncomingMessage, onEvent: (type: string, object: KubeObject) => void, finish: (err: unknown) => void): void {
  res.setEncoding('utf8');
  const lines = createInterface({ input: res, crlfDelay: Infinity });
  lines.on('line', (line) => {
    let event: unknown;
    try {
      event = JSON.parse(line);
    } catch {
      return; // not an event (a proxy's noise); the watchdog notices a stream that says nothing else
    }
    if (!isObj(event)) return;
    const { type, object } = event;
    if (typeof type === 'string' && isObj(object)) onEvent(type, object);
  });
  // readline re-emits the response's errors (a reset, an abort) as its own.
  lines.on('error', finish);
  res.on('error', finish);
  // readline has delivered every line by the time the response ends.
  res.on('end', () => finish(null));
  res.on('close', () => finish(res.complete ? null : new Error('watch stream closed before its end')));
}

function readRefusal(res: http.IncomingMessage, finish: (err: unknown) => void): void {
  const status = res.statusCode ?? 500;
  const chunks: Buffer[] = [];
  let size = 0;
  const refuse = () => {
    const error = Object.assign(new Error(res.statusMessage || http.STATUS_CODES[status] || 'Unknown Status'), {
      statusCode: status,
      body: Buffer.concat(chunks).toString('utf8'),
    });
    finish(error);
  };
  res.on('data', (chunk: Buffer) => {
    if (size >= MAX_ERROR_BODY) return;
    chunks.push(chunk.subarray(0, MAX_ERROR_BODY - size));
    size += chunk.length;
  });
  res.on('end', refuse);
  // Cut off while reading: the status alone is still the answer.
  res.on('error', refuse);
  res.on('close', refuse);
}

function isObj(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}
