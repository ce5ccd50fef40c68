// The lock model's transfer: what lock calls, their failures, callees that may drop a lock,
// requirements and assignments do to the lock facts of a path (State.locks, State.lockAliases).
// Lock keys and queries are in lock-queries.ts; the order in which a call's effects apply is in
// src/engine/call-effects.ts. What makes a function worth analysing for the model, besides the
// lock calls' entries, is `lockDemand()` (for src/engine/demand.ts).

import type { AstNode } from '../../parse/ast.js';
import type { ApiEntry, LockClass, LockEffect } from '../../kb/lock-api.js';
import type { TraceStep } from '../../types.js';
import { applyPath, keyOf } from '../keys.js';
import type { State } from '../state.js';
import { V_POS } from '../events.js';
import type { FunctionContext } from '../context.js';
import type { CallRequirement, LockOp } from '../events.js';
import { fieldFlagDecides, fieldFlagExcludes, flagOutSplit, refineFlag } from '../flags.js';
import { isOutKey } from '../out-values.js';
import { NONZERO, type LockOnReturn, type Value } from '../values.js';
import { argumentHasBits, atomsOfNames, bitFactKey, type BitFact } from '../bit-tests.js';
import { stripParens as stripParensOf } from '../../parse/ast.js';
import { splitOnReturn } from './failures.js';
import { noteTakesMmapLock } from './summary-facts.js';
import { displayOf, lockKey, lockName, ownMmapLock } from './lock-queries.js';
import { lockDisplayName } from '../../kb/lock-classes.js';
import { forgottenKey, isLockOf, lockClassOf, lockInstanceOf, lockKeyFor, type LockKey } from '../lock-keys.js';
import { LOCK_CLASS_DECLARATIONS, classesEndingWith, lockClass } from '../../kb/lock-classes.js';
import type { DemandNames } from '../demand-names.js';

/** One way a call may go: the state on it, the values returned on it, a lock on the returned pointer. */
export interface CallVariant {
  state: State;
  bits: number;
  lockOnRet?: LockOnReturn;
  /** What the returned value has of masks of named constants on this way (LockEffect.retMask). */
  bitFacts?: readonly BitFact[];
}


/**
 * What makes a function worth analysing for the lock model, from the lock class declarations
 * (src/kb/lock-classes.ts): a lock's rwsem field (`mm->mmap_lock`, older `mmap_sem`; the first
 * field of `vma->vm_lock->lock`), on which a raw rwsem call or guard (`down_read`,
 * `guard(rwsem_read)`) acts on the class; and the guard classes whose entry call changes the
 * caller's lock state (`guard(mmap_read_lock)(mm)`). The lock calls themselves are entries of the
 * knowledge base, which the demand reads directly.
 */
export function lockDemand(changesState: (call: string) => boolean): DemandNames {
  const names: string[] = [];
  for (const d of LOCK_CLASS_DECLARATIONS) {
    names.push(...(d.rwsem?.fields ?? []));
    if (d.rwsem?.path) names.push(d.rwsem.path[0]);
    for (const [guard, calls] of Object.entries(d.guards ?? {})) if (changesState(calls.acquire)) names.push(guard);
  }
  return { names };
}

/** The call leaves the mm in argument `api.lastUser` without other users: its VMAs stay valid unlocked. */
export function markLastUser(context: FunctionContext, api: ApiEntry, args: AstNode[], copy: () => State): void {
  if (api.lastUser === undefined || !args[api.lastUser]) return;
  const key = lockKey(context, { lock: 'mmap', op: 'assert', target: api.lastUser, when: 'always' }, args[api.lastUser]);
  if (key) copy().setSoleUser(key);
}

function opInfo(state: State, effect: LockEffect, key: LockKey, callee: string, n: AstNode, display: string): LockOp {
  const prior = state.locks.get(key);
  return {
    node: n,
    callee,
    op: effect.op === 'acquire' ? 'acquire' : effect.op === 'downgrade' ? 'downgrade' : 'release',
    lock: effect.lock,
    raw: !!effect.rawRwsem,
    annotation: !!effect.annotation,
    mode: effect.mode,
    key,
    display,
    trylock: !!effect.trylock,
    before: state.lockState(key),
    beforeOrigin: prior?.origin ?? null,
  };
}

