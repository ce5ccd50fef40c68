// The bundle (dist/bundle/, bin/bundle-dist.mjs): bin/vmalint runs it only when it is not older
// than dist/src/cli.js, and it reports what dist/src reports, on one thread and with workers (its
// second entry, worker.js, beside the chunks that start it).
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, utimesSync, writeFileSync } from 'node:fs';
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

/** A launcher beside two stand-in CLIs, each printing which it is; mtimes in seconds since 1970. */
async function launcherWith(bundleAt: number | null, compiledAt: number | null): Promise<string> {
  const root = await mkdtemp(path.join(tmpdir(), 'vmalint-bundle-'));
  await mkdir(path.join(root, 'bin'));
  await writeFile(path.join(root, 'package.json'), '{ "type": "module" }\n');
  await copyFile(path.join(REPOSITORY_ROOT, 'bin', 'vmalint'), path.join(root, 'bin', 'vmalint'));
  for (const [dir, at] of [['bundle', bundleAt], ['src', compiledAt]] as const) {
    if (at === null) continue;
    const cli = path.join(root, 'dist', dir, 'cli.js');
    await mkdir(path.dirname(cli), { recursive: true });
    await writeFile(cli, `export async function runFromCommandLine() { process.stdout.write('${dir}\\n'); }\n`);
    utimesSync(cli, at, at);
  }
  return spawnSync(process.execPath, [path.join(root, 'bin', 'vmalint')], { encoding: 'utf8' }).stdout;
}

test('bin/vmalint runs the bundle when it is not older than dist/src, else dist/src', async () => {
  assert.equal(await launcherWith(2000, 1000), 'bundle\n');
  assert.equal(await launcherWith(1000, 1000), 'bundle\n');
  assert.equal(await launcherWith(1000, 2000), 'src\n', 'a tsc run after the bundle leaves it stale');
  assert.equal(await launcherWith(null, 1000), 'src\n');
  assert.equal(await launcherWith(1000, null), 'bundle\n');
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
