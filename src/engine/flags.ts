// Lock flags a call reads or writes through a pointer argument: GUP's `int *locked` (set: the
// caller holds the mmap lock, which the callee may drop, clearing it) and drop flags such as
// `bool *lock_dropped` (set true by a callee that dropped the lock): the caller learns from the
// flag what the call did to the lock.

import { AstNode, addressOperand, stripParens } from '../parse/ast.js';
import type { LockEffect } from '../kb/lock-api.js';
import { keyOf } from './keys.js';
import type { State } from './state.js';
import { pointeeEntryKey, V_ANY, V_ZERO } from './events.js';

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

/**
 * What a callee that reports a lock effect through a flag argument (LockEffect.flag) leaves in the
 * caller's flag: within flagBits where the effect `happened`, elsewhere as it was or as those paths
 * write it. Refines `st` (a private copy, after the call); false when the flag cannot tell: the
 * caller passes none, or one that may already read "happened" while the callee may leave it.
 */
export function refineFlag(effect: LockEffect, args: readonly AstNode[], before: State, st: State, happened: boolean): boolean {
  const arg = effect.flag !== undefined ? args[effect.flag] : undefined;
  const key = arg ? flagKey(arg) : null;
  const bits = effect.flagBits ?? V_ANY;
  if (!key || bits === V_ANY) return false;
  const was = before.getVal(key);
  // This function's own flag parameter, not written on this path yet: left as it was, it is left
  // as this function's caller passed it, which its summary says in the same terms.
  const param = key.startsWith('*') ? before.params.get(key.slice(1)) : undefined;
  const passedOn = param !== undefined && !before.vals.has(pointeeEntryKey(param));
  if (effect.flagKept && (was & bits) !== 0 && !passedOn) return false;
  if (happened) {
    st.setVal(key, bits);
    return true;
  }
  if (effect.flagKept && !effect.flagOtherBits) {
    st.setVal(key, was);
    if (passedOn) st.setVal(pointeeEntryKey(param), V_ANY);
  } else st.setVal(key, ((effect.flagKept ? was : 0) | (effect.flagOtherBits ?? 0)) || V_ANY & ~bits);
  return true;
}

/** The states after a 'flag-out' effect, where it happened and where not; null when the flag cannot tell. */
export function flagOutSplit(effect: LockEffect, args: readonly AstNode[], before: State, after: State): { happened: State; not: State } | null {
  const happened = after.clone();
  const not = after.clone();
  return refineFlag(effect, args, before, happened, true) && refineFlag(effect, args, before, not, false) ? { happened, not } : null;
}
