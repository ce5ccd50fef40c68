// The knowledge base: what the kernel's lock API does, as data.
// The engine reads this table; rules never name kernel functions themselves.
// Source of truth: ../shared/lock-model.md and the 6.12 headers (include/linux/mmap_lock.h,
// include/linux/mm.h, include/linux/pagewalk.h, include/linux/uaccess.h).

import { LOCK_CLASS_DECLARATIONS, MMAP_LOCK, VMA_LOCK, classesEndingWith, type LockClass, type LockClassDeclaration, type LockMode, type RawForm } from './lock-classes.js';
import type { KernelLockKind } from './kernel-locks.js';
import type { TraceStep } from '../types.js';
import { SELF_LOCKING_ENTRIES } from './self-locking.js';
import { USER_ACCESS_ENTRIES } from './user-access.js';
import { FAULT_PROTOCOL_APIS } from './fault-protocol.js';

/**
 * Which lock an entry acts on: the mmap lock, a VMA's read lock, or a VMA's write lock (taken by
 * vma_start_write() under the mmap write lock, and dropped only with that lock): the classes
 * declared in lock-classes.ts.
 */
export type { LockClass, LockMode } from './lock-classes.js';

/**
 * When a lock operation takes effect:
 * - always: unconditionally;
 * - ret-zero: only when the call returns 0 (the `_killable` forms: 0 = locked, -EINTR = not);
 * - ret-true: only when it returns true/non-zero (trylock forms, vma_start_read);
 * - ret-nonnull: only when it returns a non-NULL pointer (lock_vma_under_rcu, lock_mm_and_find_vma);
 * - ret-bits: only when the returned value is one of `okBits` (V_* bits; computed summaries use it);
 * - ret-mask: only when the returned value has a bit of the named constants `retMask`;
 * - flag-out: only when the callee leaves the flag argument `flag` points to with a value in
 *   `flagBits`: a drop reported through an out-parameter, of either polarity (`bool *lock_dropped`
 *   set true, GUP's `int *locked` cleared); see LockEffect.flag;
 * - either: on some of a computed summary's ways out, nothing the caller sees telling which: a
 *   caller holding the lock goes on both ways (else it may have changed; Smatch's return states).
 */
export type LockCondition = 'always' | 'ret-zero' | 'ret-true' | 'ret-nonnull' | 'ret-bits' | 'ret-mask' | 'flag-out' | 'either';

/**
 * Where the lock object comes from:
 * - a number: that argument (0-based) names the mm (mmap lock) or the VMA (VMA lock);
 * - 'ret': the returned pointer is the VMA whose lock is taken;
 * - 'all': every lock of the class known on the path (a callee that may drop "the" mmap lock);
 * - 'current': the current task (`path` `$->mm`: current->mm), the same object in caller and callee.
 */
export type LockTarget = number | 'ret' | 'all' | 'current';

