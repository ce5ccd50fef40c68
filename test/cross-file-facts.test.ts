import { test } from 'node:test';
import assert from 'node:assert/strict';
import { archOf, CrossFileFacts, type FileContribution } from '../src/engine/cross-file-facts.js';
import { widenSummary } from '../src/engine/summary-widening.js';
import { quotedIncludes } from '../src/parallel/file-facts.js';
import { prescan } from '../src/engine/prescan.js';
import { markTriggered } from '../src/engine/demand-names.js';
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
  // Searched in the text's bytes (one per character): the same directives.
  assert.deepEqual(quotedIncludes(text, Buffer.from(text, 'latin1')), ['internal.h', 'sub/x.h', 'last.h']);
  assert.deepEqual(quotedIncludes('#include "only.h"', Buffer.from('#include "only.h"', 'latin1')), ['only.h']);
});

test('cross-file facts: a summary that keeps flipping is joined with what was published, so the changes stop', () => {
  const k = new CrossFileFacts(ROOT);
  const file = '/k/arch/mips/kernel/smp.c';
  // What a cycle through panic() makes of a function at alternate rounds: it may fault (its callee
  // returns), or it never returns (its callee does not), and back.
  const faults: ApiEntry = { ...nothing('stop', file), mayFault: true, faultVia: [{ file, line: 3, column: 1, message: 'copy_to_user() may fault' }] };
  const dies: ApiEntry = { ...nothing('stop', file), noreturn: true };
  const generations: number[] = [];
  for (let round = 0; round < 12; round++) {
    k.generation++;
    k.publish(file, fileKnowledge([round % 2 ? dies : faults]));
    generations.push(k.changedAt.get('stop')!);
  }
  const settled = generations.findIndex((g, i) => generations.slice(i).every((x) => x === g));
  assert.ok(settled >= 0 && settled <= 4, `changes stop after a few rounds: ${generations.join(',')}`);
  const published = k.summaryOf('stop', file)!;
  assert.equal(published.mayFault, true, 'a may-fact of either stays');
  assert.ok(published.faultVia?.length, 'with how it comes');
  assert.equal(published.noreturn, undefined, 'a must-fact of one only goes');
});

test('cross-file facts: the first changes of a summary are published as they are', () => {
  const k = new CrossFileFacts(ROOT);
  k.publish('/k/mm/a.c', fileKnowledge([nothing('f', '/k/mm/a.c')]));
  k.publish('/k/mm/a.c', fileKnowledge([{ ...nothing('f', '/k/mm/a.c'), noreturn: true }]));
  assert.equal(k.summaryOf('f', '/k/mm/x.c')?.noreturn, true, 'a callee found to end every path, later in the run');
  k.publish('/k/mm/a.c', fileKnowledge([releases('f', '/k/mm/a.c')]));
  assert.ok(k.summaryOf('f', '/k/mm/x.c')?.lock?.length);
  assert.equal(k.summaryOf('f', '/k/mm/x.c')?.noreturn, undefined);
});

test('summary widening: may-facts united, must-facts where both agree, a disagreeing lock effect forgotten', () => {
  const file = '/k/mm/a.c';
  const a: ApiEntry = {
    ...releases('f', file),
    returns: 1,
    derefsArgs: [0, 1],
    acquires: [{ cls: 'i_mmap_rwsem', via: [] }],
    requires: [{ lock: 'mmap', mode: 'read', target: 0 }],
    noreturn: true,
  };
  const b: ApiEntry = {
    ...nothing('f', file),
    lock: [{ lock: 'vma', op: 'acquire', mode: 'read', target: 1, when: 'always' }],
    returns: 2,
    derefsArgs: [0, 1],
    acquires: [{ cls: 'anon_vma', via: [] }],
    mayFault: true,
    faultsWhen: [{ 0: 4 }],
    fails: 'zero-ok',
  };
  const w = widenSummary(a, b);
  assert.deepEqual(w.lock, [
    { lock: 'mmap', op: 'forget', target: 0, when: 'always' },
    { lock: 'vma', op: 'forget', target: 1, when: 'always' },
  ]);
  assert.equal(w.returns, 3);
  assert.deepEqual(w.derefsArgs, [0, 1], 'both agree');
  assert.deepEqual(w.acquires?.map((x) => x.cls).sort(), ['anon_vma', 'i_mmap_rwsem']);
  assert.equal(w.requires, undefined, 'needed by one only');
  assert.equal(w.noreturn, undefined);
  assert.equal(w.mayFault, true);
  assert.deepEqual(w.faultsWhen, [{ 0: 4 }], 'only the faulting one\'s conditions');
  assert.equal(w.fails, 'zero-ok');
  // The join is a fixed point for both of what it joined: widening again changes nothing.
  assert.deepEqual(widenSummary(w, a), w);
  assert.deepEqual(widenSummary(w, b), w);
  assert.deepEqual(widenSummary(b, b), b, 'a summary joined with itself is itself');
});

