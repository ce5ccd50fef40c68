// The fault model: pagefault_disable() depth along a path (State.pf), and the summary fact that a
// function may fault on user memory with its caller's locks in place (fault-under-mmap-lock).

import type { AstNode } from '../../parse/ast.js';
import type { ApiEntry } from '../../kb/lock-api.js';
import { bitsKnownClearOn, entryBitsSet, entryConditions, mayFailWith, mayHaveBits, type BitsKnownClear } from '../arg-conditions.js';
import type { State } from '../state.js';
import type { FunctionContext } from '../context.js';
import { droppedCallersMmapLock } from './lock-queries.js';
import { PAGEFAULT_DISABLED_HOOKS } from '../../kb/kernel-locks.js';

/** Distinct argument conditions a summary's faulting keeps (ApiEntry.faultsWhen). */
const MAX_FAULT_CONDITIONS = 8;

/** pagefault_disable() / pagefault_enable(): the depth changes on `copy` (a private copy). */
export function applyPagefault(api: ApiEntry, copy: State): void {
  if (api.pagefault) copy.setPf(copy.pf + (api.pagefault === 'disable' ? 1 : -1));
}

/**
 * A call that may fault, with page faults enabled and the caller's mmap lock still in place: the
 * first one is the function's fault (the chain down to the access), under the conditions on its
 * parameters the paths to it knew.
 */
export function noteFault(context: FunctionContext, name: string, api: ApiEntry, n: AstNode, args: AstNode[], state: State): void {
  const facts = context.facts;
  if (!facts || !api.mayFault || state.pf > 0 || droppedCallersMmapLock(state) || !mayFaultWith(api, args, bitsKnownClearOn(state))) return;
  facts.fault ??= [context.step(n, `${name}() may fault on user memory`, 'fault'), ...(api.faultVia ?? [])].slice(0, 6);
  const bits = entryBitsSet(state, context.params);
  if (facts.faultBits) for (const k of [...facts.faultBits.keys()]) if (!bits.has(k)) facts.faultBits.delete(k);
  facts.faultBits ??= bits;
  if (facts.faultWhen === 'always') return;
  const when = entryConditions(state, context.params);
  // Past a few conditions, the function is taken to fault whatever its arguments.
  if (!Object.keys(when).length || (facts.faultWhen?.size ?? 0) >= MAX_FAULT_CONDITIONS) facts.faultWhen = 'always';
  else {
    const known = facts.faultWhen ?? (facts.faultWhen = new Map());
    known.set(JSON.stringify(when), when);
  }
}

/** Can a call of `api` with these arguments fault on this path (faultsWhen, faultsWithBits)? */
export function mayFaultWith(api: ApiEntry, args: readonly AstNode[], knownClear: BitsKnownClear): boolean {
  return mayFailWith(api.faultsWhen, args) && mayHaveBits(api.faultsWithBits, args, knownClear);
}

const byCallerCache = new WeakMap<object, Map<string, string | null>>();

/**
 * Why the function's callers run it with page faults disabled, if they do: its name says it runs in
 * atomic context (the kernel's `_inatomic` convention: the caller disables page faults and handles
 * -EFAULT), or it is what the file defines a hook the kernel calls that way as (kb
 * PAGEFAULT_DISABLED_HOOKS). Null otherwise.
 */
export function calledWithPagefaultsDisabled(name: string, file: { text: string }): string | null {
  if (/_inatomic(_|$)/.test(name)) return `${name}() runs in atomic context by the kernel's _inatomic convention: its callers disable page faults`;
  let known = byCallerCache.get(file);
  if (!known) byCallerCache.set(file, (known = new Map()));
  let reason = known.get(name);
  if (reason === undefined) {
    const hook = PAGEFAULT_DISABLED_HOOKS.find((h) => new RegExp(`#\\s*define\\s+${h}\\s*\\([^)]*\\)[\\s\\\\]*${name}\\s*\\(`).test(file.text));
    reason = hook ? `${name}() is this file's ${hook}(), which the kernel calls with page faults disabled` : null;
    known.set(name, reason);
  }
  return reason;
}