export interface LockEffect {
  lock: LockClass;
  /** acquire, release, downgrade (write -> read), assert (a fact at this point), forget (may release: state becomes unknown). */
  op: 'acquire' | 'release' | 'downgrade' | 'assert' | 'forget';
  /** read or write; undefined on release means "either" and on assert means "held, mode unknown". */
  mode?: LockMode;
  target: LockTarget;
  when: LockCondition;
  /**
   * The argument is the rwsem itself: the effect applies only when the argument is the mmap
   * rwsem of an mm (`&mm->mmap_lock`, older `mmap_sem`) or, for VMA locks, the VMA's lock
   * (`&vma->vm_lock->lock` in 6.12); other rwsems are not ours.
   */
  rawRwsem?: boolean;
  /** trylock forms never block, so taking them while holding other locks is not a deadlock. */
  trylock?: boolean;
  /** lockdep's might_lock*(): says the lock may be taken here, takes nothing (kb/self-locking.ts). */
  annotation?: boolean;
  /** With when = 'ret-bits': the returned values (V_* bits) on which the effect happens. */
  okBits?: number;
  /** With when = 'ret-mask' (kb/fault-protocol.ts): the named constants (bits) of the result on which it happens, and those it then never has. */
  retMask?: readonly string[]; retMaskExcludes?: readonly string[];
  /** Only where argument `arg` may have a bit of `mask`: with `known`, only where it is built from constants that may (never where known to have none). */
  ifArgBits?: { arg: number; mask: readonly string[]; known?: boolean };
  heldAtCall?: boolean; unlessHeldAtCall?: boolean; // the caller's lock: only when held at the call; else (none happens) the unlessHeldAtCall ones
  /**
   * The lock object relative to the target argument, `$` standing for it: `$->vm_mm` (the mm of a
   * VMA argument), `*$` (the VMA an out-parameter points to). Absent means the argument itself.
   */
  path?: string;
  /** Releasing the mmap write lock (or downgrading it) also ends every VMA write lock of that mm. */
  endsVmaWriteLocks?: boolean;
  /**
   * The effect happens only when the flag this argument (0-based) points to is set at the call:
   * GUP's `int *locked` protocol, where `*locked != 0` says the caller holds the mmap lock (the
   * callee may drop it) and 0 that the callee takes and releases its own. A call passing `&x`
   * with x known 0 does not have it.
   */
  ifFlagSet?: number;
  /**
   * The callee also reports the effect through a flag this argument (0-based) points to: it
   * writes it with `flagBits` where the effect happens (`*lock_dropped = true;`), and elsewhere
   * leaves it as it was (`flagKept`) or writes `flagOtherBits`, never within flagBits. With when =
   * 'flag-out' the flag is all that tells; otherwise the caller learns the flag with the effect.
   */
  flag?: number;
  flagBits?: number;
  /** Some paths without the effect leave the flag as it was (a caller tells them only when it passes a flag known outside flagBits). */
  flagKept?: boolean;
  /** The values the paths without the effect write to the flag, if any do. */
  flagOtherBits?: number;
  /**
   * The effect happens only when the flag at this argument's path (`$->lock_ctx.mmap_locked`) is
   * set (or clear) at the call: a lock mode kept in a structure, tested before the lock is taken.
   * `exact`: and always does then (the paths without it all found the flag the other way).
   */
  ifFlag?: { target: number; path: string; set: boolean; exact?: boolean };
  /** A computed summary's conditional effect: the callee's steps to it, for a caller's trace. */
  via?: { file: string; line: number; column: number; message: string }[];
}

/** A lock state a function needs on entry (it asserts it, or releases a lock it did not take). */
export interface LockRequirement {
  lock: LockClass;
  /** undefined: held, either mode. */
  mode?: LockMode;
  /** The argument (0-based) naming the object, and the path from it (see LockEffect.path). */
  target: number;
  path?: string;
  /** Where the callee shows the requirement (an assertion, an unlock, the write that needs it). */
  at?: { file: string; line: number; column: number; message: string };
  /** 'write': not asserted but needed by a write on some path (a field per-VMA-lock readers read, `at`). */
  because?: 'write';
  /** For `because`: the calls from the callee down to the function that makes the write. */
  via?: { file: string; line: number; column: number; message: string }[];
}

/** How a function reports failure, for branch refinement and for stale-cannot-fail. */
export type FailureStyle =
  | 'zero-ok' // 0 = success, non-zero (negative errno) = failure
  | 'true-ok' // true/non-zero = success, false = failure
  | 'null-fail' // NULL = failure
  | 'errptr-fail' // ERR_PTR = failure
  | 'null-or-errptr-fail';

/**
 * A kernel lock a function leaves taken or released for its caller: the lock object as an argument
 * and a path from it (`$->lock`; `i_rwsem@$` for a class the call fixes), or a file-scope lock
 * (target -1, path: its name).
 */
export interface KernelLockEffect {
  /** 'drop': released and taken again inside (what happens in between is not under it). */
  op: 'acquire' | 'release' | 'drop';
  kind: KernelLockKind;
  mode: 'read' | 'write';
  cls: string | null;
  target: number;
  path: string;
}

