// Summary facts: what the analysis of a function learns for its callers beyond its exit states
// (where it may fault, which parameters it dereferences or modifies, whose mmap lock it takes).
// The models note them as the paths go; src/engine/summary.ts turns them into the summary.
// `vmaModificationDemand()`: the writes that make a function worth analysing for its modified VMAs
// (for src/engine/demand.ts).

import type { KernelLockKind } from '../../kb/kernel-locks.js';
import { AstNode, stripParens } from '../../parse/ast.js';
import type { ApiEntry } from '../../kb/lock-api.js';
import type { TraceStep } from '../../types.js';
import { applyPath, keyOf } from '../keys.js';
import { modifiedVmaArgs } from '../tree-macros.js';
import type { State } from '../state.js';
import type { FunctionContext } from '../context.js';
import { droppedCallersVmaLock, mmapLockOfVma } from './lock-queries.js';
import { forgottenKey, lockKeyFor } from '../lock-keys.js';
import { noteFault } from './faults.js';
import { entryConditions, mayFailWith, type ParameterBits } from '../arg-conditions.js';
import { VMA_FIELDS_OF_ANY_TREE } from '../../kb/vma-fields.js';
import { fieldWrite } from '../prescan.js';
import type { DemandNames } from '../demand-names.js';

export interface SummaryFacts {
  /** The first call that may fault with the caller's locks still in place: the chain down to the access. */
  fault: TraceStep[] | null;
  /**
   * What the paths reaching such calls knew of the parameters as passed (entryConditions), one
   * per distinct condition; 'always' once one path knew nothing (see ApiEntry.faultsWhen).
   */
  faultWhen?: Map<string, Record<number, number>> | 'always';
  /**
   * The parameter bits every path reaching such a call knew set, by bit-test key (undefined before
   * the first; empty once none is common): ApiEntry.faultsWithBits.
   */
  faultBits?: ParameterBits;
  /** Parameter indexes dereferenced before any test of them. */
  derefs: Set<number>;
  /**
   * The first blocking acquisition of the mmap lock of an mm reached from a parameter, before the
   * function let go of a VMA lock its caller held: the chain down to it, and whose lock.
   */
  takes?: { chain: TraceStep[]; of: { target: number; path?: string } } | null;
  /** What the paths taking it knew of the parameters (ApiEntry.takesMmapLockWhen); 'always': nothing. */
  takesWhen?: Map<string, Record<number, number>> | 'always';
  /**
   * Parameter indexes whose VMA a path modifies (needs the mmap write lock) while this function
   * does not know that lock, and where; the state marks the parameter modified on that path.
   */
  modifiesAt: Map<number, TraceStep>;
  /**
   * Parameter indexes whose VMA a path writes a field of that per-VMA-lock readers read
   * (FunctionContext.vmaLockedFields), with the mmap write lock known held (not taken here) and
   * nothing known of the VMA's write lock: the write needs it from the caller. The write, and for
   * a callee's such requirement passed on, the calls down to it.
   */
  needsVmaWrite?: Map<number, { at: TraceStep; via: TraceStep[] }>;
  /**
   * Kernel lock classes taken inside (models/kernel-locks.ts), with the chain down to the first
   * acquisition and what the paths to them knew of the parameters ('always': nothing).
   */
  acquires?: Map<string, { via: TraceStep[]; when: Map<string, Record<number, number>> | 'always' }>;
  /** It enters an atomic section (preempt_disable(), a wrapper of one). */
  entersAtomicSection?: boolean;
  /** It leaves an atomic section it did not enter: its caller's. */
  dropsAtomicSection?: boolean;
  /** Kernel locks released that the path did not hold: its caller's (by lock object key). */
  kernelReleases?: Map<string, { kind: KernelLockKind; mode: 'read' | 'write'; cls: string | null }>;
}

export function emptySummaryFacts(): SummaryFacts {
  return { fault: null, derefs: new Set(), modifiesAt: new Map() };
}

/** An expression key as a parameter and a path from it (`vma->vm_mm` -> 0, `$->vm_mm`), or null. */
export function parametrize(context: FunctionContext, expr: string): { target: number; path?: string } | null {
  const m = /^([*&]*)([A-Za-z_]\w*)/.exec(expr);
  if (!m) return null;
  const target = context.params.indexOf(m[2]);
  if (target < 0) return null;
  const path = `${m[1]}$${expr.slice(m[0].length)}`;
  return path === '$' ? { target } : { target, path };
}

/** A parameter dereferenced before anything was learnt about it: the function needs it valid. */
export function noteDeref(context: FunctionContext, key: string, state: State): void {
  if (!context.facts || !/^\w+$/.test(key)) return;
  const i = context.params.indexOf(key);
  if (i >= 0 && !state.values.has(key)) context.facts.derefs.add(i);
}

/**
 * What makes a function worth analysing for its summary's modified VMAs: a write to a VMA field
 * whose writers need the mmap write lock (FunctionContext.vmaWriteFields, in any tree): its callers
 * then need that lock too.
 */
