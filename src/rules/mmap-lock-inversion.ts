// mmap-lock-inversion: an ABBA deadlock against mmap_lock, as lockdep reports it ("possible
// circular locking dependency ... mmap_lock ... __might_fault"): a user access that can fault, or
// an mmap lock acquisition, while holding a lock class the run (or the kernel's documented order)
// also takes under mmap_lock; or taking a class documented above mmap_lock (i_rwsem) while holding
// the mmap lock or a VMA lock. Both halves are shown: this path, and where the other order comes
// from (src/engine/lock-order.ts judges the finding once the run knows every file's order).

import type { Rule } from './rule.js';
import type { EventBase, HeldKernelLock } from '../engine/events.js';
import type { AstNode } from '../parse/ast.js';
import type { TraceStep } from '../types.js';
import { DOCUMENTED_ORDER } from '../kb/kernel-locks.js';
import { MMAP_LOCK_CLASS } from '../engine/models/kernel-locks.js';
import { placeOf, userAccessAt } from './user-access.js';
import { mayFailWith } from '../engine/arg-conditions.js';

/** Classes the kernel's documented order ranks above mmap_lock (i_rwsem): held across a fault is their normal order. */
const ABOVE_MMAP = new Set(DOCUMENTED_ORDER.filter((d) => d.to === MMAP_LOCK_CLASS).map((d) => d.from));

/**
 * Whether the documented order `cls` -> mmap_lock holds in this function: not where it is the
 * handler of a table that lacks the methods the order comes from (DocumentedOrder.onlyWithMethods:
 * i_rwsem in the .mmap of a file system that cannot be written).
 */
function documentedAboveHere(ev: EventBase, cls: string): boolean {
  const table = ev.fn.entryContext?.table;
  if (!table) return true;
  return DOCUMENTED_ORDER.some((d) => d.from === cls && d.to === MMAP_LOCK_CLASS && (!d.onlyWithMethods || d.onlyWithMethods.table !== table.struct || d.onlyWithMethods.methods.some((m) => table.methods.includes(m))));
}

/** The held kernel locks whose class could be below mmap_lock (named, not ranked above it). */
function heldBelowCandidates(ev: EventBase): HeldKernelLock[] {
  return ev.state.heldKernelLocks().filter((l) => l.cls !== null && !ABOVE_MMAP.has(l.cls));
}

/** The mmap lock or a VMA lock held on the path, for messages. */
function heldMmSide(ev: EventBase): { display: string; what: string; origin: TraceStep | null; key: string } | null {
  const mm = ev.state.heldMmapLocks()[0];
  if (mm) return { display: mm.display, what: `the mmap ${mm.state === 'held' ? '' : `${mm.state} `}lock`, origin: mm.origin, key: mm.key };
  const vma = ev.state.heldVmaLocks()[0];
  return vma ? { display: vma.display, what: 'the VMA read lock', origin: vma.origin, key: vma.key } : null;
}

/** A held lock as messages name it: the expression, with its class when that says more (`rt->m` (struct rt::m)). */
function lockLabel(display: string, cls: string, key: string): string {
  // A class the call fixes (inode_lock(): i_rwsem) is the lock of the object named.
  if (key.includes('@')) return `${cls} of \`${display}\``;
  return cls === display || cls.startsWith(`${display} (`) ? `\`${display}\`` : `\`${display}\` (${cls})`;
}

