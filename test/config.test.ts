// Configuration (.vmalint.json, --config) and summary files (--summaries-out, --summaries-in),
// through main() with captured streams, in temporary directories.
import assert from 'node:assert/strict';
import { mkdir, mkdtemp, readFile, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { test } from 'node:test';
import { main } from '../src/cli.js';
import type { CliEnvironment } from '../src/cli.js';

async function run(argv: string[], cwd: string): Promise<{ status: number; stdout: string; stderr: string }> {
  let stdout = '';
  let stderr = '';
  const environment: CliEnvironment = {
    stdout: { write: (text: string) => (stdout += text), isTTY: false },
    stderr: { write: (text: string) => (stderr += text), isTTY: false },
    env: {},
    cwd,
  };
  const status = await main(argv, environment);
  return { status, stdout, stderr };
}

async function tree(files: Record<string, string>): Promise<string> {
  const root = await mkdtemp(path.join(tmpdir(), 'vmalint-config-test-'));
  for (const [rel, text] of Object.entries(files)) {
    await mkdir(path.dirname(path.join(root, rel)), { recursive: true });
    await writeFile(path.join(root, rel), text);
  }
  return root;
}

// Out-of-tree wrappers vmalint cannot see the bodies of.
const USER = `struct mm_struct;
int update(struct mm_struct *mm, void *dst, const void *src)
{
	int err;

	drv_lock_mm(mm);
	err = drv_fetch(dst, src);
	mmap_read_unlock(mm);
	return err;
}
`;

const CONFIG = JSON.stringify({
  functions: {
    drv_lock_mm: { lock: [{ class: 'mmap', op: 'acquire', mode: 'read', arg: 0, when: 'always' }] },
    drv_fetch: { mayFault: true },
  },
});

test('config: .vmalint.json found upward from the working directory adds wrappers to the knowledge base', async () => {
  const root = await tree({ '.vmalint.json': CONFIG, 'drv/sub/user.c': USER });
  const withConfig = await run([path.join(root, 'drv/sub/user.c')], path.join(root, 'drv/sub'));
  assert.equal(withConfig.status, 1, withConfig.stderr);
  assert.match(withConfig.stdout, /user\.c:7:\d+: error: drv_fetch\(\) can fault on user memory while the mmap read lock of `mm` is held.*\[fault-under-mmap-lock\]/);
  // Without the configuration, neither wrapper means anything: no finding, and the unlock is not judged.
  const bare = await tree({ 'user.c': USER });
  const without = await run([path.join(bare, 'user.c')], bare);
  assert.equal(without.status, 0, without.stdout);
});

test('config: --config FILE is used instead of the search', async () => {
  const root = await tree({ 'cfg/custom.json': CONFIG, 'user.c': USER, '.vmalint.json': '{ "functions": {} }' });
  const r = await run(['--config', 'cfg/custom.json', path.join(root, 'user.c')], root);
  assert.equal(r.status, 1, r.stderr);
  assert.match(r.stdout, /\[fault-under-mmap-lock\]/);
  const searched = await run([path.join(root, 'user.c')], root);
  assert.equal(searched.status, 0, searched.stdout);
});

test('config: an invalid file is a usage error naming the file and the key, without a stack trace', async () => {
  const cases: [string, RegExp][] = [
    ['{ not json', /custom\.json: not valid JSON/],
    ['{ "functions": { "f": { "lock": [{ "class": "mmp", "op": "acquire" }] } } }', /custom\.json: functions\.f\.lock\[0\]\.class: expected one of: "mmap", "vma"/],
    ['{ "functions": { "f": { "mayFalt": true } } }', /functions\.f\.mayFalt: unknown key/],
    ['{ "function": {} }', /\(top level\)\.function: unknown key/],
    ['{ "functions": { "f": { "lock": [{ "class": "mmap", "op": "acquire", "arg": -1 }] } } }', /functions\.f\.lock\[0\]\.arg: expected an argument index/],
  ];
  for (const [text, message] of cases) {
    const root = await tree({ 'custom.json': text, 'user.c': USER });
    const r = await run(['--config', 'custom.json', path.join(root, 'user.c')], root);
    assert.equal(r.status, 2, `${text}: ${r.stdout}`);
    assert.match(r.stderr, message);
    assert.doesNotMatch(r.stderr, /^\s+at /m);
  }
  const missing = await tree({ 'user.c': USER });
  const r = await run(['--config', 'nope.json', path.join(missing, 'user.c')], missing);
  assert.equal(r.status, 2);
  assert.match(r.stderr, /nope\.json: cannot read: no such file/);
});

const HELPER = `int fetch_args(void *dst, const void *src, unsigned long len)
{
	if (copy_from_user(dst, src, len))
		return -EFAULT;
	return 0;
}
`;

const CALLER = `struct mm_struct;
int set_args(struct mm_struct *mm, void *dst, const void *src)
{
	int err;

	mmap_read_lock(mm);
	err = fetch_args(dst, src, 8);
	mmap_read_unlock(mm);
	return err;
}
`;

test('summaries: written by one run, read by another that does not define the helper', async () => {
  const root = await tree({ 'lib/helper.c': HELPER, 'drv/caller.c': CALLER });
  const first = await run(['--summaries-out', 'summaries.json', path.join(root, 'lib')], root);
  assert.equal(first.status, 0, first.stdout);
  const written = JSON.parse(await readFile(path.join(root, 'summaries.json'), 'utf8'));
  assert.equal(written.kind, 'function-summaries');
  assert.equal(written.summaries.fetch_args.mayFault, true);

  const without = await run([path.join(root, 'drv')], root);
  assert.equal(without.status, 0, without.stdout);
  const withSummaries = await run(['--summaries-in', 'summaries.json', path.join(root, 'drv')], root);
  assert.equal(withSummaries.status, 1, withSummaries.stderr);
  assert.match(withSummaries.stdout, /caller\.c:7:\d+: error: fetch_args\(\) can fault on user memory \(through copy_from_user\(\) at .*helper\.c:3\)/);
});

test('summaries: a file that is not a summaries file is a usage error', async () => {
  const root = await tree({ 'x.json': '{ "kind": "something-else" }', 'caller.c': CALLER });
  const r = await run(['--summaries-in', 'x.json', path.join(root, 'caller.c')], root);
  assert.equal(r.status, 2);
  assert.match(r.stderr, /x\.json: kind: expected "function-summaries"/);
});