test('cross-file facts: a definition not analysed yet says nothing, whatever the order the files come in', () => {
  const k = new CrossFileFacts(ROOT);
  k.declareDefinitions('/k/arch/alpha/kernel/a.c', ['show']);
  k.declareDefinitions('/k/arch/beta/kernel/b.c', ['show']);
  k.declareDefinitions('/k/arch/beta/kernel/c.c', ['halt']);
  k.declareDefinitions('/k/kernel/halt.c', ['halt']);
  k.publish('/k/arch/alpha/kernel/a.c', fileKnowledge([releases('show', '/k/arch/alpha/kernel/a.c')]));
  assert.equal(k.summaryOf('show', '/k/lib/dump.c'), undefined, 'generic code: beta\'s show() is not analysed yet, so the architectures do not agree');
  assert.ok(k.summaryOf('show', '/k/arch/alpha/mm/x.c')?.lock, 'alpha\'s own');
  k.publish('/k/arch/beta/kernel/b.c', fileKnowledge([releases('show', '/k/arch/beta/kernel/b.c')]));
  assert.ok(k.summaryOf('show', '/k/lib/dump.c')?.lock, 'both analysed, and they agree');
  k.publish('/k/kernel/halt.c', fileKnowledge([releases('halt', '/k/kernel/halt.c')]));
  assert.equal(k.summaryOf('halt', '/k/arch/beta/mm/x.c'), undefined, 'beta defines its own halt(), not analysed yet: not the generic one');
  assert.ok(k.summaryOf('halt', '/k/arch/alpha/mm/x.c')?.lock, 'alpha has none of its own: the generic one');
  assert.equal(k.summaryOf('halt', '/k/mm/x.c'), undefined, 'generic code: beta\'s may be the one linked');
});

test('cross-file facts: two files defining the same function for one build: the first in the run\'s order of files, whichever is analysed first', () => {
  const k = new CrossFileFacts(ROOT);
  k.declareDefinitions('/k/mm/mmap.c', ['exit_mmap']);
  k.declareDefinitions('/k/mm/nommu.c', ['exit_mmap']);
  k.publish('/k/mm/nommu.c', fileKnowledge([nothing('exit_mmap', '/k/mm/nommu.c')]));
  assert.equal(k.summaryOf('exit_mmap', '/k/kernel/fork.c'), undefined, 'mmap.c\'s is still to come');
  k.publish('/k/mm/mmap.c', fileKnowledge([releases('exit_mmap', '/k/mm/mmap.c')]));
  assert.equal(k.summaryOf('exit_mmap', '/k/kernel/fork.c')?.source?.file, '/k/mm/mmap.c');
  k.publish('/k/mm/nommu.c', fileKnowledge([nothing('exit_mmap', '/k/mm/nommu.c')]));
  assert.equal(k.summaryOf('exit_mmap', '/k/kernel/fork.c')?.source?.file, '/k/mm/mmap.c');
});

test('file facts: a text trigger marks the functions whose text (header comment included) it matches, and only those', () => {
  const CANNOT_FAIL = /\b(?:can\s?not|can'?t|never)[\s*/]+fails?\b/i;
  const text = [
    'int first(void)',
    '{',
    '\treturn 0;',
    '}',
    '/* This CANNOT fail. */',
    'int second(void)',
    '{',
    '\treturn 1;',
    '}',
    'int third(void)',
    '{',
    '\t/* never',
    '\t * fails */',
    '\treturn 2;',
    '}',
    'int fourth(void)',
    '{',
    '\treturn cannotfail;',
    '}',
  ].join('\n');
  const triggered = (triggers: RegExp[]): string[] => {
    const scan = prescan(text, new Set());
    markTriggered(scan, text, triggers);
    return scan.functions.filter((fn) => fn.triggered).map((fn) => fn.name);
  };
  assert.deepEqual(triggered([CANNOT_FAIL]), ['second', 'third']);
  assert.deepEqual(triggered([/return 0/, /return 2/]), ['first', 'third']);
  // A match that starts in one function and ends in the next belongs to neither.
  assert.deepEqual(triggered([/return 0;[^]*return 1/]), []);
  assert.deepEqual(triggered([/nothing like this/]), []);
});
