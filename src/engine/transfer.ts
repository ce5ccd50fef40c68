// Transfer functions: how one CFG node (a statement, a condition, a guard, an iterator step, a
// switch case) changes the abstract state. Expressions are evaluated by src/engine/evaluate.ts;
// what a call does is src/engine/call-effects.ts, whose steps the models implement
// (src/engine/models/). Nothing here is about a rule.

import { AstNode, calleeName, callArgs, stripParens } from '../parse/ast.js';
import { lookupApi, GUARD_CLASSES } from '../kb/lock-api.js';
import { KERNEL_LOCK_CALLS, KERNEL_LOCK_GUARDS } from '../kb/kernel-locks.js';
import type { State } from './state.js';
import { keyOf, equalityKey, relationKey, isZeroLiteral } from './keys.js';
import { atomsOfNames, bitFactKey, knownBitTest } from './bit-tests.js';
import { knownCaseLabel, noLabelMatches } from './switch-cases.js';
import { V_ANY, V_ERR, V_NEG, V_POS, V_ZERO } from './events.js';
import type { GuardUse } from './cfg.js';
import { Evaluator } from './evaluate.js';
import { ANY, MAX_EXPR_PATHS, NONZERO, collapseStates, describeBits, oneLine, type Branches, type Value } from './values.js';
import { iterationBegins, iterationEnds } from './models/pointers.js';

export { keyOf, equalityNames, applyPath } from './keys.js';
export { declaredName, oneLine } from './values.js';
export { rwsemOwner, forgottenKey } from './models/lock-queries.js';
export { OutOfBudget, type EventSink, type FunctionContext } from './context.js';
export type { SummaryFacts } from './models/summary-facts.js';
export type { Value, Evaluated } from './values.js';

export class Transfer extends Evaluator {
  /** The atomic condition being evaluated was written negated (`!vma`): traces show it so. */
  private negated: { atom: AstNode; shown: AstNode } | null = null;

  // ---------------------------------------------------------------- statements

  /** An `eval` node: an expression, or a declaration with initialisers. */
  evalNode(n: AstNode, state: State): State[] {
    if (n.type === 'declaration') return this.declaration(n, state);
    return this.expr(n, state).map((o) => o.state);
  }

  evalReturn(n: AstNode, state: State): State[] {
    if (n.type === 'return_statement') {
      const next = state.clone();
      next.setRet(V_ANY, n);
      return [next];
    }
    return this.expr(n, state).map((o) => {
      const next = o.state.clone();
      next.setRet(o.value.bits, n, o.value.ptr, o.value.key ? this.context.canonical(o.value.key) : null);
      return next;
    });
  }

  /** An atomic condition node: the states where it is true and where it is false (`check`: inside a debug check). */
  evalCondition(n: AstNode, state: State, negatedFrom?: AstNode, check = false): Branches {
    this.negated = negatedFrom ? { atom: n, shown: negatedFrom } : null;
    try {
      return check ? this.inCheck('the check', () => this.cond(n, this.markTestedFields(n, state))) : this.cond(n, this.markTestedFields(n, state));
    } finally {
      this.negated = null;
    }
  }

  guard(g: GuardUse, state: State, phase: 'acquire' | 'release'): State[] {
    const cls = GUARD_CLASSES[g.cls] ?? KERNEL_LOCK_GUARDS[g.cls];
    if (!cls) return [state];
    const name = phase === 'acquire' ? cls.acquire : cls.release;
    const api = lookupApi(name);
    if (!api) {
      // A guard of a kernel lock (guard(mutex)(&m)): the scope runs where the acquisition succeeded.
      const outs = this.withKernelLocks(name, undefined, g.node, g.args, [{ state, value: ANY }]);
      const when = phase === 'acquire' ? KERNEL_LOCK_CALLS.get(name)?.when : undefined;
      return outs.filter((o) => !when || o.value.bits & (when === 'ret-zero' ? V_ZERO : V_POS)).map((o) => o.state);
    }
    const outs = this.withKernelLocks(name, api, g.node, g.args, this.applyCall(name, api, g.node, g.args, state));
    // A conditional guard whose lock attempt fails leaves its scope without running it.
    const conditional = phase === 'acquire' ? api.lock?.find((e) => e.when !== 'always') : undefined;
    if (!conditional) return outs.map((o) => o.state);
    const okBits = conditional.when === 'ret-zero' ? V_ZERO : NONZERO;
    return outs.filter((o) => o.value.bits & okBits).map((o) => o.state);
  }

