// The lock context the kernel calls a function in, as data: system calls, file_operations
// handlers, vm_operations_struct fault handlers and mm_walk_ops callbacks. A function called that
// way cannot hand a lock to its caller (the kernel's caller releases nothing it did not take), and
// what it holds on entry is known. src/engine/entry-context.ts fits a declaration to a function.

import type { LockClass } from './lock-classes.js';

/** A lock the kernel holds when it calls the function, named from one of its parameters. */
export interface EntryLockDecl {
  lock: LockClass;
  /** The parameter (an index, or the last one) and the path from it to the lock's instance (`$->vm_mm`). */
  param: number | 'last';
  path: string;
  state: 'read' | 'write' | 'held';
}

export interface EntryContextDecl {
  /** What the kernel holds, in words (`without the mmap lock or any VMA lock`). */
  says: string;
  /** Lock classes of which the kernel holds no lock at all when it calls the function. */
  none?: readonly LockClass[];
  /** Locks held on entry, which the function must return with. */
  held?: readonly EntryLockDecl[];
  /**
   * The kernel holds one of these locks, which one not known (the fault handlers: the mmap read
   * lock or the VMA read lock): the function may release it only by returning one of `releaseResults`.
   */
  oneOf?: readonly EntryLockDecl[];
  releaseResults?: readonly string[];
}

/** Definition macros of system calls (`SYSCALL_DEFINE1(pkey_free, int, pkey)`): entered with no mm lock. */
export const SYSCALL_DEFINITION = /^(?:COMPAT_)?SYSCALL_DEFINE[0-6]$/;

/** `asmlinkage <type> sys_name(`: a system call an architecture defines without SYSCALL_DEFINEn (sh's, m68k's sys_cacheflush()). */
export const ASMLINKAGE_SYSCALL = /^asmlinkage\b[^(;{]*?\bsys_\w+\s*\(/;

const NO_MM_LOCK: EntryContextDecl = { says: 'without the mmap lock or any VMA lock', none: ['mmap', 'vma'] };

export const SYSCALL_CONTEXT: EntryContextDecl = NO_MM_LOCK;

/**
 * mm/memory.c calls ->fault and its kin with the mmap read lock or (FAULT_FLAG_VMA_LOCK) the VMA
 * read lock held; the handler keeps it unless it returns VM_FAULT_RETRY or VM_FAULT_COMPLETED
 * (filemap_fault() dropping it for I/O: maybe_unlock_mmap_for_io()).
 */
const FAULT_CONTEXT: EntryContextDecl = {
  says: 'with the mmap read lock or the VMA read lock held, which it may release only by returning VM_FAULT_RETRY or VM_FAULT_COMPLETED',
  oneOf: [
    { lock: 'mmap', param: 0, path: '$->vma->vm_mm', state: 'read' },
    { lock: 'vma', param: 0, path: '$->vma', state: 'read' },
  ],
  releaseResults: ['VM_FAULT_RETRY', 'VM_FAULT_COMPLETED'],
};

/** mm/mmap.c (6.1, 6.12) and mm/vma.c (7.2) call ->mmap (and ->mmap_prepare) from mmap_region(), under the mmap write lock. */
const MMAP_CONTEXT: EntryContextDecl = { says: 'with the mmap write lock held', held: [{ lock: 'mmap', param: 1, path: '$->vm_mm', state: 'write' }] };
const MMAP_PREPARE_CONTEXT: EntryContextDecl = { says: 'with the mmap write lock held', held: [{ lock: 'mmap', param: 0, path: '$->mm', state: 'write' }] };

/** By struct type and field: the context the kernel calls the function stored there in. */
export const ENTRY_CONTEXT_CALLBACKS: Readonly<Record<string, Readonly<Record<string, EntryContextDecl>>>> = {
  file_operations: {
    read: NO_MM_LOCK,
    write: NO_MM_LOCK,
    read_iter: NO_MM_LOCK,
    write_iter: NO_MM_LOCK,
    unlocked_ioctl: NO_MM_LOCK,
    compat_ioctl: NO_MM_LOCK,
    open: NO_MM_LOCK,
    release: NO_MM_LOCK,
    poll: NO_MM_LOCK,
    llseek: NO_MM_LOCK,
    mmap: MMAP_CONTEXT,
    mmap_prepare: MMAP_PREPARE_CONTEXT,
  },
  vm_operations_struct: {
    fault: FAULT_CONTEXT,
    huge_fault: FAULT_CONTEXT,
    page_mkwrite: FAULT_CONTEXT,
    pfn_mkwrite: FAULT_CONTEXT,
    map_pages: FAULT_CONTEXT,
  },
};

/** The mm_walk_ops callbacks: the walk is their last parameter (`struct mm_walk *walk`). */
export const WALK_CALLBACK_FIELDS: readonly string[] = [
  'pgd_entry',
  'p4d_entry',
  'pud_entry',
  'pmd_entry',
  'pte_entry',
  'pte_hole',
  'hugetlb_entry',
  'test_walk',
  'pre_vma',
  'post_vma',
];

/**
 * What an mm_walk_ops callback holds, by the ops' `.walk_lock` (include/linux/pagewalk.h). Ops
 * without one are not given a context: 6.1 has no `.walk_lock`, and walk_page_mapping() calls its
 * ops' callbacks under the rmap lock, without the mmap lock.
 */
export const WALK_LOCK_CONTEXTS: Readonly<Record<string, EntryContextDecl>> = {
  PGWALK_RDLOCK: { says: 'with the mmap read lock held (.walk_lock = PGWALK_RDLOCK)', held: [{ lock: 'mmap', param: 'last', path: '$->mm', state: 'read' }] },
  PGWALK_WRLOCK: { says: 'with the mmap write lock held (.walk_lock = PGWALK_WRLOCK)', held: [{ lock: 'mmap', param: 'last', path: '$->mm', state: 'write' }] },
  PGWALK_WRLOCK_VERIFY: { says: 'with the mmap write lock held (.walk_lock = PGWALK_WRLOCK_VERIFY)', held: [{ lock: 'mmap', param: 'last', path: '$->mm', state: 'write' }] },
  PGWALK_VMA_RDLOCK_VERIFY: { says: 'with the VMA read lock held (.walk_lock = PGWALK_VMA_RDLOCK_VERIFY)', held: [{ lock: 'vma', param: 'last', path: '$->vma', state: 'read' }] },
};