/** Applies one lock operation to `copy` (already a private copy of the path's state). */
export function lockOp(context: FunctionContext, copy: State, effect: LockEffect, named: LockKey, callee: string, n: AstNode, display: string, origin?: TraceStep): void {
  const key = copy.lockKeyOf(named);
  switch (effect.op) {
    case 'acquire':
      return acquire(context, copy, effect, key, callee, n, display, origin);
    case 'release':
      return release(context, copy, effect, key, callee, n, display);
    case 'downgrade':
      return downgrade(context, copy, effect, key, callee, n, display);
    case 'assert':
      return assertHeld(context, copy, effect, key, callee, n, display);
    case 'forget':
      return forget(context, copy, key, callee, n, display, lockName(effect));
  }
}

function acquire(context: FunctionContext, copy: State, effect: LockEffect, key: LockKey, callee: string, n: AstNode, display: string, origin?: TraceStep): void {
  const prior = copy.locks.get(key);
  if (context.sink) context.sink.lockOp(opInfo(copy, effect, key, callee, n, display), copy);
  if (effect.lock === 'mmap' && !effect.trylock) noteTakesMmapLock(context, copy, lockInstanceOf(key), () => [context.step(n, `${callee}() takes the mmap lock of \`${display}\``, 'acquire')]);
  const step = origin ?? context.step(n, `${lockName(effect)} of \`${display}\` taken here (${callee}())`, 'acquire');
  // A lock without an unlock call of its own (the VMA write lock) ends with another (the mmap write
  // lock), so it is never "taken here" for balance.
  const own = !lockClass(effect.lock).endsWith;
  copy.setLock(key, { state: effect.mode ?? 'held', acquiredHere: own, origin: step, display, releasedUnowned: prior?.releasedUnowned, required: prior?.required, requiredAt: prior?.requiredAt });
  copy.addStep(step, [key]);
  // A VMA read-locked through a pointer is kept alive by that lock too.
  if (lockClass(effect.lock).keepsInstanceAlive) {
    const vma = lockInstanceOf(key);
    const p = copy.ptrs.get(vma);
    if (p && !p.staleSince && !p.lockedBy.includes(key)) copy.setPtr(vma, { ...p, lockedBy: [...p.lockedBy, key] });
  }
}

function release(context: FunctionContext, copy: State, effect: LockEffect, key: LockKey, callee: string, n: AstNode, display: string): void {
  const prior = copy.locks.get(key);
  if (context.sink) context.sink.lockOp(opInfo(copy, effect, key, callee, n, display), copy);
  // A release on some results only (handle_mm_fault(): VM_FAULT_RETRY or VM_FAULT_COMPLETED) says on which.
  const on = effect.when === 'ret-mask' && effect.retMask?.length ? ` when its result has ${effect.retMask.join(' or ')}` : '';
  const step = context.step(n, `${lockName(effect)} of \`${display}\` released here (${callee}()${on})`, 'release');
  // Its own lock after a callee that may have released it (forgottenOwn) is still its own.
  const own = !!prior && (prior.forgottenOwn || (prior.state !== 'unknown' && prior.acquiredHere));
  const unowned = !own || !!prior.releasedUnowned;
  const required = prior ? prior.required : (effect.mode ?? 'held');
  copy.setLock(key, { state: 'none', acquiredHere: prior?.acquiredHere ?? false, origin: null, display, releasedUnowned: unowned, required, requiredAt: prior ? prior.requiredAt : step });
  // An mm without other users: nobody can unmap its VMAs while the lock is dropped.
  if (!copy.soleUser.has(key)) copy.markStale(key, step);
  copy.addStep(step, [key]);
  if (effect.endsVmaWriteLocks) endDependentLocks(copy, effect.lock);
}

function downgrade(context: FunctionContext, copy: State, effect: LockEffect, key: LockKey, callee: string, n: AstNode, display: string): void {
  const prior = copy.locks.get(key);
  if (context.sink) context.sink.lockOp(opInfo(copy, effect, key, callee, n, display), copy);
  const step = context.step(n, `${lockDisplayName(effect.lock, undefined)} of \`${display}\` downgraded to read here (${callee}())`, 'downgrade');
  const required = prior ? prior.required : 'write';
  copy.setLock(key, { state: 'read', acquiredHere: prior?.acquiredHere ?? false, origin: prior?.origin ?? step, display, releasedUnowned: prior?.releasedUnowned, required, requiredAt: prior ? prior.requiredAt : step });
  copy.addStep(step, [key]);
  if (effect.endsVmaWriteLocks) endDependentLocks(copy, effect.lock);
}

