// Expression evaluation: how evaluating one expression changes the abstract state and what value
// it has. Evaluation can split a state (a lock call that may fail gives a "locked, returned 0"
// and a "not locked, returned -EINTR" state), so every function here returns a list of paths.
// What a call of a known function does is src/engine/call-effects.ts; conditions and statements
// are src/engine/transfer.ts, which extends this class.

import { performance } from 'node:perf_hooks';
import { AstNode, addressOperand, calleeName, callArgs, stripParens } from '../parse/ast.js';
import type { ApiEntry } from '../kb/lock-api.js';
import { PLAIN_STORE_MACROS } from '../kb/vma-fields.js';
import { State, mentions } from './state.js';
import { isNamedConstant } from './c-names.js';
import { keyOf, equalityKey, isPureCondition, literalBits, isZeroLiteral } from './keys.js';
import { atomsOfNames, bitFactKey, bitTestOf, expressionBits, knownBitTest, possibleBits, setPossibleBits } from './bit-tests.js';
import { copyConstantFacts, isOutKey, snapshotField } from './out-values.js';
import { noteStartBound } from './start-bounds.js';
import { V_ANY, V_NEG, V_POS, V_ZERO, type LockStateName } from './events.js';
import { OutOfBudget, type FunctionContext } from './context.js';
import { applyCallEffects, type CallEvaluator } from './call-effects.js';
import { ANY, MAX_EXPR_PATHS, NONZERO, collapseEvaluated, collapseStates, declaredName, oneLine, valueDiscarded, type Branches, type Evaluated, type Value } from './values.js';
import { assignLocks, assignReturnedLock, forgetRepointed, forgetThroughFlag, mayWriteLock } from './models/locks.js';
import { mmapLockOfVma } from './models/lock-queries.js';
import type { LockKey } from './lock-keys.js';
import { assignPointer, markTestedFields } from './models/pointers.js';
import { noteDeref, noteModify, noteVmaWriteNeeded } from './models/summary-facts.js';
import { applyKernelLockCall } from './models/kernel-locks.js';

export abstract class Evaluator implements CallEvaluator {
  /** Wall-clock time (performance.now()) past which evaluation stops; set by the dataflow. */
  deadline = Infinity;
  private evaluations = 0;
  /** The check macro whose condition is being evaluated (see ApiEntry.check), null outside one. */
  check: string | null = null;

  constructor(readonly context: FunctionContext) {}

  /** The states where a condition is true and where it is false (src/engine/transfer.ts). */
  abstract cond(e: AstNode, state: State): Branches;

  /**
   * What the run knows of a callee: a function the file defines itself (nommu.c's own find_vma(),
   * say) is described by its body; only what this analysis cannot yet derive from a body (lock
   * effects, faulting) is kept from the table.
   */
  apiOf(name: string): ApiEntry | undefined {
    return this.context.resolve(name);
  }

  /** A key as this function's lock keys write it (single-assignment aliases followed). */
  canonicalKey(key: string): string {
    return this.context.canonical(key);
  }

  /** The mmap lock that protects a VMA on this path (src/engine/models/lock-queries.ts). */
  mmapLockOfVma(vmaKey: string, state: State): { key: LockKey; state: LockStateName } | null {
    return mmapLockOfVma(this.context, vmaKey, state);
  }

  protected inCheck<T>(name: string, f: () => T): T {
    const outer = this.check;
    this.check = outer ?? name;
    try {
      return f();
    } finally {
      this.check = outer;
    }
  }

  /** Inside the condition of a check compiled only with CONFIG_DEBUG_VM (VM_WARN_ON(), VM_BUG_ON()). */
  private inDebugCheck(): boolean {
    return this.check !== null && this.apiOf(this.check)?.check === 'debug';
  }

  protected markTestedFields(n: AstNode, state: State): State {
    return markTestedFields(this.context, n, state);
  }

