// walk-lock-mismatch: a page walk whose ops' .walk_lock asks for more than the caller holds.
import type { Rule } from './rule.js';
import type { LockKey } from '../engine/lock-keys.js';
import { PAGE_WALKS, PAGE_WALK_DEFAULT_LOCK, PAGE_WALK_LOCK_FIELD, PAGE_WALK_LOCKS } from '../kb/lock-api.js';
import { addressOperand, stripParens } from '../parse/ast.js';

export const walkLockMismatch: Rule = {
  meta: {
    id: 'walk-lock-mismatch',
    severity: 'error',
    // A page walk, and the ops whose `.walk_lock` it reads (a file-scope initializer naming one is read whole).
    demand: { names: [...Object.keys(PAGE_WALKS), PAGE_WALK_LOCK_FIELD, ...Object.keys(PAGE_WALK_LOCKS)] },
    shortDescription: "A page walk's .walk_lock asks for more than the caller holds.",
    fullDescription:
      'Reports walk_page_range(), walk_page_range_novma(), walk_page_range_vma() and walk_page_vma() called with an ' +
      'mm_walk_ops whose .walk_lock (read from the ops initializer in the same file or elsewhere in the run; none means ' +
      'PGWALK_RDLOCK) asks for more than the caller holds: PGWALK_WRLOCK or PGWALK_WRLOCK_VERIFY with the mmap lock ' +
      'held for read or not held, PGWALK_RDLOCK with the mmap lock not held. Unknown lock states are not reported; a ' +
      'system call or a file_operations handler (an ioctl), and a static helper every call of which it makes holding no ' +
      'mm lock, is known to start without the mmap lock.',
    docs: {
      what: 'A page walk whose ops say the mmap write lock is held (PGWALK_WRLOCK*) while the caller holds only the read lock, or any walk without the mmap lock.',
      why:
        'The walker trusts .walk_lock: with PGWALK_WRLOCK it write-locks each VMA (vma_start_write() needs the mmap write ' +
        'lock), with PGWALK_WRLOCK_VERIFY it asserts the VMAs are write-locked, with PGWALK_RDLOCK it asserts the mmap ' +
        'lock. Walking page tables without the lock the ops promise races with munmap() and page table freeing.',
      wrong: ['static const struct mm_walk_ops clear_ops = {', '\t.pmd_entry = clear_pmd,', '\t.walk_lock = PGWALK_WRLOCK,', '};', '', 'mmap_read_lock(mm);', 'walk_page_range(mm, start, end, &clear_ops, NULL);', 'mmap_read_unlock(mm);'].join('\n'),
      right: ['mmap_write_lock(mm);', 'walk_page_range(mm, start, end, &clear_ops, NULL);', 'mmap_write_unlock(mm);'].join('\n'),
    },
  },
  create(context) {
    return {
      call(ev) {
        const walk = ev.callee ? PAGE_WALKS[ev.callee] : undefined;
        if (!walk || (walk.mm === undefined && walk.vma === undefined)) return;
        const opsArg = ev.args[walk.ops];
        if (!opsArg) return;
        const e = stripParens(opsArg);
        const id = addressOperand(e);
        if (!id || id.type !== 'identifier') return;
        const fields = ev.initializer(id.text);
        if (!fields) return;
        const walkLock = fields.get(PAGE_WALK_LOCK_FIELD) ?? PAGE_WALK_DEFAULT_LOCK;
        const needs = PAGE_WALK_LOCKS[walkLock];
        if (!needs) return;
        const needsWrite = needs === 'write';
        let key: LockKey | null = null;
        let state: string = 'unknown';
        let display = '';
        if (walk.mm !== undefined) {
          const mmArg = ev.args[walk.mm];
          key = mmArg ? ev.mmapKeyOf(mmArg) : null;
          if (key) {
            state = ev.state.lockState(key);
            display = mmArg!.text;
          }
        } else {
          const vmaArg = ev.args[walk.vma!];
          const vk = vmaArg ? ev.keyOf(vmaArg) : null;
          const lock = vk ? ev.state.mmapLockOfVma(vk) : null;
          if (lock) {
            key = lock.key;
            state = lock.state;
            display = lock.display;
          }
        }
        if (!key) return;
        const short = needsWrite ? state === 'read' || state === 'none' : state === 'none';
        if (!short) return;
        const has = state === 'none' ? 'is not held' : 'is held for read only';
        context.report({
          node: ev.node,
          function: ev.fn.name,
          message: `${ev.callee}() with \`${id.text}\` (.walk_lock = ${walkLock}) needs the mmap ${needsWrite ? 'write ' : ''}lock, but the mmap lock of \`${display}\` ${has} here`,
          trace: [...ev.state.trace([key]), ev.step(ev.node, `${ev.callee}() walks with ${walkLock} here`)],
        });
      },
    };
  },
};
