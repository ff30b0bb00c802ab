// The watch stream (our own, since client-node's Watch drops a refusal's body) fed garbage by a
// loopback server: junk lines, JSON that is no event, a cut line, a refusal with an HTML page.
// Only real events come through, each ending is reported once, and nothing throws.
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import test from 'ava';
import { KubeConfig } from '@kubernetes/client-node';
import { openWatch } from '../../../src/sources/kubernetes/watch-stream.js';
import { describeFailure } from '../../../src/sources/index.js';

async function serve(t: { teardown(f: () => unknown): void }, answer: (res: http.ServerResponse) => void): Promise<KubeConfig> {
  const server = http.createServer((_req, res) => answer(res));
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  t.teardown(() => new Promise<void>((r) => server.close(() => r())));
  const { port } = server.address() as AddressInfo;
  const kc = new KubeConfig();
  kc.loadFromOptions({
    clusters: [{ name: 'c', server: `http://127.0.0.1:${port}`, skipTLSVerify: true }],
    users: [{ name: 'u', token: 'not-a-real-token' }],
    contexts: [{ name: 'x', cluster: 'c', user: 'u' }],
    currentContext: 'x',
  });
  return kc;
}

function watch(kc: KubeConfig) {
  const events: string[] = [];
  let ended = 0;
  const done = new Promise<unknown>((resolve) => {
    void openWatch(kc, '/apis/networking.k8s.io/v1/ingresses', { resourceVersion: '1' }, (type, object) => events.push(`${type} ${String((object.metadata as { name?: string } | undefined)?.name)}`), (err) => {
      ended++;
      resolve(err);
    });
  });
  return { events, done, ended: () => ended };
}

test('junk lines, JSON that is no event and a cut last line are skipped; the real events come through', async (t) => {
  const kc = await serve(t, (res) => {
    res.writeHead(200, { 'content-type': 'application/json' });
    res.write('not json at all\n');
    res.write('\u0000\u00ff\u0007binary\n');
    res.write('[1,2,3]\n');
    res.write('{"type":"ADDED"}\n');
    res.write('{"type":42,"object":{}}\n');
    res.write('{"type":"ADDED","object":{"metadata":{"name":"web"}}}\n');
    res.write('\n');
    res.write(`${'x'.repeat(100_000)}\n`);
    res.write('{"type":"MODIFIED","object":{"metadata":{"name":"web"}}}\n');
    res.end('{"type":"DELETED","obj');
  });
  const w = watch(kc);
  const err = await w.done;
  t.deepEqual(w.events, ['ADDED web', 'MODIFIED web']);
  t.is(err, null, 'a stream that ends is a clean end');
  await new Promise((r) => setTimeout(r, 50));
  t.is(w.ended(), 1, 'the end is reported once');
});

test('a refusal with an HTML page: an error with the status, a clear message, no crash', async (t) => {
  const kc = await serve(t, (res) => {
    res.writeHead(502, { 'content-type': 'text/html' });
    res.end(`<html><body>${'bad gateway '.repeat(20_000)}</body></html>`);
  });
  const w = watch(kc);
  const err = await w.done;
  t.is((err as { statusCode?: number }).statusCode, 502);
  t.true(((err as { body?: string }).body ?? '').length <= 64 * 1024, 'the body is read only so far');
  t.regex(describeFailure(err).message, /502/);
  t.deepEqual(w.events, []);
});

test('a connection cut mid-stream ends the watch with an error after the events before it', async (t) => {
  const kc = await serve(t, (res) => {
    res.writeHead(200, { 'content-type': 'application/json' });
    res.write('{"type":"ADDED","object":{"metadata":{"name":"web"}}}\n');
    setTimeout(() => res.socket?.destroy(), 20);
  });
  const w = watch(kc);
  const err = await w.done;
  t.deepEqual(w.events, ['ADDED web']);
  t.truthy(err, 'a cut stream is not a clean end');
});