  protected declaration(n: AstNode, state: State): State[] {
    let states = [state];
    for (const d of n.childrenOf('declarator')) {
      const next: State[] = [];
      for (const s of states) {
        if (d.type === 'init_declarator') {
          const name = declaredName(d.child('declarator'));
          const value = d.child('value');
          if (!value) {
            next.push(s);
            continue;
          }
          for (const o of this.expr(value, s)) next.push(name ? this.assign(name, o.value, o.state, value) : o.state);
        } else {
          const name = declaredName(d);
          if (name && s.hasValueFacts()) {
            const copy = s.clone();
            copy.kill(name);
            next.push(copy);
          } else next.push(s);
        }
      }
      states = next;
    }
    return states;
  }

  expr(n: AstNode, state: State, addressOnly = false): Evaluated[] {
    if ((++this.evaluations & 1023) === 0 && performance.now() > this.deadline) throw new OutOfBudget();
    const outs = this.exprPaths(n, state, addressOnly);
    return outs.length > MAX_EXPR_PATHS ? collapseEvaluated(outs) : outs;
  }

  private exprPaths(n: AstNode, state: State, addressOnly: boolean): Evaluated[] {
    switch (n.type) {
      case 'identifier':
        return [{ state, value: { bits: state.getVal(n.text), key: n.text, ptr: state.ptrs.get(n.text) } }];
      case 'number_literal':
        return [{ state, value: { bits: literalBits(n.text), key: null } }];
      case 'true':
      case 'string_literal':
      case 'concatenated_string':
        return [{ state, value: { bits: V_POS, key: null } }];
      case 'false':
      case 'null':
        return [{ state, value: { bits: V_ZERO, key: null } }];
      case 'parenthesized_expression': {
        const inner = n.namedChildren[0];
        return inner ? this.expr(inner, state, addressOnly) : [{ state, value: ANY }];
      }
      case 'cast_expression': {
        const v = n.child('value');
        return v ? this.expr(v, state) : [{ state, value: ANY }];
      }
      case 'field_expression':
        return this.field(n, state, addressOnly);
      case 'pointer_expression':
        return this.pointerExpression(n, state);
      case 'subscript_expression':
        return this.subscript(n, state, addressOnly);
      case 'unary_expression':
        return this.unary(n, state);
      case 'binary_expression':
        return this.binary(n, state);
      case 'assignment_expression':
        return this.assignment(n, state);
      case 'update_expression':
        return this.update(n, state);
      case 'call_expression':
        return this.call(n, state);
      case 'conditional_expression':
        return this.conditional(n, state);
      case 'comma_expression':
        return this.sequence([n.child('left'), n.child('right')], state);
      case 'sizeof_expression':
      case 'alignof_expression':
      case 'offsetof_expression':
      case 'generic_expression':
      case 'gnu_asm_expression':
      case 'char_literal':
        return [{ state, value: ANY }];
      case 'statement_expression':
        return this.statementExpression(n, state);
      default: {
        let outs: Evaluated[] = [{ state, value: ANY }];
        for (const child of n.namedChildren) {
          outs = outs.flatMap((o) => this.expr(child, o.state).map((p) => ({ state: p.state, value: ANY })));
          if (outs.length > MAX_EXPR_PATHS) outs = collapseEvaluated(outs);
        }
        return outs;
      }
    }
  }

  /** `a, b` (and a binary expression's operands): each in turn; the value is the last one's. */
  private sequence(parts: (AstNode | null)[], state: State): Evaluated[] {
    const [l, r] = parts;
    let outs = l ? this.expr(l, state) : [{ state, value: ANY }];
    if (r) outs = outs.flatMap((o) => this.expr(r, o.state));
    return outs;
  }

  /** `&x` (an address: x is evaluated for its address only) or `*p` (a dereference of p). */
  private pointerExpression(n: AstNode, state: State): Evaluated[] {
    const arg = n.child('argument');
    if (!arg) return [{ state, value: ANY }];
    if (n.operator === '&') return this.expr(arg, state, true).map((o) => ({ state: o.state, value: { bits: V_POS, key: keyOf(n) } }));
    return this.expr(arg, state).map((o) => {
      const k = keyOf(arg);
      if (k) noteDeref(this.context, k, o.state);
      if (k && this.context.sink) this.context.sink.deref(n, arg, k, null, o.state, this.inDebugCheck());
      const key = keyOf(n);
      return { state: o.state, value: { bits: key ? o.state.getVal(key) : V_ANY, key } };
    });
  }