  /** One iteration starts: the macro assigns its arguments; a VMA cursor is a VMA, not NULL. */
  iterBegin(macro: AstNode, args: AstNode[], state: State): State[] {
    return [iterationBegins(this.context, macro, args, state)];
  }

  /** The loop ran out: a VMA cursor is NULL now; other arguments hold unknown values. */
  iterEnd(macro: AstNode, args: AstNode[], state: State): State[] {
    return [iterationEnds(this.context, macro, args, state)];
  }

  /**
   * Entering `case value:` of `switch (on)` (the default when `value` is null): on == value here.
   * A path that knows `on` equals another of this switch's labels cannot take this edge
   * (src/engine/switch-cases.ts).
   */
  assumeCase(on: AstNode, value: AstNode | null, labels: readonly string[], state: State): State[] {
    const lk = keyOf(stripParens(on));
    if (value === null) {
      const d = noLabelMatches(lk, labels, state);
      return d ? [d] : [];
    }
    const known = lk !== null ? knownCaseLabel(lk, labels, state) : null;
    if (known !== null && known !== value.text) return [];
    const rk = keyOf(stripParens(value));
    if (lk === null || rk === null) return [state];
    const key = equalityKey(lk, rk);
    const r = this.refine(state, { bits: state.getVal(key), key }, NONZERO, value, true);
    return r ? [r] : [];
  }

  // ---------------------------------------------------------------- conditions

  cond(e: AstNode, state: State): Branches {
    const r = this.condPaths(e, state);
    if (r.t.length > MAX_EXPR_PATHS) r.t = collapseStates(r.t);
    if (r.f.length > MAX_EXPR_PATHS) r.f = collapseStates(r.f);
    return r;
  }

  private condPaths(e: AstNode, state: State): Branches {
    const n = stripParens(e);
    if (n.type === 'unary_expression' && n.operator === '!') {
      const r = this.cond(n.namedChildren[0], state);
      return { t: r.f, f: r.t };
    }
    if (n.type === 'binary_expression') {
      const r = this.binaryCondition(n, state);
      if (r) return r;
    }
    if (n.type === 'call_expression') {
      const r = this.callCondition(n, state);
      if (r) return r;
    }
    const def = n.type === 'identifier' ? state.defs.get(n.text) : undefined;
    if (def) {
      // A flag defined by a condition: testing it tests that condition too.
      const r = this.cond(def.node as AstNode, state);
      const v = (s: State): Value => ({ bits: s.getVal(n.text), key: n.text });
      return {
        t: r.t.map((s) => this.refine(s, v(s), NONZERO, n, true)).filter((s): s is State => s !== null),
        f: r.f.map((s) => this.refine(s, v(s), V_ZERO, n, false)).filter((s): s is State => s !== null),
      };
    }
    return this.splitOn(this.expr(n, state), n, NONZERO);
  }

  /** Each path of `outs` where the value has bits within `trueBits`, and where it has the others. */
  private splitOn(outs: { state: State; value: Value }[], n: AstNode, trueBits: number): Branches {
    const t: State[] = [];
    const f: State[] = [];
    for (const o of outs) {
      const a = this.refine(o.state, o.value, trueBits, n, true);
      const b = this.refine(o.state, o.value, V_ANY & ~trueBits, n, false);
      if (a) t.push(a);
      if (b) f.push(b);
    }
    return { t, f };
  }

