import { test } from 'node:test';
import assert from 'node:assert/strict';
import { linkDomains, programOf, sameProgram } from '../src/engine/link-domain.js';
import { CrossFileFacts, type FileContribution } from '../src/engine/cross-file-facts.js';
import { NoreturnIndex } from '../src/engine/noreturn.js';
import type { ApiEntry } from '../src/kb/lock-api.js';

const ROOT = '/k';
const faults = (name: string, file: string): ApiEntry => ({ name, source: { kind: 'summary', file, line: 1 }, mayFault: true });
const nothing = (name: string, file: string): ApiEntry => ({ name, source: { kind: 'summary', file, line: 1 } });
const exporting = (...exported: ApiEntry[]): FileContribution => ({
  exported: new Map(exported.map((e) => [e.name, e])),
  statics: new Map(),
  initializers: new Map(),
  lookedUp: new Set(),
  lookedUpWhole: new Set(),
  lockOrder: [],
});

test('link domains: the kernel, and the programs of tools/, scripts/, samples/, usr/', () => {
  assert.equal(programOf(ROOT, '/k/mm/memory.c'), 'kernel');
  assert.equal(programOf(ROOT, '/k/arch/x86/mm/fault.c'), 'kernel');
  assert.equal(programOf(ROOT, '/k/lib/dump_stack.c'), 'kernel');
  assert.equal(programOf(ROOT, '/elsewhere/tools/perf/x.c'), 'kernel', 'outside the tree: one program');
  assert.equal(programOf(ROOT, '/k/tools/perf/util/debug.c'), 'tools/perf');
  assert.equal(programOf(ROOT, '/k/tools/testing/vma/main.c'), 'tools/testing/vma');
  assert.equal(programOf(ROOT, '/k/tools/testing/radix-tree/main.c'), 'tools/testing/radix-tree');
  assert.equal(programOf(ROOT, '/k/tools/testing/selftests/bpf/progs/summarization.c'), 'tools/testing/selftests/bpf');
  assert.equal(programOf(ROOT, '/k/tools/lib/bpf/libbpf.c'), 'tools/lib');
  assert.equal(programOf(ROOT, '/k/scripts/mod/modpost.c'), 'scripts/mod');
  assert.equal(programOf(ROOT, '/k/scripts/sorttable.c'), 'scripts');
  assert.equal(programOf(ROOT, '/k/samples/bpf/x.c'), 'samples/bpf');
  assert.equal(programOf(ROOT, '/k/usr/gen_init_cpio.c'), 'usr');
});

test('link domains: kernel code never reaches another program; a tools/ program reaches its own and the shared tools/lib', () => {
  assert.ok(sameProgram(ROOT, '/k/mm/a.c', '/k/lib/b.c'));
  assert.ok(!sameProgram(ROOT, '/k/mm/a.c', '/k/tools/perf/util/debug.c'));
  assert.ok(!sameProgram(ROOT, '/k/mm/a.c', '/k/tools/lib/rbtree.c'), 'tools/lib is the tools\' copy, not the kernel\'s');
  assert.ok(!sameProgram(ROOT, '/k/tools/perf/builtin-top.c', '/k/mm/a.c'));
  assert.ok(!sameProgram(ROOT, '/k/tools/perf/builtin-top.c', '/k/tools/testing/selftests/bpf/progs/x.c'));
  assert.ok(!sameProgram(ROOT, '/k/tools/testing/vma/main.c', '/k/tools/testing/radix-tree/x.c'));
  assert.ok(!sameProgram(ROOT, '/k/scripts/mod/modpost.c', '/k/samples/bpf/x.c'));
  assert.ok(sameProgram(ROOT, '/k/tools/perf/builtin-top.c', '/k/tools/perf/util/debug.c'));
  assert.ok(sameProgram(ROOT, '/k/tools/perf/builtin-top.c', '/k/tools/lib/api/fs.c'));
  assert.ok(sameProgram(ROOT, '/k/tools/testing/selftests/bpf/x.c', '/k/tools/include/linux/rbtree.h'));
  assert.ok(!sameProgram(ROOT, '/k/tools/lib/api/fs.c', '/k/tools/perf/util/debug.c'), 'a library does not call into one program');
  assert.ok(linkDomains(null).links('/k/mm/a.c', '/k/tools/perf/x.c'), 'no tree: one program');
});