  private subscript(n: AstNode, state: State, addressOnly: boolean): Evaluated[] {
    const arg = n.child('argument');
    const idx = n.child('index');
    let outs = arg ? this.expr(arg, state) : [{ state, value: ANY }];
    if (idx) outs = outs.flatMap((o) => this.expr(idx, o.state));
    return outs.map((o) => {
      const k = arg ? keyOf(arg) : null;
      if (k && arg && this.context.sink && !addressOnly) this.context.sink.deref(n, arg, k, null, o.state, this.inDebugCheck());
      const key = keyOf(n);
      return { state: o.state, value: { bits: key ? o.state.getVal(key) : V_ANY, key } };
    });
  }

  private unary(n: AstNode, state: State): Evaluated[] {
    const arg = n.namedChildren[0];
    if (!arg) return [{ state, value: ANY }];
    const op = n.operator;
    return this.expr(arg, state).map((o) => {
      let bits = V_ANY;
      if (op === '!') {
        bits = o.value.bits === V_ZERO ? V_POS : o.value.bits & V_ZERO ? V_ZERO | V_POS : V_ZERO;
      } else if (op === '-') {
        if (arg.type === 'number_literal') bits = literalBits(arg.text) === V_ZERO ? V_ZERO : V_NEG;
        else if (arg.type === 'identifier' && /^E[A-Z0-9]+$/.test(arg.text)) bits = V_NEG;
      }
      return { state: o.state, value: { bits, key: null } };
    });
  }

  private binary(n: AstNode, state: State): Evaluated[] {
    const l = n.child('left');
    const r = n.child('right');
    const zeroTest = (n.operator === '==' || n.operator === '!=') && l && r && (isZeroLiteral(l) || isZeroLiteral(r));
    if (l && r && (n.operator === '&&' || n.operator === '||' || zeroTest)) {
      // Short-circuit: the right side is evaluated only where the left side lets it be.
      const branches = this.cond(n, this.markTestedFields(n, state));
      return [...branches.t.map((s) => ({ state: s, value: { bits: V_POS, key: null } })), ...branches.f.map((s) => ({ state: s, value: { bits: V_ZERO, key: null } }))];
    }
    const outs = this.sequence([l, r], state);
    const op = n.operator ?? '';
    const comparison = ['==', '!=', '<', '>', '<=', '>=', '&&', '||'].includes(op);
    // `fault & VM_FAULT_RETRY`: kept by mask (src/engine/bit-tests.ts), decided by other masks' facts.
    const test = op === '&' && l && r ? bitTestOf(l, r, keyOf, this.context.constantValue) : null;
    if (test) {
      const factKey = bitFactKey(test.variable, test.atoms);
      return outs.map((o) => ({ state: o.state, value: { bits: knownBitTest(o.state, test.variable, test.atoms, this.context.constantValue), key: factKey, display: keyOf(n) ?? oneLine(n.text) } }));
    }
    const key = keyOf(n);
    return outs.map((o) => ({ state: o.state, value: { bits: comparison ? V_ZERO | V_POS : key ? o.state.getVal(key) : V_ANY, key } }));
  }

  /** `x++`, `--p->count`: what was known of x goes. */
  private update(n: AstNode, state: State): Evaluated[] {
    const arg = n.child('argument') ?? n.namedChildren[0];
    const k = arg ? keyOf(arg) : null;
    const outs = arg ? this.expr(arg, state) : [{ state, value: ANY }];
    return outs.map((o) => {
      if (!k) return { state: o.state, value: ANY };
      const copy = o.state.clone();
      copy.kill(k);
      return { state: copy, value: ANY };
    });
  }

