// vma-write-without-vma-lock: under the mmap write lock, a VMA field that per-VMA-lock readers
// depend on is written without the VMA write lock.
import type { Rule } from './rule.js';
import { lockKeyFor } from '../engine/lock-keys.js';
import { VMA_LOCKED_FIELDS } from '../kb/lock-api.js';
import { fieldWrite } from '../engine/prescan.js';
import { isFreshVma, isVma, lockWhere, vmaTrace } from './vma-object.js';
import type { EventBase } from '../engine/events.js';

/** The mmap write lock of the VMA is held and the path shows the VMA not write-locked since. */
function unlockedUnderMmapWrite(ev: EventBase, vmaKey: string): boolean {
  const mm = ev.state.mmapLockOfVma(vmaKey);
  if (!mm || mm.state !== 'write') return false;
  // 'none' only when the path shows it: the mmap write lock was taken (or re-taken) here and no
  // VMA write lock came since; unknown (from the caller, or a callee that may have taken it) is quiet.
  if (ev.state.vmaWriteLock(vmaKey) !== 'none') return false;
  // A callee given a structure that holds this VMA may have write-locked it: the state cannot tell.
  return !ev.sharedThroughStruct(vmaKey);
}

export const vmaWriteWithoutVmaLock: Rule = {
  meta: {
    id: 'vma-write-without-vma-lock',
    severity: 'error',
    treeFeature: 'perVmaLocks',
    // A write to a field it checks.
    demand: { names: VMA_LOCKED_FIELDS.map(fieldWrite) },
    shortDescription: 'A VMA field that per-VMA-lock readers depend on is written without vma_start_write().',
    fullDescription:
      'With the mmap write lock known held, reports a write to vm_policy, vm_page_prot, anon_vma, anon_name, ' +
      'vm_userfaultfd_ctx, vm_start, vm_end or vm_pgoff of a VMA that is known not write-locked on the path: no ' +
      'vma_start_write(), vma_assert_write_locked() or vm_flags_set/clear/mod() on it since this function took the mmap ' +
      'write lock (or since the mmap write lock was last released or downgraded). A VMA that is new ' +
      '(vm_area_alloc()/vm_area_dup() in the same function) is exempt; a VMA handed to a function that may have ' +
      'write-locked it, or one whose VMA lock state comes from the caller, is not judged. A call to a function that writes such a ' +
      'field of the VMA it is given with the mmap write lock asserted and no VMA write lock (its summary needs the VMA write ' +
      'lock of its caller) is judged at the call like a write, with the callee\'s write in the trace.',
    docs: {
      what: 'A write to a VMA field read under the per-VMA lock, with the mmap write lock held but no VMA write lock on that VMA.',
      why:
        'Page faults handled under lock_vma_under_rcu() hold only the VMA read lock, not the mmap lock: the mmap write lock ' +
        'does not exclude them. vma_start_write() waits for those readers and keeps new ones out until the mmap write ' +
        'lock is released or downgraded; without it a fault sees a half-updated VMA (a range that does not match the ' +
        'page tables, a freed policy or anon_vma).',
      wrong: ['mmap_write_lock(mm);', 'vma = vma_lookup(mm, addr);', 'if (vma)', '\tvma->vm_page_prot = prot;', 'mmap_write_unlock(mm);'].join('\n'),
      right: ['mmap_write_lock(mm);', 'vma = vma_lookup(mm, addr);', 'if (vma) {', '\tvma_start_write(vma);', '\tvma->vm_page_prot = prot;', '}', 'mmap_write_unlock(mm);'].join('\n'),
    },
  },
  create(context) {
    return {
      // A callee that writes such a field of the VMA it is given, with the mmap write lock asserted
      // and the VMA write lock left to its caller (its summary's requirement, `because: 'write'`).
      call(ev) {
        for (const r of ev.requires) {
          if (r.lock !== 'vma-write' || r.because !== 'write' || r.path) continue;
          const arg = ev.args[r.target];
          const key = arg ? ev.keyOf(arg) : null;
          if (!isVma(ev, key) || isFreshVma(ev, key) || !unlockedUnderMmapWrite(ev, key)) continue;
          const mm = ev.state.mmapLockOfVma(key)!;
          const where = r.at ? ` at ${r.at.file === ev.file ? `line ${r.at.line}` : `${r.at.file}:${r.at.line}`}` : '';
          context.report({
            node: ev.node,
            function: ev.fn.name,
            message:
              `${ev.callee}() leaves the VMA write lock of \`${key}\` to its caller for a write to a field that page faults under the ` +
              `per-VMA lock read${where}, but \`${key}\` is not write-locked on this path (the mmap write lock of \`${mm.display}\` is ` +
              `held${lockWhere(ev, mm)} and no vma_start_write(${key}) came since, or it failed)`,
            trace: vmaTrace(ev, mm.key, key, ev.step(ev.node, `${ev.callee}() called here without the VMA write lock of \`${key}\``), [lockKeyFor('vma-write', key)]).concat(r.via ?? [], r.at ? [r.at] : []),
          });
        }
      },
      write(ev) {
        if (!ev.arrow || !VMA_LOCKED_FIELDS.includes(ev.field) || !isVma(ev, ev.objectKey) || isFreshVma(ev, ev.objectKey)) return;
        if (!unlockedUnderMmapWrite(ev, ev.objectKey)) return;
        const mm = ev.state.mmapLockOfVma(ev.objectKey)!;
        const target = `${ev.objectKey}->${ev.field}`;
        context.report({
          node: ev.node,
          function: ev.fn.name,
          message:
            `\`${target}\` is written with the mmap write lock of \`${mm.display}\` held${lockWhere(ev, mm)} but \`${ev.objectKey}\` is not ` +
            `write-locked on this path (no vma_start_write(${ev.objectKey}) since the mmap write lock was taken, or it failed): page faults ` +
            `under the per-VMA lock read this field without the mmap lock`,
          // The VMA write lock's own steps (a failed vma_start_write_killable()) are under its lock key.
          trace: vmaTrace(ev, mm.key, ev.objectKey, ev.step(ev.node, `\`${target}\` written here without the VMA write lock`), [lockKeyFor('vma-write', ev.objectKey)]),
        });
      },
    };
  },
};