export interface ApiEntry {
  name: string;
  lock?: LockEffect[];
  /** The call may fault on user memory (takes the mmap lock for read in the fault handler). */
  mayFault?: boolean;
  /**
   * It faults only when the arguments match one of these (as failsWhen): a summary whose faulting
   * calls all depend on a parameter (`allow_pagefault`). Absent: whatever the arguments.
   */
  faultsWhen?: Record<number, number>[];
  /**
   * It faults only where each of these arguments has one of the bits: every path to the faulting
   * call knew it (`if (fault_signal_pending(fault, regs)) no_context(...)` knows `fault &
   * VM_FAULT_RETRY`). A caller whose path knows those bits clear does not fault through it. The
   * bits are atoms as src/engine/bit-tests.ts makes them (`#10`, or a constant's name).
   */
  faultsWithBits?: { arg: number; atoms: string[] }[];
  /** The returned pointer may be NULL and must be checked before use. */
  returnsNullable?: boolean;
  /** Returns the first VMA ending above the address, which may start above it (find_vma semantics). */
  mayStartAbove?: boolean;
  /** The function returns a VMA pointer (the result is a VMA whose stability depends on a lock). */
  returnsVma?: boolean;
  /** How failure is returned; such calls can fail. */
  fails?: FailureStyle;
  /**
   * The function's own documentation says it does not fail, maybe under a condition the analysis
   * cannot decide (mempool_alloc() with a GFP mask that may sleep): a caller saying so repeats it.
   */
  documentedNoFailure?: boolean;
  /**
   * When failure depends on the arguments: it is returned only when the arguments match one of
   * these (by 0-based argument, the V_* bits the argument's value must have). Absent: whatever the
   * arguments. nilfs_transaction_begin(sb, ti, vacancy_check) fails only with ti NULL (an
   * allocation) or vacancy_check set.
   */
  failsWhen?: Record<number, number>[];
  /** Arguments (0-based) the function dereferences: passing NULL there is a NULL dereference. */
  derefsArgs?: number[];
  /**
   * Arguments (0-based) pointing to a flag that the function leaves clear when it was clear on
   * entry (GUP's `int *locked`: a function that took the lock itself released it and cleared the
   * flag): a caller's clear flag is still clear after the call.
   */
  flagStaysClear?: number[];
  /** Flags it leaves, on every way out, in structures its arguments point to (`$->lock_ctx.mmap_locked`: set). */
  leavesFlags?: { target: number; path: string; bits: number }[];
  /** Calling it ends the path. */
  noreturn?: boolean;
  /**
   * The mm in this argument has no users left once the call is made (mmu_notifier_release() runs
   * when mm_users has dropped to zero): nothing else can change its VMA tree, so the VMAs taken
   * from it stay valid when its lock is dropped.
   */
  lastUser?: number;
  /** pagefault_disable / pagefault_enable. */
  pagefault?: 'disable' | 'enable';
  /** rcu_read_lock / rcu_read_unlock: an RCU read-side section begins or ends (engine/models/rcu.ts). */
  rcuRead?: 'enter' | 'leave';
  /**
   * Returns an entry of a maple tree walk (mas_walk(), mas_find()): a VMA when the tree is an mm's,
   * which only the variable it is assigned to tells (declared `struct vm_area_struct *`).
   */
  treeEntry?: boolean;
  /** The condition argument is asserted false past this call: BUG_ON(c) ends the path when c is true. */
  assertsFalseArg?: number;
  /** Function-like macro that returns its first argument (likely/unlikely, WARN_ON): transparent for conditions. */
  transparent?: boolean;
  trueOnlyWithBits?: { arg: number; mask: readonly string[] }; // true only when argument `arg` has a bit of `mask` (fault_signal_pending())
  /**
   * A check macro whose condition (argument 0) states an invariant: 'debug' forms (VM_WARN_ON*,
   * VM_BUG_ON*) are not even evaluated without CONFIG_DEBUG_VM, 'evaluated' ones (WARN_ON*, BUG_ON)
   * are. A lock call inside a debug check, or inside any check whose value is discarded, takes no
   * lock: a trylock there asserts that it fails, i.e. that the lock is held in the mode it
   * conflicts with (`VM_WARN_ON_ONCE(mmap_read_trylock(mm))`: the mmap write lock is held).
   */
  check?: 'debug' | 'evaluated';
  /** Tests a pointer for an error value: IS_ERR (ERR_PTR) or IS_ERR_OR_NULL (ERR_PTR or NULL). */
  errorTest?: 'err' | 'err-or-null';
  /** The call checks that the VMA in arg 0 contains an address (a range check for find_vma results). */
  rangeCheck?: boolean;
  /**
   * Arguments (0-based) naming a VMA the call modifies in a way that needs the mmap write lock
   * (vma_start_write, vm_flags_set/clear/mod/reset).
   */
  modifiesVma?: number[];
  /** For a raw rwsem operation on the mmap lock: the mmap_* wrapper that does the same. */
  wrapper?: string;
  /** Returns a VMA that is new and not yet in the tree (vm_area_alloc, vm_area_dup): no lock protects it yet. */
  freshVma?: boolean;
  /**
   * Sets a VMA flag atomically (vma_set_atomic_flag()): `modifiesVma` holds unless the flag (the
   * VMA_*_BIT in argument `flag`) is one the tree's macro `allowedBy` lists (VM_ATOMIC_SET_ALLOWED),
   * which may be set under the mmap read lock or the VMA lock.
   */
  atomicFlag?: { flag: number; allowedBy: string };
  /** The flags the tree's `atomicFlag.allowedBy` names (read from the kernel headers of the run). */
  allowedFlags?: string[];
  /** The values it returns (V_* bits of src/engine/events.ts), when a summary knows them. */
  returns?: number;
  /** Lock states the function needs on entry. */
  requires?: LockRequirement[];
  /**
   * It takes the mmap lock and waits for it (not a trylock) somewhere inside, even when it releases
   * it again before returning: the chain of calls down to the acquisition (computed summaries).
   */
  takesMmapLock?: { file: string; line: number; column: number; message: string }[];
  /** Whose mmap lock that is: an argument and the path from it (see LockEffect.path). */
  takesMmapLockOf?: { target: number; path?: string };
  /** It takes it only when the arguments match one of these (as faultsWhen); absent: whatever the arguments. */
  takesMmapLockWhen?: Record<number, number>[];
  /** How it comes to fault (for a computed summary: the chain of calls down to the user access). */
  faultVia?: { file: string; line: number; column: number; message: string }[];
  /** Where its failure returns are (computed summaries), for explanations. */
  failureAt?: { file: string; line: number; column: number; message: string }[];
  /**
   * Lock classes other than the mm's (kb/kernel-locks.ts) it takes and waits for inside (not
   * trylocks, not nesting annotations), each with the chain of calls down to the acquisition: a
   * caller holding the mmap lock orders them below it (computed summaries).
   */
  acquires?: { cls: string; via: TraceStep[]; when?: Record<number, number>[] }[];
  /**
   * What it does to its caller's atomic sections (preemption, interrupts off): 'enter' one on every
   * way out, 'leave' one, or 'drop' it for a while and enter it again (computed summaries).
   */
  atomicSection?: 'enter' | 'leave' | 'drop';
  /** Kernel locks it leaves taken or released for its caller (a wrapper of mutex_lock()). */
  kernelLocks?: KernelLockEffect[];
  /** Where the entry comes from: the knowledge base, a config file, or a summary of a definition. */
  source?: { kind: 'kb' | 'config' | 'summary'; file?: string; line?: number };
}

