// The bundle (dist/bundle/, bin/bundle-dist.mjs): bin/vmalint runs it only when it is not older
// than dist/src/cli.js, with the code cache made for it (and without one made for another build, or
// one V8 rejects), and it reports what dist/src reports, on one thread and with workers (its second
// file, worker.js).
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync, utimesSync, writeFileSync } from 'node:fs';
import { copyFile, mkdir, mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { test } from 'node:test';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { FAULT_IN_ONE_FILE } from './support/helper-and-caller.js';

const REPOSITORY_ROOT = fileURLToPath(new URL('../../', import.meta.url));

const SOURCE = `${FAULT_IN_ONE_FILE}
int other(struct mm_struct *mm, unsigned long addr)
{
	struct vm_area_struct *vma;

	mmap_read_lock(mm);
	vma = vma_lookup(mm, addr);
	vma->vm_flags |= 1;
	mmap_read_unlock(mm);
	return 0;
}
`;

/** A scratch installation: bin/vmalint and its loader, and stand-in CLIs, each printing which it is; mtimes in seconds since 1970. */
async function installationWith(bundleAt: number | null, compiledAt: number | null): Promise<string> {
  const root = await mkdtemp(path.join(tmpdir(), 'vmalint-bundle-'));
  await mkdir(path.join(root, 'bin'));
  await writeFile(path.join(root, 'package.json'), '{ "type": "module" }\n');
  for (const file of ['vmalint', 'bundle-loader.mjs']) await copyFile(path.join(REPOSITORY_ROOT, 'bin', file), path.join(root, 'bin', file));
  for (const [dir, at] of [['bundle', bundleAt], ['src', compiledAt]] as const) {
    if (at === null) continue;
    const cli = path.join(root, 'dist', dir, 'cli.js');
    await mkdir(path.dirname(cli), { recursive: true });
    // The bundle is CommonJS with its build line (bin/bundle-dist.mjs); dist/src holds ES modules.
    if (dir === 'bundle') {
      await writeFile(path.join(root, 'dist', dir, 'package.json'), '{ "type": "commonjs" }\n');
      await writeFile(cli, `/* vmalint build ${BUILD_ID} */\n"use strict";\nexports.runFromCommandLine = async function () { process.stdout.write('bundle\\n'); };\n`);
    } else {
      await writeFile(cli, `export async function runFromCommandLine() { process.stdout.write('src\\n'); }\n`);
    }
    utimesSync(cli, at, at);
  }
  return root;
}

const BUILD_ID = 'a'.repeat(64);

function launch(root: string): { stdout: string; stderr: string } {
  return spawnSync(process.execPath, [path.join(root, 'bin', 'vmalint')], { encoding: 'utf8', env: { ...process.env, VMALINT_PHASES: '1' } });
}

async function launcherWith(bundleAt: number | null, compiledAt: number | null): Promise<string> {
  return launch(await installationWith(bundleAt, compiledAt)).stdout;
}

test('bin/vmalint runs the bundle when it is not older than dist/src, else dist/src', async () => {
  assert.equal(await launcherWith(2000, 1000), 'bundle\n');
  assert.equal(await launcherWith(1000, 1000), 'bundle\n');
  assert.equal(await launcherWith(1000, 2000), 'src\n', 'a tsc run after the bundle leaves it stale');
  assert.equal(await launcherWith(null, 1000), 'src\n');
  assert.equal(await launcherWith(1000, null), 'bundle\n');
});

test('bin/vmalint takes the code cache made for its bundle, and compiles the bundle when the cache is for another build or V8 rejects it', async () => {
  const root = await installationWith(2000, 1000);
  const cli = path.join(root, 'dist', 'bundle', 'cli.js');
  const codeCache = `${cli}.v8cache`;
  assert.match(launch(root).stderr, /code cache: none/);
  // The cache as bin/train-code-cache.mjs writes it: the build id, then V8's data, made in a
  // process of its own (as the build does) so that V8's flags are a fresh process's.
  const make = path.join(root, 'make-cache.mjs');
  writeFileSync(make, `import { writeFileSync } from 'node:fs';
import { loadBundle } from ${JSON.stringify(pathToFileURL(path.join(root, 'bin', 'bundle-loader.mjs')).href)};
const { script, buildId } = loadBundle(${JSON.stringify(cli)}, { withCache: false });
writeFileSync(${JSON.stringify(codeCache)}, Buffer.concat([Buffer.from(buildId, 'latin1'), script.createCachedData()]));
`);
  assert.equal(spawnSync(process.execPath, [make]).status, 0);
  const used = launch(root);
  assert.equal(used.stdout, 'bundle\n');
  assert.match(used.stderr, /code cache: used/);
  const data = readFileSync(codeCache);
  // Made for another build: not even offered to V8.
  writeFileSync(codeCache, Buffer.concat([Buffer.from('b'.repeat(64), 'latin1'), data.subarray(64)]));
  const other = launch(root);
  assert.equal(other.stdout, 'bundle\n');
  assert.match(other.stderr, /code cache: none/);
  // For this build, but not V8's (another Node, a damaged file): V8 rejects it, the bundle compiles.
  writeFileSync(codeCache, Buffer.concat([data.subarray(0, 64), Buffer.from('not bytecode')]));
  const rejected = launch(root);
  assert.equal(rejected.stdout, 'bundle\n');
  assert.match(rejected.stderr, /code cache: rejected/);
});

test('npm run build makes the code cache, and V8 takes it; the bundle imports nothing dynamically', () => {
  const bundled = path.join(REPOSITORY_ROOT, 'dist', 'bundle', 'cli.js');
  // bin/bundle-loader.mjs compiles it with node:vm, where import() has no loader (Node 20).
  assert.doesNotMatch(readFileSync(bundled, 'utf8'), /\bimport\(/);
  assert.ok(existsSync(`${bundled}.v8cache`), 'npm run build makes dist/bundle/cli.js.v8cache');
  const r = spawnSync(process.execPath, [path.join(REPOSITORY_ROOT, 'bin', 'vmalint'), '--version'], { encoding: 'utf8', env: { ...process.env, VMALINT_PHASES: '1' } });
  assert.equal(r.status, 0, r.stderr);
  assert.match(r.stderr, /code cache: used/);
});

test('the bundle reports what dist/src reports, with and without workers', { timeout: 60_000 }, async () => {
  const bundled = path.join(REPOSITORY_ROOT, 'dist', 'bundle', 'cli.js');
  assert.ok(existsSync(bundled), 'npm run build makes dist/bundle/cli.js');
  const dir = await mkdtemp(path.join(tmpdir(), 'vmalint-bundle-run-'));
  const files: string[] = [];
  for (let i = 0; i < 3; i++) {
    files.push(path.join(dir, `use${i}.c`));
    await writeFile(files[i]!, SOURCE);
  }
  const runOf = (cli: string, jobs: string): string => {
    const runner = path.join(dir, `run-${path.basename(path.dirname(cli))}.mjs`);
    writeFileSync(runner, `const { runFromCommandLine } = await import(${JSON.stringify(pathToFileURL(cli).href)});\nawait runFromCommandLine();\n`);
    const r = spawnSync(process.execPath, [runner, '--no-cache', '--format', 'json', '-j', jobs, ...files], { encoding: 'utf8', timeout: 30_000 });
    assert.equal(r.status, 1, `${cli} -j ${jobs}: ${r.stderr}`);
    const report = JSON.parse(r.stdout) as { findings: unknown[]; notifications: { message: string }[]; stats: { filesAnalysedAhead: number } };
    assert.ok(report.findings.length >= 6, `${cli}: ${r.stdout}`);
    // With -j 2, the files went to the workers (the bundle's worker.js), and none stopped.
    if (jobs !== '1') assert.ok(report.stats.filesAnalysedAhead > 0, `${cli} -j ${jobs}: no file analysed by a worker`);
    assert.deepEqual(report.notifications.filter((n) => /worker/.test(n.message)), []);
    return JSON.stringify(report.findings);
  };
  const compiled = path.join(REPOSITORY_ROOT, 'dist', 'src', 'cli.js');
  const expected = runOf(compiled, '1');
  assert.equal(runOf(bundled, '1'), expected);
  assert.equal(runOf(bundled, '2'), expected);
});