export function vmaModificationDemand(): DemandNames {
  return { names: VMA_FIELDS_OF_ANY_TREE.map(fieldWrite) };
}

/**
 * A VMA reached through a parameter is modified: returns the parameter index when the path
 * modifies a VMA parameter without knowing its mmap lock; the summary says "modifies" when every
 * path out does (the caller marks the state).
 */
export function noteModify(context: FunctionContext, vmaKey: string, state: State, n: AstNode, what: string): number {
  if (!context.facts || !/^\w+$/.test(vmaKey)) return -1;
  const i = context.params.indexOf(vmaKey);
  if (i < 0) return -1;
  const mm = mmapLockOfVma(context, vmaKey, state);
  if (mm && mm.state !== 'unknown') return -1;
  if (!context.facts.modifiesAt.has(i)) context.facts.modifiesAt.set(i, context.step(n, what, 'modify'));
  return i;
}

/**
 * A write that needs the VMA write lock of the VMA parameter `vmaKey` from the caller: a field
 * per-VMA-lock readers read, written (by this function, or by a callee whose requirement says so)
 * where `mmapState` knows the mmap write lock of that VMA held but not taken here (asserted, or
 * needed by a callee: the caller holds it), and `vmaState` knows nothing of the VMA's write lock
 * (not taken, not asserted, no callee that may have taken it). A function that took the mmap write
 * lock itself owns the VMA write lock too: the rules judge its write where it is.
 */
export function noteVmaWriteNeeded(context: FunctionContext, vmaKey: string, mmapState: State, vmaState: State, at: () => { at: TraceStep; via: TraceStep[] }): void {
  if (!context.facts || !/^\w+$/.test(vmaKey)) return;
  const i = context.params.indexOf(vmaKey);
  // A parameter assigned on this path (`vma = vma_merge(...)`) no longer names the caller's VMA.
  if (i < 0 || context.facts.needsVmaWrite?.has(i) || vmaState.paramEntry.has(i)) return;
  const mm = mmapLockOfVma(context, vmaKey, mmapState);
  const f = mm ? mmapState.locks.get(mm.key) : undefined;
  if (!f || f.state !== 'write' || f.acquiredHere) return;
  if (vmaState.locks.has(forgottenKey('vma-write'))) return;
  const w = vmaState.locks.get(vmaState.lockKeyOf(lockKeyFor('vma-write', context.canonical(vmaKey))));
  if (w && w.state !== 'unknown') return;
  (context.facts.needsVmaWrite ??= new Map()).set(i, at());
}

/** The function takes (and waits for) the mmap lock of `lockedExpr`: the first such, for mmap-lock-under-vma-lock. */
export function noteTakesMmapLock(context: FunctionContext, state: State, lockedExpr: string, chain: () => TraceStep[], happens = true): void {
  if (!context.facts || droppedCallersVmaLock(state)) return;
  const of = parametrize(context, lockedExpr);
  if (!of) return;
  context.facts.takes ??= { chain: chain(), of };
  // Under what the paths knew of the parameters (amdgpu_hmm_range_get_pages(..., mmap_locked)
  // takes it only with mmap_locked false), as for faults; a callee whose conditions this call's
  // arguments do not meet adds none.
  const facts = context.facts;
  if (!happens) {
    facts.takesWhen ??= new Map();
    return;
  }
  if (facts.takesWhen === 'always') return;
  const when = entryConditions(state, context.params);
  const known: Map<string, Record<number, number>> = facts.takesWhen ?? new Map();
  facts.takesWhen = known;
  if (!Object.keys(when).length || known.size >= 8) facts.takesWhen = 'always';
  else known.set(JSON.stringify(when), when);
}

/** Summary facts of a call: it may fault, it takes the mmap lock, it modifies a VMA the function was given (their indexes). */
export function noteCallFacts(context: FunctionContext, name: string, api: ApiEntry, n: AstNode, args: AstNode[], state: State): number[] {
  noteFault(context, name, api, n, args, state);
  if (api.takesMmapLock && api.takesMmapLockOf) {
    const takes = api.takesMmapLock;
    const of = api.takesMmapLockOf;
    const arg = args[of.target];
    const k = arg ? keyOf(stripParens(arg)) : null;
    if (k) noteTakesMmapLock(context, state, context.canonical(of.path ? applyPath(of.path, k) : k), () => [context.step(n, `${name}() takes the mmap lock`, 'call'), ...takes].slice(0, 8), mayFailWith(api.takesMmapLockWhen, args));
  }
  const modified: number[] = [];
  for (const i of modifiedVmaArgs(api, args)) {
    const a = args[i];
    const k = a ? keyOf(stripParens(a)) : null;
    const p = k ? noteModify(context, k, state, n, `${name}() modifies \`${k}\``) : -1;
    if (p >= 0) modified.push(p);
  }
  return modified;
}
