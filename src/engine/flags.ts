// Lock flags a call reads or writes through a pointer argument: GUP's `int *locked` (set: the
// caller holds the mmap lock, which the callee may drop, clearing it) and drop flags such as
// `bool *lock_dropped` (set true by a callee that dropped the lock): the caller learns from the
// flag what the call did to the lock.

import { AstNode, addressOperand, stripParens } from '../parse/ast.js';
import type { ApiEntry, LockEffect } from '../kb/lock-api.js';
import { applyPath, keyOf } from './keys.js';
import { snapshotField } from './out-values.js';
import type { State } from './state.js';
import { argumentBits } from './arg-conditions.js';
import { V_ANY, V_ZERO } from './events.js';

/** The key of the flag an argument points to: x for `&x`, `*p` for `p`. */
export function flagKey(arg: AstNode): string | null {
  const e = stripParens(arg);
  const addressed = addressOperand(e);
  const k = keyOf(addressed ?? e);
  return k && (addressed ? k : `*${k}`);
}

/** `NULL` (or `0`) given for a flag pointer: the callee has no flag to read. */
function isNullPointer(arg: AstNode): boolean {
  return argumentBits(arg) === V_ZERO;
}

/** Is the flag an argument points to known clear (`&x` with x known 0, `p` with `*p` known 0)? */
export function flagKnownClear(arg: AstNode, pathState: State): boolean {
  // No flag at all (GUP's `locked` NULL: "the mmap_lock is held throughout and not dropped").
  if (isNullPointer(arg)) return true;
  const k = flagKey(arg);
  return k !== null && pathState.getVal(k) === V_ZERO;
}

/**
 * The state where the flag an argument points to is set (or clear): null when the path knows
 * otherwise, the state itself when it knows already.
 */
export function flagRefined(arg: AstNode, pathState: State, set: boolean): State | null {
  if (isNullPointer(arg)) return set ? null : pathState;
  const k = flagKey(arg);
  if (!k) return null;
  const bits = pathState.getVal(k);
  const want = set ? bits & ~V_ZERO : bits & V_ZERO;
  if (want === 0) return null;
  if (want === bits) return pathState;
  const c = pathState.clone();
  c.setVal(k, want);
  return c;
}

/**
 * What a callee that reports a lock effect through a flag argument (LockEffect.flag) leaves in the
 * caller's flag: within flagBits where the effect `happened`, elsewhere as it was or as those paths
 * write it. Refines `st` (a private copy, after the call); false when the flag cannot tell: the
 * caller passes none, or one that may already read "happened" while the callee may leave it.
 */
export function refineFlag(effect: LockEffect, args: readonly AstNode[], before: State, pathState: State, happened: boolean): boolean {
  const arg = effect.flag !== undefined ? args[effect.flag] : undefined;
  const key = arg ? flagKey(arg) : null;
  const bits = effect.flagBits ?? V_ANY;
  if (!key || bits === V_ANY) return false;
  const was = before.getVal(key);
  // This function's own flag parameter, not written on this path yet: left as it was, it is left
  // as this function's caller passed it, which its summary says in the same terms.
  const param = key.startsWith('*') ? before.params.get(key.slice(1)) : undefined;
  const passedOn = param !== undefined && !before.pointeeEntry.has(param);
  if (effect.flagKept && (was & bits) !== 0 && !passedOn) return false;
  if (happened) {
    pathState.setVal(key, bits);
    return true;
  }
  if (effect.flagKept && !effect.flagOtherBits) {
    pathState.setVal(key, was);
    if (passedOn) pathState.forgetPointeeEntry(param);
  } else pathState.setVal(key, ((effect.flagKept ? was : 0) | (effect.flagOtherBits ?? 0)) || V_ANY & ~bits);
  return true;
}

/** The states after a 'flag-out' effect, where it happened and where not; null when the flag cannot tell. */
export function flagOutSplit(effect: LockEffect, args: readonly AstNode[], before: State, after: State): { happened: State; not: State } | null {
  const happened = after.clone();
  const not = after.clone();
  return refineFlag(effect, args, before, happened, true) && refineFlag(effect, args, before, not, false) ? { happened, not } : null;
}

/** The caller's key of a flag at a path from an argument (`$->lock_ctx.mmap_locked` with `priv`). */
function fieldFlagKey(flag: { target: number; path: string }, args: readonly AstNode[]): string | null {
  const arg = args[flag.target];
  const k = arg ? keyOf(stripParens(arg)) : null;
  return k ? applyPath(flag.path, k) : null;
}

/** Does the caller's flag say the effect cannot happen (LockEffect.ifFlag)? */
export function fieldFlagExcludes(effect: LockEffect, args: readonly AstNode[], pathState: State): boolean {
  const key = effect.ifFlag ? fieldFlagKey(effect.ifFlag, args) : null;
  if (!key) return false;
  const bits = pathState.getVal(key);
  return effect.ifFlag!.set ? bits === V_ZERO : (bits & V_ZERO) === 0;
}

/** The caller's flag says the effect happens, and the flag decides it (LockEffect.ifFlag.exact). */
export function fieldFlagDecides(effect: LockEffect, args: readonly AstNode[], pathState: State): boolean {
  const key = effect.ifFlag?.exact ? fieldFlagKey(effect.ifFlag, args) : null;
  if (!key) return false;
  const bits = pathState.getVal(key);
  return effect.ifFlag!.set ? (bits & V_ZERO) === 0 : bits === V_ZERO;
}

/**
 * For an effect the flag decides, and a caller whose flag is not known: the caller's state with the
 * flag set, and with it clear (null when the caller knows it or passes no structure).
 */
export function fieldFlagSplit(effect: LockEffect, args: readonly AstNode[], pathState: State, nonNull: (key: string) => boolean): State[] | null {
  const key = effect.ifFlag?.exact ? fieldFlagKey(effect.ifFlag, args) : null;
  if (!key) return null;
  const bits = pathState.getVal(key);
  if (bits === V_ZERO || (bits & V_ZERO) === 0) return null;
  const set = pathState.clone();
  set.setVal(key, bits & ~V_ZERO);
  // The flag is a VMA the path holds locked (`state->vma`): it is not NULL.
  if (nonNull(key)) return [set];
  const clear = pathState.clone();
  clear.setVal(key, V_ZERO);
  return [set, clear];
}

/** The flags a callee leaves in its arguments' structures (ApiEntry.leavesFlags), in a private copy of the caller's state. */
export function leaveFieldFlags(api: ApiEntry, args: readonly AstNode[], pathState: State, canonical: (key: string) => string, params: readonly string[]): State {
  let out = pathState;
  for (const f of api.leavesFlags ?? []) {
    const key = fieldFlagKey(f, args);
    if (!key) continue;
    if (out === pathState) out = pathState.clone();
    snapshotField(out, canonical(key), key, params);
    out.kill(key);
    out.setVal(key, f.bits);
  }
  return out;
}