function assertHeld(context: FunctionContext, copy: State, effect: LockEffect, key: LockKey, callee: string, n: AstNode, display: string): void {
  const prior = copy.locks.get(key);
  if (prior && (prior.state === 'read' || prior.state === 'write')) return;
  if (prior && prior.state === 'held' && !effect.mode) return;
  const step = context.step(n, `${callee}() asserts the ${lockName(effect)} of \`${display}\` is held`, 'assert');
  const required = prior ? prior.required : (effect.mode ?? 'held');
  copy.setLock(key, { state: effect.mode ?? 'held', acquiredHere: prior?.acquiredHere ?? false, origin: prior?.origin ?? step, display, releasedUnowned: prior?.releasedUnowned, required, requiredAt: prior ? prior.requiredAt : step });
  copy.addStep(step, [key]);
}

function forget(context: FunctionContext, copy: State, key: LockKey, callee: string, n: AstNode, display: string, what: string): void {
  const prior = copy.locks.get(key);
  if (!prior) {
    // Nothing known here, but the callee may have released it: this function's own summary
    // must say so too (a wrapper of a conditional unlock helper).
    copy.setLock(key, { state: 'unknown', acquiredHere: false, origin: null, display, releasedUnowned: true });
    return;
  }
  // A lock this function took itself stays its own (see forgetAll()).
  const forgottenOwn = prior.forgottenOwn || (prior.acquiredHere && !prior.releasedUnowned && !prior.required);
  // Forgotten again (a callee that may drop every mmap lock, then this one): still its own.
  copy.setLock(key, { ...prior, state: 'unknown', acquiredHere: false, releasedUnowned: !!prior.releasedUnowned || (!prior.acquiredHere && !prior.forgottenOwn), forgottenOwn });
  copy.addStep(context.step(n, `${callee}() may release the ${what} of \`${display}\``, 'forget'), [key]);
}

/**
 * The `lock` write lock is gone (the mmap write lock): so is every lock of a class that ends with
 * it (every VMA write lock taken under it), and what was known or feared of them (a callee that may
 * have write-locked one) no longer says anything: for a caller, the lock's own effect carries it.
 * Only a requirement stays (the function asserted a VMA write-locked before it let the lock go).
 */
function endDependentLocks(copy: State, lock: LockClass): void {
  const ending = classesEndingWith(lock).map((d) => d.name);
  for (const [k, l] of [...copy.locks]) {
    if (!ending.includes(lockClassOf(k))) continue;
    if (!l.required) copy.deleteLock(k);
    else if (l.state !== 'none') copy.setLock(k, { ...l, state: 'none', acquiredHere: false });
  }
}

/**
 * Every lock of a class on this path becomes unknown (a callee may have dropped it). When the
 * path holds one it took itself, that is the one the callee may drop; else the callee may drop
 * one the function's callers hold, which the pseudo key `<class>:*` records for its summary.
 */
export function forgetAll(context: FunctionContext, copy: State, lock: LockClass, n: AstNode, message: string): void {
  const step = context.step(n, message, 'forget');
  let holdsOwn = false;
  for (const [key, prior] of [...copy.locks]) {
    const ofClass = isLockOf(key, lock);
    // A lock that ends with one of the class (a VMA write lock, with the mmap lock) goes with it.
    if (!(ofClass || lockClass(lockClassOf(key)).endsWith?.lock === lock)) continue;
    if (prior.state === 'unknown') {
      if (prior.forgottenOwn && ofClass) holdsOwn = true;
      continue;
    }
    const own = prior.acquiredHere && !prior.releasedUnowned && !prior.required;
    if (own && prior.state !== 'none' && ofClass) holdsOwn = true;
    copy.setLock(key, { ...prior, state: 'unknown', acquiredHere: false, releasedUnowned: !!prior.releasedUnowned || !prior.acquiredHere, forgottenOwn: own });
    copy.addStep(step, [key]);
  }
  const star = forgottenKey(lock);
  if (!holdsOwn && !copy.locks.has(star)) copy.setLock(star, { state: 'unknown', acquiredHere: false, releasedUnowned: true, origin: step, display: '*' });
}

