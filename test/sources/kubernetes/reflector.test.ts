import test from 'ava';
import { Reflector } from '../../../src/sources/index.js';
import type { KubeObject, ReflectorHandler } from '../../../src/sources/index.js';
import { FakeApi, ManualClock, ingress, settle } from './fakes.js';

class Recorder implements ReflectorHandler {
  log: string[] = [];
  throwOn: string | undefined;
  replaced(items: KubeObject[]): void {
    this.log.push(`replaced ${items.length}`);
  }
  changed(type: string, object: KubeObject): void {
    const name = (object.metadata as { name: string }).name;
    if (name === this.throwOn) throw new Error(`boom ${name}`);
    this.log.push(`${type} ${name}`);
  }
  healthy(): void {
    this.log.push('healthy');
  }
  failed(reason: string): void {
    this.log.push(`failed ${reason}`);
  }
  handlerError(error: unknown): void {
    this.log.push(`handlerError ${(error as Error).message}`);
  }
  take(): string[] {
    const out = this.log;
    this.log = [];
    return out;
  }
}

function setup(o: { watchdogMs?: number; maxMs?: number; random?: () => number } = {}) {
  const clock = new ManualClock();
  const api = new FakeApi();
  const h = new Recorder();
  const r = new Reflector({
    kind: 'Ingress',
    api,
    handler: h,
    clock,
    random: o.random ?? (() => 0),
    backoff: { initialMs: 1000, maxMs: o.maxMs ?? 30_000 },
    watchdogMs: o.watchdogMs ?? 60_000,
  });
  return { clock, api, h, r };
}

const status = (code: number) => Object.assign(new Error('HTTP error'), { statusCode: code });
const apiException = (code: number, body: unknown) => Object.assign(new Error(`HTTP-Code: ${code}`), { code, body });

test('lists, then watches from the list version; events reach the handler', async (t) => {
  const { clock, api, h, r } = setup();
  api.objects.Ingress.push(ingress({ name: 'a' }));
  api.rv = 7;
  r.start();
  await clock.advance(0);
  t.deepEqual(h.take(), ['replaced 1', 'healthy']);
  const w = api.open('Ingress');
  t.is(w?.params.resourceVersion, '7');
  // Ends itself well before the watchdog would: between half and three quarters of it.
  t.is(w?.params.timeoutSeconds, 30);
  api.put('Ingress', ingress({ name: 'b' }));
  api.put('Ingress', ingress({ name: 'a', hosts: 'x.example.test' }));
  api.delete('Ingress', 'default', 'b');
  t.deepEqual(h.take(), ['ADDED b', 'MODIFIED a', 'DELETED b']);
  r.stop();
});

test('a clean end of the watch resumes from the last version without a list', async (t) => {
  const { clock, api, h, r } = setup();
  r.start();
  await clock.advance(5000);
  api.put('Ingress', ingress({ name: 'a' }));
  api.open('Ingress')?.emit('BOOKMARK', { kind: 'Ingress', metadata: { resourceVersion: '42' } });
  h.take();
  api.open('Ingress')?.end();
  await clock.advance(0);
  t.is(api.listCount('Ingress'), 1);
  t.is(api.open('Ingress')?.params.resourceVersion, '42');
  t.deepEqual(h.take(), ['healthy']);
  r.stop();
});

test('a watch closed again and again at once backs off instead of spinning', async (t) => {
  const { clock, api, r } = setup();
  r.start();
  await clock.advance(0);
  api.open('Ingress')?.end();
  await clock.advance(0);
  t.is(api.watches.length, 1, 'a watch that lived less than a second is not reopened at once');
  await clock.advance(1000);
  t.is(api.watches.length, 2);
  r.stop();
});

test('410 Gone in the stream re-lists at once, without reporting a failure', async (t) => {
  const { clock, api, h, r } = setup();
  r.start();
  await clock.advance(10_000);
  h.take();
  const w = api.open('Ingress');
  w?.emit('ERROR', { kind: 'Status', code: 410, reason: 'Expired', message: 'too old resource version' });
  w?.end();
  await clock.advance(0);
  t.is(api.listCount('Ingress'), 2);
  t.deepEqual(h.take(), ['replaced 0', 'healthy']);
});

test('a 410 answer to the watch request re-lists too', async (t) => {
  const { clock, api, h, r } = setup();
  r.start();
  await clock.advance(10_000);
  h.take();
  api.failWatches('Ingress', status(410));
  api.open('Ingress')?.end();
  await clock.advance(0);
  t.deepEqual(h.take(), ['replaced 0', 'healthy']);
  t.is(api.listCount('Ingress'), 2);
  r.stop();
});

test('errors back off 1 s, 2 s, 4 s … capped, each reported with what failed', async (t) => {
  const { clock, api, h, r } = setup({ maxMs: 8000 });
  api.failLists('Ingress', apiException(500, '{"kind":"Status","message":"etcd timeout"}'), 5);
  r.start();
  await clock.advance(0);
  t.deepEqual(h.take(), ['failed list ingresses: 500 Internal Server Error: etcd timeout']);
  const starts: number[] = [];
  for (let i = 0; i < 5; i++) {
    const before = api.listCount('Ingress');
    const delay = clock.pending()[0];
    await clock.advance(delay - 1);
    t.is(api.listCount('Ingress'), before, 'no retry before the delay');
    await clock.advance(1);
    t.is(api.listCount('Ingress'), before + 1);
    starts.push(delay);
  }
  t.deepEqual(starts, [1000, 2000, 4000, 8000, 8000]);
  t.deepEqual(h.take().at(-1), 'healthy');
  r.stop();
});