const A = (lock: LockClass, mode: LockMode | undefined, when: LockCondition, extra: Partial<LockEffect> = {}): LockEffect => ({
  lock,
  op: 'acquire',
  mode,
  target: 0,
  when,
  ...extra,
});
const R = (lock: LockClass, mode: LockMode | undefined, extra: Partial<LockEffect> = {}): LockEffect => ({
  lock,
  op: 'release',
  mode,
  target: 0,
  when: 'always',
  ...extra,
});
const ASSERT = (lock: LockClass, mode: LockMode | undefined, extra: Partial<LockEffect> = {}): LockEffect => ({
  lock,
  op: 'assert',
  mode,
  target: 0,
  when: 'always',
  ...extra,
});

const FORGET = (lock: LockClass, target: LockTarget): LockEffect => ({ lock, op: 'forget', target, when: 'always' });

/** Macros assumed defined unless -U says otherwise: the lock model is the MMU kernel's. */
export const DEFAULT_DEFINES: ReadonlyMap<string, string> = new Map([['CONFIG_MMU', '1']]);

/** The VMA lock's rwsem, as a field path from the VMA (6.12: `vma->vm_lock->lock`). */
export const VMA_RWSEM_PATH: readonly string[] = VMA_LOCK.rwsem!.path!;

/**
 * The knowledge-base entries of the lock classes' own calls (lock-classes.ts): one entry per call,
 * with an effect per class it acts on (down_read(): the mmap lock's, then a VMA's).
 */
function lockClassEntries(): ApiEntry[] {
  const byName = new Map<string, ApiEntry>();
  for (const d of LOCK_CLASS_DECLARATIONS) {
    addClassForms(byName, d, d, false);
    if (d.raw) addClassForms(byName, d, d.raw, true);
  }
  return [...byName.values()];
}

type ClassForms = Pick<LockClassDeclaration, 'acquire' | 'killable' | 'trylock' | 'conditional' | 'release' | 'downgrade' | 'assert'> | NonNullable<LockClassDeclaration['raw']>;

