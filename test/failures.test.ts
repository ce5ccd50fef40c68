// When vmalint fails itself (an exception in an analysis, a parser or WebAssembly error, a worker
// that died), the failure is retried once with a fresh parser, reported when it fails again, and
// never cached: the next run analyses the file. Failures are injected with VMALINT_INJECT_FAILURE
// (src/failure-injection.ts), in a child process as a user runs vmalint.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { test } from 'node:test';
import { fileURLToPath } from 'node:url';

const BIN = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..', 'bin', 'vmalint');

const FAULTS = `struct mm_struct;

int fetch(struct mm_struct *mm, int __user *p)
{
	int v;

	mmap_write_lock(mm);
	get_user(v, p);
	mmap_write_unlock(mm);
	return v;
}
`;
const QUIET = `int nothing(void)
{
	return 0;
}
`;

function project(): { dir: string; cache: string } {
  const dir = mkdtempSync(path.join(tmpdir(), 'vmalint-failure-'));
  writeFileSync(path.join(dir, 'fetch.c'), FAULTS);
  writeFileSync(path.join(dir, 'quiet.c'), QUIET);
  return { dir, cache: path.join(dir, '.cache') };
}

function vmalint(args: string[], cwd: string, env: Record<string, string>): { status: number | null; stdout: string; stderr: string } {
  const r = spawnSync(process.execPath, [BIN, ...args], { cwd, encoding: 'utf8', env: { ...process.env, VMALINT_INJECT_FAILURE: '', ...env } });
  return { status: r.status, stdout: r.stdout, stderr: r.stderr };
}

test('failures: an analysis that fails is reported, not cached, and the next run analyses the file', { timeout: 60_000 }, () => {
  const { dir, cache } = project();
  for (const jobs of ['1', '2']) {
    const env = { VMALINT_CACHE_DIR: `${cache}-${jobs}` };
    const failed = vmalint(['-j', jobs, 'fetch.c', 'quiet.c'], dir, { ...env, VMALINT_INJECT_FAILURE: 'throw:fetch.c' });
    // The other file is analysed: one broken file never stops the run.
    assert.equal(failed.status, 0, failed.stderr);
    assert.match(failed.stderr, /fetch\.c: error: could not be analysed: injected failure/);
    const again = vmalint(['-j', jobs, 'fetch.c', 'quiet.c'], dir, env);
    assert.equal(again.status, 1, `-j ${jobs}: the failure was served from the cache:\n${again.stderr}`);
    assert.match(again.stdout, /fetch\.c:8:\d+: .*fault-under-mmap-lock/);
    assert.doesNotMatch(again.stderr, /could not be analysed/);
  }
});

test('failures: a failed analysis is retried once with a fresh parser, and its result is the file\'s', { timeout: 60_000 }, () => {
  const { dir, cache } = project();
  const r = vmalint(['-j', '1', 'fetch.c'], dir, { VMALINT_CACHE_DIR: cache, VMALINT_INJECT_FAILURE: 'throw-once:fetch.c' });
  assert.equal(r.status, 1, r.stderr);
  assert.match(r.stdout, /fault-under-mmap-lock/);
  assert.doesNotMatch(r.stderr, /could not be analysed/);
});

test('failures: a file whose analysis worker dies is analysed again by the main thread', { timeout: 60_000 }, () => {
  const { dir } = project();
  const r = vmalint(['-j', '2', '--no-cache', 'fetch.c', 'quiet.c'], dir, { VMALINT_INJECT_FAILURE: 'exit:fetch.c' });
  assert.equal(r.status, 1, r.stderr);
  assert.match(r.stdout, /fetch\.c:8:\d+: .*fault-under-mmap-lock/);
});

test('failures: a file that fails on every attempt alone makes the run exit 2, and is not cached', { timeout: 60_000 }, () => {
  const { dir, cache } = project();
  const failed = vmalint(['fetch.c'], dir, { VMALINT_CACHE_DIR: cache, VMALINT_INJECT_FAILURE: 'throw:fetch.c' });
  assert.equal(failed.status, 2);
  assert.match(failed.stderr, /none of the 1 files could be analysed/);
  const again = vmalint(['fetch.c'], dir, { VMALINT_CACHE_DIR: cache });
  assert.equal(again.status, 1, again.stderr);
});