test('link domains: the run\'s definitions, per program (7.2: dump_stack() of tools/perf, might_sleep() of a BPF selftest)', () => {
  const k = new CrossFileFacts(ROOT);
  k.publish('/k/tools/perf/util/debug.c', exporting(faults('dump_stack', '/k/tools/perf/util/debug.c'), faults('perf_only', '/k/tools/perf/util/debug.c')));
  k.publish('/k/lib/dump_stack.c', exporting(nothing('dump_stack', '/k/lib/dump_stack.c')));
  k.publish('/k/tools/lib/api/x.c', exporting(faults('lib_helper', '/k/tools/lib/api/x.c')));
  assert.equal(k.summaryOf('dump_stack', '/k/mm/mmap_lock.c')?.mayFault, undefined, 'the kernel\'s, though perf\'s came first');
  assert.equal(k.summaryOf('dump_stack', '/k/tools/perf/builtin-top.c')?.mayFault, true);
  assert.equal(k.summaryOf('perf_only', '/k/mm/mmap_lock.c'), undefined);
  assert.equal(k.summaryOf('perf_only', '/k/tools/testing/vma/main.c'), undefined);
  assert.equal(k.summaryOf('lib_helper', '/k/tools/perf/builtin-top.c')?.mayFault, true);
  assert.equal(k.summaryOf('lib_helper', '/k/mm/mmap_lock.c'), undefined);
});

test('link domains: the kernel\'s headers are the kernel\'s; the tools\' shared headers are every tools/ program\'s', () => {
  const k = new CrossFileFacts(ROOT);
  k.headers.set('peek', faults('peek', '/k/include/linux/mm.h'));
  k.addLocalHeader('local_peek', faults('local_peek', '/k/include/linux/uio.h'), '/k/include/linux/uio.h');
  k.addLocalHeader('tools_peek', faults('tools_peek', '/k/tools/include/linux/peek.h'), '/k/tools/include/linux/peek.h');
  assert.equal(k.summaryOf('peek', '/k/mm/a.c')?.mayFault, true);
  assert.equal(k.summaryOf('peek', '/k/tools/perf/a.c'), undefined);
  assert.equal(k.summaryOf('local_peek', '/k/mm/a.c')?.mayFault, true);
  assert.equal(k.summaryOf('local_peek', '/k/tools/perf/a.c'), undefined);
  assert.equal(k.summaryOf('tools_peek', '/k/tools/perf/a.c')?.mayFault, true);
  assert.equal(k.summaryOf('tools_peek', '/k/tools/testing/vma/a.c')?.mayFault, true);
  assert.equal(k.summaryOf('tools_peek', '/k/mm/a.c'), undefined);
});

test('link domains: a noreturn declaration holds in the programs that see it', () => {
  const index = new NoreturnIndex();
  index.add('/k/include/linux/kernel.h', 'void stop_here(void) __noreturn;', ROOT);
  index.add('/k/tools/include/linux/compiler.h', 'void tools_stop(void) __noreturn;', ROOT);
  index.add('/k/tools/perf/util/debug.h', 'void perf_die(void) __noreturn;', ROOT);
  assert.ok(index.holds('stop_here', '/k/mm/a.c'));
  assert.ok(!index.holds('stop_here', '/k/tools/perf/a.c'), 'perf\'s stop_here() is its own');
  assert.ok(index.holds('tools_stop', '/k/tools/perf/a.c'));
  assert.ok(index.holds('tools_stop', '/k/tools/testing/selftests/bpf/a.c'));
  assert.ok(!index.holds('tools_stop', '/k/mm/a.c'));
  assert.ok(index.holds('perf_die', '/k/tools/perf/util/a.c'));
  assert.ok(!index.holds('perf_die', '/k/tools/lib/a.c'));
});