/** The entries of one class's calls (or of its raw rwsem forms). */
function addClassForms(byName: Map<string, ApiEntry>, d: LockClassDeclaration, forms: ClassForms, raw: boolean): void {
  const flags: Partial<LockEffect> = raw ? { rawRwsem: true } : {};
  // Releasing (or downgrading) the lock in the mode another class ends with ends that class too.
  const ends = (mode: LockMode): Partial<LockEffect> => (classesEndingWith(d.name).some((e) => e.endsWith!.mode === mode) ? { endsVmaWriteLocks: true } : {});
  const add = (form: string | RawForm, effect: LockEffect, extra: Partial<ApiEntry> = {}): void => {
    const name = typeof form === 'string' ? form : form.name;
    let entry = byName.get(name);
    if (!entry) {
      const own: Partial<ApiEntry> = typeof form === 'string' ? (d.derefsInstance ? { derefsArgs: [0] } : {}) : form.wrapper ? { wrapper: form.wrapper } : {};
      byName.set(name, (entry = { name, lock: [], ...own }));
    }
    Object.assign(entry, extra);
    entry.lock!.push(effect);
  };
  const modifies: Partial<ApiEntry> = d.acquireModifies && !raw ? { modifiesVma: [0] } : {};
  type Form = string | RawForm;
  const byMode = (m: Partial<Record<LockMode, readonly Form[]>> | undefined): [LockMode, Form][] =>
    Object.entries(m ?? {}).flatMap(([mode, list]) => (list as Form[]).map((f): [LockMode, Form] => [mode as LockMode, f]));
  for (const [mode, f] of byMode(forms.acquire)) add(f, A(d.name, mode, 'always', flags), modifies);
  for (const [mode, f] of byMode(forms.killable)) add(f, A(d.name, mode, 'ret-zero', flags), { ...modifies, fails: 'zero-ok' });
  for (const [mode, f] of byMode(forms.trylock)) add(f, A(d.name, mode, 'ret-true', { ...flags, trylock: true }), { fails: 'true-ok' });
  for (const [mode, f] of byMode('conditional' in forms ? forms.conditional : undefined)) add(f, A(d.name, mode, 'ret-true', flags), { fails: 'true-ok' });
  for (const [mode, f] of byMode(forms.release)) add(f, R(d.name, mode, { ...flags, ...ends(mode) }));
  for (const f of forms.downgrade ?? []) add(f, { lock: d.name, op: 'downgrade', target: 0, when: 'always', ...flags, ...ends('write') });
  for (const [mode, list] of Object.entries(forms.assert ?? {})) {
    for (const f of list as (string | RawForm)[]) add(f, ASSERT(d.name, mode === 'held' ? undefined : (mode as LockMode), flags));
  }
}

