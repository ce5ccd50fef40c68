// Abstract values of expressions as the evaluation computes them, and the small helpers every
// part of the transfer shares: joining paths past the bound, words for a value on a branch.

import type { AstNode } from '../parse/ast.js';
import type { LockEffect } from '../kb/lock-api.js';
import type { TraceStep } from '../types.js';
import type { BitFact } from './bit-tests.js';
import type { State, PointerFact } from './state.js';
import { joinStates } from './state-join.js';
import { V_ANY, V_ERR, V_NEG, V_POS, V_ZERO } from './events.js';

export interface Value {
  bits: number;
  /** Normalised key of the expression when it is a pure path (its value can be refined). */
  key: string | null;
  ptr?: PointerFact;
  /** The returned pointer carries a lock that the variable it is assigned to will name. */
  lockOnRet?: LockOnReturn;
  /** How a branch on the value names it, where its key is not the expression (a bit test's). */
  display?: string;
  /** What a call's result has of masks of named constants (handle_mm_fault()'s VM_FAULT_RETRY): its variable learns it. */
  bitFacts?: readonly BitFact[];
}

/** A lock a call takes on the pointer it returns (`lock_vma_under_rcu()`): applied when the pointer is assigned. */
export interface LockOnReturn {
  effect: LockEffect;
  step: TraceStep;
  display: string;
  callee: string;
  /** The path where the call succeeded (the lock is taken) rather than failed. */
  ok: boolean;
}

/** One path out of evaluating an expression: the state after it, and the expression's value there. */
export interface Evaluated {
  state: State;
  value: Value;
}

/** The states where a condition is true, and where it is false. */
export interface Branches {
  t: State[];
  f: State[];
}

export const ANY: Value = { bits: V_ANY, key: null };
export const NONZERO = V_POS | V_NEG | V_ERR;

/**
 * Paths one expression may split into (`?:` in each of 23 call arguments would be 2^23): past
 * this, states that hold the same locks are joined, as the dataflow joins at a CFG node.
 */
export const MAX_EXPR_PATHS = 16;

export function collapseStates(states: State[]): State[] {
  const bySignature = new Map<string, State>();
  for (const s of states) {
    const signature = s.lockSignature();
    const prior = bySignature.get(signature);
    bySignature.set(signature, prior ? joinStates(prior, s) : s);
  }
  return [...bySignature.values()];
}

export function collapseEvaluated(outs: Evaluated[]): Evaluated[] {
  const bySignature = new Map<string, Evaluated>();
  for (const o of outs) {
    const signature = o.state.lockSignature();
    const prior = bySignature.get(signature);
    if (!prior) {
      bySignature.set(signature, o);
      continue;
    }
    const key = prior.value.key === o.value.key ? prior.value.key : null;
    const lockOnRet = prior.value.lockOnRet === o.value.lockOnRet ? prior.value.lockOnRet : undefined;
    bySignature.set(signature, { state: joinStates(prior.state, o.state), value: { bits: prior.value.bits | o.value.bits, key, ...(lockOnRet ? { lockOnRet } : {}) } });
  }
  return [...bySignature.values()];
}

/** Words for an abstract value on a branch: "is NULL", "is non-zero", "is negative"... */
export function describeBits(bits: number, pointer: boolean): string {
  if (bits === V_ZERO) return pointer ? 'is NULL' : 'is 0';
  if ((bits & V_ZERO) === 0) {
    if (bits === V_NEG) return 'is negative';
    if (bits === V_ERR) return 'is an ERR_PTR';
    return pointer ? 'is not NULL' : 'is non-zero';
  }
  if (bits === (V_ZERO | V_POS)) return 'is not negative';
  return 'is not an ERR_PTR';
}

export function oneLine(s: string): string {
  const folded = s.replace(/\s+/g, ' ').trim();
  return folded.length > 60 ? `${folded.slice(0, 57)}...` : folded;
}

/** The value of a call is not used: it is a statement of its own (`WARN_ON(x);`, `(void)WARN_ON(x);`). */
export function valueDiscarded(n: AstNode): boolean {
  let p = n.parent;
  while (p && (p.type === 'parenthesized_expression' || p.type === 'cast_expression')) p = p.parent;
  return p?.type === 'expression_statement';
}

/** The identifier a declarator declares (through pointers, arrays, attributes). */
export function declaredName(d: AstNode | null): string | null {
  let cur = d;
  while (cur) {
    if (cur.type === 'identifier') return cur.text;
    const next: AstNode | null = cur.child('declarator');
    if (!next) {
      const id = cur.namedChildren.find((c) => c.type === 'identifier');
      return id ? id.text : null;
    }
    cur = next;
  }
  return null;
}