/**
 * A callee may have pointed `key` (a VMA variable given by address, `*vmap`) at another VMA: a
 * VMA lock known not held on the old one says nothing about the new one.
 */
export function forgetRepointed(context: FunctionContext, copy: State, key: string): void {
  const vmaKey = lockKeyFor('vma', context.canonical(key));
  copy.dropLockAlias(vmaKey);
  const old = copy.locks.get(vmaKey);
  if (old && old.state === 'none' && !old.releasedUnowned) copy.setLock(vmaKey, { ...old, state: 'unknown', acquiredHere: false });
}

/**
 * An unknown callee given a VMA may have write-locked it (vma_start_write); given an address it
 * may have write-locked any: a lock of a class that ends with another (LockClassDeclaration.endsWith),
 * tracked only while that other lock is held in that mode (the mmap write lock).
 */
export function mayWriteLock(context: FunctionContext, copy: State, k: string | null): void {
  for (const d of LOCK_CLASS_DECLARATIONS) {
    const under = d.endsWith;
    if (!under) continue;
    let holding = false;
    for (const [key, l] of copy.locks) if (isLockOf(key, under.lock) && l.state === under.mode) holding = true;
    if (!holding) continue;
    const key = k ? lockKeyFor(d.name, context.canonical(k)) : forgottenKey(d.name);
    const prior = copy.locks.get(key);
    if (prior?.state === 'unknown' || prior?.state === 'write') continue;
    copy.setLock(key, { state: 'unknown', acquiredHere: false, origin: null, display: k ?? '*', releasedUnowned: true });
  }
}

/** A callee given a lock flag of this function (`&locked`) may have released the locks the flag goes with. */
export function forgetThroughFlag(context: FunctionContext, copy: State, flag: string, name: string | null, n: AstNode): void {
  // The classes of the lock operations the flag goes with (GUP's `locked`: the mmap lock); a lock
  // without a release of its own (the VMA write lock) goes with the one it ends with.
  for (const lock of LOCK_CLASS_DECLARATIONS.filter((d) => !d.endsWith).map((d) => d.name)) {
    if (!context.lockFlags.get(flag)?.has(lock)) continue;
    forgetAll(context, copy, lock, n, `${name ?? 'the callee'}() receives \`${flag}\`, which tracks whether the lock is held: it may have released the lock`);
  }
}

/** A callee's requirements, in terms of this call's arguments. */
export function resolveRequirements(context: FunctionContext, api: ApiEntry, args: AstNode[], state: State): CallRequirement[] {
  if (!api.requires?.length) return [];
  const out: CallRequirement[] = [];
  for (const r of api.requires) {
    const target = args[r.target];
    if (!target) continue;
    const effect: LockEffect = { lock: r.lock, op: 'assert', mode: r.mode, target: r.target, when: 'always', path: r.path };
    const own = ownMmapLock(context, effect, target, state);
    const key = own?.key ?? lockKey(context, effect, target);
    if (!key) continue;
    out.push({ lock: r.lock, mode: r.mode, key, display: own?.display ?? displayOf(effect, target), at: r.at ?? null, target: r.target, path: r.path, ...(r.because ? { because: r.because } : {}), ...(r.via ? { via: r.via } : {}) });
  }
  return out;
}

/** The callee needs the lock held: like an assertion, the path holds it from here (unless known otherwise). */
export function applyRequirement(context: FunctionContext, copy: State, requirement: CallRequirement, callee: string, n: AstNode): void {
  const r = { ...requirement, key: copy.lockKeyOf(requirement.key) };
  const prior = copy.locks.get(r.key);
  if (prior && prior.state !== 'unknown') return;
  const step = context.step(n, `${callee}() needs the ${lockClass(r.lock).title} ${r.mode ? `${r.mode} ` : ''}lock of \`${r.display}\` held${r.at ? ` (${r.at.file}:${r.at.line})` : ''}`, 'requirement');
  const required = prior ? prior.required : (r.mode ?? 'held');
  copy.setLock(r.key, { state: r.mode ?? 'held', acquiredHere: false, origin: prior?.origin ?? step, display: r.display, releasedUnowned: prior?.releasedUnowned, required, requiredAt: prior ? prior.requiredAt : step });
  copy.addStep(step, [r.key]);
}

