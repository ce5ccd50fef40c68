// Conditions on a function's arguments: what a path knew of the parameters as they were passed
// (recorded where a summary's behaviour depends on them: a failure return, a call that may
// fault), and whether the arguments of a call can meet such a condition.

import { stripParens, type AstNode } from '../parse/ast.js';
import type { State } from './state.js';
import { isNamedConstant } from './c-names.js';
import { ENTRY_SNAPSHOT, V_ANY, V_POS, V_SELECTED, V_ZERO } from './events.js';
import { knownBitTest, parseBitFactKey } from './bit-tests.js';
import { keyOf } from './keys.js';

export { equalityKey, equalityNames } from './keys.js';
import { equalityNames } from './keys.js';

/**
 * What a path knew of the parameters' values as passed (V_* bits by parameter, only the known
 * ones): tests of a parameter before the body assigns it, kept at the assignment.
 */
export function entryConditions(pathState: State, params: readonly string[]): Record<number, number> {
  const out: Record<number, number> = {};
  params.forEach((name, i) => {
    const snap = pathState.paramEntry.get(i);
    // No snapshot: the path did not assign it (snapshots are never evicted).
    const bits = snap !== undefined ? snap & ~ENTRY_SNAPSHOT : pathState.getVal(name);
    if (bits !== V_ANY) out[i] = bits;
    else if (snap === undefined && comparedEqualToConstant(pathState, name)) out[i] = V_ANY | V_SELECTED;
  });
  return out;
}

/** A parameter known to have one of some bits (ApiEntry.faultsWithBits), by its bit-test key. */
export type ParameterBits = Map<string, { arg: number; atoms: string[] }>;

/**
 * The bit tests of parameters, as passed, that the path knows to have a bit set (`fault &
 * VM_FAULT_RETRY` after `fault_signal_pending(fault, regs)` was true), by key.
 */
export function entryBitsSet(pathState: State, params: readonly string[]): ParameterBits {
  const out: ParameterBits = new Map();
  for (const [key, bits] of pathState.values) {
    if (bits & V_ZERO || !bits) continue;
    const fact = parseBitFactKey(key);
    const arg = fact ? params.indexOf(fact.variable) : -1;
    if (arg < 0 || pathState.paramEntry.has(arg) || !fact!.atoms.length) continue;
    out.set(key, { arg, atoms: fact!.atoms });
  }
  return out;
}

/** Does the path know `variable & atoms` to be zero? */
export type BitsKnownClear = (variable: string, atoms: readonly string[]) => boolean;

/** The path's answer for BitsKnownClear. */
export function bitsKnownClearOn(pathState: State): BitsKnownClear {
  return (variable, atoms) => knownBitTest(pathState, variable, atoms) === V_ZERO;
}

/** Can a call with these arguments, on this path, have the bits a callee needs (faultsWithBits)? */
export function mayHaveBits(needs: readonly { arg: number; atoms: readonly string[] }[] | undefined, args: readonly AstNode[], knownClear: BitsKnownClear): boolean {
  if (!needs) return true;
  return needs.every(({ arg, atoms }) => {
    const e = args[arg];
    const k = e ? keyOf(stripParens(e)) : null;
    return !k || !knownClear(k, atoms);
  });
}

/** Does the path know `name == CONSTANT` (a named constant, value unknown) to be true? */
function comparedEqualToConstant(pathState: State, name: string): boolean {
  for (const [key, bits] of pathState.values) {
    if (bits & V_ZERO) continue;
    const sides = equalityNames(key);
    if (!sides) continue;
    const other = sides[0] === name ? sides[1] : sides[1] === name ? sides[0] : null;
    if (other !== null && isNamedConstant(other)) return true;
  }
  return false;
}

/** What an argument's text alone says of its value: a constant, NULL, `&x` (never NULL). */
export function argumentBits(arg: AstNode): number {
  const e = stripParens(arg);
  if (/^(0+[uUlL]*|NULL|false)$/.test(e.text)) return V_ZERO;
  if (e.type === 'number_literal' || e.text === 'true') return V_POS;
  if (e.type === 'pointer_expression' && e.operator === '&') return V_POS;
  return V_ANY;
}

/**
 * Can a call with these arguments meet one of the conditions (`failsWhen`, `faultsWhen`)? A
 * function that fails (or faults) only when they hold does not with arguments that meet none.
 */
export function mayFailWith(conditions: readonly Record<number, number>[] | undefined, args: readonly AstNode[]): boolean {
  if (!conditions) return true;
  return conditions.some((when) => Object.entries(when).every(([i, need]) => !args[Number(i)] || (argumentBits(args[Number(i)]) & need) !== 0));
}
