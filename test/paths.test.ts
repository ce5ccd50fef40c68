// No absolute path of the machine in what vmalint writes: a finding's trace and message that go
// through a kernel header found through the kernel root, and a notification about the cache
// directory, show their paths relative to the working directory (`..` outside it), as every other
// path, in every format and in the baseline. The one absolute path left is SARIF's declared base
// (%SRCROOT%, the working directory), which the relative locations are resolved against.
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { test } from 'node:test';
import { runCli } from './support/run-cli.js';

/** A kernel tree: include/linux/mm.h (two static inlines) and two files of mm/ that call them. */
function fakeKernel(): string {
  const root = mkdtempSync(path.join(tmpdir(), 'vmalint-paths-'));
  const files: Record<string, string> = {
    'include/linux/mm.h': `struct mm_struct;
struct vm_area_struct;
static inline void mark_locked(struct vm_area_struct *vma)
{
	vm_flags_set(vma, VM_LOCKED);
}
static inline int fetch(int *p, int *u)
{
	return copy_from_user(p, u, 4);
}
`,
    'mm/fetch.c': `#include <linux/mm.h>
static int faulty(struct mm_struct *mm, int *p, int *u)
{
	int r;

	mmap_read_lock(mm);
	r = fetch(p, u);
	mmap_read_unlock(mm);
	return r;
}
`,
    'mm/flags.c': `#include <linux/mm.h>
static void lock_one(struct mm_struct *mm, unsigned long addr)
{
	struct vm_area_struct *vma;

	mmap_read_lock(mm);
	vma = vma_lookup(mm, addr);
	if (vma)
		mark_locked(vma);
	mmap_read_unlock(mm);
}
`,
  };
  for (const [name, text] of Object.entries(files)) {
    mkdirSync(path.dirname(path.join(root, name)), { recursive: true });
    writeFileSync(path.join(root, name), text);
  }
  // Not a directory: the cache cannot be used there, which is notified (a path outside the tree).
  writeFileSync(path.join(root, '..', `${path.basename(root)}-not-a-directory`), '');
  return root;
}

/** What a run wrote, with SARIF's declared base taken out (the one absolute path on purpose). */
function written(stdout: string, stderr: string, format: string): string {
  if (format !== 'sarif') return stdout + stderr;
  const log = JSON.parse(stdout);
  for (const run of log.runs) {
    delete run.originalUriBaseIds;
    for (const invocation of run.invocations) delete invocation.workingDirectory;
  }
  return JSON.stringify(log) + stderr;
}

test('paths: a kernel header in a trace and a message, and the cache directory, are relative to the working directory in every format and in the baseline', async () => {
  const root = fakeKernel();
  const env = { VMALINT_CACHE_DIR: path.join(root, '..', `${path.basename(root)}-not-a-directory`, 'cache') };
  // From the tree's root, from mm/ (the header is then outside: ../include/linux/mm.h), from include/.
  for (const [cwd, header, source] of [
    [root, 'include/linux/mm.h', 'mm/fetch.c'],
    [path.join(root, 'mm'), '../include/linux/mm.h', 'fetch.c'],
    [path.join(root, 'include'), 'linux/mm.h', '../mm/fetch.c'],
  ] as const) {
    for (const format of ['text', 'json', 'sarif', 'checkpatch']) {
      const run = await runCli(['-f', format, '--write-baseline', 'baseline.json', path.join(root, 'mm')], { cwd, env });
      assert.equal(run.status, 0, run.stderr);
      const output = written(run.stdout, run.stderr, format);
      const baseline = readFileSync(path.join(cwd, 'baseline.json'), 'utf8');
      for (const [what, text] of [[`${format} report`, output], ['baseline', baseline]]) {
        assert.ok(!text.includes(root), `${what} from ${cwd} holds an absolute path:\n${text}`);
      }
      assert.deepEqual(JSON.parse(baseline).findings.map((e: { file: string }) => e.file).sort(), [source, source.replace('fetch', 'flags')]);
      if (format === 'text') {
        // The trace step in the header, and the message that names it.
        assert.ok(run.stdout.includes(`${source}:7:6: error: fetch() can fault on user memory (through copy_from_user() at ${header}:9)`), run.stdout);
        assert.ok(run.stdout.includes(`\n${header}:9:9: note: copy_from_user() may fault on user memory\n`), run.stdout);
        assert.ok(run.stdout.includes(`\n${header}:3:1: note: mark_locked() (defined here) modifies the VMA`), run.stdout);
        assert.match(run.stderr, /^\.\.\/[^\n]*-not-a-directory\/cache: warning: cannot use the cache directory \.\.\/[^\n]*-not-a-directory\/cache: ENOTDIR/m);
      }
      if (format === 'sarif') {
        const uris = [...run.stdout.matchAll(/"uri": "([^"]*)"/g)].map((m) => m[1]);
        assert.ok(uris.includes(header), uris.join(' '));
      }
    }
  }
});
