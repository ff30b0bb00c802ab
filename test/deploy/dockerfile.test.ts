import { existsSync, readFileSync } from 'node:fs';
import { dirname, relative, resolve } from 'node:path';
import test from 'ava';
import ts from 'typescript';
import { execForm, isIgnored, parseCopy, parseDockerfile } from './dockerfile.js';
import type { Stage } from './dockerfile.js';
import { one, renderOverlay, REPO } from './render.js';

/**
 * The Dockerfile builds the way CI does and ships what the program runs: its build runs the
 * same npm script that `npm test` compiles with, the file its command starts is the one tsc
 * emits for src/cli.ts, every module that file reaches at run time is copied, every package
 * it imports survives the pruning of dev dependencies, and it runs as the non-root user the
 * Deployment expects, exposing the ports the Deployment declares.
 */

const dockerfile = readFileSync(resolve(REPO, 'Dockerfile'), 'utf8');
const dockerignore = readFileSync(resolve(REPO, '.dockerignore'), 'utf8');
const pkg = JSON.parse(readFileSync(resolve(REPO, 'package.json'), 'utf8')) as {
  scripts: Record<string, string>;
  bin: Record<string, string>;
  dependencies: Record<string, string>;
  devDependencies: Record<string, string>;
};
const stages = parseDockerfile(dockerfile);
const runtime = stages[stages.length - 1];

function buildStage(): Stage {
  const froms = runtime.instructions.filter((i) => i.keyword === 'COPY').map(parseCopy).flatMap((c) => (c.from ? [c.from] : []));
  const stage = stages.find((s) => s.name !== undefined && froms.includes(s.name));
  if (!stage) throw new Error(`the final stage copies from no named stage (stages: ${stages.map((s) => s.name ?? s.image).join(', ')})`);
  return stage;
}

function runs(stage: Stage): string[] {
  return stage.instructions.filter((i) => i.keyword === 'RUN').map((i) => i.args);
}

/** tsc's view of the project: tsconfig.json as tsc itself reads it. */
function tsProject(): ts.ParsedCommandLine {
  const file = resolve(REPO, 'tsconfig.json');
  const read = ts.readConfigFile(file, ts.sys.readFile);
  if (read.error) throw new Error(ts.flattenDiagnosticMessageText(read.error.messageText, '\n'));
  return ts.parseJsonConfigFileContent(read.config, ts.sys, REPO, undefined, file);
}

/** The JavaScript file tsc emits for a source file, relative to the repository. */
function emitted(project: ts.ParsedCommandLine, source: string): string {
  const js = ts.getOutputFileNames(project, resolve(REPO, source), false).find((f) => f.endsWith('.js'));
  if (!js) throw new Error(`tsc emits no .js for ${source}`);
  return relative(REPO, js);
}

/**
 * The source files src/cli.ts reaches at run time and the packages they import. Imports are
 * read from tsc's own JavaScript output, so type-only imports (erased) do not count.
 */
function runtimeClosure(entry: string): { files: string[]; packages: Set<string> } {
  const files = new Set<string>();
  const packages = new Set<string>();
  const queue = [entry];
  while (queue.length > 0) {
    const file = queue.pop() as string;
    if (files.has(file)) continue;
    files.add(file);
    if (!file.endsWith('.ts')) continue;
    const js = ts.transpileModule(readFileSync(resolve(REPO, file), 'utf8'), {
      compilerOptions: { module: ts.ModuleKind.ESNext, target: ts.ScriptTarget.ES2022 },
      fileName: file,
    }).outputText;
    for (const m of js.matchAll(/(?:^|\n)\s*(?:import|export)\s[^'"]*?from\s*['"]([^'"]+)['"]|(?:^|\n)\s*import\s*['"]([^'"]+)['"]|import\(\s*['"]([^'"]+)['"]\s*\)/g)) {
      const spec = m[1] ?? m[2] ?? m[3];
      if (spec.startsWith('node:')) continue;
      if (spec.startsWith('.')) {
        const target = relative(REPO, resolve(REPO, dirname(file), spec.replace(/\.js$/, '.ts')));
        if (!existsSync(resolve(REPO, target))) throw new Error(`${file}: import ${spec}: no ${target}`);
        queue.push(target);
      } else {
        packages.add(spec.startsWith('@') ? spec.split('/').slice(0, 2).join('/') : spec.split('/')[0]);
      }
    }
  }
  return { files: [...files], packages };
}

