// ESLint for the whole repository (src/, providers/, test/, bench/), with the type-aware
// rules of typescript-eslint: they see through tsconfig.json, so they know which calls
// return promises. Run with `npm run lint` (also part of `npm test`).
//
// Layout is not checked here: dprint (dprint.json) owns formatting.
import js from '@eslint/js';
import tseslint from 'typescript-eslint';

export default tseslint.config(
  // .cjs preloads (test/support/hide-http-common.cjs) are outside the TypeScript project.
  { ignores: ['dist/', 'node_modules/', '.state/', '.ci/node/', '**/*.cjs'] },
  js.configs.recommended,
  ...tseslint.configs.recommendedTypeChecked,
  {
    languageOptions: {
      // The project service finds tsconfig.json itself, so new files are linted with the
      // same compiler options as `tsc -p .` without listing them here.
      parserOptions: { projectService: true, tsconfigRootDir: import.meta.dirname },
    },
    rules: {
      // A leading underscore names what is there on purpose and unused: a parameter a
      // callback signature requires, or a property taken out of an object with `...rest`
      // so the rest goes on without it.
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_', caughtErrors: 'none', ignoreRestSiblings: true }],
      // Fakes, the in-memory provider and the ACME hooks implement promise-returning
      // interfaces with `async` methods that need no `await`: `async` is what turns a throw
      // into a rejection, which is what their callers handle.
      '@typescript-eslint/require-await': 'off',
      // Interfaces here declare callbacks with method syntax (`stop(): Promise<void>`) and
      // the values are closures or static functions that never use `this`, so passing
      // `daemon.stop` or `ts.sys.readFile` along is safe; the rule flags every such use.
      '@typescript-eslint/unbound-method': 'off',
      // `String(x)` of an unknown value is how error paths show whatever a peer sent
      // (a thrown non-Error, a manifest field of the wrong type); `[object Object]` there is
      // an acceptable worst case, not a bug.
      '@typescript-eslint/no-base-to-string': 'off',
      // A caught `unknown` is passed on as it came (`reject(e)`, rethrown by a fake): the
      // caller decides what it is, and wrapping it would change what tests observe.
      '@typescript-eslint/prefer-promise-reject-errors': ['error', { allowThrowingUnknown: true, allowThrowingAny: true }],
      '@typescript-eslint/only-throw-error': ['error', { allowThrowingUnknown: true, allowThrowingAny: true }],
      // `const self = this` is kept only where prom-client calls `collect()` with `this`
      // bound to the metric, so the outer object needs another name.
      '@typescript-eslint/no-this-alias': ['error', { allowedNames: ['self'] }],
      // `let x; t.teardown(() => x?.close()); x = await open()` registers the cleanup before
      // the thing exists, so a failure in between still cleans up: the read comes first.
      'prefer-const': ['error', { ignoreReadBeforeAssign: true }],
    },
  },
  {
    files: ['test/**/*.ts', 'bench/**/*.ts'],
    rules: {
      // Tests hand async functions to event emitters (`sock.on('connect', async () => …)`):
      // a rejection there is an unhandled rejection, which ava reports as a failure, which
      // is what the test wants.
      '@typescript-eslint/no-misused-promises': ['error', { checksVoidReturn: { arguments: false } }],
      // Failure messages print whatever a test got, whatever its type.
      '@typescript-eslint/restrict-template-expressions': 'off',
      // `execFile`'s callback error (ExecFileException) is an Error at run time, but its
      // declared type is built with Omit<> and no longer counts as one.
      '@typescript-eslint/prefer-promise-reject-errors': 'off',
    },
  },
  // This file itself is plain JavaScript outside tsconfig.json: no type information for it.
  { files: ['**/*.js'], extends: [tseslint.configs.disableTypeChecked] },
);
