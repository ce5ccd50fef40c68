// find-vma-range: a find_vma() result used as the VMA containing the address without a vm_start check.
import type { Rule, RuleContext } from './rule.js';
import type { EventBase } from '../engine/events.js';
import type { AstNode } from '../parse/ast.js';
import { firstUsePerLookup, lookupId } from './first-use.js';
import { addressKey } from '../engine/addresses.js';

/** Fields that may be read to decide whether the VMA contains the address. */
const BOUNDARY_FIELDS = new Set(['vm_start', 'vm_end']);

/**
 * A use found on some path. Reported at the function's end, one per lookup (its first use: the
 * later ones follow from the same missing check); a use in a bail-out filter only when the
 * function never range-checks that lookup.
 */
interface Candidate {
  key: string;
  originLine: number;
  lookup: string;
  at: AstNode;
  filter: boolean;
  /** A bound checked by vm_end alone: reported only when the lookup has no other use to report. */
  endOnly: boolean;
  report: () => void;
}

/**
 * Is the node inside the condition of an `if`: a filter that bails out (`if (!valid_vma(vma))
 * goto out;`), or a test that picks which range check comes next (`if (vma->vm_private_data)
 * <check one way> else <check another>`)?
 */
function inIfCondition(at: AstNode): boolean {
  let child: AstNode = at;
  for (let p = at.parent; p; child = p, p = p.parent) {
    if (p.type === 'if_statement') return p.child('condition') === child;
    if (p.type.endsWith('_statement') && p.type !== 'expression_statement' && p.type !== 'parenthesized_expression') return false;
  }
  return false;
}

/**
 * `start` (a `p->vm_start` read) is subtracted from the lookup's address, in any of its forms:
 * `(addr & PAGE_MASK) - vma->vm_start`, the offset of the address in the VMA (fastrpc's DMA address).
 */
function offsetOfAddress(start: AstNode, addr: string): AstNode | null {
  let child = start;
  let p = start.parent;
  while (p && p.type === 'parenthesized_expression') {
    child = p;
    p = p.parent;
  }
  const left = p?.type === 'binary_expression' && p.operator === '-' && p.child('right') === child ? p.child('left') : null;
  return left && addressKey(left) === addr ? p : null;
}

/** Lookups (by the line of the call) some path of the function has range-checked. */
type RangeChecked = Set<number>;

function check(pending: Candidate[], checked: RangeChecked, context: RuleContext, ev: EventBase, at: AstNode, key: string, how: string, endOnly = false): void {
  const p = ev.state.pointer(key);
  if (!p || !p.mayStartAbove || p.nullness !== 'nonnull' || p.staleSince) return;
  if (p.tested.includes('vm_start')) {
    checked.add(p.origin.line);
    return;
  }
  const report = (): void => context.report({
    node: at,
    function: ev.fn.name,
    message:
      `\`${key}\` from ${p.api}() (line ${p.origin.line}) is ${how} as the VMA containing the address, but ${p.api}() ` +
      'returns the first VMA ending above it, which may start above it: no `vm_start` check on this path (use vma_lookup()?)',
    trace: [p.origin, ...ev.state.trace([key]).filter((s) => s !== p.origin), ev.step(at, `\`${key}\` ${how} here`)],
  });
  // A test in an `if` before the range check (a filter that bails out, a choice between two range
  // checks) is not a use as "the VMA containing the address": judged at the end, by whether the
  // function checks at all.
  pending.push({ key, originLine: p.origin.line, lookup: lookupId(key, p), at, filter: inIfCondition(at), endOnly, report });
}

