// The VMA pointer model: facts about pointers that came from a VMA lookup or an iterator
// (State.ptrs): where they came from, which fields a branch tested, the locks that keep them
// alive, whether they were stored where other code sees them; and what makes a function worth
// analysing for the model (`pointerDemand()`, for src/engine/demand.ts).

import { AstNode, calleeName, callArgs, stripParens } from '../../parse/ast.js';
import { VMA_ITERATORS, VMA_POINTER_TYPE, VMA_STRUCT_TAG, type ApiEntry } from '../../kb/lock-api.js';
import type { TraceStep } from '../../types.js';
import { isLockOf } from '../lock-keys.js';
import type { DemandNames } from '../demand-names.js';
import { keyOf } from '../keys.js';
import { mentions, type State, type PointerFact } from '../state.js';
import { V_ZERO } from '../events.js';
import type { FunctionContext } from '../context.js';
import { isStartBound } from '../start-bounds.js';
import { NONZERO } from '../values.js';
import { heldLockKeys } from './lock-queries.js';
import { addressBase, addressKey, mentionsAddress } from '../addresses.js';

/**
 * What makes a function worth analysing for the VMA pointer model: a VMA iterator (its cursor is
 * a VMA the model tracks); and what makes it a function that takes a VMA (`vm_area_struct`), whose
 * callers read which VMA arguments it dereferences.
 */
export function pointerDemand(): DemandNames {
  return { names: Object.keys(VMA_ITERATORS), vmaNames: [VMA_STRUCT_TAG] };
}

/** The argument of an iterator macro that is its VMA cursor (`for_each_vma(vmi, vma)`: vma). */
function vmaCursor(macro: AstNode, args: AstNode[]): AstNode | undefined {
  const name = calleeName(macro);
  const index = name ? VMA_ITERATORS[name] : undefined;
  return index === undefined ? undefined : args[index];
}

function cursorFact(context: FunctionContext, macro: AstNode, state: State): PointerFact {
  const name = calleeName(macro) ?? 'iterator';
  const rcuOnly = unlockedRcuSection(context, state);
  return { api: name, addr: null, nullable: true, mayStartAbove: false, origin: context.step(macro, `${name}() leaves its cursor NULL when it runs out`, 'lookup'), tested: [], lockedBy: heldLockKeys(state), staleSince: null, ...(rcuOnly ? { rcuOnly } : {}) };
}

/**
 * A VMA found here is found under RCU only: the path is in an RCU read-side section, holds no mmap
 * or VMA lock nor may hold one it knows of (nothing unknown), and the function shows it runs
 * without its caller's mmap lock: it takes the mmap lock or a VMA lock itself (the lockless fast
 * path and its fallback), or the path knows an mmap lock not held. A helper that only enters an
 * RCU section tells nothing of what its callers hold. The step where the innermost section began.
 */
function unlockedRcuSection(context: FunctionContext, state: State): TraceStep | undefined {
  const section = state.rcuSections[state.rcuSections.length - 1];
  if (!section) return undefined;
  let knownFree = false;
  for (const [k, l] of state.locks) {
    if (!isLockOf(k, 'mmap') && !isLockOf(k, 'vma')) continue;
    if (l.state !== 'none') return undefined;
    if (isLockOf(k, 'mmap')) knownFree = true;
  }
  return knownFree || context.takesMmOrVmaLock() ? section : undefined;
}

/**
 * An iterator macro assigns its arguments: each identifier argument gets `value` (or an unknown
 * value, null), its VMA cursor `cursorValue` and the fact of a VMA from the iterator.
 */
function iteratorAssigns(context: FunctionContext, macro: AstNode, args: AstNode[], state: State, cursorValue: number, value: number | null): State {
  const next = state.clone();
  const cursor = vmaCursor(macro, args);
  for (const a of args) {
    const k = keyOf(a);
    if (!k || a.type !== 'identifier') continue;
    next.kill(k);
    const assigned = a === cursor ? cursorValue : value;
    if (assigned !== null) next.setVal(k, assigned);
    if (a === cursor) next.setPtr(k, cursorFact(context, macro, next));
  }
  return next;
}

/** One iteration starts: the macro assigns its arguments; a VMA cursor is a VMA, not NULL. */
export function iterationBegins(context: FunctionContext, macro: AstNode, args: AstNode[], state: State): State {
  return iteratorAssigns(context, macro, args, state, NONZERO, NONZERO);
}

/** The loop ran out: a VMA cursor is NULL now; other arguments hold unknown values. */
export function iterationEnds(context: FunctionContext, macro: AstNode, args: AstNode[], state: State): State {
  return iteratorAssigns(context, macro, args, state, V_ZERO, null);
}

/**
 * A branch that reads `p->field` where p came from a lookup: the field was tested on this path.
 * A branch that relates the looked-up VMA to the address it was looked up with (a predicate
 * taking both, or a comparison of a value derived from the VMA with one derived from the
 * address) tests its boundaries: `vm_start` counts as tested.
 */
export function markTestedFields(context: FunctionContext, n: AstNode, state: State): State {
  if (state.ptrs.size === 0) return state;
  let out = state;
  const mark = (k: string, field: string): void => {
    const p = out.ptrs.get(k);
    if (!p || p.tested.includes(field)) return;
    if (out === state) out = state.clone();
    for (const [k2, q] of [...out.ptrs]) {
      if (q.origin === p.origin && !q.tested.includes(field)) out.setPtr(k2, { ...q, tested: [...q.tested, field].sort() });
    }
  };
  const stack = [n];
  while (stack.length) {
    const x = stack.pop()!;
    if (x.type === 'field_expression' && x.operator === '->') {
      const arg = x.child('argument');
      const field = x.child('field');
      const k = arg ? keyOf(arg) : null;
      if (k && field && out.ptrs.has(k)) mark(k, field.text);
    }
    if (x.type === 'call_expression') markRangeChecked(context, x, out, mark);
    if (x.type === 'binary_expression' && ['<', '<=', '>', '>='].includes(x.operator ?? '')) markStartCompared(x, out, mark);
    for (const child of x.children) stack.push(child);
  }
  return out;
}