/** A lock call at a call site: the callee's name and entry, the call, its arguments, the state before it. */
export interface LockCall {
  name: string;
  api: ApiEntry;
  node: AstNode;
  args: AstNode[];
  before: State;
  /** Effects for a set flag whose flag the caller knows clear (GUP's `int *locked` = 0): they do not happen. */
  flagClear: ReadonlySet<LockEffect>;
  /** The check macro whose condition the call is in (ApiEntry.check), null outside one. */
  check: string | null;
}

/** The lock an effect of a call acts on, and how it is shown; null when its argument names none. */
function effectLock(context: FunctionContext, call: LockCall, effect: LockEffect): { key: LockKey; display: string } | null {
  if (typeof effect.target !== 'number' && effect.target !== 'current') return null;
  const target = effect.target === 'current' ? null : call.args[effect.target];
  if (!target && effect.target !== 'current') return null;
  const own = target ? ownMmapLock(context, effect, target, call.before) : null;
  const key = own?.key ?? (target ? lockKey(context, effect, target) : lockKeyFor(effect.lock, context.canonical(applyPath(effect.path ?? '$', 'current'))));
  if (!key) return null;
  return { key, display: own?.display ?? (target ? displayOf(effect, target) : applyPath(effect.path ?? '$', 'current')) };
}

/** The effect acts on a lock the path holds at the call (LockEffect.heldAtCall). */
function heldAtCall(context: FunctionContext, call: LockCall, effect: LockEffect): boolean {
  const lock = effectLock(context, call, effect);
  const state = lock ? call.before.locks.get(call.before.lockKeyOf(lock.key))?.state : undefined;
  return state === 'read' || state === 'write' || state === 'held';
}

/** The call's lock effects (ApiEntry.lock), each on every way the call may go. */
export function applyLockEffects(context: FunctionContext, call: LockCall, variants: CallVariant[]): CallVariant[] {
  const { args, before } = call;
  const effects = call.api.lock ?? [];
  // The argument a lock effect depends on (LockEffect.ifArgBits).
  const argumentAllows = (e: LockEffect): boolean => {
    const arg = e.ifArgBits ? args[e.ifArgBits.arg] : undefined;
    if (!arg) return !e.ifArgBits?.known;
    const has = argumentHasBits(arg, e.ifArgBits!.mask, before, keyOf, context.constantValue);
    return has === 'yes' || (has === 'unknown' && !e.ifArgBits!.known);
  };
  const argumentLacks = (e: LockEffect): boolean => {
    const arg = e.ifArgBits ? args[e.ifArgBits.arg] : undefined;
    return !!arg && argumentHasBits(arg, e.ifArgBits!.mask, before, keyOf, context.constantValue) === 'no';
  };
  // A callee that releases the lock it is called with: only that lock, when the path holds one.
  const applies = (e: LockEffect): boolean => argumentAllows(e) && (!e.heldAtCall || heldAtCall(context, call, e));
  const holdsOne = effects.some((e) => e.heldAtCall && applies(e));
  for (let i = 0; i < effects.length; i++) {
    let effect = effects[i];
    if ((effect.ifArgBits || effect.heldAtCall) && !applies(effect)) {
      // Flags known without the bits the effect needs (nios2's `flags = FAULT_FLAG_WRITE` drops
      // FAULT_FLAG_ALLOW_RETRY): the result never has the bits that would say it happened.
      if (effect.when === 'ret-mask' && effect.retMask && argumentLacks(effect)) variants = variants.map((v) => ({ ...v, bitFacts: [...(v.bitFacts ?? []), { mask: effect.retMask!, set: false }] }));
      continue;
    }
    if (effect.unlessHeldAtCall && holdsOne) continue;
    if (effect.ifArgBits) variants = assumeArgumentBits(context, call, effect.ifArgBits, variants);
    const next = effects[i + 1];
    if (next && takenAndReleased(effect, next)) {
      // A lock the callee takes and releases before returning (get_user_pages_unlocked(),
      // might_lock_read()): the rules see both operations, each with the lock as it was before
      // it (held already: a self-deadlock); the path keeps its locks as they were.
      for (const v of variants) applyLockEffect(context, call, next, applyLockEffect(context, call, effect, [v]));
      i++;
      continue;
    }
    // GUP's `int *locked` protocol: a caller passing a flag it knows clear holds nothing the
    // callee could drop (see LockEffect.ifFlagSet).
    if (call.flagClear.has(effect)) continue;
    if (effect.ifFlag && (fieldFlagExcludes(effect, args, before) || fieldFlagDecides(effect, args, before))) {
      // What the flag decides, the return value then says (`false` when the mode was held already).
      const happens = !fieldFlagExcludes(effect, args, before);
      if (effect.ifFlag.exact && effect.when !== 'always' && effect.when !== 'flag-out') {
        const decided = effect;
        variants = variants.flatMap((v) => splitOnReturn(decided, v.bits).filter((sp) => sp.ok === happens).map((sp) => ({ ...v, bits: sp.bits })));
      }
      if (!happens) continue;
      if (effect.ifFlag.exact) effect = { ...effect, when: 'always' };
    }
    variants = applyLockEffect(context, call, effect, variants);
  }
  return variants;
}