  /** `c ? a : b`: a where c holds, b where it does not. */
  private conditional(n: AstNode, state: State): Evaluated[] {
    const condition = n.child('condition');
    const a = n.child('consequence');
    const b = n.child('alternative');
    if (!condition) return [{ state, value: ANY }];
    const branches = this.cond(condition, this.markTestedFields(condition, state));
    const outs: Evaluated[] = [];
    for (const s of branches.t) outs.push(...(a ? this.expr(a, s) : [{ state: s, value: ANY }]));
    for (const s of branches.f) outs.push(...(b ? this.expr(b, s) : [{ state: s, value: ANY }]));
    return outs;
  }

  /** `({ ...; })`: its expression statements and declarations in turn. */
  private statementExpression(n: AstNode, state: State): Evaluated[] {
    let states = [state];
    const body = n.namedChildren[0];
    for (const s of body ? body.namedChildren : []) {
      if (s.type === 'expression_statement' && s.namedChildren[0]) {
        const e = s.namedChildren[0];
        states = states.flatMap((x) => this.expr(e, x).map((o) => o.state));
      } else if (s.type === 'declaration') {
        states = states.flatMap((x) => this.declaration(s, x));
      }
      if (states.length > MAX_EXPR_PATHS) states = collapseStates(states);
    }
    return states.map((x) => ({ state: x, value: ANY }));
  }

  private field(n: AstNode, state: State, addressOnly: boolean): Evaluated[] {
    const arg = n.child('argument');
    const field = n.child('field');
    if (!arg) return [{ state, value: ANY }];
    const arrow = n.operator === '->';
    return this.expr(arg, state, !arrow && addressOnly).map((o) => {
      if (arrow && !addressOnly) {
        const k = keyOf(arg);
        if (k) noteDeref(this.context, k, o.state);
        if (k && this.context.sink) this.context.sink.deref(n, arg, k, field ? field.text : null, o.state, this.inDebugCheck());
      }
      const key = keyOf(n);
      return { state: o.state, value: { bits: key ? o.state.getVal(key) : V_ANY, key, ptr: key ? o.state.ptrs.get(key) : undefined } };
    });
  }

  private assignment(n: AstNode, state: State): Evaluated[] {
    const left = n.child('left');
    const right = n.child('right');
    const op = n.operator ?? '=';
    if (!left) return [{ state, value: ANY }];
    let outs = right ? this.expr(right, state) : [{ state, value: ANY }];
    const target = stripParens(left);
    if (target.type === 'field_expression') outs = this.fieldWrite(n, target, outs);
    // The left side is evaluated for its dereferences (p->f = ... dereferences p).
    if (left.type !== 'identifier') {
      outs = outs.flatMap((o) => this.expr(left, o.state, false).map((l) => ({ state: l.state, value: o.value })));
    }
    const key = keyOf(left);
    return outs.map((o) => {
      if (!key) return { state: o.state, value: ANY };
      if (op !== '=') {
        // `flags |= FAULT_FLAG_WRITE`: the bits a variable built from constants may have stay known.
        const was = op === '|=' && right ? possibleBits(o.state, key) : null;
        const added = was && right ? expressionBits(right, o.state, keyOf, this.context.constantValue) : null;
        const copy = o.state.clone();
        snapshotField(copy, this.context.canonical(key), key, this.context.params);
        copy.kill(key);
        if (was && added) setPossibleBits(copy, key, [...was, ...added]);
        return { state: copy, value: { bits: V_ANY, key } };
      }
      const assigned = this.assign(key, o.value, o.state, right ?? n);
      return { state: assigned, value: { bits: o.value.bits, key, ptr: assigned.ptrs.get(key) } };
    });
  }

