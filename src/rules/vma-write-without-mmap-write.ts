// vma-write-without-mmap-write: a VMA modified while the mmap lock is held for read only (or not held).
import type { Rule } from './rule.js';
import { VMA_MMAP_WRITE_FIELDS, VMA_READONLY_FIELDS } from '../kb/lock-api.js';
import { isFreshVma, isVma } from './vma-object.js';
import type { EventBase } from '../engine/events.js';
import type { AstNode } from '../parse/ast.js';
import type { RuleContext } from './rule.js';

function check(context: RuleContext, ev: EventBase, node: AstNode, vmaKey: string, what: string): void {
  if (isFreshVma(ev, vmaKey)) return;
  const lock = ev.state.mmapLockOfVma(vmaKey);
  if (!lock || (lock.state !== 'read' && lock.state !== 'none')) return;
  const where = lock.origin && lock.state === 'read' ? ` (taken at line ${lock.origin.line})` : '';
  const has = lock.state === 'read' ? `is held for read only${where}` : 'is not held';
  context.report({
    node,
    function: ev.fn.name,
    message: `${what} needs the mmap write lock, but the mmap lock of \`${lock.display}\` ${has} here`,
    trace: [...ev.state.trace([lock.key]), ev.step(node, `${what} here`)],
  });
}

export const vmaWriteWithoutMmapWrite: Rule = {
  meta: {
    id: 'vma-write-without-mmap-write',
    severity: 'error',
    shortDescription: 'A VMA is modified while the mmap lock is held for read only, or not held.',
    fullDescription:
      'Reports vma_start_write(), vm_flags_set/clear/mod/reset() (and helpers whose summary says they modify a VMA ' +
      'argument) and writes to vm_start, vm_end, vm_pgoff or vm_page_prot on a path where the mmap lock of that VMA ' +
      'is known to be held for read only (also after mmap_write_downgrade()) or known not held. A VMA just created by ' +
      'vm_area_alloc()/vm_area_dup() is not in the tree yet and is exempt. A direct write to vma->vm_flags is always ' +
      'reported: the field is read-only, written through the vm_flags_*() helpers.',
    docs: {
      what: 'A change to a VMA (its range, offset, protection or flags, or vma_start_write()) without the mmap write lock.',
      why:
        'Readers walk the VMA tree and read these fields under the mmap read lock; only the mmap write lock excludes them. ' +
        'vma_start_write() itself requires the mmap write lock (it is released with it). vm_flags is read-only: ' +
        'vm_flags_set()/clear()/mod() also take the VMA write lock, which per-VMA-lock readers rely on.',
      wrong: ['mmap_read_lock(mm);', 'vma = vma_lookup(mm, addr);', 'if (vma)', '\tvm_flags_set(vma, VM_LOCKED);', 'mmap_read_unlock(mm);'].join('\n'),
      right: ['mmap_write_lock(mm);', 'vma = vma_lookup(mm, addr);', 'if (vma)', '\tvm_flags_set(vma, VM_LOCKED);', 'mmap_write_unlock(mm);'].join('\n'),
    },
  },
  create(context) {
    return {
      call(ev) {
        for (const i of ev.api?.modifiesVma ?? []) {
          const arg = ev.args[i];
          const key = arg ? ev.keyOf(arg) : null;
          if (!key) continue;
          check(context, ev, ev.node, key, `${ev.callee}() on \`${key}\``);
        }
      },
      write(ev) {
        if (!ev.arrow || !isVma(ev, ev.objectKey)) return;
        if (VMA_READONLY_FIELDS.includes(ev.field)) {
          context.report({
            node: ev.node,
            function: ev.fn.name,
            message: `\`${ev.objectKey}->${ev.field}\` is written directly: it is read-only, use vm_flags_set()/vm_flags_clear()/vm_flags_mod()/vm_flags_reset(), which also take the VMA write lock`,
            trace: [ev.step(ev.node, `direct write to ${ev.field} here`)],
          });
          return;
        }
        if (VMA_MMAP_WRITE_FIELDS.includes(ev.field)) check(context, ev, ev.node, ev.objectKey, `writing \`${ev.objectKey}->${ev.field}\``);
      },
    };
  },
};