/** `take` then `release` of the same lock, unconditionally: the callee takes it and releases it before returning. */
function takenAndReleased(take: LockEffect, release: LockEffect): boolean {
  const plain = (e: LockEffect): boolean => e.when === 'always' && !e.ifFlag && e.ifFlagSet === undefined && e.flag === undefined && e.target !== 'ret' && e.target !== 'all';
  return take.op === 'acquire' && release.op === 'release' && plain(take) && plain(release) && take.lock === release.lock && take.target === release.target && take.path === release.path && !!take.rawRwsem === !!release.rawRwsem;
}

/** One lock effect of a call, on every way the call may go. */
function applyLockEffect(context: FunctionContext, call: LockCall, effect: LockEffect, variants: CallVariant[]): CallVariant[] {
  const { name, node: n, args, before } = call;
  if (call.check !== null && effect.op === 'acquire') return acquireInCheck(context, call.check, name, effect, n, args, variants);
  if (effect.target === 'ret') {
    const step = context.step(n, `${name}() returns a ${effect.mode ?? ''}-locked VMA when not NULL`, 'acquire');
    return variants.flatMap((v) => splitOnReturn(effect, v.bits).map((sp) => ({ state: v.state, bits: sp.bits, lockOnRet: { effect, step, display: '', callee: name, ok: sp.ok } })));
  }
  if (effect.target === 'all') {
    return variants.map((v) => {
      const copy = v.state.clone();
      forgetAll(context, copy, effect.lock, n, `${name}() may release the ${lockClass(effect.lock).title} lock`);
      return { ...v, state: copy };
    });
  }
  const lock = effectLock(context, call, effect);
  if (!lock) return variants;
  const { key, display } = lock;
  if (effect.when === 'ret-mask') return splitOnMask(context, call, effect, key, display, variants);
  if (effect.when === 'always') {
    return variants.map((v) => {
      const copy = v.state.clone();
      lockOp(context, copy, effect, key, name, n, display);
      return { ...v, state: copy };
    });
  }
  if (effect.when === 'either') return variants.flatMap((v) => eitherWay(context, call, effect, key, display, v));
  if (effect.when === 'flag-out') {
    // Told by the flag the callee leaves (`*lock_dropped = true`), or not known at all.
    return variants.flatMap((v) => {
      const sp = flagOutSplit(effect, args, before, v.state);
      if (!sp) {
        const copy = v.state.clone();
        lockOp(context, copy, { ...effect, op: 'forget' }, key, name, n, display);
        return [{ ...v, state: copy }];
      }
      lockOp(context, sp.happened, effect, key, name, n, display);
      return [{ ...v, state: sp.happened }, { ...v, state: sp.not }];
    });
  }
  return variants.flatMap((v) =>
    splitOnReturn(effect, v.bits).map((sp) => {
      const copy = v.state.clone();
      if (effect.flag !== undefined) refineFlag(effect, args, before, copy, sp.ok);
      if (sp.ok) {
        lockOp(context, copy, effect, key, name, n, display);
        addVia(context, copy, effect, key, name);
      } else if (effect.op === 'acquire') failedAcquire(context, copy, effect, key, name, n, display);
      return { ...v, state: copy, bits: sp.bits };
    }),
  );
}

