// Calls that take the mmap lock themselves, and the kernel's annotations that say a call may: as
// knowledge-base entries (lock-api.ts spreads them into its table). Each takes the lock and
// releases it before returning (an acquire then a release of the same lock): called with that
// lock held, the acquisition is a self-deadlock, which mmap-lock-imbalance reports; the path's
// locks are as they were after the call (src/engine/models/locks.ts, takenAndReleased()).
// Source: mm/gup.c, include/linux/lockdep.h, include/linux/kernel.h of 6.1, 6.12 and 7.2.

import type { ApiEntry, LockEffect } from './lock-api.js';
import type { LockMode } from './lock-classes.js';

/** The mmap lock taken and released again inside the call, on `target` (`path` from it). */
function takenAndReleased(mode: LockMode, extra: Partial<LockEffect>): LockEffect[] {
  const base = { lock: 'mmap', target: 0, when: 'always', ...extra } as const;
  return [
    { ...base, op: 'acquire', mode },
    { ...base, op: 'release', mode },
  ];
}

export const SELF_LOCKING_ENTRIES: readonly ApiEntry[] = [
  // GUP's unlocked forms take current->mm's mmap read lock and release it before returning: 6.1
  // with mmap_read_lock() itself (pin_user_pages_unlocked() calls get_user_pages_unlocked()), 6.12
  // and 7.2 through __get_user_pages_locked() with `*locked` clear (mmap_read_lock_killable(),
  // which waits as surely). "get_user_pages_unlocked() is suitable to replace the form
  // mmap_read_lock(mm); get_user_pages(...); mmap_read_unlock(mm);". get_user_pages_remote() never
  // takes it (a NULL `locked` means the caller holds it), nor does get_user_pages_fast_only(); the
  // faulting forms (get_user_pages_fast()) are user accesses (lock-api.ts).
  ...['get_user_pages_unlocked', 'pin_user_pages_unlocked'].map((name): ApiEntry => ({ name, lock: takenAndReleased('read', { target: 'current', path: '$->mm' }) })),
  // lockdep's might_lock*(lock) (include/linux/lockdep.h): an acquisition and a release of the
  // lock for lockdep only, saying the code may take it here; on the mm's rwsem
  // (`might_lock_read(&current->mm->mmap_lock)` in gup_fast_fallback() and __might_fault()),
  // with the lock held it is lockdep's own report of a recursive acquisition.
  { name: 'might_lock_read', lock: takenAndReleased('read', { rawRwsem: true, annotation: true }) },
  { name: 'might_lock', lock: takenAndReleased('write', { rawRwsem: true, annotation: true }) },
  { name: 'might_lock_nested', lock: takenAndReleased('write', { rawRwsem: true, annotation: true }) },
  // might_fault() (include/linux/kernel.h): __might_fault(), which is might_lock_read() of
  // current->mm's mmap lock unless page faults are disabled: the annotation of every user access.
  { name: 'might_fault', mayFault: true },
  { name: '__might_fault', mayFault: true },
];
