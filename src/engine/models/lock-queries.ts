// The lock model's names and questions: the key a lock call acts on, how it is shown, which mmap
// lock protects a VMA, and what a path's lock facts say (a lock its caller held was let go).
// Nothing here changes a state; src/engine/models/locks.ts does.

import { AstNode, stripParens } from '../../parse/ast.js';
import type { LockEffect } from '../../kb/lock-api.js';
import { lockClass, lockDisplayName, type LockClass } from '../../kb/lock-classes.js';
import { applyPath, keyOf } from '../keys.js';
import type { LockStateName } from '../events.js';
import { isForgottenKey, isLockOf, lockKeyFor, type LockKey } from '../lock-keys.js';
import type { State } from '../state.js';
import type { FunctionContext } from '../context.js';
import { oneLine } from '../values.js';

export { forgottenKey } from '../lock-keys.js';

/** Lock key of the object a lock call acts on, or null when it is not an mmap/VMA lock. */
export function lockKey(context: FunctionContext, effect: LockEffect, target: AstNode): LockKey | null {
  let expr = stripParens(target);
  if (effect.rawRwsem) {
    const base = rwsemOwner(expr, effect.lock);
    if (!base || !mayBeMm(context, base, effect.lock)) return null;
    expr = base;
  }
  const k = keyOf(expr);
  return k ? lockKeyFor(effect.lock, context.canonical(effect.path ? applyPath(effect.path, k) : k)) : null;
}

/**
 * Can the owner of a field named like the mm's rwsem be an mm? Not a variable the function
 * declares as another structure (videobuf2's queue has a mutex called `mmap_lock`).
 */
function mayBeMm(context: FunctionContext, owner: AstNode, lock: LockClass): boolean {
  const ownerStruct = lockClass(lock).rwsem?.ownerStruct;
  if (ownerStruct === undefined || owner.type !== 'identifier') return true;
  const struct = /^(?:const\s+)?struct\s+(\w+)/.exec(context.typeOf(owner.text) ?? '')?.[1];
  return struct === undefined || struct === ownerStruct;
}

/**
 * For a raw rwsem argument, the object whose lock it is (the class's declared rwsem field or path):
 * `&mm->mmap_lock` -> `mm`, `&vma->vm_lock->lock` -> `vma`; null for any other rwsem.
 */
export function rwsemOwner(arg: AstNode, lock: LockClass): AstNode | null {
  const rwsem = lockClass(lock).rwsem;
  const e = stripParens(arg);
  if (!rwsem || e.type !== 'pointer_expression' || e.operator !== '&') return null;
  let f: AstNode | null = stripParens(e.child('argument')!);
  if (rwsem.fields) {
    if (f.type !== 'field_expression' || !rwsem.fields.includes(f.child('field')?.text ?? '')) return null;
    return f.child('argument');
  }
  const path = [...(rwsem.path ?? [])].reverse();
  for (const name of path) {
    if (!f || f.type !== 'field_expression' || f.child('field')?.text !== name) return null;
    f = f.child('argument') ? stripParens(f.child('argument')!) : null;
  }
  return f;
}

export function lockName(effect: LockEffect): string {
  return lockDisplayName(effect.lock, effect.mode);
}

/** The lock object as written at the call (`vma->vm_mm` for a callee that takes `$->vm_mm` of `vma`). */
export function displayOf(effect: LockEffect, target: AstNode): string {
  const t = effect.rawRwsem ? rwsemOwner(target, effect.lock) ?? target : stripParens(target);
  const text = oneLine(t.text);
  if (effect.path && /^&[\w>.-]+$/.test(text)) return applyPath(effect.path, text);
  return effect.path ? effect.path.replace('$', /^[\w>.-]+$/.test(text) ? text : `(${text})`) : text;
}

/**
 * The mmap lock that protects a VMA: that of `<vma>->vm_mm` when the path knows it, else the one
 * mmap lock the path knows anything about (a function works on one mm at a time).
 */
export function mmapLockOfVma(context: FunctionContext, vmaKey: string, state: State): { key: LockKey; state: LockStateName } | null {
  const own = lockKeyFor('mmap', context.canonical(lockClass('mmap').instance.ofVma!.replace('$', vmaKey)));
  const fact = state.locks.get(own);
  if (fact && fact.state !== 'unknown') return { key: own, state: fact.state };
  let found: { key: LockKey; state: LockStateName } | null = null;
  for (const [k, l] of state.locks) {
    if (!isLockOf(k, 'mmap') || isForgottenKey(k) || l.state === 'unknown') continue;
    if (found) return null;
    found = { key: k, state: l.state };
  }
  return found ?? (fact ? { key: own, state: fact.state } : null);
}

/**
 * A callee that releases (or may release, or downgrades, or needs) the mmap lock of a VMA it is
 * given (`$->vm_mm`) acts on the lock of the mm that VMA belongs to: the one the path knows it
 * by (`mm`, the VMA found in it), when the path knows nothing of `vma->vm_mm` itself.
 */
export function ownMmapLock(context: FunctionContext, effect: LockEffect, target: AstNode, state: State): { key: LockKey; display: string } | null {
  const ofVma = lockClass(effect.lock).instance.ofVma;
  if (ofVma === undefined || effect.path !== ofVma || effect.op === 'acquire') return null;
  const vma = keyOf(stripParens(target));
  const found = vma ? mmapLockOfVma(context, vma, state) : null;
  const fact = found ? state.locks.get(found.key) : undefined;
  return found && fact ? { key: found.key, display: fact.display } : null;
}

/** Keys of the locks held on the path (what a VMA looked up now is protected by). */
export function heldLockKeys(state: State): LockKey[] {
  return [...state.locks.entries()].filter(([, l]) => l.state === 'read' || l.state === 'write' || l.state === 'held').map(([k]) => k);
}

/** On this path the function has let go of a lock of class `lock` its caller held. */
function droppedCallersLock(state: State, lock: LockClass): boolean {
  for (const [k, l] of state.locks) {
    if (!isLockOf(k, lock)) continue;
    if ((l.state === 'none' || l.state === 'unknown') && (l.releasedUnowned || (!l.acquiredHere && l.required))) return true;
  }
  return false;
}

/** On this path the function has let go of a VMA lock its caller held. */
export function droppedCallersVmaLock(state: State): boolean {
  return droppedCallersLock(state, 'vma');
}

/** On this path the function has let go of an mmap lock its caller held (it is not held any more). */
export function droppedCallersMmapLock(state: State): boolean {
  return droppedCallersLock(state, 'mmap');
}
