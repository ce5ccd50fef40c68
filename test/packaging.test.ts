// An installation from the packed sources (what the pre-commit framework's `language: node` and an
// `npm install -g` of a checkout get: npm pack, no lifecycle script, so no dist/) compiles itself
// on its first run (and bundles itself, esbuild being a dependency) and then analyses as a built
// checkout does.
import assert from 'node:assert/strict';
import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, symlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { test } from 'node:test';
import { fileURLToPath } from 'node:url';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');
const hasTools = spawnSync('npm', ['--version']).status === 0 && spawnSync('tar', ['--version']).status === 0;

test('packaging: the packed sources without dist/ compile themselves on the first run', { skip: !hasTools && 'npm or tar is missing', timeout: 180_000 }, () => {
  const dest = mkdtempSync(path.join(tmpdir(), 'vmalint-pack-'));
  const packed = JSON.parse(execFileSync('npm', ['pack', '--json', '--pack-destination', dest], { cwd: ROOT, encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] })) as { filename: string; files: { path: string }[] }[];
  const files = packed[0]!.files.map((f) => f.path);
  for (const needed of ['bin/vmalint', 'bin/build-dist.mjs', 'bin/bundle-dist.mjs', 'src/cli.ts', 'queries/comments.scm']) assert.ok(files.includes(needed), `${needed} is not packed`);
  assert.ok(!files.some((f) => f.startsWith('test/') || f.startsWith('fixtures/')), 'tests are packed');
  execFileSync('tar', ['xzf', path.join(dest, packed[0]!.filename), '-C', dest]);
  const pkg = path.join(dest, 'package');
  // As from a fresh clone: no build; the dependencies as npm installs them.
  rmSync(path.join(pkg, 'dist'), { recursive: true, force: true });
  symlinkSync(path.join(ROOT, 'node_modules'), path.join(pkg, 'node_modules'));
  const fixture = path.join(ROOT, 'fixtures', 'mmap-lock-imbalance', 'aliases.c');
  const run = () => spawnSync(process.execPath, [path.join(pkg, 'bin', 'vmalint'), '--no-cache', fixture], { encoding: 'utf8' });
  const first = run();
  assert.match(first.stderr, /compiling its sources/);
  assert.equal(first.status, 1, first.stderr);
  assert.match(first.stdout, /aliases\.c:22:\d+: error: .*\[mmap-lock-imbalance\]/);
  assert.ok(existsSync(path.join(pkg, 'dist', 'src', 'cli.js')));
  // Bundled too, esbuild being installed (a dependency).
  assert.ok(existsSync(path.join(pkg, 'dist', 'bundle', 'cli.js')));
  const second = run();
  assert.doesNotMatch(second.stderr, /compiling/);
  assert.equal(second.stdout, first.stdout);
});
