// user-access-in-atomic: a user access that can fault in atomic context (a spinlock or rwlock
// held, preemption or interrupts disabled), outside pagefault_disable(): handling the fault
// sleeps, which might_sleep() reports as "sleeping function called from invalid context".

import type { Rule } from './rule.js';
import { placeOf, userAccessAt } from './user-access.js';

export const userAccessInAtomic: Rule = {
  meta: {
    id: 'user-access-in-atomic',
    severity: 'error',
    shortDescription: 'A user copy that can fault is made in atomic context (spinlock held, preemption or interrupts off).',
    fullDescription:
      'Reports a call that may fault on user memory (copy_to_user, get_user, clear_user, ... or a helper that makes one) ' +
      'while a spinlock or rwlock is held, or preemption, interrupts or softirqs are disabled, outside pagefault_disable(). ' +
      'Handling the fault may sleep (it takes mmap_lock and may read the page in), which atomic context forbids.',
    docs: {
      what: 'A call that can fault on user memory, reached while a spinlock or rwlock is held or preemption or interrupts are disabled, not inside pagefault_disable().',
      why:
        'A page fault on user memory sleeps: it takes mmap_lock and may wait for I/O. In atomic context that is a ' +
        '"sleeping function called from invalid context" splat and can deadlock. Copy into a kernel buffer under the ' +
        'lock and to user space after dropping it, or use the _inatomic/_nofault forms under pagefault_disable() and ' +
        'handle the short copy.',
      wrong: [
        'spin_lock(&dev->lock);',
        'if (copy_to_user(ubuf, &dev->stats, sizeof(dev->stats)))',
        '\tret = -EFAULT;',
        'spin_unlock(&dev->lock);',
      ].join('\n'),
      right: [
        'spin_lock(&dev->lock);',
        'stats = dev->stats;',
        'spin_unlock(&dev->lock);',
        'if (copy_to_user(ubuf, &stats, sizeof(stats)))',
        '\tret = -EFAULT;',
      ].join('\n'),
    },
  },
  create(context) {
    return {
      call(ev) {
        const access = userAccessAt(ev);
        // Its callers disable page faults (might_fault() then does not sleep) and handle -EFAULT.
        if (!access?.mightSleep || ev.fn.pagefaultsDisabledByCaller) return;
        // A helper that drops the lock around its access (spin_unlock(); copy_to_user(); spin_lock()) does not fault under it.
        const atomic = ev.state.atomicContext(ev.dropsKernelLocks);
        if (!atomic) return;
        context.report({
          node: ev.node,
          function: ev.fn.name,
          message: `${ev.callee}() can fault on user memory${access.through} while ${atomic.what} (${placeOf(atomic.origin, ev.file)}): handling the fault sleeps, which atomic context forbids`,
          trace: [...ev.state.trace([atomic.traceKey]), ev.step(ev.node, `${ev.callee}() may fault here in atomic context`), ...access.via],
        });
      },
    };
  },
};
