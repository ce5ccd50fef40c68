// The recall benchmark's mutation operators: each finds the places of a kernel file where its bug
// shape fits, and plants the bug there, keeping every line where it was (./edit.ts). Each operator
// names the rules that report its bug; a mutant is found when one of them reports something new
// in the mutated function.

import type { AstNode } from '../../src/parse/ast.js';
import { lineAt } from '../../src/parse/ast.js';
import { appendToLine, blank } from './edit.js';
import { assignedCall, callShape, callStatement, ifCondition, ifOnlyLeaves, isExit, isNullTest, textAfter, textBefore, type FunctionShape, type ParsedFile } from './source.js';

export interface Mutant {
  operator: string;
  file: string;
  relative: string;
  /** The function the bug is planted in (where it is expected to be reported). */
  function: string;
  line: number;
  description: string;
  text: string;
}

export interface MutationOperator {
  id: string;
  /** What it plants, for the report. */
  summary: string;
  /** Rules whose new finding in the function counts as found. */
  rules: string[];
  /** A file can hold the shape only if its text contains one of these (a cheap first filter). */
  tokens: string[];
  mutants(file: ParsedFile, tree: TreeFeatures): Mutant[];
}

/** What the tree under analysis has (decided from its headers). */
export interface TreeFeatures {
  perVmaLocks: boolean;
}