const entries: ApiEntry[] = [
  // ---- the lock classes' own calls: generated from lock-classes.ts (lockClassEntries()) ----
  ...lockClassEntries(),
  // ---- mmap lock (include/linux/mmap_lock.h) ----
  // Helpers whose lock effect depends on their result.
  { name: 'lock_mm_and_find_vma', lock: [A('mmap', 'read', 'ret-nonnull')], returnsNullable: true, returnsVma: true, fails: 'null-fail' },
  { name: 'get_mmap_lock_carefully', lock: [A('mmap', 'read', 'ret-true')], fails: 'true-ok' },
  // Upgrades (mm/memory.c): the read lock becomes the write lock when they return true.
  { name: 'mmap_upgrade_trylock', lock: [R('mmap', 'read', { when: 'ret-true' }), A('mmap', 'write', 'ret-true', { trylock: true })], fails: 'true-ok' },
  // Drops the read lock, then returns true with the write lock held or false with no lock.
  { name: 'upgrade_mmap_lock_carefully', lock: [R('mmap', 'read'), A('mmap', 'write', 'ret-true')], fails: 'true-ok' },
  { name: 'mmap_lock_speculate_try_begin', fails: 'true-ok' },

  // ---- per-VMA locks (include/linux/mm.h) ----
  {
    name: 'lock_vma_under_rcu',
    lock: [{ lock: 'vma', op: 'acquire', mode: 'read', target: 'ret', when: 'ret-nonnull' }],
    returnsNullable: true,
    returnsVma: true,
    fails: 'null-fail',
  },
  // VMA flag helpers (include/linux/mm.h): set/clear/mod write-lock the VMA themselves, reset asserts it.
  ...['vm_flags_set', 'vm_flags_clear', 'vm_flags_mod'].map((name): ApiEntry => ({ name, lock: [A('vma-write', 'write', 'always')], modifiesVma: [0], derefsArgs: [0] })),
  { name: 'vm_flags_reset', lock: [ASSERT('vma-write', 'write')], modifiesVma: [0], derefsArgs: [0] },
  { name: 'vm_flags_reset_once', lock: [ASSERT('vma-write', 'write')], modifiesVma: [0], derefsArgs: [0] },
  // Newer kernels (include/linux/mmap_lock.h, mm.h): lock_next_vma() returns the next VMA
  // read-locked, NULL when there is none, or an ERR_PTR (-EINTR) with no lock.
  {
    name: 'lock_next_vma',
    lock: [{ lock: 'vma', op: 'acquire', mode: 'read', target: 'ret', when: 'ret-bits', okBits: 2 }],
    returnsNullable: true,
    returnsVma: true,
    fails: 'null-or-errptr-fail',
  },
  // Attaching a VMA to the tree or detaching it: both assert its VMA write lock (so the mmap write
  // lock), and change what readers may see; write-locking a detached VMA is legal.
  ...['vma_mark_attached', 'vma_mark_detached'].map((name): ApiEntry => ({ name, lock: [ASSERT('vma-write', 'write')], modifiesVma: [0], derefsArgs: [0] })),
  // The VMA is stable: its mm's mmap lock or its own VMA lock is held. Either may be the one, so
  // the path learns no lock from it; the call is known (it writes nothing, write-locks nothing).
  { name: 'vma_assert_stabilised', derefsArgs: [0] },
  // A flag set atomically: under the mmap read lock (or the VMA lock) only a flag the tree allows.
  { name: 'vma_set_atomic_flag', modifiesVma: [0], derefsArgs: [0], atomicFlag: { flag: 1, allowedBy: 'VM_ATOMIC_SET_ALLOWED' } },
  // New VMAs, not yet in the tree: nothing else can see them until they are inserted.
  { name: 'vm_area_alloc', returnsVma: true, freshVma: true },
  { name: 'vm_area_dup', returnsVma: true, freshVma: true },
  ...FAULT_PROTOCOL_APIS, // handle_mm_fault(), fault_signal_pending()
  // Callees that may drop the mmap lock (and say so through `*locked`, `*unlocked`, their result
  // or an `unlock` argument): after them the lock state is not known from the call alone.
  // fixup_user_fault() (mm/gup.c): "mmap_lock must be held" on entry, and "this function will not
  // return with an unlocked mmap_lock": given `unlocked`, it may drop the lock for the fault and
  // take it again (read) before it returns.
  { name: 'fixup_user_fault', lock: [ASSERT('mmap', undefined)], requires: [{ lock: 'mmap', target: 0 }] },
  // GUP's remote forms: with `locked` NULL "the mmap_lock is held throughout and not dropped";
  // given a flag, they may drop it (clearing the flag). get_user_page_vma_remote() (6.5 on) passes
  // NULL: its header definition says so.
  ...['get_user_pages_remote', 'pin_user_pages_remote'].map((name): ApiEntry => ({ name, lock: [{ ...FORGET('mmap', 'all'), ifFlagSet: 5 }] })),
  ...[
    '__get_user_pages',
    'faultin_page',
    'faultin_page_range',
    'populate_vma_page_range',
    'userfaultfd_remove',
    'do_vmi_munmap',
    'do_vmi_align_munmap',
    'vms_complete_munmap_vmas',
    'mmap_read_lock_maybe_expand',
  ].map((name): ApiEntry => ({ name, lock: [FORGET('mmap', 'all')] })),
  // GUP's `int *locked` protocol: with `*locked` set the caller holds the mmap lock, which the
  // call may drop (clearing the flag); with it clear the call takes and releases its own ("the
  // internal caller expects GUP to manage the lock internally and the lock must be released when
  // this returns") and leaves the flag clear.
  { name: '__get_user_pages_locked', lock: [{ ...FORGET('mmap', 'all'), ifFlagSet: 4 }], flagStaysClear: [4] },
  ...SELF_LOCKING_ENTRIES,

  // ---- VMA lookups ----
  // The maple tree walks the VMA lookups are made of (include/linux/maple_tree.h): under
  // rcu_read_lock() only they find a VMA that is not stable yet (lock_vma_under_rcu()).
  ...['mas_walk', 'mas_find', 'mas_next', 'mas_prev', 'mas_find_rev'].map((name): ApiEntry => ({ name, returnsVma: true, treeEntry: true })),
  { name: 'vma_lookup', returnsNullable: true, returnsVma: true, fails: 'null-fail' },
  { name: 'find_vma', returnsNullable: true, returnsVma: true, mayStartAbove: true, fails: 'null-fail' },
  { name: 'find_vma_intersection', returnsNullable: true, returnsVma: true, fails: 'null-fail' },
  { name: 'find_vma_prev', returnsNullable: true, returnsVma: true, mayStartAbove: true, fails: 'null-fail' },
  { name: 'vma_find', returnsNullable: true, returnsVma: true, fails: 'null-fail' },
  { name: 'vma_next', returnsNullable: true, returnsVma: true, fails: 'null-fail' },
  { name: 'vma_prev', returnsNullable: true, returnsVma: true, fails: 'null-fail' },
  { name: 'vma_iter_load', returnsNullable: true, returnsVma: true, fails: 'null-fail' },
  { name: 'vma_iter_next_range', returnsNullable: true, returnsVma: true, fails: 'null-fail' },
  { name: 'vma_iter_prev_range', returnsNullable: true, returnsVma: true, fails: 'null-fail' },
  { name: 'find_extend_vma_locked', returnsNullable: true, returnsVma: true, fails: 'null-fail' },
  { name: 'find_extend_vma', returnsNullable: true, returnsVma: true, fails: 'null-fail' },
  // Drops the read lock; returns the VMA with the read lock held again, or NULL with no lock.
  { name: 'expand_stack', lock: [R('mmap', 'read'), A('mmap', 'read', 'ret-nonnull')], returnsNullable: true, returnsVma: true, fails: 'null-fail' },
  { name: 'range_in_vma', rangeCheck: true },
  { name: 'vma_contains', rangeCheck: true },

  // ---- user memory that can fault (kb/user-access.ts) ----
  ...USER_ACCESS_ENTRIES,

  // ---- page fault disabling ----
  { name: 'pagefault_disable', pagefault: 'disable' },
  { name: 'mmu_notifier_release', lastUser: 0 },
  { name: 'pagefault_enable', pagefault: 'enable' },
  { name: 'rcu_read_lock', rcuRead: 'enter' },
  { name: 'rcu_read_unlock', rcuRead: 'leave' },

  // ---- paths that end ----
  ...['BUG', 'panic', 'do_exit', 'do_group_exit', 'make_task_dead', '__builtin_unreachable', 'unreachable', 'kthread_exit', 'machine_halt', 'emergency_restart'].map(
    (name): ApiEntry => ({ name, noreturn: true }),
  ),
  // BUG_ON(c): c is false past the call. VM_BUG_ON* state the same invariant (compiled out without
  // CONFIG_DEBUG_VM, but the code relies on it either way).
  ...['BUG_ON', 'VM_BUG_ON', 'VM_BUG_ON_VMA', 'VM_BUG_ON_MM', 'VM_BUG_ON_PAGE', 'VM_BUG_ON_FOLIO'].map(
    (name): ApiEntry => ({ name, assertsFalseArg: 0, check: name.startsWith('VM_') ? 'debug' : 'evaluated' }),
  ),
  ...['likely', 'unlikely', 'READ_ONCE', 'data_race'].map((name): ApiEntry => ({ name, transparent: true })),
  // WARN*(cond, ...) return cond; the VM_ forms (include/linux/mmdebug.h) are checks of
  // CONFIG_DEBUG_VM only (BUILD_BUG_ON_INVALID(cond) without it).
  ...['WARN_ON', 'WARN_ON_ONCE', 'WARN', 'WARN_ONCE', 'WARN_RATELIMIT', 'WARN_TAINT', 'WARN_TAINT_ONCE'].map((name): ApiEntry => ({ name, transparent: true, check: 'evaluated' })),
  ...[
    'VM_WARN_ON',
    'VM_WARN_ON_ONCE',
    'VM_WARN_ONCE',
    'VM_WARN',
    'VM_WARN_ON_ONCE_VMA',
    'VM_WARN_ON_ONCE_MM',
    'VM_WARN_ON_PAGE',
    'VM_WARN_ON_ONCE_PAGE',
    'VM_WARN_ON_FOLIO',
    'VM_WARN_ON_ONCE_FOLIO',
    'VM_WARN_ON_VMG',
  ].map((name): ApiEntry => ({ name, transparent: true, check: 'debug' })),
  { name: 'IS_ERR', errorTest: 'err' },
  { name: 'IS_ERR_VALUE', errorTest: 'err' },
  { name: 'IS_ERR_OR_NULL', errorTest: 'err-or-null' },
  // An ERR_PTR and nothing else (V_ERR = 8, see src/engine/events.ts).
  { name: 'ERR_PTR', fails: 'errptr-fail', returns: 8 },
  // The errno inside an ERR_PTR (V_NEG = 4; V_ZERO | V_NEG = 5).
  { name: 'PTR_ERR', returns: 4 },
  { name: 'PTR_ERR_OR_ZERO', returns: 5 },
  { name: 'ERR_CAST', fails: 'errptr-fail', returns: 8 },
];

