// What a directory that is (or holds) a kernel tree contributes: the kernel, not the programs of
// its tools/, scripts/, samples/ and usr/, unless they are named or --all-programs is given.
import assert from 'node:assert/strict';
import { mkdir, mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { test } from 'node:test';
import { findKernelRoot } from '../src/analyze.js';
import { discoverFiles } from '../src/discover.js';
import { runCli } from './support/run-cli.js';

/** A kernel tree: the marker header, mm/, and a program of each separate directory (tools/ with its own include/linux/mm.h, as the real one has). */
async function kernelTree(under = ''): Promise<{ top: string; root: string }> {
  const top = await mkdtemp(path.join(tmpdir(), 'vmalint-programs-'));
  const root = path.join(top, under);
  const files: Record<string, string> = {
    'include/linux/mm.h': 'struct mm_struct;\n',
    'mm/locked.c': 'int show(struct mm_struct *mm)\n{\n\tmmap_read_lock(mm);\n\ttrace_state(mm);\n\tmmap_read_unlock(mm);\n\treturn 0;\n}\n',
    'tools/include/linux/mm.h': 'struct mm_struct;\n',
    'tools/perf/util/debug.c': 'struct mm_struct;\nvoid trace_state(struct mm_struct *mm)\n{\n\tint v;\n\n\tget_user(v, (int *)mm);\n}\n',
    'tools/perf/builtin-top.c': 'int top(struct mm_struct *mm)\n{\n\tmmap_read_lock(mm);\n\ttrace_state(mm);\n\tmmap_read_unlock(mm);\n\treturn 0;\n}\n',
    'tools/scripts/x.c': '',
    'scripts/mod/modpost.c': '',
    'samples/bpf/x_user.c': '',
    'usr/gen_init_cpio.c': '',
  };
  for (const [relative, text] of Object.entries(files)) {
    const file = path.join(root, relative);
    await mkdir(path.dirname(file), { recursive: true });
    await writeFile(file, text);
  }
  return { top, root };
}

const relativeTo = (root: string, files: readonly string[]): string[] => files.map((f) => path.relative(root, f).split(path.sep).join('/'));

test('discover: a kernel tree\'s root contributes the kernel; tools/, scripts/, samples/, usr/ are left out', async () => {
  const { root } = await kernelTree();
  const found = await discoverFiles([root]);
  assert.deepEqual(relativeTo(root, found.files), ['include/linux/mm.h', 'mm/locked.c']);
  assert.deepEqual(relativeTo(root, found.otherPrograms), ['samples', 'scripts', 'tools', 'usr']);
  const all = await discoverFiles([root], { allPrograms: true });
  assert.equal(all.files.length, 9);
  assert.deepEqual(all.otherPrograms, []);
});

test('discover: a directory holding a kernel tree leaves out that tree\'s programs', async () => {
  const { top } = await kernelTree('src/linux');
  await writeFile(path.join(top, 'src', 'other.c'), '');
  await mkdir(path.join(top, 'tools'));
  await writeFile(path.join(top, 'tools', 'own.c'), '');
  const found = await discoverFiles([top]);
  assert.deepEqual(relativeTo(top, found.files), ['src/linux/include/linux/mm.h', 'src/linux/mm/locked.c', 'src/other.c', 'tools/own.c']);
});

test('discover: a program named is analysed, tools/ whole too (its own include/linux/mm.h makes it no kernel tree)', async () => {
  const { root } = await kernelTree();
  assert.deepEqual(relativeTo(root, (await discoverFiles([path.join(root, 'tools/perf')])).files), ['tools/perf/builtin-top.c', 'tools/perf/util/debug.c']);
  assert.deepEqual(relativeTo(root, (await discoverFiles([path.join(root, 'tools')])).files), ['tools/include/linux/mm.h', 'tools/perf/builtin-top.c', 'tools/perf/util/debug.c', 'tools/scripts/x.c']);
  assert.deepEqual(relativeTo(root, (await discoverFiles([root, path.join(root, 'usr')])).files), ['include/linux/mm.h', 'mm/locked.c', 'usr/gen_init_cpio.c']);
  assert.equal(findKernelRoot([path.join(root, 'tools/perf/builtin-top.c')]), root, 'the tree, not tools/');
});

test('cli: vmalint at a kernel tree\'s root reports the kernel only; tools/perf named, or --all-programs, reports perf\'s findings', async () => {
  const { root } = await kernelTree();
  const kernel = await runCli(['-q', '--no-cache', root], { cwd: root });
  assert.equal(kernel.stdout, '', 'mm/ does not call perf\'s trace_state()');
  assert.equal(kernel.status, 0);
  for (const argv of [[path.join(root, 'tools/perf')], ['--all-programs', root]]) {
    const perf = await runCli(['-q', '--no-cache', ...argv], { cwd: root });
    assert.equal(perf.status, 1, argv.join(' '));
    assert.match(perf.stdout, /^tools\/perf\/builtin-top\.c:4:2: error: trace_state\(\) can fault/m);
    assert.doesNotMatch(perf.stdout, /^mm\//m);
  }
});