export const mmapLockInversion: Rule = {
  meta: {
    id: 'mmap-lock-inversion',
    severity: 'error',
    shortDescription: 'A lock order against mmap_lock that lockdep would call a circular dependency.',
    fullDescription:
      'Reports a user access that can fault (or an mmap lock acquisition) while holding a lock that is also taken ' +
      'under mmap_lock: in a mmap_read_lock()/mmap_write_lock() region, in a ->mmap file operation or a ' +
      'vm_operations_struct callback (->fault, ->page_mkwrite, ...), or in their callees, in any file of the run, or by ' +
      "the kernel's documented mm lock order (mm/rmap.c, mm/filemap.c); and taking a lock the documented order ranks " +
      'above mmap_lock (i_rwsem) while holding the mmap lock or a VMA lock (not in the ->mmap of a file_operations with ' +
      'neither .write nor .write_iter: lockdep keys i_rwsem by file system, and the order comes from the write path). ' +
      'Lock classes are named as lockdep names ' +
      'them: a lock reached through a pointer by structure type and field, a global lock by its name.',
    docs: {
      what:
        'A lock L held while something takes mmap_lock (a page fault on user memory, mmap_read_lock()), where elsewhere L is ' +
        'taken while mmap_lock is held (a ->fault or ->mmap handler, an mmap_lock region, the documented mm lock order); ' +
        'or i_rwsem taken under mmap_lock. The finding shows both orders.',
      why:
        'One task holds L and faults, which takes mmap_lock; another holds mmap_lock (the fault path calls ->fault with it) ' +
        'and takes L: an ABBA deadlock, which lockdep reports as a possible circular locking dependency only on paths a ' +
        'test happened to run. Copy user data before taking L or after dropping it, or copy into a kernel buffer under L.',
      wrong: [
        'static vm_fault_t dev_fault(struct vm_fault *vmf)',
        '{',
        '\tstruct dev_state *st = vmf->vma->vm_private_data;',
        '',
        '\tmutex_lock(&st->buf_mutex);',
        '\tvmf->page = st->page;',
        '\tget_page(vmf->page);',
        '\tmutex_unlock(&st->buf_mutex);',
        '\treturn 0;',
        '}',
        '',
        'static const struct vm_operations_struct dev_vm_ops = {',
        '\t.fault = dev_fault,',
        '};',
        '',
        'static long dev_get(struct dev_state *st, void *ubuf)',
        '{',
        '\tlong ret = 0;',
        '',
        '\tmutex_lock(&st->buf_mutex);',
        '\tif (copy_to_user(ubuf, st->buf, st->len))',
        '\t\tret = -EFAULT;',
        '\tmutex_unlock(&st->buf_mutex);',
        '\treturn ret;',
        '}',
      ].join('\n'),
      right: [
        'static vm_fault_t dev_fault(struct vm_fault *vmf)',
        '{',
        '\tstruct dev_state *st = vmf->vma->vm_private_data;',
        '',
        '\tmutex_lock(&st->buf_mutex);',
        '\tvmf->page = st->page;',
        '\tget_page(vmf->page);',
        '\tmutex_unlock(&st->buf_mutex);',
        '\treturn 0;',
        '}',
        '',
        'static const struct vm_operations_struct dev_vm_ops = {',
        '\t.fault = dev_fault,',
        '};',
        '',
        'static long dev_get(struct dev_state *st, void *ubuf, char *kbuf)',
        '{',
        '\tsize_t len;',
        '',
        '\tmutex_lock(&st->buf_mutex);',
        '\tlen = st->len;',
        '\tmemcpy(kbuf, st->buf, len);',
        '\tmutex_unlock(&st->buf_mutex);',
        '\treturn copy_to_user(ubuf, kbuf, len) ? -EFAULT : 0;',
        '}',
      ].join('\n'),
    },
  },
  create(context) {
    /** `what` happens at `node` while each held lock that could be below mmap_lock is held: one finding per class, if the run orders it below. */
    const underHeld = (ev: EventBase, node: AstNode, what: string, steps: TraceStep[], dropped?: ReadonlySet<string>): void => {
      for (const l of heldBelowCandidates(ev)) {
        // A helper that releases the lock (or drops it for a while) may make its access without it.
        if (dropped?.has(l.key)) continue;
        const where = ` (taken at ${placeOf(l.origin, ev.file)})`;
        context.report({
          node,
          function: ev.fn.name,
          message: `${what} while ${lockLabel(l.display, l.cls!, l.key)} is held${where}: that orders ${l.cls} before mmap_lock`,
          trace: [...ev.state.trace([l.traceKey]), ...steps],
          ifOrder: { from: MMAP_LOCK_CLASS, to: l.cls! },
        });
      }
    };
    /** A class ranked above mmap_lock taken while the mmap lock or a VMA lock is held. */
    const aboveUnderMm = (ev: EventBase, node: AstNode, cls: string, what: string, steps: TraceStep[]): void => {
      const mm = heldMmSide(ev);
      if (!mm || !documentedAboveHere(ev, cls)) return;
      const where = mm.origin ? ` (taken at ${placeOf(mm.origin, ev.file)})` : '';
      context.report({
        node,
        function: ev.fn.name,
        message: `${what} while ${mm.what} of \`${mm.display}\` is held${where}: that orders mmap_lock before ${cls}`,
        trace: [...ev.state.trace([mm.key]), ...steps],
        ifOrder: { from: cls, to: MMAP_LOCK_CLASS },
      });
    };
    return {
      call(ev) {
        const access = userAccessAt(ev);
        // In atomic context the fault handler takes no lock (faulthandler_disabled()): the access
        // fails fast, or sleeps where it must not (user-access-in-atomic).
        if (access) {
          const atomic = ev.state.atomicContext(ev.dropsKernelLocks);
          if (!atomic) underHeld(ev, ev.node, `${ev.callee}() can fault on user memory${access.through}, which takes mmap_lock,`, [ev.step(ev.node, `${ev.callee}() may fault here`), ...access.via], ev.dropsKernelLocks);
        } else if (ev.api?.takesMmapLock?.length && mayFailWith(ev.api.takesMmapLockWhen, ev.args)) {
          const via = ev.api.takesMmapLock;
          underHeld(ev, ev.node, `${ev.callee}() takes the mmap lock (${placeOf(via[via.length - 1], ev.file)})`, [ev.step(ev.node, `${ev.callee}() called here`), ...via], ev.dropsKernelLocks);
        }
        for (const a of ev.api?.acquires ?? []) {
          if (!ABOVE_MMAP.has(a.cls) || !mayFailWith(a.when, ev.args)) continue;
          aboveUnderMm(ev, ev.node, a.cls, `${ev.callee}() takes ${a.cls} (${placeOf(a.via[a.via.length - 1], ev.file)})`, [ev.step(ev.node, `${ev.callee}() called here`), ...a.via]);
        }
      },
      lockOp(ev) {
        if (ev.lock !== 'mmap' || ev.op !== 'acquire' || ev.trylock) return;
        underHeld(ev, ev.node, `${ev.callee}() takes the mmap lock of \`${ev.display}\``, [ev.step(ev.node, `mmap lock taken here`)]);
      },
      kernelLock(ev) {
        if (!ev.cls || ev.trylock || ev.nested || !ABOVE_MMAP.has(ev.cls)) return;
        aboveUnderMm(ev, ev.node, ev.cls, `${lockLabel(ev.display, ev.cls, ev.key)} is taken`, [ev.origin]);
      },
    };
  },
};
