// lock-requirement: a call to a function that needs a lock state its caller does not have there.
import type { Rule } from './rule.js';

function needs(mode: 'read' | 'write' | undefined): string {
  return mode ? `held for ${mode}` : 'held';
}

export const lockRequirement: Rule = {
  meta: {
    id: 'lock-requirement',
    severity: 'error',
    shortDescription: 'A callee needs a lock state (from its own assertions or unlocks) that the caller does not have at the call.',
    fullDescription:
      "Reports a call to a function whose summary says it needs a lock on entry (it asserts it with mmap_assert_locked(), " +
      "mmap_assert_write_locked(), vma_assert_locked(), lockdep_assert_held*(), __must_hold(), or releases a lock it did " +
      "not take), on a path where the caller is known not to have it: not held at all, or held for read where the " +
      "callee needs write. Unknown states are not reported. A callee that releases the lock the caller does not hold " +
      "is reported by the imbalance rules instead.",
    docs: {
      what: 'A call to a function that asserts (or otherwise needs) a lock the caller does not hold in the needed mode at that point.',
      why:
        'The callee relies on the lock for the VMA tree or the VMA fields it touches: with only the read lock (or none) a ' +
        'concurrent writer can change them under it. With lockdep the assertion fires at run time; vmalint shows it before.',
      wrong: ['static void shrink_vma(struct vm_area_struct *vma)', '{', '\tmmap_assert_write_locked(vma->vm_mm);', '\t...', '}', '', 'mmap_read_lock(mm);', 'shrink_vma(vma);', 'mmap_read_unlock(mm);'].join('\n'),
      right: ['mmap_write_lock(mm);', 'shrink_vma(vma);', 'mmap_write_unlock(mm);'].join('\n'),
    },
  },
  create(context) {
    return {
      call(ev) {
        for (const r of ev.requires) {
          // Needed by a write the callee makes, not asserted: vma-write-without-vma-lock judges it.
          if (r.because === 'write') continue;
          // The callee drops (or downgrades) that lock itself: the imbalance rules own the finding.
          if (ev.api?.lock?.some((e) => e.lock === r.lock && e.target === r.target && (e.path ?? '') === (r.path ?? '') && (e.op === 'release' || e.op === 'downgrade'))) continue;
          let have = ev.state.lockState(r.key);
          let key = r.key;
          // The mm of a VMA argument: the one mmap lock this path knows about stands for it.
          if (have === 'unknown' && r.lock === 'mmap' && r.path === '$->vm_mm') {
            const arg = ev.args[r.target];
            const vk = arg ? ev.keyOf(arg) : null;
            const lock = vk ? ev.state.mmapLockOfVma(vk) : null;
            if (lock) {
              have = lock.state;
              key = lock.key;
            }
          }
          const short = r.mode === 'write' ? have === 'read' || have === 'none' : have === 'none';
          if (!short) continue;
          const what = r.lock === 'mmap' ? 'mmap lock' : r.lock === 'vma' ? 'VMA lock' : 'VMA write lock';
          const at = r.at ? ` (${r.at.file === ev.file ? `line ${r.at.line}` : `${r.at.file}:${r.at.line}`})` : '';
          const has = have === 'none' ? 'does not hold it' : `holds it for ${have}`;
          context.report({
            node: ev.node,
            function: ev.fn.name,
            message: `${ev.callee}() needs the ${what} of \`${r.display}\` ${needs(r.mode)}${at}, but ${ev.fn.name}() ${has} here`,
            trace: [...ev.state.trace([key]), ev.step(ev.node, `${ev.callee}() called here`), ...(r.at ? [r.at] : [])],
          });
        }
      },
    };
  },
};
