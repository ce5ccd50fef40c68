// Changed-lines mode: the diff's changed lines, and --diff REV / --staged end to end in a scratch
// git repository (skipped where git is missing).
import assert from 'node:assert/strict';
import { execFileSync, spawnSync } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { test } from 'node:test';
import { parseChangedLines } from '../src/changed-lines.js';
import { runCli } from './support/run-cli.js';
import { BROKEN, CLEAN } from './support/leaky-source.js';

test('changed lines: added and changed lines of the new side; a deletion touches the lines around it; deleted files are left out', () => {
  const diff = [
    'diff --git a/mm/a.c b/mm/a.c',
    '--- a/mm/a.c',
    '+++ b/mm/a.c',
    '@@ -3 +3 @@ int f(void)',
    '-old',
    '+new',
    '@@ -10,0 +11,2 @@',
    '+added',
    '+added',
    '@@ -20,2 +21,0 @@',
    '-gone',
    '-gone',
    'diff --git a/mm/gone.c b/mm/gone.c',
    '--- a/mm/gone.c',
    '+++ /dev/null',
    '@@ -1,3 +0,0 @@',
    'diff --git "a/mm/t\\303\\251st.c" "b/mm/t\\303\\251st.c"',
    '--- "a/mm/t\\303\\251st.c"',
    '+++ "b/mm/t\\303\\251st.c"',
    '@@ -1 +1,2 @@',
  ].join('\n');
  const lines = parseChangedLines(diff, '/repo');
  assert.deepEqual([...lines.keys()], ['/repo/mm/a.c', '/repo/mm/tést.c']);
  assert.deepEqual([...lines.get('/repo/mm/a.c')!].sort((a, b) => a - b), [3, 11, 12, 21, 22]);
  assert.deepEqual([...lines.get('/repo/mm/tést.c')!], [1, 2]);
});

const hasGit = spawnSync('git', ['--version']).status === 0;


function repository(): string {
  const dir = mkdtempSync(path.join(tmpdir(), 'vmalint-git-'));
  const git = (...args: string[]): void => {
    execFileSync('git', ['-c', 'user.email=test@example.org', '-c', 'user.name=test', ...args], { cwd: dir, stdio: 'ignore' });
  };
  git('init', '-q');
  writeFileSync(path.join(dir, 'a.c'), CLEAN);
  writeFileSync(path.join(dir, 'notes.txt'), 'not C\n');
  git('add', '.');
  git('commit', '-q', '-m', 'clean');
  return dir;
}

function gitIn(dir: string, ...args: string[]): void {
  execFileSync('git', args, { cwd: dir, stdio: 'ignore' });
}

test('--diff REV: only the finding the change brings, with the path relative to the working directory', { skip: !hasGit && 'git is not installed' }, async () => {
  const dir = repository();
  const before = await runCli(['--no-cache', path.join(dir, 'a.c')], { cwd: dir });
  assert.equal(before.status, 1);
  assert.match(before.stdout, /in old_bug|old_bug\(\)/);

  writeFileSync(path.join(dir, 'a.c'), BROKEN);
  writeFileSync(path.join(dir, 'notes.txt'), 'still not C\n');
  const run = await runCli(['--no-cache', '--diff', 'HEAD'], { cwd: dir });
  assert.equal(run.status, 1, run.stderr);
  const errors = run.stdout.split('\n').filter((l) => / error: /.test(l));
  assert.equal(errors.length, 1, run.stdout);
  assert.match(errors[0]!, /^a\.c:20:\d+: error: .*fixed_path\(\).*\[mmap-lock-imbalance\]$/);

  // Against the working tree's own state, nothing changed: nothing to report.
  gitIn(dir, 'add', '.');
  gitIn(dir, '-c', 'user.email=t@e.org', '-c', 'user.name=t', 'commit', '-q', '-m', 'broken');
  const none = await runCli(['--no-cache', '--diff', 'HEAD'], { cwd: dir });
  assert.deepEqual([none.status, none.stdout], [0, '']);
});

test('--staged: the staged content is analysed, not the working file', { skip: !hasGit && 'git is not installed' }, async () => {
  const dir = repository();
  const nothing = await runCli(['--no-cache', '--staged'], { cwd: dir });
  assert.deepEqual([nothing.status, nothing.stdout], [0, '']);

  writeFileSync(path.join(dir, 'a.c'), BROKEN);
  gitIn(dir, 'add', 'a.c');
  // The working file is put back: the commit would still carry the staged leak.
  writeFileSync(path.join(dir, 'a.c'), CLEAN);
  const run = await runCli(['--no-cache', '--staged'], { cwd: dir });
  assert.equal(run.status, 1, run.stderr);
  assert.match(run.stdout, /^a\.c:20:\d+: error: .*fixed_path\(\)/m);
  assert.doesNotMatch(run.stdout, /old_bug/);

  // The working file broken, the index clean: nothing staged touches a finding.
  gitIn(dir, 'add', 'a.c');
  writeFileSync(path.join(dir, 'a.c'), BROKEN);
  const clean = await runCli(['--no-cache', '--staged'], { cwd: dir });
  assert.deepEqual([clean.status, clean.stdout], [0, '']);
});