const isUnder = (path: string, dir: string): boolean => path === dir || path.startsWith(`${dir.replace(/\/+$/, '')}/`);

test('the build stage installs from the lockfile, builds with the npm script CI compiles with, then drops dev dependencies', (t) => {
  const steps = runs(buildStage());
  const ci = steps.findIndex((r) => /\bnpm ci\b/.test(r) && !/--omit=dev/.test(r));
  const build = steps.findIndex((r) => /\bnpm run build\b/.test(r));
  const prune = steps.findIndex((r) => /\bnpm prune\b.*--omit=dev|\bnpm ci\b.*--omit=dev/.test(r));
  t.true(ci >= 0, `npm ci in ${JSON.stringify(steps)}`);
  t.true(build > ci, 'npm run build after npm ci');
  t.true(prune > build, 'dev dependencies pruned after the build');
  t.truthy(pkg.scripts.build, 'package.json has a build script');
  // The compile step of `npm test` (pretest, which .ci/run exercises) is the same command.
  t.true(pkg.scripts.pretest.split('&&').map((s) => s.trim()).includes(pkg.scripts.build.trim()), `pretest "${pkg.scripts.pretest}" runs "${pkg.scripts.build}"`);
  t.regex(pkg.scripts.build, /^tsc -p \.$/);

  const copies = buildStage().instructions.filter((i) => i.keyword === 'COPY').map(parseCopy);
  const firstCopyOfLock = copies.findIndex((c) => c.sources.includes('package-lock.json'));
  t.true(firstCopyOfLock >= 0, 'the lockfile is copied (npm ci needs it)');
  for (const c of copies.filter((x) => !x.from)) {
    for (const s of c.sources) {
      t.true(existsSync(resolve(REPO, s)), `COPY ${s}: not in the repository`);
      t.false(isIgnored(dockerignore, s), `COPY ${s}: excluded by .dockerignore`);
    }
  }
});

test('the image starts the file tsc emits for src/cli.ts (the package bin) with `serve --config /etc/globaldns/config.yaml`', (t) => {
  const project = tsProject();
  const cli = emitted(project, 'src/cli.ts');
  t.is(cli, 'dist/src/cli.js');
  t.is(pkg.bin.globaldns, cli);
  const entrypoint = runtime.instructions.find((i) => i.keyword === 'ENTRYPOINT');
  const cmd = runtime.instructions.find((i) => i.keyword === 'CMD');
  t.truthy(cmd);
  const argv = [...(entrypoint ? execForm(entrypoint) : []), ...(cmd ? execForm(cmd) : [])];
  t.deepEqual(argv, ['node', cli, 'serve', '--config', '/etc/globaldns/config.yaml']);
  const workdir = runtime.instructions.filter((i) => i.keyword === 'WORKDIR').pop()?.args;
  t.is(workdir, '/app');
  // The emitted file reaches the image: some COPY --from=<build> brings it to /app/<cli>.
  const build = buildStage();
  const buildDir = build.instructions.filter((i) => i.keyword === 'WORKDIR').pop()?.args ?? '/';
  const copied = runtime.instructions
    .filter((i) => i.keyword === 'COPY')
    .map(parseCopy)
    .filter((c) => c.from === build.name)
    .some((c) => c.sources.some((s) => isUnder(`${buildDir}/${cli}`, s) && `${resolve('/app', c.dest)}/${relative(s, `${buildDir}/${cli}`)}`.replace(/\/$/, '') === `/app/${cli}`));
  t.true(copied, `no COPY --from=${build.name} puts ${cli} at /app/${cli}`);
});

