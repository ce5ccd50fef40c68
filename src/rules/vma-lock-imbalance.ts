// vma-lock-imbalance: per-VMA read lock leaked on some paths, released twice or when not held.
import type { Rule } from './rule.js';
import { lockBalanceVisitor } from './lock-balance.js';

export const vmaLockImbalance: Rule = {
  meta: {
    id: 'vma-lock-imbalance',
    severity: 'error',
    treeFeature: 'perVmaLocks',
    shortDescription: 'A per-VMA read lock is not released on every path, or released when not held.',
    fullDescription:
      'Reports a VMA read lock taken by lock_vma_under_rcu() (non-NULL result) or vma_start_read() (true) that is still ' +
      'held on some path out of the function while other paths release it, a vma_end_read() of a VMA that is not ' +
      'read-locked on that path (after a failed vma_start_read(), on the NULL path of lock_vma_under_rcu(), or a second ' +
      'time), and taking the same VMA lock twice.',
    docs: {
      what: 'A VMA read lock is leaked on a path, released twice, or released without having been taken.',
      why:
        'A leaked VMA read lock makes every later vma_start_write() on that VMA (munmap, mprotect, ...) wait forever; ' +
        'an unbalanced vma_end_read() lets a writer in while another reader still relies on the VMA.',
      wrong: [
        'vma = lock_vma_under_rcu(mm, addr);',
        'if (!vma)',
        '\tgoto lock_mmap;',
        'if (!(vma->vm_flags & VM_WRITE))',
        '\treturn -EFAULT;\t/* VMA lock leaked */',
        'fault = handle_pte(vma, addr);',
        'vma_end_read(vma);',
      ].join('\n'),
      right: [
        'vma = lock_vma_under_rcu(mm, addr);',
        'if (!vma)',
        '\tgoto lock_mmap;',
        'if (!(vma->vm_flags & VM_WRITE)) {',
        '\tvma_end_read(vma);',
        '\treturn -EFAULT;',
        '}',
        'fault = handle_pte(vma, addr);',
        'vma_end_read(vma);',
      ].join('\n'),
    },
  },
  create(context) {
    return lockBalanceVisitor(context, 'vma');
  },
};
