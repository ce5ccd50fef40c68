// fault-under-mmap-lock: a user-memory access that can fault while the mmap lock is held.
import type { Rule } from './rule.js';
import { userAccessAt } from './user-access.js';

export const faultUnderMmapLock: Rule = {
  meta: {
    id: 'fault-under-mmap-lock',
    severity: 'error',
    shortDescription: 'A user copy that can fault is reached while the mmap lock is held.',
    fullDescription:
      'Reports a call that may fault on user memory (copy_from_user, copy_to_user, get_user, put_user, clear_user, ' +
      'strncpy_from_user, fault_in_*, memdup_user, copy_struct_from_user, ..., and might_fault(), the kernel\'s annotation ' +
      'of one) on a path where the mmap lock of some mm ' +
      'is held for read or write, outside pagefault_disable(). The page-fault handler takes the mmap lock for read: ' +
      'with a writer queued in between, the task deadlocks against itself.',
    docs: {
      what: 'A call that can fault on user memory, reached while an mmap lock is held (read or write), not inside pagefault_disable().',
      why:
        'The fault handler takes mmap_lock for read. If this task already holds it and a writer is queued (rwsems are fair), ' +
        'the nested read blocks behind the writer, which waits for this task: deadlock. Copy the data before taking the lock, ' +
        'after dropping it, or use the _nofault variants / pagefault_disable() and handle the failure.',
      wrong: [
        'mmap_read_lock(mm);',
        'vma = vma_lookup(mm, addr);',
        'if (vma && copy_to_user(ubuf, &vma->vm_flags, sizeof(long)))',
        '\tret = -EFAULT;',
        'mmap_read_unlock(mm);',
      ].join('\n'),
      right: [
        'mmap_read_lock(mm);',
        'vma = vma_lookup(mm, addr);',
        'if (vma)',
        '\tflags = vma->vm_flags;',
        'mmap_read_unlock(mm);',
        'if (copy_to_user(ubuf, &flags, sizeof(flags)))',
        '\tret = -EFAULT;',
      ].join('\n'),
    },
  },
  create(context) {
    return {
      call(ev) {
        const access = userAccessAt(ev);
        if (!access) return;
        const held = ev.state.heldMmapLocks();
        if (held.length === 0) return;
        const lock = held[0];
        const mode = lock.state === 'held' ? '' : `${lock.state} `;
        const where = lock.origin ? ` (taken at line ${lock.origin.line})` : '';
        const via = access.via;
        context.report({
          node: ev.node,
          function: ev.fn.name,
          message: `${ev.callee}() can fault on user memory${access.through} while the mmap ${mode}lock of \`${lock.display}\` is held${where}: the fault handler takes that lock again`,
          trace: [...ev.state.trace([lock.key]), ev.step(ev.node, `${ev.callee}() may fault here with the lock held`), ...via],
        });
      },
    };
  },
};
