// Loads the bundle's command line (dist/bundle/cli.js, a CommonJS file made by bin/bundle-dist.mjs)
// with V8's code cache: the bytecode of the functions a run uses, saved beside the bundle at build
// time (cli.js.v8cache, bin/train-code-cache.mjs). Node 20 keeps no compile cache of its own, and
// compiling the bundle's megabyte of JavaScript was a quarter of a pre-commit hook's run (40 ms of
// about 170 on one file of mm/). The cache answers only for the build that made it (the build id on
// the bundle's first line, which the cache file starts with) and for the V8 that made it (V8 checks
// its version and flags and rejects it otherwise); without it the bundle is compiled as before.
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import vm from 'node:vm';

/** The bundle's first line: `/* vmalint build <id> *\/`, the id a hash of the bundle's files. */
const BUILD_LINE = /^\/\* vmalint build ([0-9a-f]{64}) \*\//;

/** The code cache's file, beside the bundle. */
export function codeCacheFile(cliFile) {
  return `${cliFile}.v8cache`;
}

/** The build id on the bundle's first line; null when it has none. */
function buildIdOf(source) {
  return BUILD_LINE.exec(source)?.[1] ?? null;
}

/** The cache's bytecode when its file was made for this build of the bundle; else undefined. */
function cachedDataFor(cliFile, buildId) {
  if (!buildId) return undefined;
  let data;
  try {
    data = readFileSync(codeCacheFile(cliFile));
  } catch {
    return undefined;
  }
  // The file: the build id (64 bytes of hex), then V8's data.
  return data.subarray(0, 64).toString('latin1') === buildId ? data.subarray(64) : undefined;
}

/**
 * Compiles and runs the bundle as Node runs a CommonJS module (the same wrapper's parameters), with
 * the cache when it answers. Returns its exports, the script and the build id (for
 * bin/train-code-cache.mjs) and how the cache went: 'used', 'rejected' (by V8: another Node), or 'none'.
 */
export function loadBundle(cliFile, { withCache = true } = {}) {
  const source = readFileSync(cliFile, 'utf8');
  const buildId = buildIdOf(source);
  const cachedData = withCache ? cachedDataFor(cliFile, buildId) : undefined;
  const script = new vm.Script(`(function (exports, require, module, __filename, __dirname) {${source}\n})`, { filename: cliFile, cachedData });
  const module = { exports: {} };
  script.runInThisContext()(module.exports, createRequire(cliFile), module, cliFile, path.dirname(cliFile));
  const codeCache = cachedData === undefined ? 'none' : script.cachedDataRejected ? 'rejected' : 'used';
  return { exports: module.exports, script, buildId, codeCache };
}

