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

/**
 * The hooks the file being analysed defines a function as, by function name (the one file a worker
 * analyses at a time: its text is searched once, not once a function).
 */
let hooksOfFile: { text: string; byName: Map<string, string> } | null = null;

function hooksDefinedIn(text: string): Map<string, string> {
  if (hooksOfFile?.text === text) return hooksOfFile.byName;
  const byName = new Map<string, string>();
  for (const hook of PAGEFAULT_DISABLED_HOOKS) {
    if (!text.includes(hook)) continue;
    for (const m of text.matchAll(new RegExp(`#\\s*define\\s+${hook}\\s*\\([^)]*\\)[\\s\\\\]*([A-Za-z_]\\w*)\\s*\\(`, 'g'))) if (!byName.has(m[1]!)) byName.set(m[1]!, hook);
  }
  hooksOfFile = { text, byName };
  return byName;
}

/**
 * Why the function's callers run it with page faults disabled, if they do: its name says it runs in
 * atomic context (the kernel's `_inatomic` convention: the caller disables page faults and handles
 * -EFAULT), or it is what the file defines a hook the kernel calls that way as (kb
 * PAGEFAULT_DISABLED_HOOKS). Null otherwise.
 */
export function calledWithPagefaultsDisabled(name: string, file: { text: string }): string | null {
  if (/_inatomic(_|$)/.test(name)) return `${name}() runs in atomic context by the kernel's _inatomic convention: its callers disable page faults`;
  const hook = hooksDefinedIn(file.text).get(name);
  return hook ? `${name}() is this file's ${hook}(), which the kernel calls with page faults disabled` : null;
}
