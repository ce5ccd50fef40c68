// --shard K/N: parsing, the assignment of files to shards (src/shard.ts), the identity of a
// sharded run and what a shard's SARIF log records, and the CLI running one shard of a tree.
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { cp, mkdir, mkdtemp, readFile, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { test } from 'node:test';
import { findingOptions, parseShard, runIdentity, selectShard, shardKey, shardOfKey, type RunIdentityParts } from '../src/shard.js';
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
  const analyzed: string[] = [];
  for (let index = 1; index <= 3; index++) {
    const result = await run(['--shard', `${index}/3`, '--format', 'json', path.join(root, 'mm')], root);
    assert.equal(result.status, 0, result.stderr);
    const report = JSON.parse(result.stdout) as { stats: { files: number } };
    const expected = selectShard(files, { index, count: 3 }, root);
    assert.equal(report.stats.files, expected.length, `shard ${index}/3`);
    analyzed.push(...expected);
  }
  assert.equal(analyzed.length, files.length);
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

// ---------------------------------------------------------------------------------------------
// The run's identity

const PARTS: RunIdentityParts = {
  version: '1.2.3',
  count: 4,
  commit: 'a'.repeat(40),
  files: ['mm/mmap.c', 'mm/gup.c', 'include/linux/mm.h'],
  summaries: ['b'.repeat(64)],
  baseline: null,
  options: findingOptions({}),
  rules: ['fault-under-mmap-lock=warning', 'mmap-lock-imbalance=error'],
};

test('shard: the run identity is 16 hex digits, the same for the same parts whatever the files\' order', () => {
  const identity = runIdentity(PARTS);
  assert.match(identity, /^[0-9a-f]{16}$/);
  assert.equal(runIdentity({ ...PARTS }), identity);
  assert.equal(runIdentity({ ...PARTS, files: [...PARTS.files].reverse() }), identity);
});

test('shard: the run identity changes with each of its parts', () => {
  const identity = runIdentity(PARTS);
  const changed: Record<string, Partial<RunIdentityParts>> = {
    version: { version: '1.2.4' },
    N: { count: 5 },
    commit: { commit: 'c'.repeat(40) },
    'no commit': { commit: null },
    'a file more': { files: [...PARTS.files, 'mm/new.c'] },
    'a file less': { files: PARTS.files.slice(1) },
    'a file renamed': { files: ['mm/mmap2.c', ...PARTS.files.slice(1)] },
    summaries: { summaries: ['d'.repeat(64)] },
    'no summaries': { summaries: [] },
    baseline: { baseline: 'e'.repeat(64) },
    'a macro': { options: findingOptions({ defines: new Map([['CONFIG_X', '1']]) }) },
    'a rule off': { rules: ['fault-under-mmap-lock=off', 'mmap-lock-imbalance=error'] },
    'a severity': { rules: ['fault-under-mmap-lock=error', 'mmap-lock-imbalance=error'] },
  };
  const seen = new Map<string, string>([[identity, 'the parts']]);
  for (const [what, change] of Object.entries(changed)) {
    const other = runIdentity({ ...PARTS, ...change });
    assert.ok(!seen.has(other), `${what}: the same identity as ${seen.get(other)}`);
    seen.set(other, what);
  }
});

test('shard: the options in the identity are those that change findings, the same on every machine', () => {
  const options = findingOptions({
    rules: ['mmap-lock-imbalance'],
    defines: new Map([['B', '1'], ['A', '2']]),
    undefines: new Set(['Y', 'X']),
    completeConfig: true,
    config: [{ name: 'my_lock', mayFault: true }],
    cacheDir: '/home/me/.cache/vmalint',
    jobs: 7,
    kernelRoot: '/home/me/linux',
    onProgress: () => undefined,
    summariesIn: { f: {} as never },
  });
  assert.deepEqual(options, {
    rules: ['mmap-lock-imbalance'],
    completeConfig: true,
    config: [{ name: 'my_lock', mayFault: true }],
    defines: [['A', '2'], ['B', '1']],
    undefines: ['X', 'Y'],
    kernelRoot: 'given',
  });
  assert.deepEqual(findingOptions({ defines: new Map([['A', '2'], ['B', '1']]), undefines: new Set(['X', 'Y']) }), findingOptions({ defines: new Map([['B', '1'], ['A', '2']]), undefines: new Set(['Y', 'X']) }));
  assert.deepEqual([findingOptions({}), findingOptions({ kernelRoot: false })].map((each) => (each as { kernelRoot: unknown }).kernelRoot), ['found', false]);
});

// ---------------------------------------------------------------------------------------------
// What a shard's SARIF log records

interface RunRecord {
  automationDetails?: { id: string; properties: { vmalint: { shard: string; run: string } } };
  properties?: { vmalint: unknown };
}

/** The record of its run in the SARIF log that `vmalint ARGS --format sarif` writes from `cwd`. */
async function sarifRecord(args: string[], cwd: string): Promise<RunRecord> {
  const result = await run([...args, '--format', 'sarif'], cwd);
  assert.ok(result.status === 0 || result.status === 1, result.stderr);
  return (JSON.parse(result.stdout) as { runs: RunRecord[] }).runs[0]!;
}

/** The run identity a shard's log records (and checks that it records K/N, and its id). */
async function shardIdentity(args: string[], cwd: string, shard = '1/2'): Promise<string> {
  const record = await sarifRecord(['--shard', shard, ...args], cwd);
  const details = record.automationDetails!;
  assert.equal(details.properties.vmalint.shard, shard);
  assert.equal(details.id, `vmalint/shard-${shard.replace('/', '-of-')}/${details.properties.vmalint.run}`);
  assert.equal(record.properties, undefined);
  return details.properties.vmalint.run;
}

test('cli: every shard of a run records K/N and one run identity; a whole run records that it is not a shard', async () => {
  const { root } = await writeTree(6);
  const mm = path.join(root, 'mm');
  const identities = [];
  for (let index = 1; index <= 3; index++) identities.push(await shardIdentity([mm], root, `${index}/3`));
  assert.equal(new Set(identities).size, 1, identities.join(', '));
  const whole = await sarifRecord([mm], root);
  assert.equal(whole.automationDetails, undefined);
  assert.deepEqual(whole.properties, { vmalint: { shard: null } });
  // The same tree checked out elsewhere, named by an absolute path: the same run.
  const elsewhere = await mkdtemp(path.join(tmpdir(), 'vmalint-shard-test-'));
  await cp(root, elsewhere, { recursive: true });
  assert.equal(await shardIdentity([path.join(elsewhere, 'mm')], elsewhere, '2/3'), identities[0]);
  // The JSON report says nothing of shards (only SARIF is merged).
  const json = await run(['--shard', '1/3', '--format', 'json', mm], root);
  assert.doesNotMatch(json.stdout, /automationDetails|"shard"/);
});

test('cli: the run identity changes with N, the files, the summaries, the macros, the rules, the configuration and the commit', async () => {
  const { root } = await writeTree(4);
  const mm = path.join(root, 'mm');
  const base = await shardIdentity([mm], root);
  const identities = new Map<string, string>([[base, 'the run']]);
  const differs = async (what: string, args: string[], shard = '1/2'): Promise<void> => {
    const identity = await shardIdentity(args, root, shard);
    assert.ok(!identities.has(identity), `${what}: the same identity as ${identities.get(identity)}`);
    identities.set(identity, what);
  };
  await differs('N', [mm], '1/3');
  await differs('-D', ['-D', 'CONFIG_X', mm]);
  await differs('-U', ['-U', 'CONFIG_X', mm]);
  await differs('--rule', ['--rule', 'mmap-lock-imbalance', mm]);
  await differs('--disable', ['--disable', 'mmap-lock-imbalance', mm]);
  assert.equal((await run(['--summaries-out', 'summaries.json', '--format', 'json', '-o', '/dev/null', mm], root)).status, 0);
  await differs('--summaries-in', ['--summaries-in', 'summaries.json', mm]);
  const summaries = JSON.parse(await readFile(path.join(root, 'summaries.json'), 'utf8')) as Record<string, unknown>;
  await writeFile(path.join(root, 'summaries.json'), JSON.stringify(summaries, null, 1));
  await differs('other --summaries-in content', ['--summaries-in', 'summaries.json', mm]);
  assert.equal((await run(['--write-baseline', 'baseline.json', '--format', 'json', '-o', '/dev/null', mm], root)).status, 0);
  await differs('--baseline', ['--baseline', 'baseline.json', mm]);
  await writeFile(path.join(root, '.vmalint.json'), JSON.stringify({ rules: { 'mmap-lock-imbalance': 'note' } }));
  await differs('a rule\'s severity in the configuration', [mm]);
  await writeFile(path.join(root, '.vmalint.json'), JSON.stringify({ functions: { my_lock: { mayFault: true } } }));
  await differs('a function in the configuration', [mm]);
  await writeFile(path.join(root, '.vmalint.json'), '{}');
  assert.equal(await shardIdentity([mm], root), base, 'an empty configuration is no configuration');
  await writeFile(path.join(root, 'mm', 'new.c'), CLEAN_C);
  await differs('a file more', [mm]);
  // In a git work tree: the commit checked out (a file's content changed, the same files).
  const git = (...args: string[]): void => void execFileSync('git', ['-c', 'user.name=t', '-c', 'user.email=t@t', '-c', 'commit.gpgsign=false', ...args], { cwd: root, stdio: 'ignore' });
  git('init', '-q');
  git('add', '.');
  git('commit', '-q', '-m', 'one');
  await differs('in a git work tree', [mm]);
  await writeFile(path.join(root, 'mm', 'new.c'), `${CLEAN_C}\n`);
  git('commit', '-q', '-a', '-m', 'two');
  await differs('another commit', [mm]);
});

test('cli: --shard with -p shards the compilation database\'s files (it analyzed all of them in every shard)', async () => {
  const { root, files } = await writeTree(8);
  await writeFile(path.join(root, 'compile_commands.json'), JSON.stringify(files.map((file) => ({ directory: root, file, arguments: ['gcc', '-c', file] }))));
  const analyzed: number[] = [];
  for (let index = 1; index <= 2; index++) {
    const result = await run(['--shard', `${index}/2`, '-p', 'compile_commands.json', '--format', 'json'], root);
    assert.equal(result.status, 0, result.stderr);
    analyzed.push((JSON.parse(result.stdout) as { stats: { files: number } }).stats.files);
    assert.equal(analyzed[index - 1], selectShard(files, { index, count: 2 }, root).length, `shard ${index}/2`);
  }
  assert.equal(analyzed[0]! + analyzed[1]!, files.length);
  // Its SARIF log records the shard and the run, as a run over directories does.
  assert.match(await shardIdentity(['-p', 'compile_commands.json'], root, '2/2'), /^[0-9a-f]{16}$/);
});