test('watch failures (401, reset, refused) are reported and re-list after the backoff', async (t) => {
  const { clock, api, h, r } = setup();
  r.start();
  await clock.advance(0);
  h.take();
  api.open('Ingress')?.end(Object.assign(new Error('request to https://127.0.0.1:4443/apis failed, reason: read ECONNRESET'), { code: 'ECONNRESET' }));
  await clock.advance(0);
  t.deepEqual(h.take(), ['failed watch ingresses: read ECONNRESET']);
  api.failLists('Ingress', apiException(401, { kind: 'Status', message: 'Unauthorized' }));
  await clock.advance(1000);
  t.deepEqual(h.take(), ['failed list ingresses: 401 Unauthorized']);
  api.failWatches('Ingress', status(503));
  await clock.advance(2000);
  t.deepEqual(h.take(), ['replaced 0', 'failed watch ingresses: 503 Service Unavailable']);
  await clock.advance(4000);
  t.deepEqual(h.take(), ['replaced 0', 'healthy']);
  t.is(api.listCount('Ingress'), 4, 'every restart after an error lists again');
  r.stop();
});

test('an ERROR event other than 410 counts as a failure', async (t) => {
  const { clock, api, h, r } = setup();
  r.start();
  await clock.advance(0);
  h.take();
  const w = api.open('Ingress');
  w?.emit('ERROR', { kind: 'Status', code: 500, message: 'internal error' });
  w?.end();
  await clock.advance(0);
  t.deepEqual(h.take(), ['failed watch ingresses: 500 Internal Server Error: internal error']);
  r.stop();
});

test('the backoff starts over after a healthy period', async (t) => {
  const { clock, api, h, r } = setup();
  r.start();
  await clock.advance(0);
  for (let i = 0; i < 3; i++) {
    api.open('Ingress')?.end(new Error('socket hang up'));
    await clock.advance(clock.pending()[0]);
  }
  t.is(r.failures, 3);
  // The next failure soon after would wait 8 s; after a healthy minute it waits 1 s again.
  await clock.advance(60_000);
  api.open('Ingress')?.end(new Error('socket hang up'));
  await clock.advance(0);
  t.deepEqual(clock.pending().slice(0, 1), [1000]);
  h.take();
  r.stop();
});

test('the watchdog restarts a silent watch; bookmarks and events keep it quiet', async (t) => {
  const { clock, api, h, r } = setup({ watchdogMs: 10_000 });
  r.start();
  await clock.advance(0);
  h.take();
  const first = api.open('Ingress');
  await clock.advance(9000);
  first?.emit('BOOKMARK', { kind: 'Ingress', metadata: { resourceVersion: '5' } });
  await clock.advance(9000);
  api.put('Ingress', ingress({ name: 'a' }));
  await clock.advance(9000);
  t.deepEqual(h.take(), ['ADDED a']);
  t.false(first?.aborted);
  await clock.advance(1000);
  t.true(first?.aborted, 'silent for 10 s: abandoned');
  t.deepEqual(h.take(), ['failed watch ingresses: no answer for 10s']);
  await clock.advance(1000);
  t.deepEqual(h.take(), ['replaced 1', 'healthy']);
  r.stop();
});

test('the watchdog also abandons a list that never answers', async (t) => {
  const { clock, api, h, r } = setup({ watchdogMs: 5000 });
  api.hang = true;
  r.start();
  await clock.advance(5000);
  t.deepEqual(h.take(), ['failed list ingresses: no answer for 5s']);
  api.hang = false;
  await clock.advance(1000);
  t.deepEqual(h.take(), ['replaced 0', 'healthy']);
  r.stop();
});

test('stop aborts the watch; its AbortError and any later timer start nothing', async (t) => {
  const { clock, api, h, r } = setup();
  r.start();
  await clock.advance(0);
  const w = api.open('Ingress');
  r.stop();
  t.true(w?.aborted);
  await clock.advance(120_000);
  t.deepEqual(h.take(), ['replaced 0', 'healthy']);
  t.is(api.watches.length, 1);
  t.is(api.listCount('Ingress'), 1);
  t.deepEqual(clock.pending(), []);
});

test('stop during a backoff wait cancels the retry', async (t) => {
  const { clock, api, h, r } = setup();
  api.failLists('Ingress', status(500));
  r.start();
  await clock.advance(0);
  r.stop();
  await clock.advance(60_000);
  t.is(api.listCount('Ingress'), 1);
  t.deepEqual(h.take(), ['failed list ingresses: 500 Internal Server Error']);
});

test('a throwing handler is reported and the watch goes on', async (t) => {
  const { clock, api, h, r } = setup();
  r.start();
  await clock.advance(0);
  h.throwOn = 'bad';
  api.put('Ingress', ingress({ name: 'bad' }));
  api.put('Ingress', ingress({ name: 'good' }));
  await settle();
  t.deepEqual(h.take(), ['replaced 0', 'healthy', 'handlerError boom bad', 'ADDED good']);
  t.is(api.watches.length, 1);
  r.stop();
});