export interface GuardClass {
  /** The API entry whose effect the guard has on entry to its scope. */
  acquire: string;
  /** The API entry applied when the scope is left. */
  release: string;
}

/** Lock guard classes usable with guard(NAME)(args) and scoped_guard(NAME, args) {...}. */
export const GUARD_CLASSES: Record<string, GuardClass> = Object.assign({}, ...LOCK_CLASS_DECLARATIONS.map((d) => d.guards ?? {}));

/** VMA fields whose writers must hold the mmap write lock (readers under the mmap lock depend on them). */
export const VMA_MMAP_WRITE_FIELDS = ['vm_start', 'vm_end', 'vm_pgoff', 'vm_page_prot'];

/**
 * The option without which the kernel has no per-VMA locks: every VMA lock function is then a stub
 * that takes nothing (lock_vma_under_rcu() returns NULL, vma_start_read() fails). A path that
 * assumed it unset and a path that holds a VMA lock are never paths of one build.
 */
export const VMA_LOCK_CONFIG = 'CONFIG_PER_VMA_LOCK';

/** VMA fields that readers under the per-VMA lock depend on: writers also hold the VMA write lock. */
export const VMA_LOCKED_FIELDS = ['vm_policy', 'vm_page_prot', 'anon_vma', 'anon_name', 'vm_userfaultfd_ctx', 'vm_start', 'vm_end', 'vm_pgoff'];

