import test from 'ava';
import { mkdirSync, mkdtempSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { EndpointStore, FolderSource, formatProblem } from '../../src/sources/index.js';
import type { ManifestProblem } from '../../src/sources/index.js';
import { ManualClock } from '../support/clock.js';

const ingress = (name: string, host: string, ip: string) => `
apiVersion: networking.k8s.io/v1
kind: Ingress
metadata:
  name: ${name}
  annotations:
    globaldns.io/hostname: ${host}
status:
  loadBalancer:
    ingress: [{ ip: ${ip} }]
`;

function setup(t: { teardown(fn: () => void): void }) {
  const dir = mkdtempSync(join(tmpdir(), 'gdns-folder-'));
  const store = new EndpointStore();
  const problems: ManifestProblem[] = [];
  const source = new FolderSource({ cluster: 'east', dir, store, report: (p) => problems.push(p), pollIntervalMs: 0 });
  t.teardown(() => {
    source.stop();
    rmSync(dir, { recursive: true, force: true });
  });
  return { dir, store, problems, source };
}

/** Resolves with the touched names of the next store change, or rejects after `ms`. */
function nextChange(store: EndpointStore, ms = 1000): Promise<string[]> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      off();
      reject(new Error(`no store change within ${ms} ms`));
    }, ms);
    const off = store.onChange((names) => {
      clearTimeout(timer);
      off();
      resolve([...names].sort());
    });
  });
}

const targetsOf = (store: EndpointStore, name: string) => store.byName(name).flatMap((e) => e.targets).sort();

test('start reads the folder; edits, rename-replace and deletes show up within a second', async (t) => {
  const { dir, store, source } = setup(t);
  writeFileSync(join(dir, 'shop.yaml'), ingress('shop', 'shop.example.test', '192.0.2.10'));
  writeFileSync(join(dir, 'notes.txt'), ingress('ignored', 'txt.example.test', '192.0.2.99'));
  await source.start();
  t.deepEqual(targetsOf(store, 'shop.example.test'), ['192.0.2.10']);
  t.deepEqual(store.byName('txt.example.test'), [], 'only .yaml/.yml/.json files are manifests');

  // In-place edit.
  let change = nextChange(store);
  writeFileSync(join(dir, 'shop.yaml'), ingress('shop', 'shop.example.test', '192.0.2.11'));
  t.deepEqual(await change, ['shop.example.test']);
  t.deepEqual(targetsOf(store, 'shop.example.test'), ['192.0.2.11']);

  // What vim and many tools do: write a temporary file, rename it over the original.
  change = nextChange(store);
  writeFileSync(join(dir, '.shop.yaml.tmp'), ingress('shop', 'shop.example.test', '192.0.2.12'));
  renameSync(join(dir, '.shop.yaml.tmp'), join(dir, 'shop.yaml'));
  await change;
  t.deepEqual(targetsOf(store, 'shop.example.test'), ['192.0.2.12']);

  // A new file, then a deletion.
  change = nextChange(store);
  writeFileSync(join(dir, 'api.yml'), ingress('api', 'api.example.test', '198.51.100.1'));
  t.deepEqual(await change, ['api.example.test']);
  change = nextChange(store);
  rmSync(join(dir, 'shop.yaml'));
  t.deepEqual(await change, ['shop.example.test']);
  t.deepEqual(store.byName('shop.example.test'), []);
  t.deepEqual(targetsOf(store, 'api.example.test'), ['198.51.100.1']);
});

test('a broken document is reported once and the rest keeps being served', async (t) => {
  const { dir, store, problems, source } = setup(t);
  const file = join(dir, 'shop.yaml');
  writeFileSync(file, `${ingress('shop', 'shop.example.test', '192.0.2.10')}\n---\nkind: [broken\n`);
  await source.start();
  t.deepEqual(targetsOf(store, 'shop.example.test'), ['192.0.2.10']);
  t.is(problems.length, 1);
  t.like(problems[0], { file, document: 2 });

  // Another file changing re-reads the folder; the same problem is not told again.
  const change = nextChange(store);
  writeFileSync(join(dir, 'api.yaml'), ingress('api', 'api.example.test', '192.0.2.20'));
  await change;
  t.is(problems.length, 1);

  // Fixed, then broken again: told again, since it is a new occurrence.
  writeFileSync(file, ingress('shop', 'shop.example.test', '192.0.2.10'));
  await source.sync();
  writeFileSync(file, `${ingress('shop', 'shop.example.test', '192.0.2.10')}\n---\nkind: [broken\n`);
  await source.sync();
  t.is(problems.length, 2);
  t.deepEqual(targetsOf(store, 'shop.example.test'), ['192.0.2.10']);
});

test('a missing folder is reported and the last endpoints stay', async (t) => {
  const { dir, store, problems, source } = setup(t);
  writeFileSync(join(dir, 'shop.yaml'), ingress('shop', 'shop.example.test', '192.0.2.10'));
  await source.start();
  rmSync(dir, { recursive: true, force: true });
  await source.sync();
  await new Promise((r) => setTimeout(r, 150)); // let the watcher's own re-read run too
  t.deepEqual(targetsOf(store, 'shop.example.test'), ['192.0.2.10']);
  t.is(problems.length, 1);
  t.regex(formatProblem(problems[0]), /cannot read folder/);
});

test('a folder missing at start is not synced until it appears', async (t) => {
  const parent = mkdtempSync(join(tmpdir(), 'gdns-folder-'));
  const dir = join(parent, 'east');
  const store = new EndpointStore();
  const problems: ManifestProblem[] = [];
  const clock = new ManualClock();
  const source = new FolderSource({ cluster: 'east', dir, store, report: (p) => problems.push(p), pollIntervalMs: 50, clock });
  t.teardown(() => {
    source.stop();
    rmSync(parent, { recursive: true, force: true });
  });
  await source.start();
  t.false(source.synced);
  t.is(problems.length, 1);
  t.deepEqual(clock.pending(), [50], 'the poll');
  mkdirSync(dir);
  writeFileSync(join(dir, 'shop.yaml'), ingress('shop', 'shop.example.test', '192.0.2.10'));
  // Nothing watches a folder that was missing: only the poll finds it.
  await clock.advance(49);
  t.false(source.synced);
  await clock.advance(1);
  await source.whenSynced();
  t.true(source.synced);
  t.deepEqual(targetsOf(store, 'shop.example.test'), ['192.0.2.10']);
});