/**
 * An effect applied on its argument's bits, which the path knows only as bits it may have (`flags`
 * built with `=` and `|=`, joined over paths) or not at all: the path goes on with the bits the
 * effect assumed, so that a later test of them (`if ((fault & VM_FAULT_RETRY) && (flags &
 * FAULT_FLAG_ALLOW_RETRY))`) agrees with the effect.
 */
function assumeArgumentBits(context: FunctionContext, call: LockCall, bits: NonNullable<LockEffect['ifArgBits']>, variants: CallVariant[]): CallVariant[] {
  const arg = call.args[bits.arg];
  const variable = arg ? keyOf(stripParensOf(arg)) : null;
  if (!arg || !variable || argumentHasBits(arg, bits.mask, call.before, keyOf, context.constantValue) === 'no') return variants;
  const key = bitFactKey(variable, atomsOfNames(bits.mask, context.constantValue));
  return variants.map((v) => {
    const state = v.state.clone();
    state.setVal(key, NONZERO);
    return { ...v, state };
  });
}

/**
 * An effect on some of the callee's ways out and not on others, nothing telling which
 * (LockEffect.when 'either'): a caller holding the lock goes on both ways, one where the callee's
 * path shows in the trace; a caller that does not know the lock's state learns it may have changed.
 */
function eitherWay(context: FunctionContext, call: LockCall, effect: LockEffect, key: LockKey, display: string, v: CallVariant): CallVariant[] {
  const { name, node: n } = call;
  const happened = v.state.clone();
  const state = v.state.locks.get(v.state.lockKeyOf(key))?.state;
  if (state !== 'read' && state !== 'write' && state !== 'held') {
    lockOp(context, happened, { ...effect, op: 'forget' }, key, name, n, display);
    return [{ ...v, state: happened }];
  }
  lockOp(context, happened, effect, key, name, n, display);
  addVia(context, happened, effect, key, name);
  return [{ ...v, state: happened }, v];
}

/** The callee's own steps to a conditional effect (LockEffect.via), after the call's step. */
function addVia(context: FunctionContext, copy: State, effect: LockEffect, key: LockKey, callee: string): void {
  const k = copy.lockKeyOf(key);
  for (const step of effect.via ?? []) copy.addStep({ ...step, message: `in ${callee}(): ${step.message}`, kind: 'call' }, [k]);
}

/**
 * An effect on the returned value's bits (LockEffect.retMask): a way where the value has one of
 * them, with the effect, and one where it has none, without; a way that already knows the mask
 * (another effect of the call split on it) goes on as it knows.
 */
function splitOnMask(context: FunctionContext, call: LockCall, effect: LockEffect, key: LockKey, display: string, variants: CallVariant[]): CallVariant[] {
  const mask = effect.retMask ?? [];
  const same = (f: BitFact): boolean => f.mask.length === mask.length && f.mask.every((m) => mask.includes(m));
  return variants.flatMap((v) => {
    const known = v.bitFacts?.find(same);
    return (known ? [known.set] : [true, false]).map((set) => {
      const copy = set ? v.state.clone() : v.state;
      if (set) lockOp(context, copy, effect, key, call.name, call.node, display);
      const excluded = set && effect.retMaskExcludes?.length ? [{ mask: effect.retMaskExcludes, set: false }] : [];
      const bitFacts = known ? v.bitFacts : [...(v.bitFacts ?? []), { mask, set }, ...excluded];
      return { ...v, state: copy, bits: set ? v.bits & NONZERO || v.bits : v.bits, bitFacts };
    });
  });
}

/** A lock call that may fail, on the path where it failed: the lock is not taken. */
function failedAcquire(context: FunctionContext, copy: State, effect: LockEffect, key: LockKey, name: string, n: AstNode, display: string): void {
  const k = copy.lockKeyOf(key);
  if (context.sink) context.sink.lockOp(opInfo(copy, effect, k, name, n, display), copy);
  const prior = copy.locks.get(k);
  if (!prior || prior.state === 'unknown' || prior.state === 'none') {
    copy.setLock(k, { state: 'none', acquiredHere: false, origin: null, display });
  }
  copy.addStep(context.step(n, `${name}() failed here: ${lockName(effect)} of \`${display}\` is not taken`, 'failure'), [key]);
}

