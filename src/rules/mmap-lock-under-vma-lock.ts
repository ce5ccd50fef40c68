// mmap-lock-under-vma-lock: taking the mmap lock while holding a VMA read lock (lock order).
import type { Rule } from './rule.js';

export const mmapLockUnderVmaLock: Rule = {
  meta: {
    id: 'mmap-lock-under-vma-lock',
    severity: 'error',
    treeFeature: 'perVmaLocks',
    shortDescription: 'The mmap lock is taken while a VMA read lock is held.',
    fullDescription:
      'Reports an mmap lock acquisition (any form: mmap_read_lock, mmap_write_lock, the _killable forms, the raw rwsem, ' +
      'a guard, or a helper whose summary takes it) on a path where a per-VMA read lock is held. trylock forms never ' +
      'block and are not reported. The order is mmap lock first, then VMA lock: a writer that holds the mmap write lock ' +
      'and waits in vma_start_write() for this VMA never gets it, and this task never gets the mmap lock.',
    docs: {
      what: 'mmap_read_lock()/mmap_write_lock() (or a raw/guard/killable form, or a helper that takes it) while a VMA read lock is held.',
      why:
        'vma_start_write() is called with the mmap write lock held and waits for the VMA read locks to go. A task that ' +
        'holds a VMA read lock and then blocks on the mmap lock waits for that writer, which waits for it: deadlock. ' +
        'Drop the VMA lock first (and look the VMA up again under the mmap lock), or use mmap_read_trylock().',
      wrong: ['vma = lock_vma_under_rcu(mm, addr);', 'if (!vma)', '\treturn;', 'mmap_read_lock(mm);', '...', 'mmap_read_unlock(mm);', 'vma_end_read(vma);'].join('\n'),
      right: ['vma = lock_vma_under_rcu(mm, addr);', 'if (!vma)', '\treturn;', '...', 'vma_end_read(vma);', 'mmap_read_lock(mm);', 'vma = vma_lookup(mm, addr);', '...', 'mmap_read_unlock(mm);'].join('\n'),
    },
  },
  create(context) {
    return {
      // A callee that takes the mmap lock inside (and may release it before returning).
      call(ev) {
        const via = ev.api?.takesMmapLock;
        if (!via?.length || ev.api?.lock?.some((e) => e.lock === 'mmap' && e.op === 'acquire')) return;
        // A callee handed the locked VMA, or a structure holding it (`madv_behavior` for
        // `madv_behavior->vma`), deals with its lock itself (and is checked on its own).
        const passed = ev.args.map((a) => ev.keyOf(a)).filter((k): k is string => !!k);
        const handed = (vma: string): boolean =>
          passed.some((p) => vma === p || vma.startsWith(`${p}->`) || (p.startsWith('&') && (vma === p.slice(1) || vma.startsWith(`${p.slice(1)}.`))));
        const vmaLocks = ev.state.heldVmaLocks().filter((v) => !handed(v.instance));
        if (vmaLocks.length === 0) return;
        const v = vmaLocks[0];
        const where = v.origin ? ` (taken at line ${v.origin.line})` : '';
        const at = via[via.length - 1];
        context.report({
          node: ev.node,
          function: ev.fn.name,
          message: `${ev.callee}() takes the mmap lock (${at.file === ev.file ? `line ${at.line}` : `${at.file}:${at.line}`}) while the VMA read lock of \`${v.display}\` is held${where}: lock order is mmap lock, then VMA lock (deadlock against vma_start_write())`,
          trace: [...ev.state.trace([v.key]), ev.step(ev.node, `${ev.callee}() called here with the VMA lock held`), ...via],
        });
      },
      lockOp(ev) {
        if (ev.lock !== 'mmap' || ev.op !== 'acquire' || ev.trylock) return;
        const vmaLocks = ev.state.heldVmaLocks();
        if (vmaLocks.length === 0) return;
        const v = vmaLocks[0];
        const where = v.origin ? ` (taken at line ${v.origin.line})` : '';
        context.report({
          node: ev.node,
          function: ev.fn.name,
          message: `${ev.callee}() takes the mmap ${ev.mode ? `${ev.mode} ` : ''}lock of \`${ev.display}\` while the VMA read lock of \`${v.display}\` is held${where}: lock order is mmap lock, then VMA lock (deadlock against vma_start_write())`,
          trace: [...ev.state.trace([v.key, ev.key]), ev.step(ev.node, `mmap lock taken here with the VMA lock held`)],
        });
      },
    };
  },
};