  /** `a && b`, `a || b`, `p == NULL`, `x < 0`, a comparison of pure expressions; null for another. */
  private binaryCondition(n: AstNode, state: State): Branches | null {
    const op = n.operator;
    const l = n.child('left')!;
    const r = n.child('right')!;
    if (op === '&&' || op === '||') {
      const L = this.cond(l, state);
      const t: State[] = [];
      const f: State[] = [];
      const cont = op === '&&' ? L.t : L.f;
      for (const s of cont) {
        const R = this.cond(r, s);
        t.push(...R.t);
        f.push(...R.f);
      }
      if (op === '&&') f.push(...L.f);
      else t.push(...L.t);
      return { t, f };
    }
    if ((op === '==' || op === '!=') && (isZeroLiteral(r) || isZeroLiteral(l))) {
      const other = isZeroLiteral(r) ? l : r;
      const branches = this.cond(other, state);
      return op === '==' ? { t: branches.f, f: branches.t } : branches;
    }
    if ((op === '<' || op === '>=' || op === '>' || op === '<=') && isZeroLiteral(r)) {
      // Sign tests against 0: x < 0 is the errno test.
      const trueBits = op === '<' ? V_NEG : op === '>=' ? V_ZERO | V_POS : op === '>' ? V_POS : V_ZERO | V_NEG;
      return this.splitOn(this.expr(l, state), n, trueBits);
    }
    const rel = relationKey(n);
    if (!rel) return null;
    // A comparison of two pure expressions is remembered, so a later test of the same
    // comparison (`if (mm != &init_mm)` twice) takes the same branch.
    const t: State[] = [];
    const f: State[] = [];
    for (const o of this.expr(l, state).flatMap((x) => this.expr(r, x.state))) {
      const v: Value = { bits: o.state.getVal(rel.key), key: rel.key };
      const a = this.refine(o.state, v, rel.positive ? NONZERO : V_ZERO, n, true);
      const b = this.refine(o.state, v, rel.positive ? V_ZERO : NONZERO, n, false);
      if (a) t.push(a);
      if (b) f.push(b);
    }
    return { t, f };
  }

  /** A transparent call (`likely(c)`) or an error test (`IS_ERR(p)`) as a condition; null for another call. */
  private callCondition(n: AstNode, state: State): Branches | null {
    const name = calleeName(n);
    const api = name ? this.apiOf(name) : undefined;
    const args = callArgs(n);
    if (api?.transparent && args.length >= 1) {
      if (this.context.sink) this.context.sink.call(n, name, api, args, state, []);
      return api.check === 'debug' ? this.inCheck(name!, () => this.cond(args[0], state)) : this.cond(args[0], state);
    }
    if (api?.errorTest && args.length >= 1) {
      if (this.context.sink) this.context.sink.call(n, name, api, args, state, []);
      const bad = api.errorTest === 'err' ? V_ERR : V_ERR | V_ZERO;
      return this.splitOn(this.expr(args[0], state), n, bad);
    }
    if (api?.trueOnlyWithBits && args[api.trueOnlyWithBits.arg]) return this.bitsCondition(n, api.trueOnlyWithBits, args[api.trueOnlyWithBits.arg]!, state);
    return null;
  }

  /**
   * A call true only when its argument has a bit of a mask (ApiEntry.trueOnlyWithBits,
   * `fault_signal_pending(fault, regs)`): where it is true, so is that bit test of the argument.
   */
  private bitsCondition(n: AstNode, bits: { mask: readonly string[] }, arg: AstNode, state: State): Branches | null {
    const variable = keyOf(stripParens(arg));
    if (!variable) return null;
    const atoms = atomsOfNames(bits.mask, this.context.constantValue);
    const r = this.splitOn(this.expr(n, state), n, NONZERO);
    const test = (s: State): Value => ({ bits: knownBitTest(s, variable, atoms, this.context.constantValue), key: bitFactKey(variable, atoms), display: `${oneLine(arg.text)} & ${bits.mask.join(' | ')}` });
    return { t: r.t.map((s) => this.refine(s, test(s), NONZERO, n, true)).filter((s): s is State => s !== null), f: r.f };
  }

  /** The state where value `v` has bits within `bits`, or null when that is impossible. */
  private refine(state: State, v: Value, bits: number, cond: AstNode, truth: boolean): State | null {
    const have = v.bits & bits;
    if (have === 0) return null;
    if (v.key === null) return state;
    const cur = state.getVal(v.key) & bits;
    if (cur === 0) return null;
    if (cur === state.getVal(v.key)) return state;
    const next = state.clone();
    next.setVal(v.key, cur);
    // Other names of the same looked-up pointer (`*vmap = vma = find_vma(...)`) learn the same.
    const origin = next.ptrs.get(v.key)?.origin;
    if (origin) {
      for (const [k, p] of next.ptrs) if (k !== v.key && p.origin === origin) next.setVal(k, next.getVal(k) & bits || cur);
    }
    const pointer = next.ptrs.has(v.key);
    if (this.negated && this.negated.atom === cond) {
      cond = this.negated.shown;
      truth = !truth;
    }
    next.addStep(this.context.step(cond, `condition \`${oneLine(cond.text)}\` is ${truth ? 'true' : 'false'}: \`${v.display ?? v.key}\` ${describeBits(cur, pointer)}`, 'branch'), [v.key]);
    return next;
  }
}
