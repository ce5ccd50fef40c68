// The page fault handler's lock protocol, as knowledge-base entries (src/kb/lock-api.ts).
// handle_mm_fault() releases the lock it was called with (the VMA lock with FAULT_FLAG_VMA_LOCK,
// else the mmap lock of the VMA's mm) when its result has VM_FAULT_RETRY or VM_FAULT_COMPLETED,
// and keeps it otherwise (mm/memory.c; the comments of enum vm_fault_reason and enum fault_flag in
// include/linux/mm_types.h). It can return either only when its flags allow a retry
// (FAULT_FLAG_ALLOW_RETRY). Callers tell the two apart by bit tests of the result
// (`fault & VM_FAULT_RETRY`) and by fault_signal_pending(), true only with VM_FAULT_RETRY.

import type { ApiEntry, LockEffect } from './lock-api.js';

/** The bits of a fault result that say handle_mm_fault() released the lock it was called with. */
const FAULT_RELEASED = ['VM_FAULT_RETRY', 'VM_FAULT_COMPLETED'];
/** A result that released the lock is no error (callers test VM_FAULT_ERROR before or after VM_FAULT_RETRY: mm/gup.c, arch/x86/mm/fault.c). */
const FAULT_ERROR = ['VM_FAULT_ERROR'];
/** Without FAULT_FLAG_ALLOW_RETRY in its flags (argument 2) the fault handler never drops the lock. */
const ALLOW_RETRY = { arg: 2, mask: ['FAULT_FLAG_ALLOW_RETRY'] };

/** Released where the result says so, when the flags are known to allow it and the caller holds the lock. */
const released = (lock: 'vma' | 'mmap', path?: string): LockEffect => ({
  lock,
  op: 'release',
  target: 0,
  ...(path ? { path } : {}),
  when: 'ret-mask',
  retMask: FAULT_RELEASED,
  retMaskExcludes: FAULT_ERROR,
  ifArgBits: { ...ALLOW_RETRY, known: true },
  heldAtCall: true,
});

export const FAULT_PROTOCOL_APIS: readonly ApiEntry[] = [
  // Called with neither lock known held (a wrapper under its caller's lock), or with flags not
  // known to allow a retry, it may release either, as far as the call alone tells.
  {
    name: 'handle_mm_fault',
    lock: [
      released('vma'),
      released('mmap', '$->vm_mm'),
      { lock: 'vma', op: 'forget', target: 0, when: 'always', unlessHeldAtCall: true, ifArgBits: ALLOW_RETRY },
      { lock: 'mmap', op: 'forget', target: 'all', when: 'always', unlessHeldAtCall: true, ifArgBits: ALLOW_RETRY },
    ],
    derefsArgs: [0],
  },
  // True only when the fault result has VM_FAULT_RETRY (include/linux/sched/signal.h).
  { name: 'fault_signal_pending', trueOnlyWithBits: { arg: 0, mask: ['VM_FAULT_RETRY'] } },
];