test('link domains: the demand follows a call into its own program only', async () => {
  const { Demand } = await import('../src/engine/demand.js');
  const { relevantNames } = await import('../src/engine/demand-names.js');
  const { prescan } = await import('../src/engine/prescan.js');
  const { allApis } = await import('../src/kb/lock-api.js');
  const { everyRuleDemand } = await import('../src/rules/index.js');
  const names = relevantNames(allApis(), everyRuleDemand());
  const wanted = new Set([...names.lockNames, ...names.insideNames, ...names.vmaNames]);
  const file = (path: string, text: string): { path: string; scan: ReturnType<typeof prescan> } => ({ path, scan: prescan(text, wanted) });
  const files = [
    file('/k/mm/locked.c', 'int show(struct mm_struct *mm)\n{\n\tmmap_read_lock(mm);\n\ttrace_state(mm);\n\tmmap_read_unlock(mm);\n\treturn 0;\n}\n'),
    file('/k/tools/perf/util/debug.c', 'void trace_state(struct mm_struct *mm)\n{\n\tint v;\n\tget_user(v, (int *)mm);\n}\n'),
    file('/k/tools/perf/builtin-top.c', 'int top(struct mm_struct *mm)\n{\n\tmmap_read_lock(mm);\n\ttrace_state(mm);\n\tmmap_read_unlock(mm);\n\treturn 0;\n}\n'),
  ];
  const onlyKernel = new Demand(files.slice(0, 2), names, false, linkDomains(ROOT));
  assert.equal(onlyKernel.fileNeeded('/k/tools/perf/util/debug.c'), false, 'the kernel does not call perf\'s trace_state()');
  assert.equal(new Demand(files.slice(0, 2), names, false, null).fileNeeded('/k/tools/perf/util/debug.c'), true, 'without domains it did');
  assert.equal(new Demand(files, names, false, linkDomains(ROOT)).fileNeeded('/k/tools/perf/util/debug.c'), true, 'perf calls its own');
  // The call graph given back (an earlier run's, the same files and calls) gives the same demand; one that does not fit is not used.
  const fresh = new Demand(files, names, false, linkDomains(ROOT));
  const again = new Demand(files, names, false, linkDomains(ROOT), fresh.callGraph());
  const wrong = new Demand(files, names, false, linkDomains(ROOT), { start: new Int32Array(2), list: new Int32Array(0) });
  for (const f of files) {
    assert.deepEqual(again.neededIn(f.path), fresh.neededIn(f.path));
    assert.deepEqual(wrong.neededIn(f.path), fresh.neededIn(f.path));
  }
  assert.equal(again.mentionsKnown, true, 'what each function mentions is the earlier run\'s');
  // Other names (get_user() no longer a fault): what the functions mention is read again, not taken.
  const without = (set: Set<string>): Set<string> => new Set([...set].filter((n) => n !== 'get_user'));
  const fewer = { ...names, insideNames: without(names.insideNames), faultNames: without(names.faultNames), lockNames: without(names.lockNames) };
  const fewerAgain = new Demand(files, fewer, false, linkDomains(ROOT), fresh.callGraph());
  const fewerFresh = new Demand(files, fewer, false, linkDomains(ROOT));
  assert.equal(fewerAgain.mentionsKnown, false);
  assert.equal(fewerFresh.fileNeeded('/k/tools/perf/util/debug.c'), false, 'trace_state() no longer matters to its callers');
  for (const f of files) assert.deepEqual(fewerAgain.neededIn(f.path), fewerFresh.neededIn(f.path));
  // Defined in both programs: each call reaches its own program's definition.
  const kernelToo = file('/k/lib/trace.c', 'void trace_state(struct mm_struct *mm)\n{\n\tint v;\n\tget_user(v, (int *)mm);\n}\n');
  const both = new Demand([...files.slice(0, 2), kernelToo], names, false, linkDomains(ROOT));
  assert.equal(both.fileNeeded('/k/lib/trace.c'), true);
  assert.equal(both.fileNeeded('/k/tools/perf/util/debug.c'), false);
});

test('link domains: a summary read with --summaries-in applies where its file\'s program is linked', () => {
  const k = new CrossFileFacts(ROOT);
  k.imported.set('trace_state', faults('trace_state', '/k/tools/perf/util/debug.c'));
  k.imported.set('from_config', { name: 'from_config', source: { kind: 'config' }, mayFault: true });
  assert.equal(k.summaryOf('trace_state', '/k/mm/a.c'), undefined);
  assert.equal(k.summaryOf('trace_state', '/k/tools/perf/builtin-top.c')?.mayFault, true);
  assert.equal(k.summaryOf('from_config', '/k/mm/a.c')?.mayFault, true, 'no file: everywhere');
});

test('link domains: a run\'s domains tell each file\'s program as programOf() does, for paths inside and outside the tree', () => {
  const domains = linkDomains(ROOT);
  for (const file of ['/k/mm/memory.c', '/k/tools/perf/util/debug.c', '/k/tools/testing/selftests/bpf/progs/x.c', '/k/tools/lib/bpf/libbpf.c', '/k/samples/bpf/x.c', '/k/usr/gen_init_cpio.c', '/k/tools', '/elsewhere/tools/perf/x.c', '/kernel/tools/perf/x.c']) {
    assert.equal(domains.programOf(file), programOf(ROOT, file), file);
  }
});
