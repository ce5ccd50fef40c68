// A run the run-level cache entry answers (a pre-commit hook's run on unchanged files) does not
// load the engine (src/analyze.ts loads src/run/analysis-run.ts only after the entry missed): the
// modules a process loads are recorded by a loader hook and a require hook, for a first run and a
// second one.
import assert from 'node:assert/strict';
import { mkdtemp, writeFile } from 'node:fs/promises';
import { readFileSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { test } from 'node:test';
import { spawnSync } from 'node:child_process';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { FAULT_IN_ONE_FILE } from './support/helper-and-caller.js';

const SOURCE = FAULT_IN_ONE_FILE;

test('a run the cache answers loads neither the engine nor the parser; a run it does not answer does', { timeout: 60_000 }, async () => {
  const dir = await mkdtemp(path.join(tmpdir(), 'vmalint-lazy-'));
  const file = path.join(dir, 'use.c');
  await writeFile(file, SOURCE);
  const loader = path.join(dir, 'record-modules.mjs');
  await writeFile(loader, `import { appendFileSync } from 'node:fs';
export async function resolve(specifier, context, next) {
  const resolved = await next(specifier, context);
  appendFileSync(process.env.VMALINT_TEST_MODULES, resolved.url + '\\n');
  return resolved;
}
`);
  // The bundle (dist/bundle/cli.js) is CommonJS: what it requires goes through Module._load.
  const requires = path.join(dir, 'record-requires.cjs');
  await writeFile(requires, `const Module = require('node:module');
const { appendFileSync } = require('node:fs');
const load = Module._load;
Module._load = function (request, ...rest) {
  appendFileSync(process.env.VMALINT_TEST_MODULES, request + '\\n');
  return load.call(this, request, ...rest);
};
`);
  const bin = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..', 'bin', 'vmalint');
  const modulesOf = (run: string): string[] => {
    const log = path.join(dir, `${run}.log`);
    const r = spawnSync(process.execPath, ['--no-warnings', '--require', requires, '--experimental-loader', pathToFileURL(loader).href, bin, '--format', 'json', file], {
      encoding: 'utf8',
      timeout: 30_000,
      env: { ...process.env, VMALINT_CACHE_DIR: path.join(dir, 'cache'), VMALINT_TEST_MODULES: log },
    });
    assert.equal(r.status, 1, `${run}: ${r.stderr}`);
    assert.match(r.stdout, /fault-under-mmap-lock/);
    assert.ok(existsSync(log), `${run}: no module recorded`);
    return [...new Set(readFileSync(log, 'utf8').split('\n').filter(Boolean))];
  };
  // dist/src's modules, or the parser's library (the bundle holds the engine in its one file, and
  // evaluates it, and requires the parser, only when the run loads it).
  const engine = (m: string): boolean => /\/src\/(engine\/dataflow|run\/analysis-run|parse\/parser)\.js$/.test(m) || m.includes('web-tree-sitter');
  const first = modulesOf('first');
  assert.ok(first.filter(engine).length >= 1, `the first run loads the engine: ${first.filter(engine).join(', ')}`);
  const second = modulesOf('second');
  assert.deepEqual(second.filter(engine), [], 'the second run loads none of the engine');
  assert.ok(second.length < first.length, `${second.length} modules against ${first.length}`);
});
