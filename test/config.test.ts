// Configuration (.vmalint.json, --config) and summary files (--summaries-out, --summaries-in),
// through main() with captured streams, in temporary directories.
import assert from 'node:assert/strict';
import { mkdir, mkdtemp, readFile, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { test } from 'node:test';
import { formatSummaries, loadConfig, loadSummaries } from '../src/kb/config.js';
import { lookupApi } from '../src/kb/lock-api.js';
import { runCli, type CapturedRun } from './support/run-cli.js';

function run(argv: string[], cwd: string): Promise<CapturedRun> {
  return runCli(argv, { cwd });
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

test('config: entries last one run only: the next run in the same process does not see them', async () => {
  const root = await tree({ 'with/.vmalint.json': CONFIG, 'with/user.c': USER, 'without/user.c': USER });
  const first = await run([path.join(root, 'with/user.c')], path.join(root, 'with'));
  assert.equal(first.status, 1, first.stderr);
  const second = await run([path.join(root, 'without/user.c')], path.join(root, 'without'));
  assert.equal(second.status, 0, second.stdout);
  assert.equal(lookupApi('drv_fetch'), undefined, 'the built-in table is untouched');
});

test('config: a lock on a field of an argument ("path": "$->vm_mm")', async () => {
  const user = `struct vm_area_struct;
int poke(struct vm_area_struct *vma, void *dst, const void *src)
{
	int err;

	drv_lock_vma_mm(vma);
	err = copy_from_user(dst, src, 8);
	mmap_read_unlock(vma->vm_mm);
	return err;
}
`;
  const config = JSON.stringify({
    comment: 'driver wrappers',
    functions: { drv_lock_vma_mm: { comment: 'takes vma->vm_mm->mmap_lock', lock: [{ class: 'mmap', op: 'acquire', mode: 'read', path: '$->vm_mm' }] } },
  });
  const root = await tree({ '.vmalint.json': config, 'poke.c': user });
  const r = await run([path.join(root, 'poke.c')], root);
  assert.equal(r.status, 1, r.stderr);
  assert.match(r.stdout, /poke\.c:7:\d+: error: copy_from_user\(\) can fault on user memory while the mmap read lock of `vma->vm_mm` is held/);
});

test('config: an entry replaces the built-in one of the same name', async () => {
  const root = await tree({ '.vmalint.json': JSON.stringify({ functions: { copy_from_user: {} } }), 'buggy.c': CALLER.replace('fetch_args(dst, src, 8)', 'copy_from_user(dst, src, 8)') });
  const r = await run([path.join(root, 'buggy.c')], root);
  assert.equal(r.status, 0, r.stdout);
  const plain = await run(['--config', '/dev/null', path.join(root, 'buggy.c')], root);
  assert.equal(plain.status, 2, 'an empty file is not JSON');
  const noConfig = await tree({ 'buggy.c': CALLER.replace('fetch_args(dst, src, 8)', 'copy_from_user(dst, src, 8)') });
  assert.equal((await run([path.join(noConfig, 'buggy.c')], noConfig)).status, 1);
});

test('config: translated into knowledge-base entries', async () => {
  const root = await tree({
    'c.json': JSON.stringify({
      functions: {
        drv_unlock_write: { lock: [{ class: 'mmap', op: 'release', mode: 'write' }] },
        drv_unlock_read: { lock: [{ class: 'mmap', op: 'release', mode: 'read' }] },
        drv_downgrade: { lock: [{ class: 'mmap', op: 'downgrade' }] },
        drv_get_vma: { lock: [{ class: 'vma', op: 'acquire', mode: 'read', arg: 'ret', when: 'ret-nonnull' }], returnsVma: true, returnsNullable: true },
        drv_vma_write: { lock: [{ class: 'vma-write', op: 'acquire', arg: 1 }], modifiesVma: [1] },
        drv_maybe_unlock: { lock: [{ class: 'mmap', op: 'forget', arg: 'all' }] },
        drv_quiet: { mayFault: false, derefsArgs: [0, 2] },
      },
    }),
  });
  const file = path.join(root, 'c.json');
  const entries = new Map(loadConfig(file, []).functions.map((e) => [e.name, e]));
  const source = { kind: 'config', file };
  assert.deepEqual(entries.get('drv_unlock_write'), { name: 'drv_unlock_write', source, lock: [{ lock: 'mmap', op: 'release', mode: 'write', target: 0, when: 'always', endsVmaWriteLocks: true }] });
  assert.deepEqual(entries.get('drv_unlock_read')!.lock, [{ lock: 'mmap', op: 'release', mode: 'read', target: 0, when: 'always' }]);
  assert.deepEqual(entries.get('drv_downgrade')!.lock, [{ lock: 'mmap', op: 'downgrade', target: 0, when: 'always', endsVmaWriteLocks: true }]);
  assert.deepEqual(entries.get('drv_get_vma'), {
    name: 'drv_get_vma',
    source,
    lock: [{ lock: 'vma', op: 'acquire', mode: 'read', target: 'ret', when: 'ret-nonnull' }],
    returnsVma: true,
    returnsNullable: true,
    fails: 'null-fail',
  });
  assert.deepEqual(entries.get('drv_vma_write'), { name: 'drv_vma_write', source, lock: [{ lock: 'vma-write', op: 'acquire', mode: 'write', target: 1, when: 'always' }], modifiesVma: [1] });
  assert.deepEqual(entries.get('drv_maybe_unlock')!.lock, [{ lock: 'mmap', op: 'forget', target: 'all', when: 'always' }]);
  assert.deepEqual(entries.get('drv_quiet'), { name: 'drv_quiet', source, derefsArgs: [0, 2] });
});

test('config: what the engine could not use is refused with the reason', async () => {
  const cases: [unknown, RegExp][] = [
    [{ functions: { f: { lock: [{ class: 'mmap', op: 'acquire' }] } } }, /functions\.f\.lock\[0\]\.mode: missing: an "acquire" says which mode/],
    [{ functions: { f: { lock: [{ op: 'acquire', mode: 'read' }] } } }, /functions\.f\.lock\[0\]\.class: missing/],
    [{ functions: { f: { lock: [{ class: 'mmap', op: 'acquire', mode: 'read', arg: 'all' }] } } }, /lock\[0\]\.arg: "all" is for a function that may release every lock/],
    [{ functions: { f: { lock: [{ class: 'mmap', op: 'acquire', mode: 'read', arg: 'ret' }] } } }, /lock\[0\]\.arg: "ret" is for a function that returns a locked VMA/],
    [{ functions: { f: { lock: [{ class: 'vma', op: 'downgrade' }] } } }, /lock\[0\]\.class: only the mmap lock is downgraded/],
    [{ functions: { f: { lock: [{ class: 'mmap', op: 'release', mode: 'read', trylock: true }] } } }, /lock\[0\]\.trylock: only an "acquire" can be a trylock/],
    [{ functions: { f: { lock: [{ class: 'mmap', op: 'acquire', mode: 'read', path: 'vm_mm' }] } } }, /lock\[0\]\.path: expected "\$->field"/],
    [{ functions: { f: { lock: [{ class: 'mmap', op: 'acquire', mode: 'read', when: 'ret-bits' }] } } }, /lock\[0\]\.when: expected one of: "always", "ret-zero", "ret-true", "ret-nonnull"; got "ret-bits"/],
    [{ functions: { f: { lock: { class: 'mmap' } } } }, /functions\.f\.lock: expected a list of lock effects, got an object/],
    [{ functions: { f: { mayFault: 'yes' } } }, /functions\.f\.mayFault: expected true or false, got "yes"/],
    [{ functions: { f: { derefsArgs: [0, 'x'] } } }, /functions\.f\.derefsArgs\[1\]: expected an argument index/],
    [{ functions: { f: { fails: 'sometimes' } } }, /functions\.f\.fails: expected one of: "zero-ok"/],
    [{ functions: { f: { mayStartAbove: true } } }, /functions\.f\.mayStartAbove: is about a returned VMA/],
    [{ functions: { 'not a name': {} } }, /functions\["not a name"\]: not a C function name/],
    [{ functions: { f: true } }, /functions\.f: expected an object, got true/],
    [{ functions: [] }, /custom\.json: functions: expected an object, got a list/],
    [[], /custom\.json: \(top level\): expected an object, got a list/],
  ];
  for (const [config, message] of cases) {
    const root = await tree({ 'custom.json': JSON.stringify(config), 'user.c': USER });
    const r = await run(['--config', 'custom.json', path.join(root, 'user.c')], root);
    assert.equal(r.status, 2, `${JSON.stringify(config)}: ${r.stdout}`);
    assert.match(r.stderr, message);
    assert.equal(r.stderr.split('\n').length, 2, r.stderr);
  }
});

test('config: JSON errors give the line and column; a directory cannot be read', async () => {
  const root = await tree({ 'custom.json': '{\n  "functions": {\n    "f": { mayFault: true }\n  }\n}\n', 'user.c': USER, 'dir/.keep': '' });
  const r = await run(['--config', 'custom.json', path.join(root, 'user.c')], root);
  assert.equal(r.status, 2);
  assert.match(r.stderr, /custom\.json: not valid JSON: .*line 3 column 12/);
  const d = await run(['--config', 'dir', path.join(root, 'user.c')], root);
  assert.equal(d.status, 2);
  assert.match(d.stderr, /dir: cannot read: is a directory/);
});

test('config: a bad .vmalint.json found upward is reported too', async () => {
  const root = await tree({ '.vmalint.json': '{ "functions": { "f": { "lok": [] } } }', 'sub/user.c': USER });
  const r = await run([path.join(root, 'sub/user.c')], path.join(root, 'sub'));
  assert.equal(r.status, 2);
  // Named relative to the working directory, as every path vmalint writes.
  assert.match(r.stderr, /^vmalint: \.\.\/\.vmalint\.json: functions\.f\.lok: unknown key \(expected one of: [^\n]*\)\n$/);
});

test('config: an invalid file is a usage error naming the file and the key, without a stack trace', async () => {
  const cases: [string, RegExp][] = [
    ['{ not json', /custom\.json: not valid JSON/],
    ['{ "functions": { "f": { "lock": [{ "class": "mmp", "op": "acquire" }] } } }', /custom\.json: functions\.f\.lock\[0\]\.class: expected one of: "mmap", "vma"/],
    ['{ "functions": { "f": { "mayFalt": true } } }', /functions\.f\.mayFalt: unknown key/],
    ['{ "function": {} }', /custom\.json: function: unknown key \(expected one of: rules, include, exclude, defines, undefines, functions, comment\)/],
    ['{ "rules": { "mmap-lock-imbalanse": "off" } }', /custom\.json: rules\.mmap-lock-imbalanse: unknown rule \(expected one of: fault-under-mmap-lock, /],
    ['{ "rules": { "raw-mmap-rwsem": "quiet" } }', /custom\.json: rules\.raw-mmap-rwsem: expected one of: "off", "on", "error", "warning", "note"; got "quiet"/],
    ['{ "exclude": "mm/**" }', /custom\.json: exclude: expected a list of globs, got "mm\/\*\*"/],
    ['{ "defines": ["CONFIG_X=1", "3BAD"] }', /custom\.json: defines\[1\]: expected NAME or NAME=VALUE, got "3BAD"/],
    ['{ "undefines": [7] }', /custom\.json: undefines\[0\]: expected a string, got 7/],
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

test('summaries: a file is validated field by field, naming the key', async () => {
  const good = { name: 'f', mayFault: true, source: { kind: 'summary', file: 'a.c', line: 1 } };
  const file = (summaries: unknown, extra: Record<string, unknown> = {}): string => JSON.stringify({ vmalint: '0.1.0', kind: 'function-summaries', summaries, ...extra });
  const cases: [string, RegExp][] = [
    ['{', /s\.json: not valid JSON/],
    [file({ f: { ...good, mayFault: 'yes' } }), /s\.json: summaries\.f\.mayFault: expected true or false, got "yes"/],
    [file({ f: { ...good, colour: 'red' } }), /summaries\.f\.colour: unknown key/],
    [file({ f: { ...good, name: 'g' } }), /summaries\.f\.name: is "g", but the summary is filed under "f"/],
    [file({ f: { lock: [{ lock: 'mmap', op: 'acquire', target: 0 }] } }), /summaries\.f\.lock\[0\]\.when: missing/],
    [file({ f: { lock: [{ lock: 'mmap', op: 'grab', target: 0, when: 'always' }] } }), /summaries\.f\.lock\[0\]\.op: expected one of/],
    [file({ f: { requires: [{ lock: 'mmap', target: 0, at: { file: 'a.c', line: 0, column: 1, message: 'x' } }] } }), /summaries\.f\.requires\[0\]\.at\.line: expected a whole number of at least 1, got 0/],
    [file({ f: { faultVia: [{ file: 'a.c', line: 3 }] } }), /summaries\.f\.faultVia\[0\]\.column: missing/],
    [file({ f: { returns: 99 } }), /summaries\.f\.returns: expected a whole number from 0 to 15/],
    [file({ 'a b': good }), /summaries\["a b"\]: not a C function name/],
    [file([]), /s\.json: summaries: expected an object, got a list/],
    [file({}, { vmalint: 1 }), /s\.json: vmalint: expected a string, got 1/],
    [file({}, { extra: true }), /s\.json: extra: unknown key/],
    [JSON.stringify({ vmalint: '0.1.0', kind: 'function-summaries' }), /s\.json: summaries: missing/],
    [JSON.stringify({ functions: {} }), /s\.json: kind: expected "function-summaries" .*got undefined/],
  ];
  for (const [text, message] of cases) {
    const root = await tree({ 's.json': text, 'caller.c': CALLER });
    const r = await run(['--summaries-in', 's.json', path.join(root, 'caller.c')], root);
    assert.equal(r.status, 2, `${text}: ${r.stdout}`);
    assert.match(r.stderr, message);
    assert.doesNotMatch(r.stderr, /^\s+at /m);
  }
  const bare = await tree({ 'caller.c': CALLER });
  const missing = await run(['--summaries-in', 'nope.json', path.join(bare, 'caller.c')], bare);
  assert.equal(missing.status, 2);
  assert.match(missing.stderr, /nope\.json: cannot read: no such file/);
});

test('summaries: several --summaries-in files are merged, a later file winning', async () => {
  const root = await tree({ 'lib/helper.c': HELPER, 'drv/caller.c': CALLER });
  assert.equal((await run(['--summaries-out', 'faults.json', path.join(root, 'lib')], root)).status, 0);
  const quiet = JSON.stringify({ vmalint: '0.0.0', kind: 'function-summaries', summaries: { fetch_args: { name: 'fetch_args', fails: 'zero-ok' }, other: {} } });
  await writeFile(path.join(root, 'quiet.json'), quiet);
  const faultsLast = await run(['--summaries-in', 'quiet.json', '--summaries-in', 'faults.json', path.join(root, 'drv')], root);
  assert.equal(faultsLast.status, 1, faultsLast.stderr);
  const quietLast = await run(['--summaries-in', 'faults.json', '--summaries-in', 'quiet.json', path.join(root, 'drv')], root);
  assert.equal(quietLast.status, 0, quietLast.stdout);
});

test('summaries: what --summaries-out writes reads back unchanged; uncallable names are left out', async () => {
  const root = await tree({ 'lib/helper.c': HELPER, 'lib/locks.c': `struct mm_struct;
int grab(struct mm_struct *mm)
{
	if (mmap_read_lock_killable(mm))
		return -EINTR;
	mmap_assert_locked(mm);
	return 0;
}
static int hidden(void) { return 0; }
` });
  const r = await run(['--summaries-out', 'out/s.json', path.join(root, 'lib')], root);
  assert.equal(r.status, 2, 'the directory out/ does not exist');
  assert.match(r.stderr, /cannot write out\/s\.json: ENOENT/);
  assert.equal((await run(['--summaries-out', 's.json', path.join(root, 'lib')], root)).status, 0);
  const written = JSON.parse(await readFile(path.join(root, 's.json'), 'utf8')) as { vmalint: string; summaries: Record<string, unknown> };
  assert.deepEqual(Object.keys(written.summaries).sort(), ['fetch_args', 'grab']);
  assert.deepEqual(loadSummaries(path.join(root, 's.json')), written.summaries);
  const grab = written.summaries['grab'] as { lock: { when: string; okBits?: number }[] };
  assert.ok(grab.lock.some((e) => e.when === 'ret-bits' || e.when === 'ret-zero'), JSON.stringify(grab));
  // Keys no call can name are dropped on output and skipped on input.
  const text = formatSummaries({ '<anonymous>': { name: '<anonymous>' }, 'a.c#hidden': { name: 'hidden' }, ok: { name: 'ok' } }, '0.1.0');
  assert.deepEqual(Object.keys((JSON.parse(text) as { summaries: object }).summaries), ['ok']);
  await writeFile(path.join(root, 'odd.json'), JSON.stringify({ vmalint: '0.1.0', kind: 'function-summaries', summaries: { '<anonymous>': {}, 'a.c#hidden': {}, ok: {} } }));
  assert.deepEqual(Object.keys(loadSummaries(path.join(root, 'odd.json'))), ['ok']);
});

test('summaries: a helper that drops the current task\'s mmap lock (target "current") reads back', async () => {
  const root = await tree({
    'lib/fault.c': `struct mm_struct;
void give_up(void)
{
	mmap_read_unlock(current->mm);
}
`,
  });
  assert.equal((await run(['--summaries-out', 's.json', path.join(root, 'lib')], root)).status, 0);
  const written = JSON.parse(await readFile(path.join(root, 's.json'), 'utf8')) as { summaries: Record<string, { lock?: { target: unknown }[] }> };
  assert.ok(written.summaries['give_up']?.lock?.some((e) => e.target === 'current'), JSON.stringify(written.summaries));
  assert.deepEqual(loadSummaries(path.join(root, 's.json')), written.summaries);
});

test('config: a configured unlock wrapper makes its guard a lock flag (a callee given &flag may drop the lock)', async () => {
  const user = `struct mm_struct;
long pin(struct mm_struct *mm, unsigned long addr)
{
	int locked = 1;
	long ret;

	drv_lock_mm(mm);
	ret = drv_pin(mm, addr, &locked);
	if (ret < 0)
		return ret;
	if (locked)
		drv_unlock_mm(mm);
	return ret;
}
`;
  const config = JSON.stringify({
    functions: {
      drv_lock_mm: { lock: [{ class: 'mmap', op: 'acquire', mode: 'read', arg: 0 }] },
      drv_unlock_mm: { lock: [{ class: 'mmap', op: 'release', mode: 'read', arg: 0 }] },
    },
  });
  const root = await tree({ '.vmalint.json': config, 'user.c': user });
  // drv_pin() receives &locked, which guards the configured unlock: after it the lock state is not
  // known, so the early return is not a leak.
  const r = await run([path.join(root, 'user.c')], root);
  assert.equal(r.status, 0, r.stdout);
  // Without &locked the early return leaks the lock the configured wrapper took.
  await writeFile(path.join(root, 'user.c'), user.replace('drv_pin(mm, addr, &locked)', 'drv_pin(mm, addr, NULL)'));
  const leak = await run([path.join(root, 'user.c')], root);
  assert.equal(leak.status, 1, leak.stderr);
  assert.match(leak.stdout, /user\.c:10:\d+: error: .*\[mmap-lock-imbalance\]/);
});

// Two rules fire here: leaks (mmap-lock-imbalance, one of them unless CONFIG_DRV_SAFE) and raw rwsem calls (raw-mmap-rwsem).
const TWO_RULES = `struct mm_struct;
int leak(struct mm_struct *mm, int bad)
{
	down_read(&mm->mmap_lock);
	if (bad)
		return -EINVAL;
	up_read(&mm->mmap_lock);
	return 0;
}
#ifndef CONFIG_DRV_SAFE
int gated(struct mm_struct *mm, int bad)
{
	mmap_write_lock(mm);
	if (bad)
		return -EINVAL;
	mmap_write_unlock(mm);
	return 0;
}
#endif
`;

const rulesOf = (stdout: string): string[] => [...stdout.matchAll(/: (error|warning|note): .*\[([a-z-]+)\]$/gm)].map((m) => `${m[2]}:${m[1]}`);

test('config: rules turned off or given another severity; --rule on the command line wins over "off"', async () => {
  const root = await tree({ '.vmalint.json': JSON.stringify({ rules: { 'raw-mmap-rwsem': 'off', 'mmap-lock-imbalance': 'warning' } }), 'x.c': TWO_RULES });
  const x = path.join(root, 'x.c');
  const configured = await run(['--no-cache', x], root);
  assert.deepEqual(rulesOf(configured.stdout), ['mmap-lock-imbalance:warning', 'mmap-lock-imbalance:warning']);
  const sarif = JSON.parse((await run(['--no-cache', '--format', 'sarif', x], root)).stdout);
  const rule = sarif.runs[0].tool.driver.rules.find((r: { id: string }) => r.id === 'mmap-lock-imbalance');
  assert.equal(rule.defaultConfiguration.level, 'warning');
  const named = await run(['--no-cache', '--rule', 'raw-mmap-rwsem', x], root);
  assert.deepEqual(rulesOf(named.stdout), ['raw-mmap-rwsem:warning', 'raw-mmap-rwsem:warning']);
});

test('config: include and exclude globs choose the files found in directories; a file named on the command line is analysed anyway', async () => {
  const root = await tree({
    '.vmalint.json': JSON.stringify({ include: ['mm/**'], exclude: ['mm/vendor/**'] }),
    'mm/a.c': TWO_RULES,
    'mm/vendor/b.c': TWO_RULES,
    'drivers/c.c': TWO_RULES,
  });
  const found = await run(['--no-cache', '--rule', 'mmap-lock-imbalance', root], root);
  // Paths are shown relative to the working directory (root).
  assert.deepEqual([...new Set(found.stdout.split('\n').filter(Boolean).map((l) => l.split(':')[0]!))], [path.join('mm', 'a.c')]);
  const named = await run(['--no-cache', '--rule', 'mmap-lock-imbalance', path.join(root, 'drivers/c.c')], root);
  assert.equal(named.status, 1);
  const none = await run(['--no-cache', path.join(root, 'drivers')], root);
  assert.equal(none.status, 0);
  assert.equal(none.stderr, 'vmalint: warning: every file found is left out by the include/exclude globs of .vmalint.json\n');
});

test('config: defines and undefines decide #ifdef as -D and -U do; the command line wins', async () => {
  const root = await tree({ '.vmalint.json': JSON.stringify({ defines: ['CONFIG_DRV_SAFE'] }), 'x.c': TWO_RULES });
  const x = path.join(root, 'x.c');
  const count = async (args: string[]): Promise<number> => rulesOf((await run(['--no-cache', '--rule', 'mmap-lock-imbalance', ...args, x], root)).stdout).length;
  // An undecided macro leaves both sides to the analysis; the configuration decides it.
  const bare = await tree({ 'x.c': TWO_RULES });
  assert.equal(rulesOf((await run(['--no-cache', '--rule', 'mmap-lock-imbalance', path.join(bare, 'x.c')], bare)).stdout).length, 2);
  assert.equal(await count([]), 1);
  assert.equal(await count(['-U', 'CONFIG_DRV_SAFE']), 2);
});

test('config: --print-config shows the configuration in effect', async () => {
  const root = await tree({
    '.vmalint.json': JSON.stringify({ rules: { 'raw-mmap-rwsem': 'off', 'find-vma-range': 'error' }, exclude: ['tools/**'], defines: ['CONFIG_A=2'], functions: { drv_fetch: { mayFault: true } } }),
  });
  const r = await run(['--print-config', '-D', 'CONFIG_B', '--disable', 'stale-cannot-fail'], root);
  assert.equal(r.status, 0, r.stderr);
  const shown = JSON.parse(r.stdout);
  assert.equal(shown.file, '.vmalint.json');
  assert.equal(shown.rules['raw-mmap-rwsem'], 'off');
  assert.equal(shown.rules['stale-cannot-fail'], 'off');
  assert.equal(shown.rules['find-vma-range'], 'error');
  assert.equal(shown.rules['mmap-lock-imbalance'], 'error');
  assert.deepEqual(shown.exclude, ['tools/**']);
  assert.equal(shown.defines.CONFIG_A, '2');
  assert.equal(shown.defines.CONFIG_B, '1');
  assert.deepEqual(shown.functions, ['drv_fetch']);
});

test('summaries: the lock order crosses runs: a .fault handler taking a mutex in one run judges a copy under it in another', async () => {
  const root = await tree({
    'drv/mmap.c': `struct dev_state;
static vm_fault_t dev_fault(struct vm_fault *vmf)
{
	struct dev_state *st = vmf->vma->vm_private_data;

	mutex_lock(&st->buf_mutex);
	vmf->page = st->page;
	mutex_unlock(&st->buf_mutex);
	return 0;
}

static const struct vm_operations_struct dev_vm_ops = {
	.fault = dev_fault,
};
`,
    'drv/read.c': `struct dev_state;
long dev_get(struct dev_state *st, void *ubuf)
{
	long ret = 0;

	mutex_lock(&st->buf_mutex);
	if (copy_to_user(ubuf, st->buf, st->len))
		ret = -EFAULT;
	mutex_unlock(&st->buf_mutex);
	return ret;
}
`,
  });
  assert.equal((await run(['--summaries-out', 's.json', path.join(root, 'drv', 'mmap.c')], root)).status, 0);
  const written = JSON.parse(await readFile(path.join(root, 's.json'), 'utf8')) as { lockOrder?: { from: string; to: string; evidence: { kind?: string }[] }[] };
  assert.deepEqual(written.lockOrder?.map((e) => `${e.from} -> ${e.to}`), ['mmap_lock -> struct dev_state::buf_mutex']);
  assert.ok(written.lockOrder![0].evidence.some((s) => s.kind === 'entry'), 'the steps keep their kinds');
  // Alone, the copy under the mutex is no inversion: nothing takes the mutex under mmap_lock.
  const alone = await run([path.join(root, 'drv', 'read.c')], root);
  assert.equal(alone.status, 0, alone.stdout);
  const judged = await run(['--summaries-in', 's.json', path.join(root, 'drv', 'read.c')], root);
  assert.equal(judged.status, 1, judged.stderr);
  assert.match(judged.stdout, /copy_to_user\(\) can fault on user memory.*struct dev_state::buf_mutex.*the other order: dev_fault\(\), the \.fault of `dev_vm_ops`.*\[mmap-lock-inversion\]/);
});