/** A call given a looked-up VMA and its address (or a range check of the VMA): its start was tested. */
function markRangeChecked(context: FunctionContext, call: AstNode, state: State, mark: (k: string, field: string) => void): void {
  const name = calleeName(call);
  const api = name ? context.resolve(name) : undefined;
  const args = callArgs(call);
  for (const a of args) {
    const k = keyOf(stripParens(a));
    const p = k ? state.ptrs.get(k) : undefined;
    if (!k || !p) continue;
    // A helper analysed here whose body never compares its VMA's start does not check it for us.
    // One whose summary may compare it checks it only against an address it is given (the
    // lookup's); a knowledge-base range check (range_in_vma()) is one by its name.
    const summary = api?.source?.kind === 'summary';
    if ((api?.rangeCheck && !summary && a === args[0]) || ((!summary || api.rangeCheck) && p.addr && args.some((b) => b !== a && mentionsAddress(b, p.addr!)))) mark(k, 'vm_start');
  }
}

/** A comparison of the VMA's start (or a bound from it) with its lookup address: its start was tested. */
function markStartCompared(x: AstNode, state: State, mark: (k: string, field: string) => void): void {
  const l = x.child('left');
  const r = x.child('right');
  for (const [k, p] of [...state.ptrs]) {
    if (!p.addr || !l || !r) continue;
    // The VMA side must be about its start: `vma->vm_start` or a helper given the VMA
    // (vm_start_gap(vma)); `vma->vm_end` alone says nothing about where it starts.
    const aboutStart = (side: AstNode): boolean =>
      mentions(side.text, `${k}->vm_start`) || new RegExp(`\\(\\s*${k.replace(/[^\w]/g, (c) => `\\${c}`)}\\s*[,)]`).test(side.text);
    if (((aboutStart(l) || isStartBound(p, l)) && mentionsAddress(r, p.addr)) || ((aboutStart(r) || isStartBound(p, r)) && mentionsAddress(l, p.addr))) mark(k, 'vm_start');
  }
}

/** An address that is a VMA's end or 0 (or a choice between such): where the next VMA starts from. */
function isNextVmaAddress(e: AstNode): boolean {
  const n = addressBase(e);
  if (n.type === 'number_literal') return /^0+[uUlL]*$/.test(n.text);
  if (n.type === 'field_expression') return n.child('field')?.text === 'vm_end';
  if (n.type === 'conditional_expression') {
    const a = n.child('consequence');
    const b = n.child('alternative');
    return !!a && !!b && isNextVmaAddress(a) && isNextVmaAddress(b);
  }
  return false;
}

/** The VMA a call returns (a lookup, an allocation), protected by the locks held before the call's own lock effects. */
export function returnedPointer(context: FunctionContext, name: string, api: ApiEntry, n: AstNode, args: AstNode[], state: State): PointerFact | undefined {
  if (!api.returnsVma && !api.returnsNullable) return undefined;
  // At a VMA's end or at 0 the lookup asks for the next VMA (`next = find_vma(mm, vma->vm_end)`,
  // `find_vma(mm, 0)`, the first one): one starting above the address is what it wants.
  const walk = !!api.mayStartAbove && !!args[1] && isNextVmaAddress(args[1]);
  const addrArg = api.mayStartAbove && !walk ? args[1] : undefined;
  // The address in any of its forms (`untagged_addr(addr) & PAGE_MASK`): the key of the address itself.
  const addr = addrArg ? addressKey(addrArg) : null;
  const what = api.returnsNullable ? 'may return NULL' : api.freshVma ? 'returns a new VMA, not yet in the tree' : 'returns a VMA';
  // A lookup the knowledge base describes (a VMA a summary returns may come locked: not known).
  const rcuOnly = api.source?.kind !== 'summary' && !api.freshVma ? unlockedRcuSection(context, state) : undefined;
  return {
    api: name,
    addr,
    nullable: !!api.returnsNullable,
    mayStartAbove: !!api.mayStartAbove && !walk,
    origin: context.step(n, `${name}() ${what}`, 'lookup'),
    tested: [],
    lockedBy: heldLockKeys(state),
    staleSince: null,
    fresh: api.freshVma,
    ...(rcuOnly ? { rcuOnly } : {}),
    ...(api.treeEntry ? { treeEntry: true } : {}),
  };
}

/** `key = <a looked-up VMA>` on `copy`: key points to it now; stored where other code sees it, it escapes. */
export function assignPointer(context: FunctionContext, copy: State, key: string, ptr: PointerFact): void {
  // An entry of a maple tree walk is a VMA only where the code says so by its type.
  if (ptr.treeEntry && !VMA_POINTER_TYPE.test(context.typeOf(key)?.trim() ?? '')) return;
  const stored = /[.>*[]/.test(key);
  if (stored && ptr.nullable && !ptr.escaped) {
    // Stored where other code sees it: a NULL check may happen there, out of our sight.
    for (const [k, p] of [...copy.ptrs]) if (p.origin === ptr.origin) copy.setPtr(k, { ...p, escaped: true });
    copy.setPtr(key, { ...ptr, escaped: true });
  } else {
    copy.setPtr(key, ptr);
  }
}