const MMAP_UNLOCKS: Record<string, RegExp> = {
  mmap_read_unlock: /\bmmap_read_(lock|lock_killable|trylock)\s*\(|\block_mm_and_find_vma\s*\(/,
  mmap_write_unlock: /\bmmap_write_(lock|lock_killable|trylock)\s*\(/,
};
const VMA_UNLOCK: Record<string, RegExp> = { vma_end_read: /\block_vma_under_rcu\s*\(|\bvma_start_read\s*\(/ };
const LOCKS = /^(mmap_read_lock|mmap_write_lock)$/;
const KILLABLE_LOCKS = /^(mmap_read_lock_killable|mmap_write_lock_killable)$/;
const LOOKUPS = /^(vma_lookup|find_vma|find_vma_intersection)$/;

function mutant(op: string, file: ParsedFile, fn: FunctionShape, at: AstNode, description: string, text: string): Mutant {
  return { operator: op, file: file.path, relative: file.relative, function: fn.name, line: lineAt(file, at.start), description, text };
}

/** Every statement of every block with its successor. */
function* pairs(fn: FunctionShape): Generator<[AstNode, AstNode | undefined]> {
  for (const block of fn.blocks) for (let i = 0; i < block.length; i++) yield [block[i]!, block[i + 1]];
}

/** Each VMA lookup assigned to a variable (`vma = find_vma(mm, addr);`) with the statement after it. */
function* lookupsWithNext(fn: FunctionShape): Generator<{ a: NonNullable<ReturnType<typeof assignedCall>>; s: AstNode; next: AstNode }> {
  for (const [s, next] of pairs(fn)) {
    const a = assignedCall(s);
    if (a && LOOKUPS.test(a.name) && next) yield { a, s, next };
  }
}

/** A statement that takes the mmap lock unconditionally: `mmap_read_lock(mm);` or `if (mmap_read_lock_killable(mm)) return ...;`. */
function lockStatement(s: AstNode): string | null {
  const call = callStatement(s);
  if (call && LOCKS.test(call.name)) return call.name;
  if (s.type === 'if_statement' && ifOnlyLeaves(s) && !s.child('alternative')) {
    const c = ifCondition(s);
    const k = c ? callShape(c) : null;
    if (k && KILLABLE_LOCKS.test(k.name)) return k.name;
  }
  return null;
}

const removeUnlock: MutationOperator = {
  id: 'unlock-removed',
  summary: 'remove an unlock right before a return or goto',
  // The leak, or what it does where the lock is left held: a caller's user copy under it (a
  // helper that now returns with the lock, whose callers go on as if it had released it).
  rules: ['mmap-lock-imbalance', 'vma-lock-imbalance', 'fault-under-mmap-lock'],
  tokens: ['mmap_read_unlock', 'mmap_write_unlock', 'vma_end_read'],
  mutants(file) {
    const out: Mutant[] = [];
    for (const fn of file.functions) {
      for (const [s, next] of pairs(fn)) {
        const call = callStatement(s);
        const taker = call ? (MMAP_UNLOCKS[call.name] ?? VMA_UNLOCK[call.name]) : undefined;
        if (!call || !taker || !isExit(next) || !taker.test(textBefore(fn, s.start))) continue;
        // A function that returns with the lock on every way out reads as a lock-taking helper
        // (lock_mm_and_find_vma()) unless its context says otherwise: the shape fits where another
        // way out still releases it, or where the function runs in a known context (a syscall).
        const others = fn.node.text.split(`${call.name}(`).length - 2;
        if (others < 1 && !/^\s*(COMPAT_)?SYSCALL_DEFINE/.test(fn.node.text)) continue;
        out.push(mutant(this.id, file, fn, s, `${call.name}(${call.args.join(', ')}) removed before \`${next!.text.split('\n')[0]}\``, blank(file.text, s.start, s.end)));
      }
    }
    return out;
  },
};

const USER_COPY = 'vmalint_mutant_left = copy_from_user(vmalint_mutant_kbuf, vmalint_mutant_ubuf, 1);';

const copyAfterLock: MutationOperator = {
  id: 'copy-under-lock',
  summary: 'add a user copy right after an mmap lock is taken',
  rules: ['fault-under-mmap-lock'],
  tokens: ['mmap_read_lock', 'mmap_write_lock'],
  mutants(file) {
    const out: Mutant[] = [];
    for (const fn of file.functions) {
      for (const [s] of pairs(fn)) {
        const lock = lockStatement(s);
        if (lock) out.push(mutant(this.id, file, fn, s, `copy_from_user() after ${lock}()`, appendToLine(file.text, s.end, USER_COPY)));
      }
    }
    return out;
  },
};

/** Helpers put after the function (lines stay where they were). */
const FAULTING_HELPERS = [
  'static noinline int vmalint_mutant_fault(const void __user *p) { char c; return get_user(c, (const char __user *)p); }',
  'static int vmalint_mutant_copy(void *to, const void __user *from, size_t n) { if (copy_from_user(to, from, n)) return -EFAULT; return 0; } static int vmalint_mutant_fault(const void __user *p) { char buf[8]; return vmalint_mutant_copy(buf, p, sizeof(buf)); }',
];

const faultingHelperUnderLock: MutationOperator = {
  id: 'faulting-helper-under-lock',
  summary: 'call a helper that faults on user memory (directly or one call down) right after an mmap lock is taken',
  rules: ['fault-under-mmap-lock'],
  tokens: ['mmap_read_lock', 'mmap_write_lock'],
  mutants(file) {
    const out: Mutant[] = [];
    for (const fn of file.functions) {
      for (const [s] of pairs(fn)) {
        const lock = lockStatement(s);
        if (!lock) continue;
        const depth = out.length % FAULTING_HELPERS.length;
        // The helper goes after the function's closing brace (on its line): before the function's
        // first line it would break a definition macro (SYSCALL_DEFINEn) that must start its line.
        const withHelper = appendToLine(file.text, fn.node.end - 1, FAULTING_HELPERS[depth]!);
        const text = appendToLine(withHelper, s.end, 'vmalint_mutant_left = vmalint_mutant_fault(vmalint_mutant_ubuf);');
        out.push(mutant(this.id, file, fn, s, `a helper faulting ${depth ? 'two calls' : 'one call'} down, called after ${lock}()`, text));
      }
    }
    return out;
  },
};

const dropNullCheck: MutationOperator = {
  id: 'null-check-dropped',
  summary: 'drop the NULL check of a VMA lookup',
  rules: ['unchecked-vma-lookup'],
  tokens: ['vma_lookup(', 'find_vma'],
  mutants(file) {
    const out: Mutant[] = [];
    for (const fn of file.functions) {
      for (const { a, next } of lookupsWithNext(fn)) {
        if (!new RegExp(`\\b${a.variable}\\s*->`).test(textAfter(fn, next.end))) continue;
        const c = ifCondition(next);
        if (isNullTest(c, a.variable) && ifOnlyLeaves(next)) {
          out.push(mutant(this.id, file, fn, next, `the check \`${c!.text}\` after ${a.name}() removed`, blank(file.text, next.start, next.end)));
        } else if (c?.type === 'binary_expression' && c.operator === '||' && isNullTest(c.child('left'), a.variable)) {
          // `if (!vma || vma->vm_start > addr)`: the NULL test removed, the rest kept.
          const left = c.child('left')!;
          const right = c.child('right')!;
          out.push(mutant(this.id, file, fn, next, `\`${left.text} ||\` removed from the check after ${a.name}()`, blank(file.text, left.start, right.start)));
        }
      }
    }
    return out;
  },
};

const lookupToFindVma: MutationOperator = {
  id: 'vma-lookup-to-find-vma',
  summary: 'turn vma_lookup() into find_vma() (the VMA found may start above the address)',
  rules: ['find-vma-range'],
  tokens: ['vma_lookup('],
  mutants(file) {
    const out: Mutant[] = [];
    for (const fn of file.functions) {
      for (const [s, next] of pairs(fn)) {
        const a = assignedCall(s);
        if (!a || a.name !== 'vma_lookup') continue;
        // Unlocked right after the lookup: every use is after the unlock, on a VMA that may be gone
        // (what vma-use-after-unlock reports), and where it starts is moot.
        const unlock = next ? callStatement(next) : null;
        if (unlock && /^mmap_(read|write)_unlock$/.test(unlock.name)) continue;
        // What the function does with this lookup's result: up to where the variable is given
        // another VMA (assigned, or passed as a callee's out-parameter).
        const rest = textAfter(fn, s.end);
        const reassigned = new RegExp(`(?:\\b${a.variable}\\s*=[^=]|&\\s*${a.variable}\\b)`).exec(rest);
        const after = reassigned ? rest.slice(0, reassigned.index) : rest;
        if (!new RegExp(`\\b${a.variable}\\s*->`).test(after)) continue;
        // Code that checks the start itself (`va != vma->vm_start`, range_in_vma()) does not rely on
        // vma_lookup() for it: the same code with find_vma() is correct.
        const v = a.variable;
        const comparedStart = new RegExp(`\\b${v}->vm_start\\s*(<(?!<)|>(?!>)|==|!=)|((?<![<>])[<>]|[=!]=)=?\\s*${v}->vm_start\\b`);
        if (comparedStart.test(after) || new RegExp(`\\b(range_in_vma|vma_contains)\\s*\\(\\s*${v}\\b`).test(after)) continue;
        const name = a.call.child('function')!;
        const text = file.text.slice(0, name.start) + 'find_vma  ' + file.text.slice(name.end);
        out.push(mutant(this.id, file, fn, s, `vma_lookup() into find_vma() for \`${a.variable}\``, text));
      }
    }
    return out;
  },
};

/** A VMA looked up under an mmap lock the function takes, with the unlock that follows it in the same block. */
function lookupsBeforeUnlock(fn: FunctionShape): { variable: string; lookup: AstNode; unlock: AstNode; unlockName: string }[] {
  const out: { variable: string; lookup: AstNode; unlock: AstNode; unlockName: string }[] = [];
  for (const block of fn.blocks) {
    for (let i = 0; i < block.length; i++) {
      const a = assignedCall(block[i]);
      if (!a || !LOOKUPS.test(a.name)) continue;
      for (let j = i + 1; j < block.length; j++) {
        const s = block[j]!;
        const call = callStatement(s);
        if (call && (call.name === 'mmap_read_unlock' || call.name === 'mmap_write_unlock')) {
          if (MMAP_UNLOCKS[call.name]!.test(textBefore(fn, block[i]!.start))) out.push({ variable: a.variable, lookup: block[i]!, unlock: s, unlockName: call.name });
          break;
        }
        // Reassigned, or the block leaves on every path: not the same VMA after it.
        if (new RegExp(`\\b${a.variable}\\s*=[^=]`).test(s.text) || isExit(s)) break;
      }
    }
  }
  return out;
}

const useAfterUnlock: MutationOperator = {
  id: 'vma-use-after-unlock',
  summary: 'use a VMA found under the mmap lock after the unlock',
  rules: ['vma-use-after-unlock'],
  tokens: ['mmap_read_unlock', 'mmap_write_unlock'],
  mutants(file) {
    const out: Mutant[] = [];
    for (const fn of file.functions) {
      for (const site of lookupsBeforeUnlock(fn)) {
        const use = `vmalint_mutant_flags = ${site.variable}->vm_flags;`;
        out.push(mutant(this.id, file, fn, site.unlock, `\`${use}\` after ${site.unlockName}()`, appendToLine(file.text, site.unlock.end, use)));
      }
    }
    return out;
  },
};

const writeUnderReadLock: MutationOperator = {
  id: 'vma-write-under-read-lock',
  summary: 'write a field of a VMA found under the mmap read lock',
  rules: ['vma-write-without-mmap-write', 'vma-write-without-vma-lock', 'lock-requirement'],
  tokens: ['mmap_read_lock'],
  mutants(file) {
    const out: Mutant[] = [];
    for (const fn of file.functions) {
      for (const { a, s, next } of lookupsWithNext(fn)) {
        const before = textBefore(fn, s.start);
        if (!/\bmmap_read_lock(_killable)?\s*\(/.test(before) || /\bmmap_write_lock/.test(fn.node.text)) continue;
        if (!isNullTest(ifCondition(next), a.variable) || !ifOnlyLeaves(next)) continue;
        const write = `${a.variable}->vm_page_prot = vm_get_page_prot(${a.variable}->vm_flags);`;
        out.push(mutant(this.id, file, fn, next, `\`${write}\` under the mmap read lock`, appendToLine(file.text, next.end, write)));
      }
    }
    return out;
  },
};

export const OPERATORS: MutationOperator[] = [removeUnlock, copyAfterLock, faultingHelperUnderLock, dropNullCheck, lookupToFindVma, useAfterUnlock, writeUnderReadLock];
