// --shard K/N: parsing, the assignment of files to shards (src/shard.ts), and the CLI running one
// shard of a tree.
import assert from 'node:assert/strict';
import { mkdir, mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { test } from 'node:test';
import { parseShard, selectShard, shardKey, shardOfKey } from '../src/shard.js';
import { UsageError } from '../src/usage-error.js';
import { runCli, type CapturedRun } from './support/run-cli.js';

function run(argv: string[], cwd: string = process.cwd()): Promise<CapturedRun> {
  return runCli(argv, { cwd });
}

/** Paths shaped like a kernel tree's, relative to a working directory. */
const KERNEL_PATHS: string[] = [];
for (const directory of ['mm', 'fs/proc', 'arch/x86/mm', 'drivers/android', 'kernel/events', 'include/linux']) {
  for (let index = 0; index < 40; index++) KERNEL_PATHS.push(`${directory}/file_${index}.${index % 5 === 0 ? 'h' : 'c'}`);
}
const WORKING_DIRECTORY = path.resolve('/home/ci/linux');

// ---------------------------------------------------------------------------------------------
// Parsing K/N

test('shard: K/N with 1 <= K <= N is parsed', () => {
  assert.deepEqual(parseShard('1/1'), { index: 1, count: 1 });
  assert.deepEqual(parseShard('2/4'), { index: 2, count: 4 });
  assert.deepEqual(parseShard('16/16'), { index: 16, count: 16 });
  assert.deepEqual(parseShard('03/10'), { index: 3, count: 10 });
});

test('shard: anything but K/N with 1 <= K <= N is a UsageError that says what is expected', () => {
  for (const bad of ['0/2', '3/2', 'x', '1/0', '0/0', '', '2', '1/', '/2', '1/2/3', '-1/2', '1.5/2', '1 / 2', 'a/b', '99999999999999999999/99999999999999999999']) {
    assert.throws(
      () => parseShard(bad),
      (error: unknown) => {
        assert.ok(error instanceof UsageError, `${bad}: ${String(error)}`);
        assert.equal(error.message, `--shard: expected K/N with 1 <= K <= N (for example --shard 2/4), got '${bad}'`);
        return true;
      },
      bad,
    );
  }
});

// ---------------------------------------------------------------------------------------------
// Assignment

test('shard: every file is in exactly one shard, for N = 1 to 5', () => {
  const files = KERNEL_PATHS.map((relative) => path.join(WORKING_DIRECTORY, relative));
  for (let count = 1; count <= 5; count++) {
    const shards = Array.from({ length: count }, (_, index) => selectShard(files, { index: index + 1, count }, WORKING_DIRECTORY));
    const seen = shards.flat();
    assert.equal(seen.length, files.length, `N=${count}: a file is in no shard or in two`);
    assert.deepEqual([...seen].sort(), [...files].sort(), `N=${count}`);
    // 240 files: a working hash gives every shard a fair part (a constant one would give one shard all).
    for (const [index, shard] of shards.entries()) {
      assert.ok(shard.length >= files.length / count / 2, `N=${count}: shard ${index + 1} got ${shard.length} of ${files.length} files`);
    }
  }
});

test('shard: a shard keeps the files in their given order', () => {
  const files = KERNEL_PATHS.map((relative) => path.join(WORKING_DIRECTORY, relative));
  const selected = selectShard(files, { index: 2, count: 3 }, WORKING_DIRECTORY);
  assert.deepEqual(selected, files.filter((file) => selected.includes(file)));
});

test('shard: the assignment is the first 32 bits of the SHA-1 of the relative path, mod N (pinned values)', () => {
  // Computed independently: int.from_bytes(hashlib.sha1(path).digest()[:4], 'big') % N + 1.
  const expected: Record<string, number[]> = {
    'mm/mmap.c': [2, 2, 4, 5, 3],
    'mm/gup.c': [1, 2, 3, 5, 4],
    'fs/proc/task_mmu.c': [1, 2, 1, 2, 4],
    'arch/x86/mm/fault.c': [2, 2, 2, 1, 4],
    'drivers/android/binder_alloc.c': [1, 1, 3, 3, 5],
  };
  for (const [key, shards] of Object.entries(expected)) {
    assert.deepEqual(
      [2, 3, 4, 5, 7].map((count) => shardOfKey(key, count)),
      shards,
      key,
    );
  }
});

test('shard: the assignment depends on the path relative to the working directory, not on where the tree is or on the other files', () => {
  const here = KERNEL_PATHS.map((relative) => path.join(WORKING_DIRECTORY, relative));
  const elsewhere = path.resolve('/srv/runner/work/linux/linux');
  const there = KERNEL_PATHS.map((relative) => path.join(elsewhere, relative));
  const shard = { index: 3, count: 4 };
  const selectedHere = selectShard(here, shard, WORKING_DIRECTORY).map((file) => path.relative(WORKING_DIRECTORY, file));
  const selectedThere = selectShard(there, shard, elsewhere).map((file) => path.relative(elsewhere, file));
  assert.deepEqual(selectedHere, selectedThere);
  // Half the files gone: the others stay where they were.
  const fewer = here.filter((_, index) => index % 2 === 0);
  assert.deepEqual(
    selectShard(fewer, shard, WORKING_DIRECTORY),
    selectShard(here, shard, WORKING_DIRECTORY).filter((file) => fewer.includes(file)),
  );
  // Relative and absolute spellings of one file are one key.
  assert.equal(shardKey('mm/mmap.c', WORKING_DIRECTORY), 'mm/mmap.c');
  assert.equal(shardKey(path.join(WORKING_DIRECTORY, 'mm', 'mmap.c'), WORKING_DIRECTORY), 'mm/mmap.c');
  assert.equal(shardKey('./mm/../mm/mmap.c', WORKING_DIRECTORY), 'mm/mmap.c');
});

// ---------------------------------------------------------------------------------------------
// The CLI

const CLEAN_C = 'static int f(void)\n{\n\treturn 0;\n}\n';

async function writeTree(count: number): Promise<{ root: string; files: string[] }> {
  const root = await mkdtemp(path.join(tmpdir(), 'vmalint-shard-test-'));
  await mkdir(path.join(root, 'mm'));
  const files: string[] = [];
  for (let index = 0; index < count; index++) {
    const file = path.join(root, 'mm', `f${index}.c`);
    await writeFile(file, CLEAN_C);
    files.push(file);
  }
  return { root, files };
}

test('cli: a bad --shard is a usage error, exit 2, one line, no stack trace', async () => {
  const { root } = await writeTree(1);
  for (const bad of ['0/2', '3/2', 'x', '1/0']) {
    const result = await run(['--shard', bad, root], root);
    assert.equal(result.status, 2, bad);
    assert.equal(result.stdout, '');
    assert.equal(result.stderr, `vmalint: --shard: expected K/N with 1 <= K <= N (for example --shard 2/4), got '${bad}'\n`);
  }
  const twice = await run(['--shard', '1/2', '--shard', '2/2', root], root);
  assert.equal(twice.status, 2);
  assert.equal(twice.stderr, 'vmalint: --shard may be given once only\n');
  const missing = await run([root, '--shard'], root);
  assert.equal(missing.status, 2);
  assert.match(missing.stderr, /^vmalint: .*shard/);
});

test('cli: --shard K/N analyses exactly the files of shard K', async () => {
  const { root, files } = await writeTree(12);
  const analysed: string[] = [];
  for (let index = 1; index <= 3; index++) {
    const result = await run(['--shard', `${index}/3`, '--format', 'json', path.join(root, 'mm')], root);
    assert.equal(result.status, 0, result.stderr);
    const report = JSON.parse(result.stdout) as { stats: { files: number } };
    const expected = selectShard(files, { index, count: 3 }, root);
    assert.equal(report.stats.files, expected.length, `shard ${index}/3`);
    analysed.push(...expected);
  }
  assert.equal(analysed.length, files.length);
});

test('cli: a shard that got no file is an empty, valid report with exit 0', async () => {
  const { root, files } = await writeTree(1);
  const own = shardOfKey(shardKey(files[0]!, root), 2);
  const other = own === 1 ? 2 : 1;
  const sarif = await run(['--shard', `${other}/2`, '--format', 'sarif', root], root);
  assert.equal(sarif.status, 0, sarif.stderr);
  assert.equal(sarif.stderr, '');
  const log = JSON.parse(sarif.stdout) as { version: string; runs: { results: unknown[]; invocations: { executionSuccessful: boolean }[] }[] };
  assert.equal(log.version, '2.1.0');
  assert.deepEqual(log.runs[0]!.results, []);
  assert.equal(log.runs[0]!.invocations[0]!.executionSuccessful, true);
  const json = await run(['--shard', `${other}/2`, '--format', 'json', root], root);
  assert.equal(json.status, 0);
  assert.equal((JSON.parse(json.stdout) as { stats: { files: number } }).stats.files, 0);
  const text = await run(['--shard', `${other}/2`, root], root);
  assert.deepEqual(text, { status: 0, stdout: '', stderr: '' });
  // The shard that has the file analyses it.
  const mine = await run(['--shard', `${own}/2`, '--format', 'json', root], root);
  assert.equal((JSON.parse(mine.stdout) as { stats: { files: number } }).stats.files, 1);
});

test('cli: with --shard, no C files at all is still a usage error', async () => {
  const root = await mkdtemp(path.join(tmpdir(), 'vmalint-shard-test-'));
  await writeFile(path.join(root, 'notes.txt'), 'none\n');
  const result = await run(['--shard', '1/2', root], root);
  assert.equal(result.status, 2);
  assert.match(result.stderr, /vmalint: nothing to analyse: no C files found\n$/);
});

test('cli: --shard with -p shards the compilation database\'s files (it analysed all of them in every shard)', async () => {
  const { root, files } = await writeTree(8);
  await writeFile(path.join(root, 'compile_commands.json'), JSON.stringify(files.map((file) => ({ directory: root, file, arguments: ['gcc', '-c', file] }))));
  const analysed: number[] = [];
  for (let index = 1; index <= 2; index++) {
    const result = await run(['--shard', `${index}/2`, '-p', 'compile_commands.json', '--format', 'json'], root);
    assert.equal(result.status, 0, result.stderr);
    analysed.push((JSON.parse(result.stdout) as { stats: { files: number } }).stats.files);
    assert.equal(analysed[index - 1], selectShard(files, { index, count: 2 }, root).length, `shard ${index}/2`);
  }
  assert.equal(analysed[0]! + analysed[1]!, files.length);
});
