// vma-write-without-mmap-write: a VMA modified while the mmap lock is held for read only (or not held),
// and any direct write to vma->vm_flags.
import type { Rule } from './rule.js';
import { VMA_FIELDS_OF_ANY_TREE, vmaFieldsOf } from '../kb/vma-fields.js';
import { fieldWrite } from '../engine/prescan.js';
import { isFreshVma, isVma, lockWhere, vmaTrace } from './vma-object.js';
import { modifiedVmaArgs } from '../engine/tree-macros.js';
import type { CallEvent, EventBase, WriteEvent } from '../engine/events.js';
import type { AstNode } from '../parse/ast.js';
import type { TraceStep } from '../types.js';
import type { RuleContext } from './rule.js';

/**
 * Reports `what` (a change to the VMA `vmaKey`) when the mmap lock protecting that VMA is known
 * held for read only or known not held. Unknown, held in an unknown mode, or write: quiet.
 */
function check(context: RuleContext, ev: EventBase, node: AstNode, vmaKey: string, what: string, via: TraceStep[]): void {
  const lock = ev.state.mmapLockOfVma(vmaKey);
  if (!lock || (lock.state !== 'read' && lock.state !== 'none')) return;
  const has = lock.state === 'read' ? 'is held for read only' : 'is not held';
  context.report({
    node,
    function: ev.fn.name,
    message: `${what} needs the mmap write lock, but the mmap lock of \`${lock.display}\` ${has} here${lockWhere(ev, lock)}`,
    trace: [...vmaTrace(ev, lock.key, vmaKey, ev.step(node, `${what} here, with the mmap lock ${lock.state === 'read' ? 'held for read' : 'not held'}`)), ...via],
  });
}

/**
 * Any other field of a VMA stored under the mmap read lock alone: every thread holding the read
 * lock may store it at once (two faults lazily allocating `vma->numab_state` both store, and one
 * allocation is lost). Quiet when some other lock is held exclusively: the analysis does not know
 * which lock protects which field (`vma->anon_vma` is stored under the anon_vma lock and
 * page_table_lock), so any may be the field's. cmpxchg() is a call, not a store: the atomic publish
 * is right. WRITE_ONCE() is a store (src/engine/evaluate.ts): it stops tearing, not a racing writer.
 */
function racingStore(context: RuleContext, ev: WriteEvent, target: string): void {
  const lock = ev.state.mmapLockOfVma(ev.objectKey!);
  if (!lock || lock.state !== 'read') return;
  if (ev.state.heldKernelLocks().some((k) => k.mode === 'write' && k.kind !== 'atomic')) return;
  context.report({
    node: ev.node,
    function: ev.fn.name,
    message:
      `\`${target}\` is stored with the mmap lock of \`${lock.display}\` held for read only${lockWhere(ev, lock)} and no other lock held: ` +
      `every thread holding the read lock may store it at the same time, and one store is lost (a leaked allocation, a stale value); ` +
      `hold the lock that protects the field, or publish it atomically with cmpxchg()`,
    trace: vmaTrace(ev, lock.key, ev.objectKey!, ev.step(ev.node, `\`${target}\` stored here under the mmap read lock alone`)),
  });
}

/** Where a computed summary says the callee modifies the VMA (its definition), for the trace. */
function summaryStep(ev: CallEvent, argKey: string): TraceStep[] {
  const src = ev.api?.source;
  if (src?.kind !== 'summary' || !src.file || !src.line) return [];
  return [{ file: src.file, line: src.line, column: 1, message: `${ev.callee}() (defined here) modifies the VMA passed as \`${argKey}\` on every path (it write-locks it, changes its flags or writes its range, offset or protection), relying on its caller for the mmap write lock` }];
}

