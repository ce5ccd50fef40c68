// unchecked-vma-lookup: a VMA lookup result used while it may be (or is) NULL.
import type { Rule } from './rule.js';
import { dereferencedThrough } from '../parse/ast.js';
import type { EventBase } from '../engine/events.js';
import type { AstNode } from '../parse/ast.js';
import type { RuleContext } from './rule.js';
import { firstUsePerLookup, lookupId } from './first-use.js';

interface Candidate {
  lookup: string;
  at: AstNode;
  report: () => void;
}

/**
 * A use of a lookup's result that may be NULL. One lookup is reported once, at its first such
 * use: the later dereferences of the same unchecked pointer follow from the same missing check.
 */
function check(pending: Candidate[], context: RuleContext, ev: EventBase, at: AstNode, key: string, how: string): void {
  const p = ev.state.pointer(key);
  if (!p || !p.nullable || p.nullness === 'nonnull' || p.nullness === 'unknown') return;
  if (p.escaped && p.nullness !== 'null') return;
  const message =
    p.nullness === 'null'
      ? `\`${key}\` is NULL on this path (${p.api}() returned NULL at line ${p.origin.line}) and is ${how}`
      : `\`${key}\` from ${p.api}() (line ${p.origin.line}) may be NULL and is ${how} without a check`;
  const trace = [p.origin, ...ev.state.trace([key]).filter((s) => s !== p.origin), ev.step(at, `\`${key}\` ${how} here`)];
  pending.push({ lookup: lookupId(key, p), at, report: () => context.report({ node: at, function: ev.fn.name, message, trace }) });
}

export const uncheckedVmaLookup: Rule = {
  meta: {
    id: 'unchecked-vma-lookup',
    severity: 'error',
    shortDescription: 'A VMA lookup result is used while it may be NULL.',
    fullDescription:
      'vma_lookup(), find_vma(), find_vma_intersection(), find_vma_prev(), vma_find(), vma_next(), vma_prev(), ' +
      'lock_vma_under_rcu() and lock_mm_and_find_vma() return NULL when there is no VMA (or the lock could not be taken). ' +
      'Reports a dereference of the result, or passing it to a function that dereferences it, on a path where it was ' +
      'not checked, or where it is certainly NULL (a failed fast path whose slow path never looked the VMA up again).',
    docs: {
      what: 'A pointer returned by a VMA lookup is dereferenced, or passed to a function that dereferences it, while it may be NULL on that path.',
      why:
        'An address with no mapping is ordinary user input: the lookup returns NULL and the dereference oopses the kernel. ' +
        'After lock_vma_under_rcu() fails, the fallback path must look the VMA up again under the mmap lock.',
      wrong: ['vma = vma_lookup(mm, addr);', 'if (vma->vm_flags & VM_LOCKED)', '\treturn -EBUSY;'].join('\n'),
      right: ['vma = vma_lookup(mm, addr);', 'if (!vma)', '\treturn -EFAULT;', 'if (vma->vm_flags & VM_LOCKED)', '\treturn -EBUSY;'].join('\n'),
    },
  },
  create(context) {
    const pending: Candidate[] = [];
    return {
      deref(ev) {
        // An assertion of an invariant, evaluated only by CONFIG_DEBUG_VM builds, states that the
        // pointer is valid there (`VM_WARN_ON(remove_next == 2 && end != next_next->vm_end)`).
        if (ev.debugOnly) return;
        check(pending, context, ev, ev.node, ev.pointerKey, 'dereferenced');
      },
      call(ev) {
        for (const i of ev.api?.derefsArgs ?? []) {
          const arg = ev.args[i];
          const key = arg ? ev.keyOf(dereferencedThrough(arg)) : null;
          if (arg && key) check(pending, context, ev, arg, key, `passed to ${ev.callee}(), which dereferences it`);
        }
      },
      functionExit() {
        for (const c of firstUsePerLookup(pending.splice(0))) c.report();
      },
    };
  },
};
