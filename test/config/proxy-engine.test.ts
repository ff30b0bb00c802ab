// `proxy.engine`: auto unless told otherwise, llhttp or node when asked, anything else refused
// with the accepted values.
import test from 'ava';
import { parseConfig } from '../../src/config/index.js';
import { problemsOf } from './problems.js';

const base = { baseDir: '/srv/gdns' };
const config = (engine?: string): string => `
zones:
  - apex: example.test
proxy:
  http: "127.0.0.1:8080"
${engine === undefined ? '' : `  engine: ${engine}\n`}`;

test('engine defaults to auto; llhttp and node are taken as written', (t) => {
  t.is(parseConfig(config(), base).proxy!.engine, 'auto');
  t.is(parseConfig(config('llhttp'), base).proxy!.engine, 'llhttp');
  t.is(parseConfig(config('node'), base).proxy!.engine, 'node');
});

test('an unknown engine is refused, naming the field and the accepted values', (t) => {
  const problems = problemsOf(config('undici'), base);
  t.true(problems.some((p) => p.includes('engine') && p.includes('auto') && p.includes('llhttp') && p.includes('node')), problems.join('\n'));
});