  /** `object->field = ...`: the rules see the write; a VMA field write the summary must know of is marked. */
  private fieldWrite(n: AstNode, target: AstNode, outs: Evaluated[]): Evaluated[] {
    const object = target.child('argument');
    const field = target.child('field')?.text;
    if (!object || !field) return outs;
    const objectKey = keyOf(object);
    return outs.map((o) => {
      if (this.context.sink) this.context.sink.write(n, object, objectKey, field, target.operator === '->', o.state);
      if (objectKey && target.operator === '->' && this.context.vmaLockedFields.includes(field)) {
        noteVmaWriteNeeded(this.context, objectKey, o.state, o.state, () => ({ at: this.context.step(n, `\`${oneLine(target.text)}\` written here with the mmap write lock held but no VMA write lock taken or asserted: page faults under the per-VMA lock read it`, 'modify'), via: [] }));
      }
      const i = objectKey && target.operator === '->' && this.context.vmaWriteFields.includes(field) ? noteModify(this.context, objectKey, o.state, n, `writes \`${oneLine(target.text)}\``) : -1;
      if (i < 0) return o;
      const copy = o.state.clone();
      copy.setModified(i);
      return { state: copy, value: o.value };
    });
  }

  /** `key = value`: the old facts about key go, the value's facts come. */
  protected assign(key: string, value: Value, state: State, at: AstNode): State {
    const copy = state.clone();
    snapshotField(copy, this.context.canonical(key), key, this.context.params);
    copy.kill(key);
    copy.setVal(key, value.bits);
    setPossibleBits(copy, key, expressionBits(at, state, keyOf, this.context.constantValue));
    for (const f of value.bitFacts ?? []) copy.setVal(bitFactKey(key, atomsOfNames(f.mask, this.context.constantValue)), f.set ? NONZERO : V_ZERO);
    if (/^\w+$/.test(key) && isPureCondition(at) && !mentions(at.text, key)) copy.setDef(key, at.text, at);
    const rhs = stripParens(at);
    noteStartBound(copy, key, rhs);
    if ((/^\w+$/.test(key) || isOutKey(this.context.canonical(key), this.context.params)) && (rhs.type === 'identifier' || rhs.type === 'number_literal') && rhs.text !== key) {
      copy.setConst(key, rhs.text);
      // What the path knows of the variable against named constants holds of its copy (which
      // outlives it: `s->lock_mode = lock_mode;` records the mode for the caller).
      if (rhs.type === 'identifier' && !isNamedConstant(rhs.text)) copyConstantFacts(copy, rhs.text, key);
    }
    // `addr = -EFAULT;`: a later `addr != -EFAULT` is decided until addr changes.
    const rk = keyOf(rhs);
    if (/^\w+$/.test(key) && rk && rk !== key && (/^-?[0-9]\w*$/.test(rk) || isNamedConstant(rk.replace(/^-/, '')))) copy.setVal(equalityKey(key, rk), V_POS);
    assignLocks(this.context, copy, key, value, at);
    if (value.ptr) assignPointer(this.context, copy, key, value.ptr);
    if (value.lockOnRet) assignReturnedLock(this.context, copy, key, value.lockOnRet, at);
    return copy;
  }

  private call(n: AstNode, state: State): Evaluated[] {
    const fnExpr = n.child('function');
    const name = calleeName(n);
    const args = callArgs(n);
    let states: State[] = [state];
    if (fnExpr && fnExpr.type !== 'identifier') states = this.expr(fnExpr, state).map((o) => o.state);
    const api = name ? this.apiOf(name) : undefined;
    if (api?.errorTest || api?.transparent || api?.assertsFalseArg !== undefined) {
      // Evaluated through the condition logic (arguments included). A check's condition is an
      // assertion where the check is compiled out without CONFIG_DEBUG_VM or its value is unused.
      const asserts = api.check === 'debug' || api.assertsFalseArg !== undefined || (api.check && valueDiscarded(n));
      return states.flatMap((s) => (asserts ? this.inCheck(name!, () => this.applyCall(name!, api, n, args, s)) : this.applyCall(name!, api, n, args, s)));
    }
    for (const a of args) {
      states = states.length === 1 ? statesOf(this.expr(a, states[0])) : states.flatMap((s) => statesOf(this.expr(a, s)));
      if (states.length > MAX_EXPR_PATHS) states = collapseStates(states);
    }
    const stored = name && PLAIN_STORE_MACROS.includes(name) && args[0] ? stripParens(args[0]) : null;
    if (!api && stored?.type === 'field_expression') {
      // WRITE_ONCE(vma->f, v): a store to the field, as `vma->f = v` is (the rules see the write).
      return states.flatMap((s) => {
        if (this.context.sink) this.context.sink.call(n, name, undefined, args, s, []);
        return this.fieldWrite(n, stored, [{ state: this.havocUnknownCall(n, name, args, s), value: ANY }]);
      });
    }
    if (!api) {
      return states.flatMap((s) => {
        if (this.context.sink) this.context.sink.call(n, name, undefined, args, s, []);
        return this.withKernelLocks(name, undefined, n, args, [{ state: this.havocUnknownCall(n, name, args, s), value: ANY }]);
      });
    }
    if (states.length === 1) return this.withKernelLocks(name, api, n, args, this.applyCall(name!, api, n, args, states[0]));
    return states.flatMap((s) => this.withKernelLocks(name, api, n, args, this.applyCall(name!, api, n, args, s)));
  }

