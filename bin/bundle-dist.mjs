// Bundles the compiled modules (dist/src/, from `npm run build` or bin/build-dist.mjs) into
// dist/bundle/: the command line (cli.js) and the worker (worker.js), each one CommonJS file with
// every module it may need; a module the engine loads only on demand (the analysis after a cache
// miss, the language server, the file listing) is evaluated only then. A run then reads one file
// instead of some 120 modules, each resolved and compiled apart: that was most of a pre-commit
// hook's time (issue 22). CommonJS, not ES modules, so that bin/vmalint can compile the command
// line with V8's code cache (bin/bundle-loader.mjs), which this script then makes
// (bin/train-code-cache.mjs): Node 20 gives no code cache to ES modules.
//
// The bundle is made from dist/src, the JavaScript the tests run, with esbuild (a dependency: it
// bundles ES modules into one file; web-tree-sitter stays outside, since it finds its WebAssembly
// beside itself: bundled, with its code under the cache, it made a hook's run no faster).
// bin/vmalint runs it only when it is newer than dist/src/cli.js (a `tsc` run after the bundle
// leaves it stale, and then dist/src is run as before). Each file starts with the build id, a hash
// of both files (`/* vmalint build <id> */`, read by bin/bundle-loader.mjs and src/cache.ts): the
// code cache and the result cache answer only for it. A script compiled as bin/bundle-loader.mjs
// compiles it cannot import() (Node 20 has no loader for it): the bundle must not (a test checks).
import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');

/** Bundles dist/src into dist/bundle; false when esbuild cannot be loaded (dist/src is then run). */
export async function bundleDist() {
  let esbuild;
  try {
    esbuild = await import('esbuild');
  } catch {
    return false;
  }
  const dist = path.join(root, 'dist');
  // Built aside and moved in whole, as bin/build-dist.mjs does: never half a bundle.
  const building = path.join(dist, `.bundle-${process.pid}`);
  rmSync(building, { recursive: true, force: true });
  mkdirSync(building, { recursive: true });
  const { outputFiles } = await esbuild.build({
    entryPoints: { cli: path.join(dist, 'src', 'cli.js'), worker: path.join(dist, 'src', 'parallel', 'worker.js') },
    outdir: building,
    bundle: true,
    format: 'cjs',
    platform: 'node',
    target: 'node20',
    // The modules find their installation from their own place (src/install-root.ts): in the
    // bundle, the file's own URL, which the first lines below compute.
    define: { 'import.meta.url': '__bundleUrl' },
    external: ['web-tree-sitter', 'vscode-languageserver', 'vscode-languageserver/*', 'vscode-languageserver-textdocument'],
    logLevel: 'error',
    write: false,
  });
  const id = createHash('sha256');
  for (const file of outputFiles) id.update(path.basename(file.path)).update(file.contents);
  const buildId = id.digest('hex');
  for (const file of outputFiles) {
    // After the "use strict" that starts the file, which must stay its first statement.
    const strict = /^"use strict";\n/.exec(file.text)?.[0] ?? '';
    const bundleUrl = "var __bundleUrl = require('node:url').pathToFileURL(__filename).href;\n";
    writeFileSync(file.path, `/* vmalint build ${buildId} */\n${strict}${bundleUrl}${file.text.slice(strict.length)}`);
  }
  // The files are CommonJS in a package whose type is module.
  writeFileSync(path.join(building, 'package.json'), '{ "type": "commonjs" }\n');
  const bundle = path.join(dist, 'bundle');
  const old = path.join(dist, `.bundle-old-${process.pid}`);
  if (existsSync(bundle)) renameSync(bundle, old);
  renameSync(building, bundle);
  rmSync(old, { recursive: true, force: true });
  trainCodeCache(path.join(bundle, 'cli.js'));
  return true;
}

/** Makes the command line's code cache; a failure costs only speed, and is said. */
function trainCodeCache(cli) {
  const run = spawnSync(process.execPath, [path.join(root, 'bin', 'train-code-cache.mjs'), cli], { encoding: 'utf8', timeout: 120_000 });
  if (run.status !== 0) {
    const reason = (run.stderr || run.error?.message || `exit status ${run.status}`).trim().split('\n').slice(-3).join(' ');
    process.stderr.write(`vmalint: warning: the bundle's code cache was not made (${reason}): each run compiles the bundle\n`);
  }
}

if (process.argv[1] && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  if (!(await bundleDist())) {
    process.stderr.write('vmalint: esbuild is not installed (npm ci): dist/bundle was not made\n');
    process.exitCode = 1;
  }
}
