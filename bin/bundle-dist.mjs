// Bundles the compiled modules (dist/src/, from `npm run build` or bin/build-dist.mjs) into
// dist/bundle/: the command line and the worker as two entries sharing their chunks, each module
// the engine loads only on demand (the analysis after a cache miss, the language server, the file
// listing) a chunk of its own. A run then loads a handful of files instead of some 120 modules,
// each resolved and compiled apart: that is most of a pre-commit hook's time (issue 22).
//
// The bundle is made from dist/src, the JavaScript the tests run, with esbuild (a dependency: it
// bundles and splits ES modules; web-tree-sitter stays outside, since it finds its WebAssembly
// beside itself). bin/vmalint runs it only when it is newer than dist/src/cli.js (a `tsc` run after
// the bundle leaves it stale, and then dist/src is run as before).
import { existsSync, mkdirSync, renameSync, rmSync } from 'node:fs';
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
  await esbuild.build({
    entryPoints: { cli: path.join(dist, 'src', 'cli.js'), worker: path.join(dist, 'src', 'parallel', 'worker.js') },
    outdir: building,
    bundle: true,
    splitting: true,
    format: 'esm',
    platform: 'node',
    target: 'node20',
    chunkNames: '[name]-[hash]',
    external: ['web-tree-sitter', 'vscode-languageserver', 'vscode-languageserver/*', 'vscode-languageserver-textdocument'],
    logLevel: 'error',
  });
  const bundle = path.join(dist, 'bundle');
  const old = path.join(dist, `.bundle-old-${process.pid}`);
  if (existsSync(bundle)) renameSync(bundle, old);
  renameSync(building, bundle);
  rmSync(old, { recursive: true, force: true });
  return true;
}

if (process.argv[1] && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  if (!(await bundleDist())) {
    process.stderr.write('vmalint: esbuild is not installed (npm ci): dist/bundle was not made\n');
    process.exitCode = 1;
  }
}
