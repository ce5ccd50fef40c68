import { test } from 'node:test';
import assert from 'node:assert/strict';
import { noreturnDeclarations, declarationScope, NoreturnIndex } from '../src/engine/noreturn.js';

test('noreturn: the attribute forms the kernel uses, before or after the parameters', () => {
  const text = [
    'void die(const char *, struct pt_regs *) __noreturn;',
    'void __noreturn __printf(1, 2) fatal(const char *fmt, ...);',
    'extern void bad_trap(int code) __attribute__ ((noreturn));',
    'static void __attribute__((__noreturn__)) spin_forever(void)',
    '{',
    '\tfor (;;) ;',
    '}',
    '_Noreturn void c11_stop(void);',
    '[[noreturn]] void c23_stop(void);',
    'void returns_normally(void);',
    '/* void commented_out(void) __noreturn; */',
    '#define __noreturn __attribute__((__noreturn__))',
    '#define DEFINE_STOP(name) __noreturn extern void name(void)',
  ].join('\n');
  assert.deepEqual([...noreturnDeclarations(text)].sort(), ['bad_trap', 'c11_stop', 'c23_stop', 'die', 'fatal', 'spin_forever']);
});

test('noreturn: a declaration under include/ holds everywhere, one under arch/x only in arch/x', () => {
  const index = new NoreturnIndex();
  index.add('/k/include/linux/kernel.h', 'void panic_now(void) __noreturn;', '/k');
  index.add('/k/arch/mips/include/asm/ptrace.h', 'void die(const char *s) __noreturn;', '/k');
  assert.ok(index.holds('panic_now', '/k/arch/x86/mm/fault.c'));
  assert.ok(index.holds('die', '/k/arch/mips/mm/fault.c'));
  assert.ok(!index.holds('die', '/k/arch/x86/mm/fault.c'));
  assert.equal(declarationScope('/k/drivers/gpu/drm/x.h', '/k'), '/k/drivers/gpu/');
});
