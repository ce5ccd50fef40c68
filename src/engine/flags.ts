// Lock flags a call reads or writes through a pointer argument: GUP's `int *locked` (set: the
// caller holds the mmap lock, which the callee may drop, clearing it) and drop flags such as
// `bool *lock_dropped` (set true by a callee that dropped the lock): the caller learns from the
// flag what the call did to the lock.

import { AstNode, addressOperand, stripParens } from '../parse/ast.js';
import { keyOf } from './keys.js';
import type { State } from './state.js';
import { V_ZERO } from './events.js';

/** The key of the flag an argument points to: x for `&x`, `*p` for `p`. */
export function flagKey(arg: AstNode): string | null {
  const e = stripParens(arg);
  const addressed = addressOperand(e);
  const k = keyOf(addressed ?? e);
  return k && (addressed ? k : `*${k}`);
}

/** Is the flag an argument points to known clear (`&x` with x known 0, `p` with `*p` known 0)? */
export function flagKnownClear(arg: AstNode, st: State): boolean {
  const k = flagKey(arg);
  return k !== null && st.getVal(k) === V_ZERO;
}

/**
 * The state where the flag an argument points to is set (or clear): null when the path knows
 * otherwise, the state itself when it knows already.
 */
export function flagRefined(arg: AstNode, st: State, set: boolean): State | null {
  const k = flagKey(arg);
  if (!k) return null;
  const bits = st.getVal(k);
  const want = set ? bits & ~V_ZERO : bits & V_ZERO;
  if (want === 0) return null;
  if (want === bits) return st;
  const c = st.clone();
  c.setVal(k, want);
  return c;
}
