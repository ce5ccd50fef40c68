import { test } from 'node:test';
import assert from 'node:assert/strict';
import { archOf, CrossFileFacts, type FileContribution } from '../src/engine/cross-file-facts.js';
import { quotedIncludes } from '../src/parallel/file-facts.js';
import type { ApiEntry } from '../src/kb/lock-api.js';

const ROOT = '/k';
const releases = (name: string, file: string): ApiEntry => ({ name, source: { kind: 'summary', file, line: 1 }, lock: [{ lock: 'mmap', op: 'release', target: 0, when: 'always' }] });
const nothing = (name: string, file: string): ApiEntry => ({ name, source: { kind: 'summary', file, line: 1 } });
const fileKnowledge = (exported: ApiEntry[]): FileContribution => ({
  exported: new Map(exported.map((e) => [e.name, e])),
  statics: new Map(),
  initializers: new Map(),
  lookedUp: new Set(),
  lookedUpWhole: new Set(),
  lockOrder: [],
});

test('cross-file facts: a file belongs to its architecture, or to every build', () => {
  assert.equal(archOf('/k/arch/x86/mm/fault.c', ROOT), 'arch/x86');
  assert.equal(archOf('/k/mm/memory.c', ROOT), null);
  assert.equal(archOf('/k/arch/Kconfig', ROOT), null);
  assert.equal(archOf('/elsewhere/arch/x86/fault.c', null), null);
});

test('cross-file facts: a call resolves to its own architecture\'s definition, then to generic code\'s', () => {
  const k = new CrossFileFacts(ROOT);
  k.publish('/k/arch/alpha/kernel/a.c', fileKnowledge([releases('report', '/k/arch/alpha/kernel/a.c'), releases('done', '/k/arch/alpha/kernel/a.c')]));
  k.publish('/k/arch/beta/kernel/b.c', fileKnowledge([nothing('report', '/k/arch/beta/kernel/b.c'), releases('done', '/k/arch/beta/kernel/b.c')]));
  k.publish('/k/mm/generic.c', fileKnowledge([releases('shared', '/k/mm/generic.c')]));
  assert.ok(k.summaryOf('report', '/k/arch/alpha/mm/fault.c')?.lock);
  assert.equal(k.summaryOf('report', '/k/arch/beta/mm/fault.c')?.lock, undefined);
  assert.equal(k.summaryOf('report', '/k/arch/gamma/mm/fault.c'), undefined, 'another architecture\'s function is not linked here');
  assert.equal(k.summaryOf('report', '/k/mm/memory.c'), undefined, 'architectures disagree: unknown for generic code');
  assert.ok(k.summaryOf('done', '/k/mm/memory.c')?.lock, 'architectures agree');
  assert.ok(k.summaryOf('shared', '/k/arch/beta/mm/fault.c')?.lock, 'generic code is linked everywhere');
});

test('cross-file facts: the first definition per architecture wins, and a re-analysis updates it', () => {
  const k = new CrossFileFacts(ROOT);
  k.publish('/k/mm/mmap.c', fileKnowledge([releases('f', '/k/mm/mmap.c')]));
  k.publish('/k/mm/nommu.c', fileKnowledge([nothing('f', '/k/mm/nommu.c')]));
  assert.ok(k.summaryOf('f', '/k/mm/x.c')?.lock);
  k.publish('/k/mm/mmap.c', fileKnowledge([nothing('f', '/k/mm/mmap.c')]));
  assert.equal(k.summaryOf('f', '/k/mm/x.c')?.lock, undefined);
});

test('file facts: the headers a file includes with quotes, from directives at the start of a line only', () => {
  const text = [
    '#include <linux/mm.h>',
    '#include "internal.h"',
    '  #  include\t"sub/x.h" /* trailing */',
    '/* #include "commented.h" */',
    'int include_count; /* include "not.h" */',
    '#include "no-extension"',
    '#include "last.h"',
  ].join('\n');
  assert.deepEqual(quotedIncludes(text), ['internal.h', 'sub/x.h', 'last.h']);
  assert.deepEqual(quotedIncludes('#include "only.h"'), ['only.h'], 'a directive on the last line without a newline');
  assert.deepEqual(quotedIncludes(''), []);
});
