// The probe thread as serve runs it: real probes of a loopback server from a worker thread,
// verdicts mirrored on the main thread (what the stage reads synchronously), transitions
// reported at once, probe durations in batches, a thread that dies started again.
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Worker } from 'node:worker_threads';
import test from 'ava';
import { probeTarget, ProbeThread } from '../../src/health/index.js';
import type { Verdict } from '../../src/health/index.js';
import { silentLogger } from '../../src/kernel/index.js';
import { waitFor } from '../support/wait.js';
import { httpCheck } from './fixtures.js';
import { tsWorker } from '../support/ts-worker.js';

async function server() {
  let status = 200;
  const s = http.createServer((_req, res) => {
    res.writeHead(status, { connection: 'close' });
    res.end('ok');
  });
  await new Promise<void>((r) => s.listen(0, '127.0.0.1', r));
  return { port: (s.address() as AddressInfo).port, set: (n: number) => (status = n), close: () => new Promise((r) => s.close(r)) };
}

test('verdicts and transitions cross from the probe thread; a dead thread is started again with every target', async (t) => {
  const up = await server();
  t.teardown(() => up.close());
  const transitions: string[] = [];
  const samples: boolean[] = [];
  const thread = new ProbeThread({
    logger: silentLogger,
    concurrency: 8,
    restartMs: 50,
    startThread: (data) => tsWorker(new URL('../../src/health/thread-main.ts', import.meta.url), data),
    onProbe: (_type, ok) => samples.push(ok),
    onTransition: (_t, from: Verdict | undefined, to) => transitions.push(`${from?.health ?? 'unknown'}→${to.health}`),
  });
  t.teardown(() => thread.stop());
  const changed: string[] = [];
  thread.onChange((keys) => changed.push(...keys));
  const target = probeTarget(httpCheck({ port: up.port, intervalMs: 200, timeoutMs: 150, failureThreshold: 2 }), '127.0.0.1', 'shop.example.test');
  thread.want('shop.example.test', [target]);
  t.deepEqual([...thread.keys()], [target.key]);
  t.is(thread.target(target.key), target);

  await waitFor(() => (thread.verdict(target.key)?.health === 'healthy' ? true : undefined), 10_000, 'healthy');
  t.deepEqual(changed, [target.key]);
  t.is(thread.verdict(target.key)?.last?.reason, 'status 200');
  up.set(503);
  await waitFor(() => (thread.verdict(target.key)?.health === 'unhealthy' ? true : undefined), 10_000, 'unhealthy');
  t.deepEqual(transitions, ['unknown→healthy', 'healthy→unhealthy']);
  await waitFor(() => (samples.includes(false) ? true : undefined), 10_000, 'probe samples arrive in batches');

  // The thread dies: it comes back with the target and judges it again.
  up.set(200);
  await (thread as unknown as { worker: Worker }).worker.terminate();
  await waitFor(() => (thread.verdict(target.key)?.health === 'healthy' && thread.verdict(target.key)?.last?.reason === 'status 200' ? true : undefined), 10_000, 'judged again by the new thread');

  // Let go: no key, no verdict.
  thread.want('shop.example.test', []);
  t.deepEqual([...thread.keys()], []);
  t.is(thread.verdict(target.key), undefined);
});