test('every module the CLI reaches at run time is built and copied, every package it imports is a production dependency', (t) => {
  const project = tsProject();
  const { files, packages } = runtimeClosure('src/cli.ts');
  t.true(files.length > 20, `only ${files.length} files reached from src/cli.ts`);
  const build = buildStage();
  const buildCopies = build.instructions.filter((i) => i.keyword === 'COPY').map(parseCopy).filter((c) => !c.from);
  const buildDir = build.instructions.filter((i) => i.keyword === 'WORKDIR').pop()?.args ?? '/';
  const shipped = runtime.instructions.filter((i) => i.keyword === 'COPY').map(parseCopy).filter((c) => c.from === build.name).flatMap((c) => c.sources);
  for (const file of files) {
    t.true(buildCopies.some((c) => c.sources.some((s) => isUnder(file, s))), `${file} is not copied into the build stage`);
    t.false(isIgnored(dockerignore, file), `${file} is excluded by .dockerignore`);
    if (file.endsWith('.ts')) {
      const js = `${buildDir}/${emitted(project, file)}`;
      t.true(shipped.some((s) => isUnder(js, s)), `${js} does not reach the final image`);
    }
  }
  for (const p of packages) t.truthy(pkg.dependencies[p], `${p} is imported at run time but is not in "dependencies" (npm prune --omit=dev removes it)`);
});

test('the image runs as the non-root user the Deployment expects, and exposes the ports it declares', async (t) => {
  const user = runtime.instructions.filter((i) => i.keyword === 'USER').pop()?.args;
  t.truthy(user, 'USER in the final stage');
  const [uid, gid] = (user ?? '').split(':');
  t.regex(uid, /^\d+$/, 'a numeric uid (runAsNonRoot can check it without /etc/passwd)');
  t.not(Number(uid), 0);

  const objects = await renderOverlay('base');
  const spec = (one(objects, 'Deployment', 'globaldns').spec as { template: { spec: { securityContext: { runAsUser: number; runAsGroup?: number }; containers: { ports?: { containerPort: number; protocol?: string }[] }[] } } }).template.spec;
  t.is(spec.securityContext.runAsUser, Number(uid));
  if (gid !== undefined && spec.securityContext.runAsGroup !== undefined) t.is(spec.securityContext.runAsGroup, Number(gid));
  const exposed = new Set(
    runtime.instructions
      .filter((i) => i.keyword === 'EXPOSE')
      .flatMap((i) => i.args.split(' '))
      .map((p) => (p.includes('/') ? p.toLowerCase() : `${p}/tcp`)),
  );
  for (const c of spec.containers) {
    for (const p of c.ports ?? []) t.true(exposed.has(`${p.containerPort}/${(p.protocol ?? 'TCP').toLowerCase()}`), `EXPOSE lacks ${p.containerPort}/${p.protocol ?? 'TCP'}`);
  }
  t.true(/^node:22[.-]/.test(runtime.image) && /^node:22[.-]/.test(buildStage().image), 'Node 22 LTS in both stages');
});

test('.dockerignore keeps host builds, dependencies and secrets out of the build context', (t) => {
  for (const path of ['node_modules/zod/package.json', 'dist/src/cli.js', '.git/config', '.state/zones.json', 'test/support/knot.ts', 'prod.kubeconfig', 'deploy/examples/route53-credentials.yaml']) {
    t.true(isIgnored(dockerignore, path), `${path} reaches the build context`);
  }
  for (const path of ['src/cli.ts', 'src/sources/kubernetes/kubeconfig.ts', 'providers/route53/index.ts', 'package-lock.json']) {
    t.false(isIgnored(dockerignore, path), `${path} is excluded`);
  }
});
