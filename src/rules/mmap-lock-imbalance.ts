// mmap-lock-imbalance: mmap lock leaked on some paths, released twice or when not held, released
// with the wrong kind, or taken twice.
import type { Rule } from './rule.js';
import { lockBalanceVisitor } from './lock-balance.js';

export const mmapLockImbalance: Rule = {
  meta: {
    id: 'mmap-lock-imbalance',
    severity: 'error',
    shortDescription: 'The mmap lock is not released on every path, released twice, or released with the wrong kind.',
    fullDescription:
      'Reports a path out of a function that still holds an mmap lock the function took while other paths release it ' +
      '(unless the return value says which: the lock-returning helper pattern, e.g. lock_mm_and_find_vma(); or the ' +
      'function is the .start of a seq_operations table, whose .stop releases the lock whatever .start returned), an unlock ' +
      'of a lock that is not held (including after a failed mmap_read_lock_killable() or mmap_read_trylock()), a read ' +
      'unlock of a write-held lock or the reverse, and taking the lock again while it is held, also by a call that takes ' +
      'it itself (get_user_pages_unlocked(), pin_user_pages_unlocked(): current->mm\'s) or says it may (lockdep\'s ' +
      'might_lock_read(&mm->mmap_lock), might_lock()). A function the kernel calls ' +
      'in a known lock context (a system call or a file_operations handler: no mmap lock; a file_operations .mmap: the mmap ' +
      'write lock; an mm_walk_ops callback: the lock its .walk_lock names) returns with exactly the locks it was called with, ' +
      'whatever it returns: a lock it took and kept on any path is reported, and so is one it was called with and gave up; a ' +
      'vm_operations_struct fault handler may give up its lock only by returning VM_FAULT_RETRY or VM_FAULT_COMPLETED.',
    docs: {
      what: 'The mmap lock is leaked on an error path, released twice or without being held, released with the wrong kind, or taken twice on one mm.',
      why:
        'A leaked mmap lock blocks every later mmap/munmap/fault of the process forever; a double or unbalanced unlock ' +
        'corrupts the rwsem count; a second down_read() on the same mm deadlocks as soon as a writer queues between them.',
      wrong: [
        'mmap_read_lock(mm);',
        'vma = vma_lookup(mm, addr);',
        'if (!vma)',
        '\treturn -EFAULT;\t/* lock leaked */',
        'ret = do_work(vma);',
        'mmap_read_unlock(mm);',
        'return ret;',
      ].join('\n'),
      right: [
        'mmap_read_lock(mm);',
        'vma = vma_lookup(mm, addr);',
        'if (!vma) {',
        '\tret = -EFAULT;',
        '\tgoto out_unlock;',
        '}',
        'ret = do_work(vma);',
        'out_unlock:',
        'mmap_read_unlock(mm);',
        'return ret;',
      ].join('\n'),
    },
  },
  create(context) {
    return lockBalanceVisitor(context, 'mmap');
  },
};
