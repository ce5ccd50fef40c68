// Range checks a function makes of a VMA it is given: whether it may compare the VMA's start with
// an address (ApiEntry.rangeCheck in its summary). A caller that hands such a helper a VMA from
// find_vma() and the lookup's address has the start checked there; one whose helper never looks
// at vm_start has not (madvise_dontneed_free_valid_vma() tests flags only).

import { AstNode, calleeName, callArgs, stripParens } from '../../parse/ast.js';
import type { ApiEntry } from '../../kb/lock-api.js';
import { VMA_POINTER_TYPE } from '../../kb/lock-api.js';
import { keyOf } from '../keys.js';

const COMPARISONS = new Set(['<', '<=', '>', '>=', '==', '!=']);

/**
 * May the function compare the start of one of its VMA parameters with something (not inside an
 * assertion: WARN_ON(), VM_BUG_ON()): a comparison
 * naming `vma->vm_start` (or a helper of it: vm_start_gap(vma)), a call given that VMA whose
 * callee range-checks (a knowledge-base range check, a summary that says so), or a callee not
 * known given the VMA and another parameter.
 */
export function mayRangeCheckParameter(fn: AstNode, params: readonly string[], typeOf: (name: string) => string | undefined, resolve: (name: string) => ApiEntry | undefined): boolean {
  const vmas = params.filter((p) => p && VMA_POINTER_TYPE.test(typeOf(p)?.trim() ?? ''));
  if (!vmas.length) return false;
  const body = fn.child('body');
  if (!body) return false;
  const startOf = vmas.map((v) => new RegExp(`\\b${v}\\s*->\\s*vm_start\\b|\\(\\s*${v}\\s*[,)]`));
  const stack: AstNode[] = [body];
  while (stack.length) {
    const x = stack.pop()!;
    if (x.type === 'binary_expression' && COMPARISONS.has(x.operator ?? '') && startOf.some((r) => r.test(x.text))) return true;
    if (x.type === 'call_expression') {
      const args = callArgs(x).map((a) => keyOf(stripParens(a)) ?? '');
      const name = calleeName(x);
      const api = name ? resolve(name) : undefined;
      // An assertion (`WARN_ON_ONCE(addr < vma->vm_start || ...)`) states that the VMA holds the
      // address: the function needs it so, it does not check it for its caller.
      if (api?.check || api?.assertsFalseArg !== undefined) continue;
      // A range check given the VMA; a callee not known given the VMA and another parameter (the
      // address, maybe), which it may compare.
      if (args.some((a) => vmas.includes(a)) && (api?.rangeCheck || (!api && args.some((a) => a && !vmas.includes(a) && params.includes(a))))) return true;
    }
    for (const c of x.namedChildren) stack.push(c);
  }
  return false;
}