/**
 * A lock call inside a check's condition takes nothing (see ApiEntry.check). A trylock there is
 * an assertion that it fails: the lock is held in the mode it conflicts with (a read trylock
 * fails under the write lock; a write trylock under either), and the call returns failure.
 */
function acquireInCheck(context: FunctionContext, check: string, name: string, effect: LockEffect, n: AstNode, args: AstNode[], variants: CallVariant[]): CallVariant[] {
  if (!effect.trylock || typeof effect.target !== 'number' || !args[effect.target]) return variants;
  const target = args[effect.target];
  const assert: LockEffect = { ...effect, op: 'assert', mode: effect.mode === 'read' ? 'write' : undefined, when: 'always', trylock: false };
  const key = lockKey(context, assert, target);
  if (!key) return variants;
  return variants.flatMap((v) => {
    const failed = splitOnReturn(effect, v.bits).find((sp) => !sp.ok);
    if (!failed) return [];
    const copy = v.state.clone();
    lockOp(context, copy, assert, key, `${check}(${name}())`, n, displayOf(assert, target));
    return [{ ...v, state: copy, bits: failed.bits }];
  });
}

/**
 * `key = value` on `copy`, for the locks: the variable names another object now, so a VMA lock
 * known not held on the old one says nothing; a locked VMA stored where the caller sees it hands
 * its lock to that name; a pointer returned locked (`lock_vma_under_rcu()`) is locked under it.
 */
export function assignLocks(context: FunctionContext, copy: State, key: string, value: Value, at: AstNode): void {
  const vmaKey = lockKeyFor('vma', context.canonical(key));
  copy.dropLockAlias(vmaKey);
  const old = copy.locks.get(vmaKey);
  if (old && (old.state === 'none' || old.state === 'unknown') && !old.releasedUnowned) copy.deleteLock(vmaKey);
  // `*vmap = vma;` or `state->vma = vma;` with vma locked: stored where the caller sees it (an
  // out-parameter, a field of a structure it passed), the lock is handed to the caller, who will
  // know it by that name, and so does the rest of this function.
  if (isOutKey(context.canonical(key), context.params) && value.key && !value.lockOnRet) {
    const from = copy.lockKeyOf(lockKeyFor('vma', context.canonical(value.key)));
    const f = copy.locks.get(from);
    if (f && from !== vmaKey && (f.state === 'read' || f.state === 'held')) {
      if (isOutKey(lockInstanceOf(from), context.params)) {
        copy.setLockAlias(vmaKey, from);
      } else {
        copy.deleteLock(from);
        copy.setLock(vmaKey, { ...f, display: key });
        copy.setLockAlias(from, vmaKey);
      }
      copy.addStep(context.step(at, `\`${key}\` now names the VMA locked as \`${value.key}\``, 'assign'), [from, vmaKey]);
    }
  }
}

/** The pointer assigned to `key` came locked from its call (Value.lockOnRet): the lock is named by `key` now. */
export function assignReturnedLock(context: FunctionContext, copy: State, key: string, lockOnRet: LockOnReturn, at: AstNode): void {
  const lockKeyOfVar = lockKeyFor(lockOnRet.effect.lock, context.canonical(key));
  // A new object: what was known of the lock of the one the variable named before is not about it.
  const prior = copy.locks.get(lockKeyOfVar);
  if (prior && !prior.releasedUnowned && !prior.acquiredHere) copy.deleteLock(lockKeyOfVar);
  const display = lockOnRet.display || key;
  if (lockOnRet.ok) {
    lockOp(context, copy, lockOnRet.effect, lockKeyOfVar, lockOnRet.callee, at, display, lockOnRet.step);
    // The VMA is kept alive by its own lock: dropping it makes the pointer stale.
    const p = copy.ptrs.get(key);
    if (p && !p.lockedBy.includes(lockKeyOfVar)) copy.setPtr(key, { ...p, lockedBy: [...p.lockedBy, lockKeyOfVar] });
  } else {
    // The lookup failed: the pointer is NULL and no VMA is locked through it.
    copy.setLock(lockKeyOfVar, { state: 'none', acquiredHere: false, origin: null, display });
  }
}
