// Which VMA fields need which lock to be written, in a given tree: the knowledge base's lists
// (src/kb/lock-api.ts, written from 6.12) adjusted by the tree's features (src/tree-facts.ts).
// Where `vm_flags` is a plain field (6.1), writing it directly is how flags are changed, and it
// needs the mmap write lock like vm_start; where it is const, any direct write is wrong.

import { VMA_LOCKED_FIELDS, VMA_MMAP_WRITE_FIELDS, VMA_READONLY_FIELDS } from './lock-api.js';
import type { TreeFacts } from '../tree-facts.js';

export interface VmaFields {
  /** Fields never written directly. */
  readOnly: readonly string[];
  /** Fields written only under the mmap write lock. */
  mmapWrite: readonly string[];
}

const CONST_FLAGS: VmaFields = { readOnly: VMA_READONLY_FIELDS, mmapWrite: VMA_MMAP_WRITE_FIELDS };
const PLAIN_FLAGS: VmaFields = { readOnly: [], mmapWrite: [...VMA_MMAP_WRITE_FIELDS, ...VMA_READONLY_FIELDS] };

/**
 * Every field vmaFieldsOf() names, whatever the tree: where vm_flags is a plain field, the mmap
 * write lock's list holds them all (for the demand, which does not depend on the tree).
 */
export const VMA_FIELDS_OF_ANY_TREE: readonly string[] = PLAIN_FLAGS.mmapWrite;

export function vmaFieldsOf(tree: Readonly<TreeFacts>): VmaFields {
  return tree.vmFlagsReadOnly ? CONST_FLAGS : PLAIN_FLAGS;
}

/**
 * The fields page faults under the per-VMA lock read without the mmap lock (their writers also
 * hold the VMA write lock): none in a tree without per-VMA locks.
 */
export function vmaLockedFieldsOf(tree: Readonly<TreeFacts>): readonly string[] {
  return tree.perVmaLocks ? VMA_LOCKED_FIELDS : [];
}

/**
 * Macros that store their second argument into the first, as a plain store does: they keep the
 * compiler from tearing or fusing the store, but two racing writers still both store (the second
 * overwrites the first). Only the cmpxchg() family publishes atomically against a racing writer.
 */
export const PLAIN_STORE_MACROS: readonly string[] = ['WRITE_ONCE', '__WRITE_ONCE', 'smp_store_release'];

/**
 * Fields the per-VMA lock protocol itself reads before the VMA lock is held, on a VMA found under
 * RCU (vma_start_read(): the lock sequence, the reference count or the lock, the mm it belongs
 * to, whether it is detached): a VMA's other fields are stable only under a lock.
 */
export const VMA_LOCK_PROTOCOL_FIELDS: readonly string[] = ['vm_lock_seq', 'vm_refcnt', 'vm_lock', 'vm_mm', 'detached'];

/**
 * A VMA's bounds, read under RCU alone as the address to look up under a lock next
 * (kernel/bpf/task_iter.c: `start = vma->vm_start; ... lock_vma_under_rcu(mm, start)`): the
 * locked lookup checks the address against the bounds again, and SLAB_TYPESAFE_BY_RCU keeps a
 * freed VMA's memory readable, so a stale value costs a retry, not a wrong decision.
 */
export const VMA_RCU_HINT_FIELDS: readonly string[] = ['vm_start', 'vm_end'];
