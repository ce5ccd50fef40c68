// The cache of file analyses (src/cache.ts): an unchanged re-run analyses nothing, a change
// re-analyses the file and what used a summary that changed, and a broken cache is only a miss.
import assert from 'node:assert/strict';
import { chmod, mkdir, mkdtemp, readdir, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { test } from 'node:test';
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { analyzeFiles } from '../src/analyze.js';
import { cacheDirectory } from '../src/cache.js';
import { runCli } from './support/run-cli.js';
import { CALLER, HELPER } from './support/helper-and-caller.js';

const HELPER_BALANCED = `int fetch(void *dst, const void *src)
{
	memcpy(dst, src, 8);
	return 0;
}
`;
const OTHER = `struct mm_struct;
/* unrelated */
int other(struct mm_struct *mm)
{
	mmap_read_lock(mm);
	mmap_read_unlock(mm);
	return 0;
}
`;

async function tree(): Promise<{ root: string; files: string[]; cache: string }> {
  const root = await mkdtemp(path.join(tmpdir(), 'vmalint-cache-'));
  const files = ['helper.c', 'caller.c', 'other.c'].map((f) => path.join(root, f));
  await writeFile(files[0], HELPER);
  await writeFile(files[1], CALLER);
  await writeFile(files[2], OTHER);
  return { root, files, cache: path.join(root, 'cache') };
}

const run = (files: string[], cacheDir: string) => analyzeFiles(files, { cacheDir, jobs: 1, kernelRoot: false });

test('cache: an unchanged re-run takes every analysis from the cache, with the same report', async () => {
  const { files, cache } = await tree();
  const cold = await run(files, cache);
  assert.equal(cold.stats.filesFromCache, 0);
  assert.ok(cold.findings.some((f) => f.ruleId === 'fault-under-mmap-lock' && f.file.endsWith('caller.c')), JSON.stringify(cold.findings));
  const warm = await run(files, cache);
  assert.equal(warm.stats.filesParsed, 0);
  assert.equal(warm.stats.filesFromCache, 3);
  assert.deepEqual(warm.findings, cold.findings);
  assert.deepEqual(warm.summaries, cold.summaries);
});

test('cache: a change re-analyses the file and the files that used its summary, nothing else', async () => {
  const { files, cache } = await tree();
  await run(files, cache);
  // fetch() no longer faults: caller.c's finding goes, other.c is untouched.
  await writeFile(files[0], HELPER_BALANCED);
  const changed = await run(files, cache);
  assert.equal(changed.stats.filesFromCache, 1, 'other.c only');
  assert.equal(changed.stats.filesParsed, 1, 'caller.c (helper.c has nothing to check now)');
  assert.ok(!changed.findings.some((f) => f.file.endsWith('caller.c')), JSON.stringify(changed.findings));
  const fresh = await analyzeFiles(files, { jobs: 1, kernelRoot: false });
  assert.deepEqual(changed.findings, fresh.findings);
  // A comment changes in other.c: only other.c is analysed again.
  await writeFile(files[2], OTHER.replace('unrelated', 'still unrelated'));
  const comment = await run(files, cache);
  assert.equal(comment.stats.filesParsed, 1);
  assert.equal(comment.stats.filesFromCache, 1, 'caller.c');
});

test('cache: lines added above a helper move its callers\' results in other files with it; they are not analysed again', async () => {
  const { files, cache } = await tree();
  const cold = await run(files, cache);
  const through = (r: typeof cold): string[] => r.findings.filter((f) => f.file.endsWith('caller.c')).map((f) => `${f.line} ${f.message} ${f.trace.map((s) => `${path.basename(s.file)}:${s.line}`).join(' ')}`);
  assert.match(through(cold).join('\n'), /helper\.c:3/, 'the finding names the helper\'s line');
  await writeFile(files[0], `/* one */\n/* two */\n${HELPER}`);
  const moved = await run(files, cache);
  assert.equal(moved.stats.filesParsed, 1, 'helper.c only: caller.c\'s result moved with fetch()');
  assert.equal(moved.stats.filesMoved, 1);
  const fresh = await analyzeFiles(files, { jobs: 1, kernelRoot: false });
  assert.deepEqual(moved.findings, fresh.findings);
  assert.match(through(moved).join('\n'), /helper\.c:5/);
  // The next run finds the moved result as it is.
  const again = await run(files, cache);
  assert.equal(again.stats.filesParsed, 0);
  assert.deepEqual(again.findings, fresh.findings);
  // The helper's body changes (a line inside it, above the call): caller.c is analysed again.
  await writeFile(files[0], `/* one */\n/* two */\n${HELPER.replace('{\n', '{\n\t/* inside */\n')}`);
  const inside = await run(files, cache);
  assert.equal(inside.stats.filesMoved, 0);
  assert.deepEqual(inside.findings, (await analyzeFiles(files, { jobs: 1, kernelRoot: false })).findings);
});

test('cache: the call graph of the last run is used only for the same calls', async () => {
  const { root, files, cache } = await tree();
  // use() calls relay(), which does not call fetch() yet: nothing down relay() may fault.
  const relay = path.join(root, 'relay.c');
  const all = [...files, relay];
  await writeFile(files[1], CALLER.replace('fetch(dst, src)', 'relay(dst, src)'));
  await writeFile(relay, 'int relay(void *dst, const void *src)\n{\n\treturn 0;\n}\n');
  const before = await run(all, cache);
  assert.ok(!before.findings.some((f) => f.file.endsWith('caller.c')), JSON.stringify(before.findings));
  // A comment only: the same calls.
  await writeFile(relay, '/* moved */\nint relay(void *dst, const void *src)\n{\n\treturn 0;\n}\n');
  assert.deepEqual((await run(all, cache)).findings, before.findings);
  // relay() now calls fetch(): only the new call graph says that relay() may fault (it names no
  // user access itself), which makes it worth analysing for use()'s lock.
  await writeFile(relay, 'int relay(void *dst, const void *src)\n{\n\treturn fetch(dst, src);\n}\n');
  const after = await run(all, cache);
  assert.deepEqual(after.findings, (await analyzeFiles(all, { jobs: 1, kernelRoot: false })).findings);
  assert.ok(after.findings.some((f) => f.file.endsWith('caller.c') && f.ruleId === 'fault-under-mmap-lock'), JSON.stringify(after.findings));
});

test('cache: a file whose size and modification time are unchanged is not read again; a changed one is', async () => {
  const { files, cache } = await tree();
  const cold = await run(files, cache);
  assert.equal(cold.stats.factsFromCache, 0);
  // The same size, another modification time: read again (its content is what counts then).
  await writeFile(files[2], OTHER.replace('unrelated', 'unrelatet'));
  const touched = await run(files, cache);
  assert.equal(touched.stats.factsFromCache, 2, 'helper.c and caller.c are not read');
  assert.deepEqual(touched.findings, cold.findings);
  // helper.c no longer faults: it is read, and caller.c's finding goes as in a run without the cache.
  await writeFile(files[0], HELPER_BALANCED);
  const changed = await run(files, cache);
  assert.equal(changed.stats.factsFromCache, 2);
  const fresh = await analyzeFiles(files, { jobs: 1, kernelRoot: false });
  assert.deepEqual(changed.findings, fresh.findings);
  assert.ok(!changed.findings.some((f) => f.file.endsWith('caller.c')), JSON.stringify(changed.findings));
});

test('cache: corrupt entries are misses, an unwritable directory is a warning', async () => {
  const { root, files, cache } = await tree();
  const cold = await run(files, cache);
  const v1 = path.join(cache, 'v1');
  for (const dir of await readdir(v1)) for (const f of await readdir(path.join(v1, dir))) await writeFile(path.join(v1, dir, f), 'not an entry');
  const again = await run(files, cache);
  assert.equal(again.stats.filesFromCache, 0);
  assert.deepEqual(again.findings, cold.findings);
  const blocked = path.join(root, 'blocked');
  await writeFile(blocked, 'a file, not a directory');
  const r = await run(files, blocked);
  assert.deepEqual(r.findings, cold.findings);
  assert.ok(r.notifications.some((n) => n.level === 'warning' && /running without the cache/.test(n.message)), JSON.stringify(r.notifications));
  if (process.getuid?.() !== 0) {
    const readOnly = path.join(root, 'ro');
    await run(files, readOnly);
    await chmod(path.join(readOnly, 'v1'), 0o500);
    await writeFile(files[1], CALLER.replace('return 0', 'return 1'));
    const ro = await run(files, readOnly);
    assert.ok(ro.notifications.some((n) => /cannot write to the cache/.test(n.message)));
  }
});

test('cache: the directory comes from VMALINT_CACHE_DIR, XDG_CACHE_HOME, HOME, in that order', () => {
  assert.equal(cacheDirectory({ VMALINT_CACHE_DIR: '/a', XDG_CACHE_HOME: '/b', HOME: '/c' }), '/a');
  assert.equal(cacheDirectory({ XDG_CACHE_HOME: '/b', HOME: '/c' }), path.join('/b', 'vmalint'));
  assert.equal(cacheDirectory({ HOME: '/c' }), path.join('/c', '.cache', 'vmalint'));
  assert.equal(cacheDirectory({}), null);
});

test('cache: the command line uses $VMALINT_CACHE_DIR, and --no-cache leaves it alone', async () => {
  const { root, files, cache } = await tree();
  const off = await runCli(['--no-cache', '-j', '1', ...files], { env: { VMALINT_CACHE_DIR: cache }, cwd: root });
  assert.equal(off.status, 1);
  await assert.rejects(readdir(cache));
  const on = await runCli(['-j', '1', '--format', 'json', ...files], { env: { VMALINT_CACHE_DIR: cache }, cwd: root });
  assert.equal(on.status, 1);
  assert.ok((await readdir(path.join(cache, 'v1'))).length > 0);
  const again = await runCli(['-j', '1', '--format', 'json', ...files], { env: { VMALINT_CACHE_DIR: cache }, cwd: root });
  assert.equal((JSON.parse(again.stdout) as { stats: { filesFromCache: number } }).stats.filesFromCache, 3);
});

test('cache: the whole-run entry holds only while every file and header read is unchanged', async () => {
  const root = await mkdtemp(path.join(tmpdir(), 'vmalint-cache-'));
  const cache = path.join(root, 'cache');
  const header = path.join(root, 'src', 'helper.h');
  const file = path.join(root, 'src', 'user.c');
  await mkdir(path.dirname(file), { recursive: true });
  await writeFile(header, 'static inline int fetch(void *d, const void *s)\n{\n\treturn copy_from_user(d, s, 8);\n}\n');
  await writeFile(file, `#include "helper.h"\n${CALLER}`);
  // Only user.c is analysed: the header is read for its summaries, not as a file of the run.
  const cold = await analyzeFiles([file], { cacheDir: cache, jobs: 1, kernelRoot: false });
  assert.equal(cold.findings.filter((f) => f.ruleId === 'fault-under-mmap-lock').length, 1, JSON.stringify(cold.findings));
  const warm = await analyzeFiles([file], { cacheDir: cache, jobs: 1, kernelRoot: false });
  assert.deepEqual(warm.findings, cold.findings);
  assert.equal(warm.stats.filesParsed, 0);
  await writeFile(header, 'static inline int fetch(void *d, const void *s)\n{\n\tmemcpy(d, s, 8);\n\treturn 0;\n}\n');
  const changed = await analyzeFiles([file], { cacheDir: cache, jobs: 1, kernelRoot: false });
  assert.equal(changed.findings.filter((f) => f.ruleId === 'fault-under-mmap-lock').length, 0, JSON.stringify(changed.findings));
});

test('cache: a run\'s own header with nothing worth summarising is known so from the facts cache, until it changes', async () => {
  const root = await mkdtemp(path.join(tmpdir(), 'vmalint-cache-'));
  const cache = path.join(root, 'cache');
  const header = path.join(root, 'src', 'helper.h');
  const file = path.join(root, 'src', 'user.c');
  await mkdir(path.dirname(file), { recursive: true });
  await writeFile(header, 'static inline int fetch(void *d, const void *s)\n{\n\tmemcpy(d, s, 8);\n\treturn 0;\n}\n');
  await writeFile(file, `#include "helper.h"\n${CALLER}`);
  const cold = await analyzeFiles([file], { cacheDir: cache, jobs: 1, kernelRoot: false });
  assert.equal(cold.findings.filter((f) => f.ruleId === 'fault-under-mmap-lock').length, 0, JSON.stringify(cold.findings));
  // The header's facts (no function that matters) are kept under its stat: its change is seen.
  await writeFile(header, 'static inline int fetch(void *d, const void *s)\n{\n\treturn copy_from_user(d, s, 8);\n}\n');
  const changed = await analyzeFiles([file], { cacheDir: cache, jobs: 1, kernelRoot: false });
  assert.equal(changed.findings.filter((f) => f.ruleId === 'fault-under-mmap-lock').length, 1, JSON.stringify(changed.findings));
});

test('cache: analyses made with other macros are not used (-D and -U are in the key)', async () => {
  const root = await mkdtemp(path.join(tmpdir(), 'vmalint-cache-macros-'));
  const file = path.join(root, 'gated.c');
  await writeFile(
    file,
    `struct mm_struct;
int gated(struct mm_struct *mm, int bad)
{
	mmap_read_lock(mm);
#ifdef CONFIG_DRV_LEAK
	if (bad)
		return -EINVAL;
#endif
	mmap_read_unlock(mm);
	return 0;
}
`,
  );
  const cacheDir = path.join(root, 'cache');
  const withMacro = (defines: [string, string][], undefines: string[]) => analyzeFiles([file], { cacheDir, jobs: 1, kernelRoot: false, defines: new Map(defines), undefines: new Set(undefines) });
  assert.equal((await withMacro([['CONFIG_DRV_LEAK', '1']], [])).findings.length, 1);
  assert.equal((await withMacro([], ['CONFIG_DRV_LEAK'])).findings.length, 0);
  assert.equal((await withMacro([['CONFIG_DRV_LEAK', '1']], [])).findings.length, 1);
});

test('cache: a cache directory the kernel will not create (/proc/x) is a warning, and the run ends (it spun forever in mkdir -p)', { skip: process.platform !== 'linux' && 'no /proc' }, async () => {
  const { files } = await tree();
  // In a child process with a time limit: the old failure was a loop that never yields.
  const bin = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..', 'bin', 'vmalint');
  const r = spawnSync(process.execPath, [bin, '-j', '1', ...files], { encoding: 'utf8', timeout: 20_000, env: { ...process.env, VMALINT_CACHE_DIR: '/proc/vmalint-no-such-dir' } });
  assert.equal(r.status, 1, `${r.error ?? ''}${r.stderr}`);
  assert.match(r.stderr, /warning: cannot use the cache directory .*ENOENT: running without the cache/);
});