  /**
   * The call's kernel-lock effects (models/kernel-locks.ts) on each way it went: a lock call that
   * may fail (a trylock, `_killable`) splits each way by its returned value.
   */
  withKernelLocks(name: string | null, api: ApiEntry | undefined, n: AstNode, args: AstNode[], outs: Evaluated[]): Evaluated[] {
    if (!name) return outs;
    const split = (o: Evaluated, ways: ReturnType<typeof applyKernelLockCall> & object): Evaluated[] =>
      ways.flatMap((w) => {
        if (w.bits === undefined) return [{ state: w.state, value: o.value }];
        const bits = o.value.bits & w.bits;
        return bits ? [{ state: w.state, value: { ...o.value, bits } }] : [];
      });
    // Most calls are no kernel lock's: the one way goes on as it came.
    if (outs.length === 1) {
      const ways = applyKernelLockCall(this.context, this.context.source, name, api, n, args, outs[0].state);
      return ways ? split(outs[0], ways) : outs;
    }
    return outs.flatMap((o) => {
      const ways = applyKernelLockCall(this.context, this.context.source, name, api, n, args, o.state);
      return ways ? split(o, ways) : [o];
    });
  }

  /** Applies a knowledge-base entry to a call whose arguments were evaluated (CALL_EFFECTS, in order). */
  applyCall(name: string, api: ApiEntry, n: AstNode, args: AstNode[], state: State): Evaluated[] {
    return applyCallEffects(this, name, api, n, args, state);
  }

  /**
   * An unknown callee may write through `&x` and through pointer arguments: forget x and `*p`.
   * One that receives a lock flag of this function may have dropped the lock.
   */
  private havocUnknownCall(n: AstNode, name: string | null, args: AstNode[], state: State): State {
    let out = state;
    let flag: string | null = null;
    for (const a of args) {
      const s = stripParens(a);
      const addressed = addressOperand(s);
      const target = addressed ?? s;
      // A callee can tell its caller it dropped the lock only through the flag's address, or
      // through a flag pointer the function itself was given (`int *locked`).
      if (target.type === 'identifier' && this.context.lockFlags.has(target.text) && (addressed || this.context.pointerParams.has(target.text))) {
        flag = target.text;
      }
      const k = keyOf(target);
      if (!k) continue;
      if (out === state) out = state.clone();
      if (addressed) out.kill(k);
      else out.kill(`*${k}`);
      forgetRepointed(this.context, out, addressed ? k : `*${k}`);
      mayWriteLock(this.context, out, addressed ? null : k);
    }
    if (flag !== null) {
      if (out === state) out = state.clone();
      forgetThroughFlag(this.context, out, flag, name, n);
    }
    return out;
  }
}

/** The states of evaluated ways. */
function statesOf(outs: readonly Evaluated[]): State[] {
  return outs.length === 1 ? [outs[0].state] : outs.map((o) => o.state);
}