test('--diff and --staged: usage errors name the option', { skip: !hasGit && 'git is not installed' }, async () => {
  const dir = repository();
  const bad = await runCli(['--diff', 'no-such-revision'], { cwd: dir });
  assert.equal(bad.status, 2);
  assert.match(bad.stderr, /^vmalint: --diff: .*no-such-revision/);
  const both = await runCli(['--diff', 'HEAD', '--staged'], { cwd: dir });
  assert.deepEqual([both.status, both.stderr], [2, 'vmalint: --diff and --staged do not go together\n']);
  const outside = await runCli(['--staged'], { cwd: mkdtempSync(path.join(tmpdir(), 'vmalint-nogit-')) });
  assert.equal(outside.status, 2);
  assert.match(outside.stderr, /^vmalint: --staged: not a git repository/);
});

test('--patch: a series applied to HEAD in a scratch index; only its findings, in checkpatch form; the index is left alone', { skip: !hasGit && 'git is not installed' }, async () => {
  const dir = repository();
  const git = (...args: string[]): string => execFileSync('git', ['-c', 'user.email=t@e.org', '-c', 'user.name=t', ...args], { cwd: dir, encoding: 'utf8' });
  writeFileSync(path.join(dir, 'a.c'), BROKEN);
  git('commit', '-q', '-am', 'leak');
  writeFileSync(path.join(dir, 'a.c'), `${BROKEN}/* more */\n`);
  git('commit', '-q', '-am', 'more');
  const series = path.join(dir, '..', `${path.basename(dir)}.mbox`);
  writeFileSync(series, git('format-patch', '--stdout', '-2'));
  git('reset', '-q', '--hard', 'HEAD~2');

  const run = await runCli(['--no-cache', '--patch', series, '--format', 'checkpatch'], { cwd: dir });
  assert.equal(run.status, 1, run.stderr);
  assert.match(run.stdout, /^a\.c:20: ERROR:MMAP_LOCK_IMBALANCE: .*fixed_path\(\)/);
  assert.equal(run.stdout.trimEnd().split('\n').length, 1, run.stdout);
  assert.equal(git('status', '--porcelain'), '');

  git('commit', '-q', '--allow-empty', '-m', 'nothing');
  // The lines the series changes are changed otherwise: it no longer applies.
  writeFileSync(path.join(dir, 'a.c'), CLEAN.replace('out:\n\tmmap_read_unlock(mm);', 'out:\n\tmmap_read_unlock(mm); /* kept */'));
  git('commit', '-q', '-am', 'conflicting');
  const refused = await runCli(['--patch', series], { cwd: dir });
  assert.equal(refused.status, 2);
  assert.match(refused.stderr, /^vmalint: --patch: the patch does not apply to HEAD: /);
});

const FETCH_HELPER = `int fetch_flag(int __user *p)
{
	int v;

	if (get_user(v, p))
		return -EFAULT;
	return v;
}
`;
const DEEPER_HELPER = `int read_flag(int __user *p)
{
	return fetch_flag(p);
}
`;
const CALLER_BEFORE = `struct mm_struct;

int set_flag(struct mm_struct *mm, int __user *p)
{
	int v = 0;

	mmap_read_lock(mm);
	mmap_read_unlock(mm);
	return v;
}
`;
const CALLER_AFTER = CALLER_BEFORE.replace('\tmmap_read_lock(mm);\n', '\tmmap_read_lock(mm);\n\tv = read_flag(p);\n');

test('changed-lines mode: a helper in another, unchanged file that faults, called under the lock from a changed line, is seen without flags (two files down)', { skip: !hasGit && 'git is not installed' }, async () => {
  const dir = mkdtempSync(path.join(tmpdir(), 'vmalint-callee-'));
  const cache = mkdtempSync(path.join(tmpdir(), 'vmalint-callee-cache-'));
  const git = (...args: string[]): void => void execFileSync('git', ['-c', 'user.email=t@e.org', '-c', 'user.name=t', ...args], { cwd: dir, stdio: 'ignore' });
  git('init', '-q');
  execFileSync('mkdir', ['-p', path.join(dir, 'lib'), path.join(dir, 'tools/perf')]);
  writeFileSync(path.join(dir, 'lib', 'fetch.c'), FETCH_HELPER);
  writeFileSync(path.join(dir, 'lib', 'read.c'), DEEPER_HELPER);
  // The same name in a program of its own (tools/), which the kernel never links with.
  writeFileSync(path.join(dir, 'tools/perf', 'quiet.c'), 'int read_flag(int __user *p)\n{\n\treturn 0;\n}\n');
  writeFileSync(path.join(dir, 'caller.c'), CALLER_BEFORE);
  git('add', '.');
  git('commit', '-q', '-m', 'base');
  writeFileSync(path.join(dir, 'caller.c'), CALLER_AFTER);
  git('add', 'caller.c');
  for (const args of [['--staged'], ['--diff', 'HEAD'], ['--staged', '--no-cache']]) {
    const env = { VMALINT_CACHE_DIR: cache };
    for (let round = 0; round < 2; round++) {
      const run = await runCli(['-j', '1', '--stats', ...args], { cwd: dir, env });
      // lib/read.c and lib/fetch.c, not tools/perf/quiet.c.
      assert.match(run.stderr, /files read for their callees' summaries +2\n/);
      assert.equal(run.status, 1, `${args.join(' ')}: ${run.stdout}${run.stderr}`);
      assert.match(run.stdout, /^caller\.c:8:\d+: .*\[fault-under-mmap-lock\]/m, args.join(' '));
      assert.equal(run.stdout.split('\n').filter((l) => / (error|warning): /.test(l)).length, 1, run.stdout);
    }
  }
});