export const findVmaRange: Rule = {
  meta: {
    id: 'find-vma-range',
    severity: 'warning',
    shortDescription: 'A find_vma() result is used as the VMA containing the address without checking vm_start.',
    fullDescription:
      'find_vma(mm, addr) returns the first VMA whose vm_end is above addr; that VMA may start above addr. Reports a ' +
      'use of the result (a field other than vm_start/vm_end, passing it on, or the offset of the address in it: ' +
      '`(addr & PAGE_MASK) - vma->vm_start`) on a path where no condition compared its vm_start, once per lookup (at its ' +
      'first such use). The address may be written in any form (masked to its page, untagged, rounded, cast, kept in a ' +
      'field): all are the lookup\'s address. vma_lookup() returns only a VMA that contains addr.',
    docs: {
      what: 'The VMA returned by find_vma()/find_vma_prev() is used on a path where its vm_start was never compared with the address.',
      why:
        'find_vma() is "the first VMA ending above addr", not "the VMA containing addr". Without a vm_start check the code ' +
        'acts on a mapping that does not cover the address: wrong permissions, wrong file, wrong page offset.',
      wrong: ['vma = find_vma(mm, addr);', 'if (!vma)', '\treturn -EFAULT;', 'if (vma->vm_flags & VM_WRITE)', '\treturn 0;'].join('\n'),
      right: ['vma = vma_lookup(mm, addr);', 'if (!vma)', '\treturn -EFAULT;', 'if (vma->vm_flags & VM_WRITE)', '\treturn 0;'].join('\n'),
    },
  },
  create(context) {
    const pending: Candidate[] = [];
    const checked: RangeChecked = new Set();
    return {
      deref(ev) {
        if (ev.field && BOUNDARY_FIELDS.has(ev.field)) {
          // Reading the bounds after a comparison: the lookup was range-checked on this path.
          const p = ev.state.pointer(ev.pointerKey);
          if (p?.tested.includes('vm_start')) checked.add(p.origin.line);
          // `addr - vma->vm_start`: the address's offset in the VMA, which assumes it contains it.
          else if (ev.field === 'vm_start' && p?.addr) {
            const offset = offsetOfAddress(ev.node, p.addr);
            if (offset) check(pending, checked, context, ev, offset, ev.pointerKey, "used for the address's offset in it");
          }
          // `if (!vma || addr + len > vma->vm_end) goto out;` bounds the range from above only: the
          // code goes on as if the VMA held it. Judged as a filter: only when the function never
          // compares vm_start.
          else if (ev.field === 'vm_end' && inIfCondition(ev.node)) check(pending, checked, context, ev, ev.node, ev.pointerKey, 'range-checked by its `vm_end` alone', true);
          return;
        }
        check(pending, checked, context, ev, ev.node, ev.pointerKey, 'used');
      },
      call(ev) {
        // A range check the knowledge base names (range_in_vma()) is no use of the VMA; a helper
        // whose summary only may compare its start is judged with the address (models/pointers.ts).
        if (ev.api && (ev.api.transparent || ev.api.errorTest || (ev.api.rangeCheck && ev.api.source?.kind !== 'summary') || ev.api.assertsFalseArg !== undefined)) return;
        for (const arg of ev.args) {
          const key = ev.keyOf(arg);
          if (key) check(pending, checked, context, ev, arg, key, `passed to ${ev.callee ?? 'a function'}()`);
        }
      },
      // Tests in an `if` before the function compares vm_start (`if (!vma || !valid_vma(vma))
      // goto out; if (vma->vm_start > addr) goto out;`) are reported only when it never does: no
      // use seen with the comparison made, no exit reached with it.
      functionExit(ev) {
        // A filter use needs every exit to decide; a function not analysed to its end has none.
        const unchecked = pending.splice(0).filter(
          (c) =>
            !c.filter ||
            (ev.complete &&
              !checked.has(c.originLine) &&
              !ev.exits.some((e) => {
                const p = e.state.pointer(c.key);
                return !!p && p.origin.line === c.originLine && p.tested.includes('vm_start');
              })),
        );
        checked.clear();
        const used = new Set(unchecked.filter((c) => !c.endOnly).map((c) => c.lookup));
        for (const c of firstUsePerLookup(unchecked.filter((c) => !c.endOnly || !used.has(c.lookup)))) c.report();
      },
    };
  },
};
