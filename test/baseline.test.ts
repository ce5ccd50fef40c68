// Baselines: --write-baseline records the findings, --baseline reports only new ones and notes the
// entries that match nothing any more. Keys ignore line numbers, so code added above moves nothing.
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { test } from 'node:test';
import { runCli } from './support/run-cli.js';

const LEAKS = `struct mm_struct;

int two_leaks(struct mm_struct *mm, int a, int b)
{
	mmap_read_lock(mm);
	if (a)
		return -EINVAL;
	if (b)
		return -EINVAL;
	mmap_read_unlock(mm);
	return 0;
}

int one_leak(struct mm_struct *mm, int a)
{
	mmap_write_lock(mm);
	if (a)
		return -EBUSY;
	mmap_write_unlock(mm);
	return 0;
}
`;

function scratch(text: string): { dir: string; file: string } {
  const dir = mkdtempSync(path.join(tmpdir(), 'vmalint-baseline-'));
  const file = path.join(dir, 'leaks.c');
  writeFileSync(file, text);
  return { dir, file };
}

const errors = (stdout: string): string[] => stdout.split('\n').filter((l) => / error: /.test(l));

test('baseline: the recorded findings are not reported again, wherever lines moved; a new one is', async () => {
  const { dir, file } = scratch(LEAKS);
  const first = await runCli(['--no-cache', '--write-baseline', 'base.json', file], { cwd: dir });
  // Writing the baseline is the adoption step: its findings are shown, and expected (exit 0).
  assert.equal(first.status, 0);
  assert.equal(errors(first.stdout).length, 3);
  assert.equal(first.stderr, 'vmalint: wrote 3 entries to base.json\n');
  const recorded = JSON.parse(readFileSync(path.join(dir, 'base.json'), 'utf8'));
  assert.equal(recorded.version, 1);
  assert.deepEqual(
    recorded.findings.map((e: { rule: string; file: string; function: string }) => [e.rule, e.file, e.function]),
    [
      ['mmap-lock-imbalance', 'leaks.c', 'two_leaks'],
      ['mmap-lock-imbalance', 'leaks.c', 'two_leaks'],
      ['mmap-lock-imbalance', 'leaks.c', 'one_leak'],
    ],
  );

  // Lines added above everything: the same findings, on other lines.
  writeFileSync(file, `/*\n * moved down\n */\n${LEAKS}`);
  const moved = await runCli(['--no-cache', '--baseline', 'base.json', file], { cwd: dir });
  assert.deepEqual([moved.status, moved.stdout, moved.stderr], [0, '', '']);

  // A third `return -EINVAL;` leak in two_leaks(): its key is there twice already, it is the new one.
  writeFileSync(file, LEAKS.replace('\tmmap_read_unlock(mm);\n\treturn 0;\n}\n\nint one_leak', '\tif (a > b)\n\t\treturn -EINVAL;\n\tmmap_read_unlock(mm);\n\treturn 0;\n}\n\nint one_leak'));
  const added = await runCli(['--no-cache', '--baseline', 'base.json', file], { cwd: dir });
  assert.equal(added.status, 1);
  assert.equal(errors(added.stdout).length, 1, added.stdout);
});

test('baseline: an entry that matches nothing any more is listed, in text on stderr and in JSON', async () => {
  const { dir, file } = scratch(LEAKS);
  await runCli(['--no-cache', '--write-baseline', 'base.json', file], { cwd: dir });
  writeFileSync(file, LEAKS.replace('\tif (a)\n\t\treturn -EBUSY;\n', ''));
  const text = await runCli(['--no-cache', '--baseline', 'base.json', file], { cwd: dir });
  assert.deepEqual([text.status, text.stdout], [0, '']);
  assert.match(text.stderr, /^leaks\.c: note: baseline entry no longer matches a finding .*mmap-lock-imbalance in one_leak\(\), was line 18/);
  const json = await runCli(['--no-cache', '--format', 'json', '--baseline', 'base.json', file], { cwd: dir });
  const report = JSON.parse(json.stdout);
  assert.equal(report.findings.length, 0);
  assert.equal(report.notifications.filter((n: { message: string }) => /baseline entry/.test(n.message)).length, 1);
});

test('baseline: --write-baseline says how many entries it wrote, and exits 0 whatever the count (2 when nothing could be analysed)', async () => {
  const { dir, file } = scratch(LEAKS.replace(/\n\nint two_leaks[\s\S]*?\n}\n/, '\n'));
  const one = await runCli(['--no-cache', '--write-baseline', 'one.json', '--format', 'json', file], { cwd: dir });
  assert.deepEqual([one.status, one.stderr, JSON.parse(one.stdout).findings.length], [0, 'vmalint: wrote 1 entry to one.json\n', 1]);
  writeFileSync(file, 'struct mm_struct;\n');
  const none = await runCli(['--no-cache', '--write-baseline', 'none.json', file], { cwd: dir });
  assert.deepEqual([none.status, none.stdout, none.stderr], [0, '', 'vmalint: wrote 0 entries to none.json\n']);
  assert.deepEqual(JSON.parse(readFileSync(path.join(dir, 'none.json'), 'utf8')).findings, []);
  writeFileSync(file, Buffer.from([0x7f, 0x45, 0x4c, 0x46, 0x00, 0xff]));
  const failed = await runCli(['--no-cache', '--write-baseline', 'failed.json', file], { cwd: dir });
  assert.equal(failed.status, 2, 'a baseline of a run that analysed nothing is not a success');
  assert.match(failed.stderr, /wrote 0 entries to failed\.json\nvmalint: none of the 1 files could be analysed\n$/);
});

test('baseline: a file that is not a baseline is a usage error naming it', async () => {
  const { dir, file } = scratch(LEAKS);
  writeFileSync(path.join(dir, 'other.json'), '{"findings": []}');
  writeFileSync(path.join(dir, 'broken.json'), '{');
  for (const [name, message] of [
    ['other.json', /^vmalint: --baseline: other\.json: not a vmalint baseline of version 1/],
    ['broken.json', /^vmalint: --baseline: broken\.json: not JSON/],
    ['missing.json', /^vmalint: --baseline: missing\.json: no such file/],
  ] as const) {
    const run = await runCli(['--baseline', name, file], { cwd: dir });
    assert.equal(run.status, 2, name);
    assert.match(run.stderr, message);
  }
});
