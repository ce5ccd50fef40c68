// Bounds computed from a looked-up VMA's start: `hole_end = min(end, vma->vm_start);`. A loop
// that walks the address up to such a bound (`for (; addr < hole_end; addr += PAGE_SIZE)`) and
// then uses the VMA has compared the address with vm_start as surely as `addr < vma->vm_start`
// would: the comparison counts as a range check (see markTestedFields in src/engine/models/pointers.ts).

import type { AstNode } from '../parse/ast.js';
import { mentions, type PointerFact, type State } from './state.js';

/**
 * After `key = rhs` (key's old facts already killed): when rhs reads the `vm_start` of a
 * looked-up VMA (directly, or through min()/max()/clamp() or any expression), key becomes one of
 * that lookup's start bounds, under every name of the lookup.
 */
export function noteStartBound(pathState: State, key: string, rhs: AstNode): void {
  if (!/^\w+$/.test(key) || pathState.ptrs.size === 0 || !rhs.text.includes('vm_start')) return;
  for (const [k, p] of [...pathState.ptrs]) {
    if (k === key || !p.addr || !mentions(rhs.text, `${k}->vm_start`)) continue;
    for (const [k2, q] of [...pathState.ptrs]) {
      if (q.origin === p.origin && !q.startBounds?.includes(key)) pathState.setPtr(k2, { ...q, startBounds: [...(q.startBounds ?? []), key].sort() });
    }
  }
}

/** Does this side of a comparison name a bound computed from the lookup's vm_start? */
export function isStartBound(p: PointerFact, side: AstNode): boolean {
  return !!p.startBounds?.some((b) => mentions(side.text, b));
}
