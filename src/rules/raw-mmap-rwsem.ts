// raw-mmap-rwsem: rwsem calls applied directly to mm->mmap_lock instead of the mmap_* wrappers.
import type { Rule } from './rule.js';
import { lookupApi } from '../kb/lock-api.js';

export const rawMmapRwsem: Rule = {
  meta: {
    id: 'raw-mmap-rwsem',
    severity: 'warning',
    shortDescription: 'An rwsem operation is applied to mm->mmap_lock directly instead of through the mmap_* wrappers.',
    fullDescription:
      'Reports down_read(), up_read(), down_write(), up_write(), down_read_killable(), downgrade_write(), their trylock ' +
      'and nested forms, and guard(rwsem_*) applied to `&mm->mmap_lock` (or the older `mmap_sem`). The mmap_* wrappers ' +
      'in include/linux/mmap_lock.h emit the mmap_lock tracepoints and keep the lock API in one place; the raw calls ' +
      'skip them. vmalint still understands the raw form for every other rule.',
    docs: {
      what: 'A raw rwsem call on the mmap lock (`down_read(&mm->mmap_lock)`, `guard(rwsem_read)(&mm->mmap_lock)`).',
      why:
        'The wrappers trace every acquisition and release (mmap_lock tracepoints used to find lock contention) and are ' +
        'the one place the locking scheme can change (per-VMA locks, speculation). Raw calls bypass both.',
      wrong: ['down_read(&mm->mmap_lock);', 'vma = vma_lookup(mm, addr);', 'up_read(&mm->mmap_lock);'].join('\n'),
      right: ['mmap_read_lock(mm);', 'vma = vma_lookup(mm, addr);', 'mmap_read_unlock(mm);'].join('\n'),
    },
  },
  create(context) {
    return {
      lockOp(ev) {
        // lockdep's might_lock*(&mm->mmap_lock) takes nothing: an annotation has no wrapper.
        if (ev.lock !== 'mmap' || !ev.raw || ev.annotation) return;
        // The wrappers themselves (include/linux/mmap_lock.h) are where the raw calls belong.
        if (lookupApi(ev.fn.name)?.lock?.some((e) => e.lock === 'mmap')) return;
        const raw = lookupApi(ev.callee);
        const wrapper = raw?.wrapper ? `${raw.wrapper}()` : 'the mmap_* wrapper';
        context.report({
          node: ev.node,
          function: ev.fn.name,
          message: `${ev.callee}() on the mmap lock of \`${ev.display}\` bypasses the mmap_lock wrappers (tracepoints): use ${wrapper}`,
          trace: [ev.step(ev.node, `raw rwsem ${ev.op} of \`${ev.display}\`'s mmap lock here`)],
        });
      },
    };
  },
};