/** The VMA field that must never be written directly (`__vm_flags` is written through the helpers). */
export const VMA_READONLY_FIELDS = ['vm_flags'];

/** Page walk entry points: which argument is the ops struct, and which names the mm or the VMA. */
/** What each `.walk_lock` value of struct mm_walk_ops says the caller holds (absent = PGWALK_RDLOCK). */
export const PAGE_WALK_LOCKS: Record<string, 'read' | 'write'> = {
  PGWALK_RDLOCK: 'read',
  PGWALK_WRLOCK: 'write',
  PGWALK_WRLOCK_VERIFY: 'write',
};
export const PAGE_WALK_DEFAULT_LOCK = 'PGWALK_RDLOCK';
/** The field of struct mm_walk_ops that says which lock the walk takes or expects. */
export const PAGE_WALK_LOCK_FIELD = 'walk_lock';

/** The struct tag of a VMA. */
export const VMA_STRUCT_TAG = 'vm_area_struct';

/** The C type of a VMA pointer, as declared (`struct vm_area_struct *vma`). */
export const VMA_POINTER_TYPE = /^(?:const\s+)?struct\s+vm_area_struct\s*\*$/;

/**
 * Struct types whose non-static initializers the run makes known to other files (a page walk's
 * ops defined in one file and passed in another); the others stay in their file.
 */
export const CROSS_FILE_INITIALIZER_TYPES: ReadonlySet<string> = new Set(['struct mm_walk_ops']);

export const PAGE_WALKS: Record<string, { ops: number; mm?: number; vma?: number }> = {
  walk_page_range: { ops: 3, mm: 0 },
  walk_page_range_novma: { ops: 3, mm: 0 },
  walk_page_range_vma: { ops: 3, vma: 0 },
  walk_page_vma: { ops: 1, vma: 0 },
  walk_page_mapping: { ops: 3 },
};

/** Field names of struct mm_struct that are its mmap rwsem (6.12 and older kernels). */
export const MMAP_RWSEM_FIELDS: readonly string[] = MMAP_LOCK.rwsem!.fields!;

/**
 * Callbacks that hand a lock to another callback of the same operations table: seq_file calls
 * .stop after every .start, whatever .start returned (NULL included), so a .start may return with
 * the lock its .stop releases (/proc/PID/maps takes the mmap lock in m_start(), drops it in m_stop()).
 * By struct type, the field of the callback that may keep a lock, and the field that releases it.
 */
export const LOCK_HANDOFF_CALLBACKS: Record<string, { keeps: string; releases: string }[]> = {
  seq_operations: [{ keeps: 'start', releases: 'stop' }],
};

/**
 * VMA iterator macros: which argument is the VMA cursor. It is a VMA inside the body and NULL once
 * the loop runs out (a `break` leaves it pointing at the VMA it stopped at).
 */
export const VMA_ITERATORS: Record<string, number> = {
  for_each_vma: 1,
  for_each_vma_range: 1,
};

/** Macro names of iterator loops beyond the generic `*for_each*` pattern. */
export const ITERATOR_MACRO_PATTERN = /for_each|^mas_for_|^xas_for_|^vma_iter_for|^hash_for|^radix_tree_for/;

const table = new Map<string, ApiEntry>(entries.map((e) => [e.name, e]));

/** The knowledge-base entry for a called function name, if the kernel API is known. */
export function lookupApi(name: string): ApiEntry | undefined {
  return table.get(name);
}

/** All entries (for documentation and tests). */
export function allApis(): readonly ApiEntry[] {
  return entries;
}

/** Adds or replaces entries (config files extend the table in later work). */
export function extendApi(more: ApiEntry[]): void {
  for (const e of more) {
    table.set(e.name, e);
  }
}