export const vmaWriteWithoutMmapWrite: Rule = {
  meta: {
    id: 'vma-write-without-mmap-write',
    severity: 'error',
    // A write to a field it checks, in any tree (the calls that modify a VMA are entries of the knowledge base).
    demand: { names: VMA_FIELDS_OF_ANY_TREE.map(fieldWrite) },
    shortDescription: 'A VMA is modified while the mmap lock is held for read only, or not held.',
    fullDescription:
      'Reports vma_start_write(), vm_flags_set/clear/mod/reset() (and helpers whose summary says they modify a VMA ' +
      'argument) and writes to vm_start, vm_end, vm_pgoff or vm_page_prot of a VMA on a path where the mmap lock of that ' +
      'VMA is known to be held for read only (also after mmap_write_downgrade()) or known not held. A VMA just created ' +
      'by vm_area_alloc()/vm_area_dup() is not in the tree yet: writing its fields is exempt. A direct write to ' +
      'vma->vm_flags is always reported where the tree declares the field const (6.3 on): it is written through the ' +
      'vm_flags_*() helpers; where it is a plain field (6.1), writing it is a change like the others. A VMA is an ' +
      'expression declared `struct vm_area_struct *` or a pointer the analysis tracks from a VMA lookup (nommu\'s ' +
      'struct vm_region also has vm_start/vm_end and is not one). A store to any other field of a VMA (an assignment or ' +
      'WRITE_ONCE(), which stops tearing but not a second writer) with the mmap lock held for read only and no other lock held ' +
      'exclusively is a race between the threads holding the read lock (two lazily allocating vma->numab_state both store, ' +
      'one allocation is lost): reported unless some other lock is held (the analysis does not know which lock protects which ' +
      'field, so any may be the one) or the value is published atomically with cmpxchg().',
    docs: {
      what:
        'A change to a VMA (its range, offset or protection, its flags, or vma_start_write()) on a path where the mmap lock ' +
        'of its mm is held for read only or not held; and any direct assignment to vma->vm_flags.',
      why:
        'Readers walk the VMA tree and read these fields under the mmap read lock; only the mmap write lock excludes them. ' +
        'vma_start_write() itself requires the mmap write lock (the VMA write lock is released with it), and ' +
        'vm_flags_set()/clear()/mod() call it. After mmap_write_downgrade() the lock is a read lock and every VMA write ' +
        'lock is gone. vm_flags is read-only: __vm_flags is changed through vm_flags_set()/clear()/mod()/reset(), which ' +
        'also take (or assert) the VMA write lock that per-VMA-lock readers rely on.',
      wrong: ['mmap_read_lock(mm);', 'vma = vma_lookup(mm, addr);', 'if (vma)', '\tvm_flags_set(vma, VM_LOCKED);', 'mmap_read_unlock(mm);'].join('\n'),
      right: ['mmap_write_lock(mm);', 'vma = vma_lookup(mm, addr);', 'if (vma)', '\tvm_flags_set(vma, VM_LOCKED);', 'mmap_write_unlock(mm);'].join('\n'),
    },
  },
  create(context) {
    // Where vm_flags is a plain field (6.1), a direct write is the way flags change: it needs the
    // mmap write lock like the other fields.
    const fields = vmaFieldsOf(context.tree);
    return {
      call(ev) {
        for (const i of modifiedVmaArgs(ev.api, ev.args)) {
          const arg = ev.args[i];
          const key = arg ? ev.keyOf(arg) : null;
          if (!key) continue;
          // A new VMA is not exempt here: vma_start_write() asserts the mmap write lock whatever the VMA.
          check(context, ev, ev.node, key, `${ev.callee}() on \`${key}\``, summaryStep(ev, key));
        }
      },
      write(ev) {
        if (!ev.arrow || !isVma(ev, ev.objectKey)) return;
        const target = `${ev.objectKey}->${ev.field}`;
        if (fields.readOnly.includes(ev.field)) {
          const lock = ev.state.mmapLockOfVma(ev.objectKey);
          const state = !lock || lock.state === 'unknown' ? '' : ` (the mmap lock of \`${lock.display}\` is ${lock.state === 'none' ? 'not held' : `held${lock.state === 'held' ? '' : ` for ${lock.state}`}`} here${lockWhere(ev, lock)})`;
          context.report({
            node: ev.node,
            function: ev.fn.name,
            message:
              `\`${target}\` is written directly: the field is read-only, use vm_flags_set()/vm_flags_clear()/vm_flags_mod()/vm_flags_reset(), ` +
              `which also take or assert the VMA write lock and need the mmap write lock${state}`,
            trace: lock && lock.state !== 'unknown' ? vmaTrace(ev, lock.key, ev.objectKey, ev.step(ev.node, `direct write to \`${target}\` here`)) : [ev.step(ev.node, `direct write to \`${target}\` here`)],
          });
          return;
        }
        if (isFreshVma(ev, ev.objectKey)) return;
        if (fields.mmapWrite.includes(ev.field)) check(context, ev, ev.node, ev.objectKey, `writing \`${target}\``, []);
        else racingStore(context, ev, target);
      },
    };
  },
};
