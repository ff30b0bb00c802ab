// `npm test` runs two ava profiles (ava.unit.config.js, then ava.serial.config.js): a test file
// left out of both would silently never run, one in both would run twice. Every test file on
// disk must be selected by exactly one profile's `files` patterns, evaluated here as ava reads
// them (a file counts when a positive pattern matches and no negated one does).
import { execFile } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import test from 'ava';

const REPO = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');

interface Profile {
  files: string[];
  concurrency: number;
  workerThreads: boolean;
}

const load = async (name: string) => ((await import(pathToFileURL(path.join(REPO, name)).href)) as { default: Profile }).default;

/** The glob syntax the profiles use (`**`, `*`); anything else is refused rather than misread. */
function globToRegExp(glob: string): RegExp {
  if (/[?[\]{}()!+@\\]/.test(glob)) throw new Error(`profiles.test.ts does not understand the glob ${glob}`);
  let re = '';
  for (let i = 0; i < glob.length; i++) {
    if (glob.startsWith('**/', i)) {
      re += '(?:.*/)?';
      i += 2;
    } else if (glob.startsWith('**', i)) {
      re += '.*';
      i += 1;
    } else if (glob[i] === '*') re += '[^/]*';
    else re += glob[i].replace(/[.^$|]/g, '\\$&');
  }
  return new RegExp(`^${re}$`);
}

function selects(patterns: string[], file: string): boolean {
  const positive = patterns.filter((p) => !p.startsWith('!')).map(globToRegExp);
  const negative = patterns.filter((p) => p.startsWith('!')).map((p) => globToRegExp(p.slice(1)));
  return positive.some((r) => r.test(file)) && !negative.some((r) => r.test(file));
}

const testFiles = readdirSync(path.join(REPO, 'test'), { recursive: true, encoding: 'utf8' })
  .map((f) => `test/${f.split(path.sep).join('/')}`)
  .filter((f) => f.endsWith('.test.ts'))
  .sort();

test('every test file is in exactly one profile', async (t) => {
  const profiles = { unit: await load('ava.unit.config.js'), serial: await load('ava.serial.config.js') };
  t.true(testFiles.length > 100, `${testFiles.length} test files found`);
  t.true(testFiles.includes('test/support-tests/profiles.test.ts'));
  const wrong = testFiles.flatMap((f) => {
    const in_ = Object.entries(profiles).filter(([, p]) => selects(p.files, f)).map(([name]) => name);
    return in_.length === 1 ? [] : [`${f}: ${in_.length === 0 ? 'in no profile' : `in ${in_.join(' and ')}`}`];
  });
  t.deepEqual(wrong, []);
});

test('the serial profile names existing files, each once, and runs them one at a time; the unit profile runs several', async (t) => {
  const unit = await load('ava.unit.config.js');
  const serial = await load('ava.serial.config.js');
  t.deepEqual(serial.files.filter((f) => !existsSync(path.join(REPO, f))), [], 'no stale names');
  t.is(new Set(serial.files).size, serial.files.length, 'no file twice');
  t.true(serial.files.every((f) => testFiles.includes(f)), 'literal test file paths only');
  t.is(serial.concurrency, 1);
  t.true(unit.concurrency > 1);
  t.false(serial.workerThreads);
  t.false(unit.workerThreads);
});

test('npm test runs both profiles, the serial one after the unit one, and fails when either fails', async (t) => {
  const pkg = JSON.parse(readFileSync(path.join(REPO, 'package.json'), 'utf8')) as { scripts: Record<string, string> };
  t.is(pkg.scripts.test, 'bash test/support/run-profiles.sh');
  const dir = mkdtempSync(path.join(os.tmpdir(), 'profiles-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  // A stand-in for ava: notes its arguments, fails for the profile named in FAIL.
  const stub = path.join(dir, 'ava');
  writeFileSync(stub, '#!/bin/sh\necho "$*" >> "$CALLS"\ncase "$2" in "ava.$FAIL.config.js") exit 3;; esac\nexit 0\n', { mode: 0o755 });
  const run = (fail: string) => {
    const calls = path.join(dir, `calls-${fail}`);
    return new Promise<{ code: number | null; calls: string[] }>((resolve, reject) => {
      execFile('bash', [path.join(REPO, 'test/support/run-profiles.sh'), '--verbose'], { env: { ...process.env, AVA: stub, CALLS: calls, FAIL: fail } }, (err) => {
        if (err && typeof err.code !== 'number') return reject(err);
        resolve({ code: err ? (err.code as number) : 0, calls: readFileSync(calls, 'utf8').trim().split('\n') });
      });
    });
  };
  const both = ['--config ava.unit.config.js --verbose', '--config ava.serial.config.js --verbose'];
  t.deepEqual(await run('none'), { code: 0, calls: both });
  t.deepEqual(await run('unit'), { code: 3, calls: both }, 'a failing unit run still lets the serial one run, and fails');
  t.deepEqual(await run('serial'), { code: 3, calls: both });
});
