// vma-use-without-lock: a VMA found under rcu_read_lock() only, read before its VMA lock is taken.
import type { Rule } from './rule.js';
import { VMA_LOCK_PROTOCOL_FIELDS, VMA_RCU_HINT_FIELDS } from '../kb/vma-fields.js';

export const vmaUseWithoutLock: Rule = {
  meta: {
    id: 'vma-use-without-lock',
    severity: 'error',
    shortDescription: 'A VMA found under RCU only is read before vma_start_read() succeeded.',
    fullDescription:
      'Reports a read of a field of a VMA pointer that was found by a walk of the VMA tree (mas_walk(), vma_next(), ' +
      'vma_find(), find_vma(), an iterator, ...) inside an rcu_read_lock() section with neither the mmap lock nor any ' +
      'VMA lock held, in a function that shows it runs without its caller\'s mmap lock (it takes the mmap lock or a VMA ' +
      'lock itself: the lockless fast path and its fallback), on a path where no VMA lock has been taken on it since and ' +
      'the mmap lock is not held. RCU keeps ' +
      'the memory from being freed, not the VMA from being changed: until vma_start_read() succeeds, a writer holding ' +
      'the mmap write lock may be splitting, merging or detaching it. The fields the lock protocol itself reads ' +
      '(vm_lock_seq, vm_refcnt, vm_lock, vm_mm, detached) are not reported, nor its bounds (vm_start, vm_end: the address a locked lookup ' +
      'checks again, read as a hint); a VMA found under the mmap lock is not either.',
    docs: {
      what: 'A field of a VMA found under rcu_read_lock() alone (no mmap lock, no VMA lock) is read before vma_start_read() succeeded on it.',
      why:
        'A lockless walk finds a VMA that a writer may be changing: its anon_vma, flags, file and ops decide the fault ' +
        'path, and a value read before the VMA lock is held may be half-updated or belong to a VMA that is being ' +
        'detached and reused. lock_vma_under_rcu() takes the VMA lock first, then checks that the VMA is attached and ' +
        'still covers the address, and only then reads it.',
      wrong: [
        'rcu_read_lock();',
        'vma = mas_walk(&mas);',
        'if (!vma || !vma->anon_vma)\t/* read before the VMA is locked */',
        '\tgoto fallback;',
        'if (!vma_start_read(vma))',
        '\tgoto fallback;',
        'rcu_read_unlock();',
      ].join('\n'),
      right: [
        'rcu_read_lock();',
        'vma = mas_walk(&mas);',
        'if (!vma || !vma_start_read(vma))',
        '\tgoto fallback;',
        'rcu_read_unlock();',
        'if (!vma->anon_vma) {',
        '\tvma_end_read(vma);',
        '\tgoto fallback;',
        '}',
      ].join('\n'),
    },
    treeFeature: 'perVmaLocks',
  },
  create(context) {
    // One finding per lookup in a function: the first read shows the problem.
    const reported = new Set<string>();
    return {
      deref(ev) {
        const p = ev.state.pointer(ev.pointerKey);
        if (!p?.rcuOnly || p.staleSince || p.nullness === 'null' || !ev.field || VMA_LOCK_PROTOCOL_FIELDS.includes(ev.field) || VMA_RCU_HINT_FIELDS.includes(ev.field)) return;
        // A VMA lock taken on it since (vma_start_read()), or the mmap lock held now: stable.
        if (p.lockedBy.length || ev.state.heldMmapLocks().length) return;
        const id = `${ev.fn.name}|${p.origin.line}|${p.origin.column}`;
        if (reported.has(id)) return;
        reported.add(id);
        context.report({
          node: ev.node,
          function: ev.fn.name,
          message:
            `\`${ev.pointerKey}->${ev.field}\` is read from a VMA that ${p.api}() (line ${p.origin.line}) found under rcu_read_lock() only (line ${p.rcuOnly.line}), ` +
            'before its VMA lock is taken: a writer may be changing it (take it with vma_start_read() first, or hold the mmap lock)',
          trace: [p.rcuOnly, p.origin, ...ev.state.trace([ev.pointerKey]).filter((s) => s !== p.origin && s !== p.rcuOnly), ev.step(ev.node, `\`${ev.pointerKey}->${ev.field}\` read here without a lock`)],
        });
      },
    };
  },
};
