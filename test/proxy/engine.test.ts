// Choosing the HTTP/1 engine (src/proxy/engine.ts): `auto` takes Node's llhttp binding when
// it is there in the expected shape and node:http otherwise, saying which and why; and with
// the binding gone from the runtime, globaldns still proxies and serves DNS.
import { createRequire } from 'node:module';
import path from 'node:path';
import test from 'ava';
import { chooseEngine, engineMessage } from '../../src/proxy/index.js';
import { checkParserModule, parserAvailability } from '../../src/proxy/h1/index.js';
import { repoRoot } from '../support/globaldns.js';
import { buildQuery, decode, udpExchange } from '../support/wire.js';
import { curl, startWorld } from './world.js';

test('the binding of this Node.js (20 to 24) has the shape the llhttp engine uses; other shapes are named', (t) => {
  // .ci/run's smoke runs on Node 22 and 24 check this line: the test worker runs on the Node under test.
  t.log(`ava worker: Node ${process.version}`);
  t.deepEqual(parserAvailability(), { ok: true });
  t.deepEqual(checkParserModule(createRequire(import.meta.url)('_http_common')), { ok: true });
  t.deepEqual(checkParserModule(undefined), { ok: false, reason: '_http_common has no HTTPParser' });
  t.deepEqual(checkParserModule({ HTTPParser: class {}, methods: [] }), { ok: false, reason: 'HTTPParser has no initialize()' });
});

test('auto: llhttp when the binding is there, node with the reason when it is not; explicit choices are kept', (t) => {
  t.is(chooseEngine('auto', { ok: true }).engine, 'llhttp');
  const missing = chooseEngine('auto', { ok: false, reason: "require('_http_common') failed: Cannot find module" });
  t.is(missing.engine, 'node');
  t.true(missing.fallback);
  t.regex(engineMessage(missing), /^proxy: HTTP\/1 engine node \(proxy\.engine: auto, and Node v[\d.]+ lacks the llhttp binding \(require\('_http_common'\) failed: Cannot find module\)/);
  t.is(chooseEngine('node', { ok: true }).engine, 'node');
  t.is(chooseEngine('llhttp', { ok: true }).engine, 'llhttp');
  // Asked for explicitly and not there: an error naming the way out, not a silent switch.
  t.throws(() => chooseEngine('llhttp', { ok: false, reason: 'HTTPParser has no consume()' }), { message: /proxy\.engine: llhttp, .*HTTPParser has no consume\(\)\); set proxy\.engine to auto or node/ });
});

test('a Node.js without _http_common: auto runs the node engine, says so once, and the proxy (workers too) and DNS serve', async (t) => {
  const world = await startWorld({
    nodeArgs: ['--require', path.join(repoRoot, 'test', 'support', 'hide-http-common.cjs')],
    proxy: { workers: 1 },
  });
  try {
    const logs = world.gd.logs();
    const lines = logs.split('\n').filter((l) => l.includes('HTTP/1 engine'));
    t.is(lines.length, 1, logs);
    // Names the Node the CLI runs on (.ci/run's smoke runs check it is the one under test).
    t.log(`globaldns: ${(JSON.parse(lines[0]) as { msg: string }).msg}`);
    t.regex(lines[0], /HTTP\/1 engine node \(proxy\.engine: auto, and Node v[\d.]+ lacks the llhttp binding \(require\('_http_common'\) failed: Cannot find module '_http_common'\)/);
    t.regex(lines[0], /"level":"warn"/, 'a warning: the proxy runs, at a lower rate');
    for (let i = 0; i < 4; i++) {
      const r = await world.get('/');
      t.is(r.status, 200, r.stderr);
      t.regex(r.body, /^(east|west)$/);
    }
    const unknown = await curl(['-H', 'host: nowhere.example.test', `http://127.0.0.1:${world.httpPort}/`]);
    t.is(unknown.status, 404);
    const reply = await udpExchange(world.gd.port, buildQuery('shop.example.test'), { host: '127.0.0.1' });
    t.truthy(reply, 'DNS answered');
    const answers = decode(reply!.reply).answers ?? [];
    t.deepEqual(answers.map((a) => String((a as { data?: unknown }).data)).sort(), ['127.0.0.2', '127.0.0.3']);
    t.true(world.gd.alive());
  } finally {
    await world.stop();
  }
});
