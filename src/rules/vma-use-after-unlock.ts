// vma-use-after-unlock: a VMA pointer used after the lock it was obtained under was dropped.
import type { Rule } from './rule.js';
import { dereferencedThrough } from '../parse/ast.js';
import type { PathPointer } from '../engine/events.js';
import type { TraceStep } from '../types.js';

export const vmaUseAfterUnlock: Rule = {
  meta: {
    id: 'vma-use-after-unlock',
    severity: 'error',
    shortDescription: 'A VMA pointer is used after the lock it was looked up under was dropped.',
    fullDescription:
      'Reports a dereference of a VMA pointer (from vma_lookup, find_vma, lock_vma_under_rcu, an iterator, a helper ' +
      'returning a VMA) on a path where a lock held when it was obtained (the mmap lock, or its own VMA read lock) ' +
      'has been released since, and a call that dereferences such a pointer (per the knowledge base or the callee\'s ' +
      'summary). Taking the lock again does not help: the VMA may have been freed or replaced in between, and must be ' +
      'looked up again.',
    docs: {
      what: 'A VMA obtained under a lock, dereferenced or passed to a function that dereferences it, after that lock was released.',
      why:
        'Without the mmap lock (or the VMA lock) nothing keeps the VMA alive: munmap() or a merge can free it as soon as ' +
        'the lock is dropped. After re-locking, the pointer must be looked up again (and its range checked again).',
      wrong: ['mmap_read_lock(mm);', 'vma = vma_lookup(mm, addr);', 'mmap_read_unlock(mm);', 'if (vma && (vma->vm_flags & VM_LOCKED))', '\t...'].join('\n'),
      right: ['mmap_read_lock(mm);', 'vma = vma_lookup(mm, addr);', 'locked = vma && (vma->vm_flags & VM_LOCKED);', 'mmap_read_unlock(mm);', 'if (locked)', '\t...'].join('\n'),
    },
  },
  create(context) {
    // One finding per pointer and unlock in a function: the first use shows the problem.
    const reported = new Set<string>();
    const stale = (p: PathPointer | undefined): p is PathPointer & { staleSince: TraceStep } => !!p && !!p.staleSince && !p.fresh && p.nullness !== 'null';
    return {
      deref(ev) {
        const p = ev.state.pointer(ev.pointerKey);
        if (!stale(p)) return;
        const id = `${ev.fn.name}|${ev.pointerKey}|${p.origin.line}|${p.staleSince.line}`;
        if (reported.has(id)) return;
        reported.add(id);
        context.report({
          node: ev.node,
          function: ev.fn.name,
          message: `\`${ev.pointerKey}\` from ${p.api}() (line ${p.origin.line}) is used after the lock it was obtained under was released at line ${p.staleSince.line}: the VMA may be gone (look it up again under the lock)`,
          trace: [p.origin, p.staleSince, ev.step(ev.node, `\`${ev.pointerKey}\` used here`)],
        });
      },
      call(ev) {
        const derefs = ev.api?.derefsArgs;
        if (!derefs?.length) return;
        for (const i of derefs) {
          // A lock operation on it (vma_end_read() twice): the imbalance rules report that.
          if (ev.api?.lock?.some((e) => e.target === i)) continue;
          const arg = ev.args[i];
          const key = arg ? ev.keyOf(dereferencedThrough(arg)) : null;
          const p = key ? ev.state.pointer(key) : undefined;
          if (!key || !stale(p)) continue;
          const id = `${ev.fn.name}|${key}|${p.origin.line}|${p.staleSince.line}`;
          if (reported.has(id)) continue;
          reported.add(id);
          context.report({
            node: ev.node,
            function: ev.fn.name,
            message: `\`${key}\` from ${p.api}() (line ${p.origin.line}) is passed to ${ev.callee}(), which dereferences it, after the lock it was obtained under was released at line ${p.staleSince.line}`,
            trace: [p.origin, p.staleSince, ev.step(ev.node, `\`${key}\` passed to ${ev.callee}() here`)],
          });
        }
      },
    };
  },
};
