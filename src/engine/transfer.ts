// Transfer functions: how evaluating one statement, condition or call changes the abstract state.
// Evaluation can split a state (a lock call that may fail gives a "locked, returned 0" and a
// "not locked, returned -EINTR" state), so every function here returns a list of states.
// What calls do comes from the knowledge base (src/kb/lock-api.ts); nothing here is about a rule.

import { performance } from 'node:perf_hooks';
import { AstNode, addressOperand, calleeName, callArgs, stripParens } from '../parse/ast.js';
import { lookupApi, GUARD_CLASSES, MMAP_RWSEM_FIELDS, VMA_RWSEM_PATH, VMA_ITERATORS, type ApiEntry, type LockEffect, type LockClass } from '../kb/lock-api.js';
import { argumentBits, entryConditions, mayFailWith } from './arg-conditions.js';
import type { TraceStep } from '../types.js';
import { State, joinStates, mentions, type PtrFact } from './state.js';
import { isNamedConstant } from './c-names.js';
import { applyPath, keyOf, equalityKey, isPureCondition, relationKey, literalBits, isZeroLiteral } from './keys.js';

export { applyPath } from './keys.js';
import { copyConstantFacts, isOutKey, snapshotField } from './out-values.js';
import { modifiedVmaArgs } from './tree-macros.js';
import { knownCaseLabel, noLabelMatches } from './switch-cases.js';
import { isStartBound, noteStartBound } from './start-bounds.js';
import { fieldFlagDecides, fieldFlagExcludes, fieldFlagSplit, flagKey, flagKnownClear, flagOutSplit, flagRefined, leaveFieldFlags, refineFlag } from './flags.js';

export { keyOf, equalityNames } from './keys.js';
import { FORGOTTEN_SUFFIX, V_ANY, V_ERR, V_NEG, V_POS, V_ZERO, type LockStateName } from './events.js';
import type { GuardUse } from './cfg.js';

export interface Value {
  bits: number;
  /** Normalised key of the expression when it is a pure path (its value can be refined). */
  key: string | null;
  ptr?: PtrFact;
  /** The returned pointer carries a lock that the variable it is assigned to will name. */
  lockOnRet?: { effect: LockEffect; step: TraceStep; display: string; callee: string; ok: boolean };
}

export interface Out {
  st: State;
  v: Value;
}

export interface LockOpInfo {
  node: AstNode;
  callee: string;
  op: 'acquire' | 'release' | 'downgrade';
  lock: LockClass;
  /** The call names the rwsem itself (`down_read(&mm->mmap_lock)`), not a wrapper. */
  raw: boolean;
  mode: 'read' | 'write' | undefined;
  key: string;
  display: string;
  trylock: boolean;
  before: LockStateName;
  beforeOrigin: TraceStep | null;
}

/** Receives what happens along a path during the reporting pass (null during the fixpoint). */
export interface EventSink {
  call(node: AstNode, callee: string | null, api: ApiEntry | undefined, args: AstNode[], st: State, requires: ResolvedRequirement[]): void;
  deref(node: AstNode, pointer: AstNode, key: string, field: string | null, st: State): void;
  lockOp(info: LockOpInfo, st: State): void;
  /** `object->field = ...` (or `object.field`, compound assignments included). */
  write(node: AstNode, object: AstNode, objectKey: string | null, field: string, arrow: boolean, st: State): void;
}

/** A callee's entry requirement, in the caller's terms. */
export interface ResolvedRequirement {
  target: number;
  path?: string;
  lock: LockClass;
  mode: 'read' | 'write' | undefined;
  key: string;
  display: string;
  /** Where the callee shows it needs the lock. */
  at: TraceStep | null;
}

/** Distinct argument conditions a summary's faulting keeps (ApiEntry.faultsWhen). */
const MAX_FAULT_CONDITIONS = 8;

/**
 * What the analysis of a function learns for its summary beyond its exit states: where it may
 * fault, which parameters it dereferences or modifies as a VMA without knowing the lock.
 */
export interface SummaryFacts {
  /** The first call that may fault with the caller's locks still in place: the chain down to the access. */
  fault: TraceStep[] | null;
  /**
   * What the paths reaching such calls knew of the parameters as passed (entryConditions), one
   * per distinct condition; 'always' once one path knew nothing (see ApiEntry.faultsWhen).
   */
  faultWhen?: Map<string, Record<number, number>> | 'always';
  /** Parameter indexes dereferenced before any test of them. */
  derefs: Set<number>;
  /**
   * The first blocking acquisition of the mmap lock of an mm reached from a parameter, before the
   * function let go of a VMA lock its caller held: the chain down to it, and whose lock.
   */
  takes?: { chain: TraceStep[]; of: { target: number; path?: string } } | null;
  /**
   * Parameter indexes whose VMA a path modifies (needs the mmap write lock) while this function
   * does not know that lock, and where; the state marks `#modifies:i` on that path.
   */
  modifiesAt: Map<number, TraceStep>;
}

const ANY: Value = { bits: V_ANY, key: null };

/** `#sole:mmap:mm`: the mm has no users but this path (ApiEntry.lastUser). */
const SOLE_USER_PREFIX = '#sole:';

/**
 * Paths one expression may split into (`?:` in each of 23 call arguments would be 2^23): past
 * this, states that hold the same locks are joined, as the dataflow joins at a CFG node.
 */
const MAX_EXPR_PATHS = 16;

function collapseStates(states: State[]): State[] {
  const bySig = new Map<string, State>();
  for (const s of states) {
    const sig = s.lockSignature();
    const prior = bySig.get(sig);
    bySig.set(sig, prior ? joinStates(prior, s) : s);
  }
  return [...bySig.values()];
}

function collapseOuts(outs: Out[]): Out[] {
  const bySig = new Map<string, Out>();
  for (const o of outs) {
    const sig = o.st.lockSignature();
    const prior = bySig.get(sig);
    if (!prior) {
      bySig.set(sig, o);
      continue;
    }
    const key = prior.v.key === o.v.key ? prior.v.key : null;
    const lockOnRet = prior.v.lockOnRet === o.v.lockOnRet ? prior.v.lockOnRet : undefined;
    bySig.set(sig, { st: joinStates(prior.st, o.st), v: { bits: prior.v.bits | o.v.bits, key, ...(lockOnRet ? { lockOnRet } : {}) } });
  }
  return [...bySig.values()];
}
const NONZERO = V_POS | V_NEG | V_ERR;

/** What the function being analysed provides to its transfer functions. */
export interface FunctionContext {
  readonly file: string;
  /** What a callee does: its summary, config entry or knowledge-base entry (see analyze.ts for the order). */
  resolve(name: string): ApiEntry | undefined;
  /** Parameter names, in order. */
  params: readonly string[];
  /** Collects the summary facts of this function (null when nobody needs them). */
  facts: SummaryFacts | null;
  /** Canonical form of a lock expression key, following single assignments (`mm = vma->vm_mm`). */
  canonical(key: string): string;
  step(node: AstNode, message: string): TraceStep;
  sink: EventSink | null;
  /**
   * Local flags that guard lock operations in this function (`if (locked) mmap_read_unlock(mm)`):
   * a callee that receives one (or its address) may have released the lock and cleared it.
   */
  lockFlags: ReadonlyMap<string, ReadonlySet<LockClass>>;
  /** Parameters declared as pointers (`int *locked`). */
  pointerParams: ReadonlySet<string>;
  /** Declared type of a parameter or local (`struct vb2_queue *`), when the function declares it. */
  typeOf(name: string): string | undefined;
  /** VMA fields whose writers need the mmap write lock (`vm_flags` too where it is a plain field). */
  vmaWriteFields: readonly string[];
}

/** Pseudo lock key recording that a callee may have dropped some lock of a class on this path. */
export function forgottenKey(lock: LockClass): string {
  return `${lock}${FORGOTTEN_SUFFIX}`;
}

/** Thrown when one function's analysis is past its deadline, even inside one statement. */
export class OutOfBudget extends Error {
  constructor() {
    super('out of budget');
  }
}

export class Transfer {
  /** Wall-clock time (performance.now()) past which evaluation stops; set by the dataflow. */
  deadline = Infinity;
  private evaluations = 0;

  constructor(private readonly fx: FunctionContext) {}

  /**
   * The knowledge-base entry for a callee. A function the file defines itself (nommu.c's own
   * find_vma(), say) is described by its body: only what this analysis cannot yet derive from a
   * body (lock effects, faulting) is kept from the table.
   */
  apiOf(name: string): ApiEntry | undefined {
    return this.fx.resolve(name);
  }

  /** A key as this function's lock keys write it (single-assignment aliases followed). */
  canonicalKey(key: string): string {
    return this.fx.canonical(key);
  }

  /** An expression key as a parameter and a path from it (`vma->vm_mm` -> 0, `$->vm_mm`), or null. */
  private parametrize(expr: string): { target: number; path?: string } | null {
    const m = /^([*&]*)([A-Za-z_]\w*)/.exec(expr);
    if (!m) return null;
    const target = this.fx.params.indexOf(m[2]);
    if (target < 0) return null;
    const path = `${m[1]}$${expr.slice(m[0].length)}`;
    return path === '$' ? { target } : { target, path };
  }


  // ---------------------------------------------------------------- statements

  /** An `eval` node: an expression, or a declaration with initialisers. */
  evalNode(n: AstNode, st: State): State[] {
    if (n.type === 'declaration') return this.declaration(n, st);
    return this.expr(n, st).map((o) => o.st);
  }

  private declaration(n: AstNode, st: State): State[] {
    let states = [st];
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
          for (const o of this.expr(value, s)) {
            if (name) next.push(this.assign(name, o.v, o.st, value));
            else next.push(o.st);
          }
        } else {
          const name = declaredName(d);
          if (name && (s.vals.size || s.ptrs.size)) {
            const c = s.clone();
            c.kill(name);
            next.push(c);
          } else next.push(s);
        }
      }
      states = next;
    }
    return states;
  }

  evalReturn(n: AstNode, st: State): State[] {
    if (n.type === 'return_statement') {
      const c = st.clone();
      c.setRet(V_ANY, n);
      return [c];
    }
    return this.expr(n, st).map((o) => {
      const c = o.st.clone();
      c.setRet(o.v.bits, n, o.v.ptr, o.v.key ? this.fx.canonical(o.v.key) : null);
      return c;
    });
  }

  /** An atomic condition node: the states where it is true and where it is false (`check`: inside a debug check). */
  evalCondition(n: AstNode, st: State, negatedFrom?: AstNode, check = false): { t: State[]; f: State[] } {
    this.negated = negatedFrom ? { atom: n, shown: negatedFrom } : null;
    try {
      return check ? this.inCheck('the check', () => this.cond(n, this.markTestedFields(n, st))) : this.cond(n, this.markTestedFields(n, st));
    } finally {
      this.negated = null;
    }
  }

  /** The check macro whose condition is being evaluated (see ApiEntry.check), null outside one. */
  private check: string | null = null;

  private inCheck<T>(name: string, f: () => T): T {
    const outer = this.check;
    this.check = outer ?? name;
    try {
      return f();
    } finally {
      this.check = outer;
    }
  }

  /** The atomic condition being evaluated was written negated (`!vma`): traces show it so. */
  private negated: { atom: AstNode; shown: AstNode } | null = null;

  guard(g: GuardUse, st: State, phase: 'acquire' | 'release'): State[] {
    const cls = GUARD_CLASSES[g.cls];
    if (!cls) return [st];
    const name = phase === 'acquire' ? cls.acquire : cls.release;
    const api = lookupApi(name);
    if (!api) return [st];
    const outs = this.applyApi(name, api, g.node, g.args, st);
    // A conditional guard whose lock attempt fails leaves its scope without running it.
    const conditional = phase === 'acquire' ? api.lock?.find((e) => e.when !== 'always') : undefined;
    if (!conditional) return outs.map((o) => o.st);
    const okBits = conditional.when === 'ret-zero' ? V_ZERO : NONZERO;
    return outs.filter((o) => o.v.bits & okBits).map((o) => o.st);
  }

  /** One iteration starts: the macro assigns its arguments; a VMA cursor is a VMA, not NULL. */
  iterBegin(macro: AstNode, args: AstNode[], st: State): State[] {
    const c = st.clone();
    const cursor = this.vmaCursor(macro, args);
    for (const a of args) {
      const k = keyOf(a);
      if (!k || a.type !== 'identifier') continue;
      c.kill(k);
      c.setVal(k, NONZERO);
      if (a === cursor) c.setPtr(k, this.cursorFact(macro, c));
    }
    return [c];
  }

  /** The loop ran out: a VMA cursor is NULL now; other arguments hold unknown values. */
  iterEnd(macro: AstNode, args: AstNode[], st: State): State[] {
    const c = st.clone();
    const cursor = this.vmaCursor(macro, args);
    for (const a of args) {
      const k = keyOf(a);
      if (!k || a.type !== 'identifier') continue;
      c.kill(k);
      if (a === cursor) {
        c.setVal(k, V_ZERO);
        c.setPtr(k, this.cursorFact(macro, c));
      }
    }
    return [c];
  }

  private vmaCursor(macro: AstNode, args: AstNode[]): AstNode | undefined {
    const name = calleeName(macro);
    const index = name ? VMA_ITERATORS[name] : undefined;
    return index === undefined ? undefined : args[index];
  }

  private cursorFact(macro: AstNode, st: State): PtrFact {
    const name = calleeName(macro) ?? 'iterator';
    const lockedBy = [...st.locks.entries()].filter(([, l]) => l.state === 'read' || l.state === 'write' || l.state === 'held').map(([k]) => k);
    return { api: name, addr: null, nullable: true, mayStartAbove: false, origin: this.fx.step(macro, `${name}() leaves its cursor NULL when it runs out`), tested: [], lockedBy, staleSince: null };
  }

  // ---------------------------------------------------------------- conditions

  /**
   * A branch that reads `p->field` where p came from a lookup: the field was tested on this path.
   * A branch that relates the looked-up VMA to the address it was looked up with (a predicate
   * taking both, or a comparison of a value derived from the VMA with one derived from the
   * address) tests its boundaries: `vm_start` counts as tested.
   */
  private markTestedFields(n: AstNode, st: State): State {
    if (st.ptrs.size === 0) return st;
    let out = st;
    const mark = (k: string, field: string): void => {
      const p = out.ptrs.get(k);
      if (!p || p.tested.includes(field)) return;
      if (out === st) out = st.clone();
      for (const [k2, q] of [...out.ptrs]) {
        if (q.origin === p.origin && !q.tested.includes(field)) out.setPtr(k2, { ...q, tested: [...q.tested, field].sort() });
      }
    };
    const stack = [n];
    while (stack.length) {
      const x = stack.pop()!;
      if (x.type === 'field_expression' && x.operator === '->') {
        const arg = x.child('argument');
        const field = x.child('field');
        const k = arg ? keyOf(arg) : null;
        if (k && field && out.ptrs.has(k)) mark(k, field.text);
      }
      if (x.type === 'call_expression') {
        const name = calleeName(x);
        const api = name ? this.apiOf(name) : undefined;
        const args = callArgs(x);
        for (const a of args) {
          const k = keyOf(stripParens(a));
          const p = k ? out.ptrs.get(k) : undefined;
          if (!k || !p) continue;
          if ((api?.rangeCheck && a === args[0]) || (p.addr && args.some((b) => b !== a && mentions(b.text, p.addr!)))) mark(k, 'vm_start');
        }
      }
      if (x.type === 'binary_expression' && ['<', '<=', '>', '>='].includes(x.operator ?? '')) {
        const l = x.child('left');
        const r = x.child('right');
        for (const [k, p] of [...out.ptrs]) {
          if (!p.addr || !l || !r) continue;
          // The VMA side must be about its start: `vma->vm_start` or a helper given the VMA
          // (vm_start_gap(vma)); `vma->vm_end` alone says nothing about where it starts.
          const aboutStart = (side: AstNode): boolean =>
            mentions(side.text, `${k}->vm_start`) || new RegExp(`\\(\\s*${k.replace(/[^\w]/g, (c) => `\\${c}`)}\\s*[,)]`).test(side.text);
          if (((aboutStart(l) || isStartBound(p, l)) && mentions(r.text, p.addr)) || ((aboutStart(r) || isStartBound(p, r)) && mentions(l.text, p.addr))) mark(k, 'vm_start');
        }
      }
      for (const c of x.children) stack.push(c);
    }
    return out;
  }

  cond(e: AstNode, st: State): { t: State[]; f: State[] } {
    const r = this.condPaths(e, st);
    if (r.t.length > MAX_EXPR_PATHS) r.t = collapseStates(r.t);
    if (r.f.length > MAX_EXPR_PATHS) r.f = collapseStates(r.f);
    return r;
  }

  private condPaths(e: AstNode, st: State): { t: State[]; f: State[] } {
    const n = stripParens(e);
    if (n.type === 'unary_expression' && n.operator === '!') {
      const r = this.cond(n.namedChildren[0], st);
      return { t: r.f, f: r.t };
    }
    if (n.type === 'binary_expression') {
      const op = n.operator;
      const l = n.child('left')!;
      const r = n.child('right')!;
      if (op === '&&' || op === '||') {
        const L = this.cond(l, st);
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
        const c = this.cond(other, st);
        return op === '==' ? { t: c.f, f: c.t } : c;
      }
      if ((op === '<' || op === '>=' || op === '>' || op === '<=') && isZeroLiteral(r)) {
        // Sign tests against 0: x < 0 is the errno test.
        const t: State[] = [];
        const f: State[] = [];
        const trueBits = op === '<' ? V_NEG : op === '>=' ? V_ZERO | V_POS : op === '>' ? V_POS : V_ZERO | V_NEG;
        for (const o of this.expr(l, st)) {
          const a = this.refine(o.st, o.v, trueBits, n, true);
          const b = this.refine(o.st, o.v, V_ANY & ~trueBits, n, false);
          if (a) t.push(a);
          if (b) f.push(b);
        }
        return { t, f };
      }
    }
    if (n.type === 'binary_expression') {
      const rel = relationKey(n);
      if (rel) {
        // A comparison of two pure expressions is remembered, so a later test of the same
        // comparison (`if (mm != &init_mm)` twice) takes the same branch.
        const l = n.child('left')!;
        const r = n.child('right')!;
        const t: State[] = [];
        const f: State[] = [];
        for (const o of this.expr(l, st).flatMap((x) => this.expr(r, x.st))) {
          const v: Value = { bits: o.st.getVal(rel.key), key: rel.key };
          const a = this.refine(o.st, v, rel.positive ? NONZERO : V_ZERO, n, true);
          const b = this.refine(o.st, v, rel.positive ? V_ZERO : NONZERO, n, false);
          if (a) t.push(a);
          if (b) f.push(b);
        }
        return { t, f };
      }
    }
    if (n.type === 'call_expression') {
      const name = calleeName(n);
      const api = name ? this.apiOf(name) : undefined;
      const args = callArgs(n);
      if (api?.transparent && args.length >= 1) {
        if (this.fx.sink) this.fx.sink.call(n, name, api, args, st, []);
        return api.check === 'debug' ? this.inCheck(name!, () => this.cond(args[0], st)) : this.cond(args[0], st);
      }
      if (api?.errorTest && args.length >= 1) {
        if (this.fx.sink) this.fx.sink.call(n, name, api, args, st, []);
        const bad = api.errorTest === 'err' ? V_ERR : V_ERR | V_ZERO;
        const t: State[] = [];
        const f: State[] = [];
        for (const o of this.expr(args[0], st)) {
          const a = this.refine(o.st, o.v, bad, n, true);
          const b = this.refine(o.st, o.v, V_ANY & ~bad, n, false);
          if (a) t.push(a);
          if (b) f.push(b);
        }
        return { t, f };
      }
    }
    const def = n.type === 'identifier' ? st.defs.get(n.text) : undefined;
    if (def) {
      // A flag defined by a condition: testing it tests that condition too.
      const r = this.cond(def.node as AstNode, st);
      const v = (s: State): Value => ({ bits: s.getVal(n.text), key: n.text });
      return {
        t: r.t.map((s) => this.refine(s, v(s), NONZERO, n, true)).filter((s): s is State => s !== null),
        f: r.f.map((s) => this.refine(s, v(s), V_ZERO, n, false)).filter((s): s is State => s !== null),
      };
    }
    const t: State[] = [];
    const f: State[] = [];
    for (const o of this.expr(n, st)) {
      const a = this.refine(o.st, o.v, NONZERO, n, true);
      const b = this.refine(o.st, o.v, V_ZERO, n, false);
      if (a) t.push(a);
      if (b) f.push(b);
    }
    return { t, f };
  }

  /**
   * Entering `case value:` of `switch (on)` (the default when `value` is null): on == value here.
   * A path that knows `on` equals another of this switch's labels cannot take this edge
   * (src/engine/switch-cases.ts).
   */
  assumeCase(on: AstNode, value: AstNode | null, labels: readonly string[], st: State): State[] {
    const lk = keyOf(stripParens(on));
    if (value === null) {
      const d = noLabelMatches(lk, labels, st);
      return d ? [d] : [];
    }
    const known = lk !== null ? knownCaseLabel(lk, labels, st) : null;
    if (known !== null && known !== value.text) return [];
    const rk = keyOf(stripParens(value));
    if (lk === null || rk === null) return [st];
    const key = equalityKey(lk, rk);
    const r = this.refine(st, { bits: st.getVal(key), key }, NONZERO, value, true);
    return r ? [r] : [];
  }

  /** The state where value `v` has bits within `bits`, or null when that is impossible. */
  private refine(st: State, v: Value, bits: number, cond: AstNode, truth: boolean): State | null {
    const have = v.bits & bits;
    if (have === 0) return null;
    if (v.key === null) return st;
    const cur = st.getVal(v.key) & bits;
    if (cur === 0) return null;
    if (cur === st.getVal(v.key)) return st;
    const c = st.clone();
    c.setVal(v.key, cur);
    // Other names of the same looked-up pointer (`*vmap = vma = find_vma(...)`) learn the same.
    const origin = c.ptrs.get(v.key)?.origin;
    if (origin) {
      for (const [k, p] of c.ptrs) if (k !== v.key && p.origin === origin) c.setVal(k, c.getVal(k) & bits || cur);
    }
    const pointer = c.ptrs.has(v.key);
    if (this.negated && this.negated.atom === cond) {
      cond = this.negated.shown;
      truth = !truth;
    }
    c.addStep(this.fx.step(cond, `condition \`${oneLine(cond.text)}\` is ${truth ? 'true' : 'false'}: \`${v.key}\` ${describeBits(cur, pointer)}`), [v.key]);
    return c;
  }

  // ---------------------------------------------------------------- expressions

  expr(n: AstNode, st: State, addressOnly = false): Out[] {
    if ((++this.evaluations & 1023) === 0 && performance.now() > this.deadline) throw new OutOfBudget();
    const outs = this.exprPaths(n, st, addressOnly);
    return outs.length > MAX_EXPR_PATHS ? collapseOuts(outs) : outs;
  }

  private exprPaths(n: AstNode, st: State, addressOnly: boolean): Out[] {
    switch (n.type) {
      case 'identifier': {
        const k = n.text;
        return [{ st, v: { bits: st.getVal(k), key: k, ptr: st.ptrs.get(k) } }];
      }
      case 'number_literal':
        return [{ st, v: { bits: literalBits(n.text), key: null } }];
      case 'true':
        return [{ st, v: { bits: V_POS, key: null } }];
      case 'false':
      case 'null':
        return [{ st, v: { bits: V_ZERO, key: null } }];
      case 'string_literal':
      case 'concatenated_string':
        return [{ st, v: { bits: V_POS, key: null } }];
      case 'parenthesized_expression': {
        const inner = n.namedChildren[0];
        return inner ? this.expr(inner, st, addressOnly) : [{ st, v: ANY }];
      }
      case 'cast_expression': {
        const v = n.child('value');
        return v ? this.expr(v, st) : [{ st, v: ANY }];
      }
      case 'field_expression':
        return this.field(n, st, addressOnly);
      case 'pointer_expression': {
        const arg = n.child('argument');
        if (!arg) return [{ st, v: ANY }];
        if (n.operator === '&') {
          return this.expr(arg, st, true).map((o) => ({ st: o.st, v: { bits: V_POS, key: keyOf(n) } }));
        }
        return this.expr(arg, st).map((o) => {
          const k = keyOf(arg);
          if (k) this.noteDeref(k, o.st);
          if (k && this.fx.sink) this.fx.sink.deref(n, arg, k, null, o.st);
          const key = keyOf(n);
          return { st: o.st, v: { bits: key ? o.st.getVal(key) : V_ANY, key } };
        });
      }
      case 'subscript_expression': {
        const arg = n.child('argument');
        const idx = n.child('index');
        let outs = arg ? this.expr(arg, st) : [{ st, v: ANY }];
        if (idx) outs = outs.flatMap((o) => this.expr(idx, o.st));
        return outs.map((o) => {
          const k = arg ? keyOf(arg) : null;
          if (k && arg && this.fx.sink && !addressOnly) this.fx.sink.deref(n, arg, k, null, o.st);
          const key = keyOf(n);
          return { st: o.st, v: { bits: key ? o.st.getVal(key) : V_ANY, key } };
        });
      }
      case 'unary_expression': {
        const arg = n.namedChildren[0];
        if (!arg) return [{ st, v: ANY }];
        const op = n.operator;
        return this.expr(arg, st).map((o) => {
          let bits = V_ANY;
          if (op === '!') {
            bits = o.v.bits === V_ZERO ? V_POS : o.v.bits & V_ZERO ? V_ZERO | V_POS : V_ZERO;
          } else if (op === '-') {
            if (arg.type === 'number_literal') bits = literalBits(arg.text) === V_ZERO ? V_ZERO : V_NEG;
            else if (arg.type === 'identifier' && /^E[A-Z0-9]+$/.test(arg.text)) bits = V_NEG;
          }
          return { st: o.st, v: { bits, key: null } };
        });
      }
      case 'binary_expression': {
        const l = n.child('left');
        const r = n.child('right');
        const zeroTest = (n.operator === '==' || n.operator === '!=') && l && r && (isZeroLiteral(l) || isZeroLiteral(r));
        if (l && r && (n.operator === '&&' || n.operator === '||' || zeroTest)) {
          // Short-circuit: the right side is evaluated only where the left side lets it be.
          const c = this.cond(n, this.markTestedFields(n, st));
          return [...c.t.map((s) => ({ st: s, v: { bits: V_POS, key: null } })), ...c.f.map((s) => ({ st: s, v: { bits: V_ZERO, key: null } }))];
        }
        let outs = l ? this.expr(l, st) : [{ st, v: ANY }];
        if (r) outs = outs.flatMap((o) => this.expr(r, o.st));
        const op = n.operator ?? '';
        const comparison = ['==', '!=', '<', '>', '<=', '>=', '&&', '||'].includes(op);
        const key = keyOf(n);
        return outs.map((o) => ({ st: o.st, v: { bits: comparison ? V_ZERO | V_POS : key ? o.st.getVal(key) : V_ANY, key } }));
      }
      case 'assignment_expression':
        return this.assignment(n, st);
      case 'update_expression': {
        const arg = n.child('argument') ?? n.namedChildren[0];
        const k = arg ? keyOf(arg) : null;
        const outs = arg ? this.expr(arg, st) : [{ st, v: ANY }];
        return outs.map((o) => {
          if (!k) return { st: o.st, v: ANY };
          const c = o.st.clone();
          c.kill(k);
          return { st: c, v: ANY };
        });
      }
      case 'call_expression':
        return this.call(n, st);
      case 'conditional_expression': {
        const c = n.child('condition');
        const a = n.child('consequence');
        const b = n.child('alternative');
        if (!c) return [{ st, v: ANY }];
        const r = this.cond(c, this.markTestedFields(c, st));
        const outs: Out[] = [];
        for (const s of r.t) outs.push(...(a ? this.expr(a, s) : [{ st: s, v: ANY }]));
        for (const s of r.f) outs.push(...(b ? this.expr(b, s) : [{ st: s, v: ANY }]));
        return outs;
      }
      case 'comma_expression': {
        const l = n.child('left');
        const r = n.child('right');
        let outs = l ? this.expr(l, st) : [{ st, v: ANY }];
        if (r) outs = outs.flatMap((o) => this.expr(r, o.st));
        return outs;
      }
      case 'sizeof_expression':
      case 'alignof_expression':
      case 'offsetof_expression':
      case 'generic_expression':
      case 'gnu_asm_expression':
      case 'char_literal':
        return [{ st, v: ANY }];
      case 'statement_expression': {
        let states = [st];
        const body = n.namedChildren[0];
        for (const s of body ? body.namedChildren : []) {
          if (s.type === 'expression_statement' && s.namedChildren[0]) {
            const e = s.namedChildren[0];
            states = states.flatMap((x) => this.expr(e, x).map((o) => o.st));
          } else if (s.type === 'declaration') {
            states = states.flatMap((x) => this.declaration(s, x));
          }
          if (states.length > MAX_EXPR_PATHS) states = collapseStates(states);
        }
        return states.map((x) => ({ st: x, v: ANY }));
      }
      default: {
        let outs: Out[] = [{ st, v: ANY }];
        for (const c of n.namedChildren) {
          outs = outs.flatMap((o) => this.expr(c, o.st).map((p) => ({ st: p.st, v: ANY })));
          if (outs.length > MAX_EXPR_PATHS) outs = collapseOuts(outs);
        }
        return outs;
      }
    }
  }

  private field(n: AstNode, st: State, addressOnly: boolean): Out[] {
    const arg = n.child('argument');
    const field = n.child('field');
    if (!arg) return [{ st, v: ANY }];
    const arrow = n.operator === '->';
    return this.expr(arg, st, !arrow && addressOnly).map((o) => {
      if (arrow && !addressOnly) {
        const k = keyOf(arg);
        if (k) this.noteDeref(k, o.st);
        if (k && this.fx.sink) this.fx.sink.deref(n, arg, k, field ? field.text : null, o.st);
      }
      const key = keyOf(n);
      return { st: o.st, v: { bits: key ? o.st.getVal(key) : V_ANY, key, ptr: key ? o.st.ptrs.get(key) : undefined } };
    });
  }

  /** A parameter dereferenced before anything was learnt about it: the function needs it valid. */
  private noteDeref(key: string, st: State): void {
    if (!this.fx.facts || !/^\w+$/.test(key)) return;
    const i = this.fx.params.indexOf(key);
    if (i >= 0 && !st.vals.has(key)) this.fx.facts.derefs.add(i);
  }

  /** A VMA reached through a parameter is modified: a summary fact when this function does not know the mmap lock. */
  /**
   * Returns the parameter index when the path modifies a VMA parameter without knowing its mmap
   * lock; the summary says "modifies" when every path out does (the caller marks the state).
   */
  private noteModify(vmaKey: string, st: State, n: AstNode, what: string): number {
    if (!this.fx.facts || !/^\w+$/.test(vmaKey)) return -1;
    const i = this.fx.params.indexOf(vmaKey);
    if (i < 0) return -1;
    const mm = this.mmapLockOfVma(vmaKey, st);
    if (mm && mm.state !== 'unknown') return -1;
    if (!this.fx.facts.modifiesAt.has(i)) this.fx.facts.modifiesAt.set(i, this.fx.step(n, what));
    return i;
  }

  /**
   * The mmap lock that protects a VMA: `mmap:<vma>->vm_mm` when the path knows it, else the one
   * mmap lock the path knows anything about (a function works on one mm at a time).
   */
  mmapLockOfVma(vmaKey: string, st: State): { key: string; state: LockStateName } | null {
    const own = `mmap:${this.fx.canonical(`${vmaKey}->vm_mm`)}`;
    const fact = st.locks.get(own);
    if (fact && fact.state !== 'unknown') return { key: own, state: fact.state };
    let found: { key: string; state: LockStateName } | null = null;
    for (const [k, l] of st.locks) {
      if (!k.startsWith('mmap:') || k.endsWith(FORGOTTEN_SUFFIX) || l.state === 'unknown') continue;
      if (found) return null;
      found = { key: k, state: l.state };
    }
    return found ?? (fact ? { key: own, state: fact.state } : null);
  }

  private assignment(n: AstNode, st: State): Out[] {
    const left = n.child('left');
    const right = n.child('right');
    const op = n.operator ?? '=';
    if (!left) return [{ st, v: ANY }];
    let outs = right ? this.expr(right, st) : [{ st, v: ANY }];
    const target = stripParens(left);
    if (target.type === 'field_expression') {
      const obj = target.child('argument');
      const field = target.child('field')?.text;
      if (obj && field) {
        const objKey = keyOf(obj);
        outs = outs.map((o) => {
          if (this.fx.sink) this.fx.sink.write(n, obj, objKey, field, target.operator === '->', o.st);
          const i = objKey && target.operator === '->' && this.fx.vmaWriteFields.includes(field) ? this.noteModify(objKey, o.st, n, `writes \`${oneLine(target.text)}\``) : -1;
          if (i < 0) return o;
          const c = o.st.clone();
          c.setVal(`#modifies:${i}`, V_POS);
          return { st: c, v: o.v };
        });
      }
    }
    // The left side is evaluated for its dereferences (p->f = ... dereferences p).
    if (left.type !== 'identifier') {
      outs = outs.flatMap((o) => this.expr(left, o.st, false).map((l) => ({ st: l.st, v: o.v })));
    }
    const key = keyOf(left);
    return outs.map((o) => {
      if (!key) return { st: o.st, v: ANY };
      if (op !== '=') {
        const c = o.st.clone();
        snapshotField(c, this.fx.canonical(key), key, this.fx.params);
        c.kill(key);
        return { st: c, v: { bits: V_ANY, key } };
      }
      const s = this.assign(key, o.v, o.st, right ?? n);
      return { st: s, v: { bits: o.v.bits, key, ptr: s.ptrs.get(key) } };
    });
  }

  /** `key = value`: the old facts about key go, the value's facts come. */
  private assign(key: string, v: Value, st: State, at: AstNode): State {
    const c = st.clone();
    snapshotField(c, this.fx.canonical(key), key, this.fx.params);
    c.kill(key);
    c.setVal(key, v.bits);
    if (/^\w+$/.test(key) && isPureCondition(at) && !mentions(at.text, key)) c.setDef(key, at.text, at);
    const rhs = stripParens(at);
    noteStartBound(c, key, rhs);
    if ((/^\w+$/.test(key) || isOutKey(this.fx.canonical(key), this.fx.params)) && (rhs.type === 'identifier' || rhs.type === 'number_literal') && rhs.text !== key) {
      c.setConst(key, rhs.text);
      // What the path knows of the variable against named constants holds of its copy (which
      // outlives it: `s->lock_mode = lock_mode;` records the mode for the caller).
      if (rhs.type === 'identifier' && !isNamedConstant(rhs.text)) copyConstantFacts(c, rhs.text, key);
    }
    // `addr = -EFAULT;`: a later `addr != -EFAULT` is decided until addr changes.
    const rk = keyOf(rhs);
    if (/^\w+$/.test(key) && rk && rk !== key && (/^-?[0-9]\w*$/.test(rk) || isNamedConstant(rk.replace(/^-/, '')))) c.setVal(equalityKey(key, rk), V_POS);
    // The variable names another object now: a VMA lock known not held on the old one says nothing.
    const vmaKey = `vma:${this.fx.canonical(key)}`;
    c.dropLockAlias(vmaKey);
    const old = c.locks.get(vmaKey);
    if (old && (old.state === 'none' || old.state === 'unknown') && !old.releasedUnowned) c.locks.delete(vmaKey);
    // `*vmap = vma;` or `state->vma = vma;` with vma locked: stored where the caller sees it (an
    // out-parameter, a field of a structure it passed), the lock is handed to the caller, who will
    // know it by that name, and so does the rest of this function.
    if (isOutKey(this.fx.canonical(key), this.fx.params) && v.key && !v.lockOnRet) {
      const from = c.lockKeyOf(`vma:${this.fx.canonical(v.key)}`);
      const f = c.locks.get(from);
      if (f && from !== vmaKey && (f.state === 'read' || f.state === 'held')) {
        if (isOutKey(from.slice(4), this.fx.params)) {
          c.setLockAlias(vmaKey, from);
        } else {
          c.locks.delete(from);
          c.setLock(vmaKey, { ...f, display: key });
          c.setLockAlias(from, vmaKey);
        }
        c.addStep(this.fx.step(at, `\`${key}\` now names the VMA locked as \`${v.key}\``), [from, vmaKey]);
      }
    }
    if (v.ptr) {
      const stored = /[.>*[]/.test(key);
      if (stored && v.ptr.nullable && !v.ptr.escaped) {
        // Stored where other code sees it: a NULL check may happen there, out of our sight.
        for (const [k, p] of [...c.ptrs]) if (p.origin === v.ptr.origin) c.setPtr(k, { ...p, escaped: true });
        c.setPtr(key, { ...v.ptr, escaped: true });
      } else {
        c.setPtr(key, v.ptr);
      }
    }
    if (v.lockOnRet) {
      const lockKey = `${v.lockOnRet.effect.lock}:${this.fx.canonical(key)}`;
      // A new object: what was known of the lock of the one the variable named before is not about it.
      const prior = c.locks.get(lockKey);
      if (prior && !prior.releasedUnowned && !prior.acquiredHere) c.locks.delete(lockKey);
      const display = v.lockOnRet.display || key;
      if (v.lockOnRet.ok) {
        this.lockOp(c, v.lockOnRet.effect, lockKey, v.lockOnRet.callee, at, display, v.lockOnRet.step);
        // The VMA is kept alive by its own lock: dropping it makes the pointer stale.
        const p = c.ptrs.get(key);
        if (p && !p.lockedBy.includes(lockKey)) c.setPtr(key, { ...p, lockedBy: [...p.lockedBy, lockKey] });
      } else {
        // The lookup failed: the pointer is NULL and no VMA is locked through it.
        c.setLock(lockKey, { state: 'none', acquiredHere: false, origin: null, display });
      }
    }
    return c;
  }

  // ---------------------------------------------------------------- calls

  private call(n: AstNode, st: State): Out[] {
    const fnExpr = n.child('function');
    const name = calleeName(n);
    const args = callArgs(n);
    let states: State[] = [st];
    if (fnExpr && fnExpr.type !== 'identifier') states = this.expr(fnExpr, st).map((o) => o.st);
    const api = name ? this.apiOf(name) : undefined;
    if (api?.errorTest || api?.transparent || api?.assertsFalseArg !== undefined) {
      // Evaluated through the condition logic (arguments included). A check's condition is an
      // assertion where the check is compiled out without CONFIG_DEBUG_VM or its value is unused.
      const asserts = api.check === 'debug' || api.assertsFalseArg !== undefined || (api.check && valueDiscarded(n));
      return states.flatMap((s) => (asserts ? this.inCheck(name!, () => this.applyApi(name!, api, n, args, s)) : this.applyApi(name!, api, n, args, s)));
    }
    for (const a of args) {
      states = states.flatMap((s) => this.expr(a, s).map((o) => o.st));
      if (states.length > MAX_EXPR_PATHS) states = collapseStates(states);
    }
    if (!api) {
      return states.map((s) => {
        if (this.fx.sink) this.fx.sink.call(n, name, undefined, args, s, []);
        return { st: this.havocUnknownCall(n, name, args, s), v: ANY };
      });
    }
    return states.flatMap((s) => this.applyApi(name!, api, n, args, s));
  }

  /**
   * An unknown callee may write through `&x` and through pointer arguments: forget x and `*p`.
   * One that receives a lock flag of this function may have dropped the lock.
   */
  private havocUnknownCall(n: AstNode, name: string | null, args: AstNode[], st: State): State {
    let out = st;
    let flag: string | null = null;
    for (const a of args) {
      const s = stripParens(a);
      const addressed = addressOperand(s);
      const target = addressed ?? s;
      // A callee can tell its caller it dropped the lock only through the flag's address, or
      // through a flag pointer the function itself was given (`int *locked`).
      if (target.type === 'identifier' && this.fx.lockFlags.has(target.text) && (addressed || this.fx.pointerParams.has(target.text))) {
        flag = target.text;
      }
      const k = keyOf(target);
      if (!k) continue;
      if (out === st) out = st.clone();
      if (addressed) out.kill(k);
      else out.kill(`*${k}`);
      this.forgetRepointed(out, addressed ? k : `*${k}`);
      this.mayWriteLock(out, addressed ? null : k);
    }
    if (flag !== null) {
      if (out === st) out = st.clone();
      // The classes of the lock operations the flag goes with (GUP's `locked`: the mmap lock).
      for (const lock of ['mmap', 'vma'] as const) {
        if (!this.fx.lockFlags.get(flag)?.has(lock)) continue;
        this.forgetAll(out, lock, n, `${name ?? 'the callee'}() receives \`${flag}\`, which tracks whether the lock is held: it may have released the lock`);
      }
    }
    return out;
  }

  /**
   * A callee may have pointed `key` (a VMA variable given by address, `*vmap`) at another VMA: a
   * VMA lock known not held on the old one says nothing about the new one.
   */
  private forgetRepointed(c: State, key: string): void {
    const vmaKey = `vma:${this.fx.canonical(key)}`;
    c.dropLockAlias(vmaKey);
    const old = c.locks.get(vmaKey);
    if (old && old.state === 'none' && !old.releasedUnowned) c.setLock(vmaKey, { ...old, state: 'unknown', acquiredHere: false });
  }

  /**
   * An unknown callee given a VMA may have write-locked it (vma_start_write); given an address it
   * may have write-locked any. Only tracked while an mmap write lock is held.
   */
  private mayWriteLock(c: State, k: string | null): void {
    let writing = false;
    for (const [key, l] of c.locks) if (key.startsWith('mmap:') && l.state === 'write') writing = true;
    if (!writing) return;
    const key = k ? `vma-write:${this.fx.canonical(k)}` : forgottenKey('vma-write');
    const prior = c.locks.get(key);
    if (prior?.state === 'unknown' || prior?.state === 'write') return;
    c.setLock(key, { state: 'unknown', acquiredHere: false, origin: null, display: k ?? '*', releasedUnowned: true });
  }

  /**
   * Every lock of a class on this path becomes unknown (a callee may have dropped it). When the
   * path holds one it took itself, that is the one the callee may drop; else the callee may drop
   * one the function's callers hold, which the pseudo key `<class>:*` records for its summary.
   */
  private forgetAll(c: State, lock: LockClass, n: AstNode, message: string): void {
    const step = this.fx.step(n, message);
    let holdsOwn = false;
    for (const [key, prior] of [...c.locks]) {
      if (!(key.startsWith(`${lock}:`) || (lock === 'mmap' && key.startsWith('vma-write:')))) continue;
      if (prior.state === 'unknown') {
        if (prior.forgottenOwn && key.startsWith(`${lock}:`)) holdsOwn = true;
        continue;
      }
      const own = prior.acquiredHere && !prior.releasedUnowned && !prior.required;
      if (own && prior.state !== 'none' && key.startsWith(`${lock}:`)) holdsOwn = true;
      c.setLock(key, { ...prior, state: 'unknown', acquiredHere: false, releasedUnowned: !!prior.releasedUnowned || !prior.acquiredHere, forgottenOwn: own });
      c.addStep(step, [key]);
    }
    const star = forgottenKey(lock);
    if (!holdsOwn && !c.locks.has(star)) c.setLock(star, { state: 'unknown', acquiredHere: false, releasedUnowned: true, origin: step, display: '*' });
  }

  /** Applies a knowledge-base entry to a call whose arguments were evaluated. */
  applyApi(name: string, api: ApiEntry, n: AstNode, args: AstNode[], st: State): Out[] {
    // An effect for a set flag only (GUP's `int *locked`) and a flag this path does not know: the
    // call is two paths, one with the flag set, one with it clear (what the flag held on entry, for
    // this function's own summary).
    for (const effect of api.lock ?? []) {
      const flag = effect.ifFlagSet !== undefined ? args[effect.ifFlagSet] : undefined;
      if (!flag) continue;
      const set = flagRefined(flag, st, true);
      const clear = flagRefined(flag, st, false);
      if (set && clear) return [...this.applyApi(name, api, n, args, set), ...this.applyApi(name, api, n, args, clear)];
    }
    // An effect a flag of the caller's structure decides (`lock_ctx->mmap_locked`): one path each way.
    for (const effect of api.lock ?? []) {
      const both = fieldFlagSplit(effect, args, st, (k) => ['read', 'held'].includes(st.lockState(`vma:${this.fx.canonical(k)}`)));
      if (both) return both.flatMap((s) => this.applyApi(name, api, n, args, s));
    }
    // Decided before the call's writes through its pointer arguments make the flag unknown.
    const flagClear = new Set((api.lock ?? []).filter((e) => e.ifFlagSet !== undefined && args[e.ifFlagSet] && flagKnownClear(args[e.ifFlagSet], st)));
    const requires = this.resolveRequirements(api, args, st);
    if (this.fx.sink) this.fx.sink.call(n, name, api, args, st, requires);
    if (api.noreturn) return [];
    if (api.transparent) return args[0] ? this.expr(args[0], st) : [{ st, v: ANY }];
    if (api.errorTest) {
      // IS_ERR() without an argument (broken code): nothing to test.
      if (!args[0]) return [{ st, v: ANY }];
      const r = this.cond(n, st);
      return [...r.t.map((s) => ({ st: s, v: { bits: V_POS, key: null } })), ...r.f.map((s) => ({ st: s, v: { bits: V_ZERO, key: null } }))];
    }
    if (api.assertsFalseArg !== undefined) {
      const c = args[api.assertsFalseArg];
      if (!c) return [{ st, v: ANY }];
      // BUG_ON(mmap_read_trylock(mm)): evaluated as a check (see inCheck()), the path goes on
      // where the condition is false.
      return this.cond(c, st).f.map((s) => ({ st: s, v: ANY }));
    }
    let cur = st;
    if (api.lastUser !== undefined && args[api.lastUser]) {
      const key = this.lockKey({ lock: 'mmap', op: 'assert', target: api.lastUser, when: 'always' }, args[api.lastUser]);
      if (key) {
        cur = st.clone();
        cur.setVal(`${SOLE_USER_PREFIX}${key}`, V_POS);
      }
    }
    if (api.pagefault) {
      cur = cur === st ? st.clone() : cur;
      cur.setPf(cur.pf + (api.pagefault === 'disable' ? 1 : -1));
    }
    if (this.fx.facts) {
      const modified = this.noteCallFacts(name, api, n, args, st);
      if (modified.length) {
        cur = cur === st ? st.clone() : cur;
        for (const i of modified) cur.setVal(`#modifies:${i}`, V_POS);
      }
    }
    if (requires.length) {
      cur = cur === st ? st.clone() : cur;
      for (const r of requires) this.applyRequirement(cur, r, name, n);
    }
    if (api.source?.kind === 'summary') {
      // A function the run defines may write through pointer arguments like any other callee.
      for (const a of args) {
        const s0 = stripParens(a);
        const addressed = addressOperand(s0);
        const k = keyOf(addressed ?? s0);
        if (!k || (!addressed && !/^\w+$/.test(k))) continue;
        cur = cur === st ? st.clone() : cur;
        if (addressed) cur.kill(k);
        else cur.kill(`*${k}`);
        this.forgetRepointed(cur, addressed ? k : `*${k}`);
      }
      // ... except a flag it leaves clear when it was clear.
      for (const i of api.flagStaysClear ?? []) {
        const k = args[i] && flagKnownClear(args[i], st) ? flagKey(args[i]) : null;
        if (k) cur.setVal(k, V_ZERO);
      }
    }
    const baseBits = bitsForFailure(api);
    let variants: { st: State; bits: number; lockOnRet?: Value['lockOnRet'] }[] = this.failureVariants(api, args, cur, baseBits);
    for (let effect of api.lock ?? []) {
      // GUP's `int *locked` protocol: a caller passing a flag it knows clear holds nothing the
      // callee could drop (see LockEffect.ifFlagSet).
      if (flagClear.has(effect)) continue;
      if (effect.ifFlag && (fieldFlagExcludes(effect, args, st) || fieldFlagDecides(effect, args, st))) {
        // What the flag decides, the return value then says (`false` when the mode was held already).
        const happens = !fieldFlagExcludes(effect, args, st);
        if (effect.ifFlag.exact && effect.when !== 'always' && effect.when !== 'flag-out') {
          variants = variants.flatMap((v) => this.split(effect, v.bits).filter((sp) => sp.ok === happens).map((sp) => ({ ...v, bits: sp.bits })));
        }
        if (!happens) continue;
        if (effect.ifFlag.exact) effect = { ...effect, when: 'always' };
      }
      if (this.check !== null && effect.op === 'acquire') {
        variants = this.acquireInCheck(name, effect, n, args, variants);
        continue;
      }
      if (effect.target === 'ret') {
        const step = this.fx.step(n, `${name}() returns a ${effect.mode ?? ''}-locked VMA when not NULL`);
        variants = variants.flatMap((v) => this.split(effect, v.bits).map((sp) => ({
          st: v.st,
          bits: sp.bits,
          lockOnRet: { effect, step, display: '', callee: name, ok: sp.ok },
        })));
        continue;
      }
      if (effect.target === 'all') {
        variants = variants.map((v) => {
          const c = v.st.clone();
          this.forgetAll(c, effect.lock, n, `${name}() may release the ${effect.lock === 'mmap' ? 'mmap' : 'VMA'} lock`);
          return { ...v, st: c };
        });
        continue;
      }
      const target = effect.target === 'current' ? null : args[effect.target];
      if (!target && effect.target !== 'current') continue;
      const own = target ? this.ownMmapLock(effect, target, st) : null;
      const key = own?.key ?? (target ? this.lockKey(effect, target) : `${effect.lock}:${this.fx.canonical(applyPath(effect.path ?? '$', 'current'))}`);
      if (!key) continue;
      const display = own?.display ?? (target ? displayOf(effect, target) : applyPath(effect.path ?? '$', 'current'));
      if (effect.when === 'always') {
        variants = variants.map((v) => {
          const c = v.st.clone();
          this.lockOp(c, effect, key, name, n, display);
          return { ...v, st: c };
        });
        continue;
      }
      if (effect.when === 'flag-out') {
        // Told by the flag the callee leaves (`*lock_dropped = true`), or not known at all.
        variants = variants.flatMap((v) => {
          const sp = flagOutSplit(effect, args, st, v.st);
          if (!sp) {
            const c = v.st.clone();
            this.lockOp(c, { ...effect, op: 'forget' }, key, name, n, display);
            return [{ ...v, st: c }];
          }
          this.lockOp(sp.happened, effect, key, name, n, display);
          return [{ ...v, st: sp.happened }, { ...v, st: sp.not }];
        });
        continue;
      }
      variants = variants.flatMap((v) =>
        this.split(effect, v.bits).map((sp) => {
          const c = v.st.clone();
          if (effect.flag !== undefined) refineFlag(effect, args, st, c, sp.ok);
          if (sp.ok) {
            this.lockOp(c, effect, key, name, n, display);
          } else if (effect.op === 'acquire') {
            const k = c.lockKeyOf(key);
            if (this.fx.sink) this.fx.sink.lockOp(this.opInfo(c, effect, k, name, n, display), c);
            const prior = c.locks.get(k);
            if (!prior || prior.state === 'unknown' || prior.state === 'none') {
              c.setLock(k, { state: 'none', acquiredHere: false, origin: null, display });
            }
            c.addStep(this.fx.step(n, `${name}() failed here: ${lockName(effect)} of \`${display}\` is not taken`), [key]);
          }
          return { ...v, st: c, bits: sp.bits };
        }),
      );
    }
    if (api.leavesFlags) variants = variants.map((v) => ({ ...v, st: leaveFieldFlags(api, args, v.st, this.fx.canonical, this.fx.params) }));
    let ptr: PtrFact | undefined;
    if (api.returnsVma || api.returnsNullable) {
      const lockedBy = [...cur.locks.entries()].filter(([, l]) => l.state === 'read' || l.state === 'write' || l.state === 'held').map(([k]) => k);
      const addrArg = api.mayStartAbove ? args[1] : undefined;
      const addr = addrArg ? keyOf(stripParens(addrArg)) : null;
      ptr = { api: name, addr, nullable: !!api.returnsNullable, mayStartAbove: !!api.mayStartAbove, origin: this.fx.step(n, `${name}() ${api.returnsNullable ? 'may return NULL' : api.freshVma ? 'returns a new VMA, not yet in the tree' : 'returns a VMA'}`), tested: [], lockedBy, staleSince: null, fresh: api.freshVma };
    }
    return variants.map((v) => ({ st: v.st, v: { bits: v.bits, key: null, ptr, lockOnRet: v.lockOnRet } }));
  }

  /**
   * A lock call inside a check's condition takes nothing (see ApiEntry.check). A trylock there is
   * an assertion that it fails: the lock is held in the mode it conflicts with (a read trylock
   * fails under the write lock; a write trylock under either), and the call returns failure.
   */
  private acquireInCheck<V extends { st: State; bits: number }>(name: string, effect: LockEffect, n: AstNode, args: AstNode[], variants: V[]): V[] {
    if (!effect.trylock || typeof effect.target !== 'number' || !args[effect.target]) return variants;
    const target = args[effect.target];
    const assert: LockEffect = { ...effect, op: 'assert', mode: effect.mode === 'read' ? 'write' : undefined, when: 'always', trylock: false };
    const key = this.lockKey(assert, target);
    if (!key) return variants;
    return variants.flatMap((v) => {
      const failed = this.split(effect, v.bits).find((sp) => !sp.ok);
      if (!failed) return [];
      const c = v.st.clone();
      this.lockOp(c, assert, key, `${this.check}(${name}())`, n, displayOf(assert, target));
      return [{ ...v, st: c, bits: failed.bits }];
    });
  }

  /**
   * A call of a function that fails only for some arguments (`failsWhen`): a success path, and a
   * failure path per condition the arguments can meet, on which the arguments are known to meet it.
   */
  private failureVariants(api: ApiEntry, args: AstNode[], st: State, bits: number): { st: State; bits: number }[] {
    const failBits = api.failsWhen && api.fails ? FAILURE_BITS[api.fails] & bits : 0;
    if (!failBits || !api.failsWhen) return [{ st, bits }];
    const out: { st: State; bits: number }[] = [];
    if (bits & ~failBits) out.push({ st, bits: bits & ~failBits });
    for (const when of api.failsWhen) {
      let c: State | null = st;
      for (const [i, need] of Object.entries(when)) {
        const arg = args[Number(i)];
        if (!arg || !c) continue;
        const e = stripParens(arg);
        if ((argumentBits(e) & need) === 0) c = null;
        const k = keyOf(e);
        if (!c || !k || /^(NULL|true|false)$/.test(k)) continue;
        const now = c.getVal(k) & need;
        if (now === 0) c = null;
        else if (now !== c.getVal(k)) {
          c = c === st ? st.clone() : c;
          c.setVal(k, now);
        }
      }
      if (c) out.push({ st: c, bits: failBits });
    }
    return out.length ? out : [{ st, bits: bits & ~failBits || bits }];
  }

  /** A callee's requirements, in terms of this call's arguments. */
  private resolveRequirements(api: ApiEntry, args: AstNode[], st: State): ResolvedRequirement[] {
    if (!api.requires?.length) return [];
    const out: ResolvedRequirement[] = [];
    for (const r of api.requires) {
      const target = args[r.target];
      if (!target) continue;
      const effect: LockEffect = { lock: r.lock, op: 'assert', mode: r.mode, target: r.target, when: 'always', path: r.path };
      const own = this.ownMmapLock(effect, target, st);
      const key = own?.key ?? this.lockKey(effect, target);
      if (!key) continue;
      out.push({ lock: r.lock, mode: r.mode, key, display: own?.display ?? displayOf(effect, target), at: r.at ?? null, target: r.target, path: r.path });
    }
    return out;
  }

  /** The callee needs the lock held: like an assertion, the path holds it from here (unless known otherwise). */
  private applyRequirement(c: State, r0: ResolvedRequirement, callee: string, n: AstNode): void {
    const r = { ...r0, key: c.lockKeyOf(r0.key) };
    const prior = c.locks.get(r.key);
    if (prior && prior.state !== 'unknown') return;
    const step = this.fx.step(n, `${callee}() needs the ${r.lock === 'mmap' ? 'mmap' : 'VMA'} ${r.mode ? `${r.mode} ` : ''}lock of \`${r.display}\` held${r.at ? ` (${r.at.file}:${r.at.line})` : ''}`);
    const required = prior ? prior.required : (r.mode ?? 'held');
    c.setLock(r.key, { state: r.mode ?? 'held', acquiredHere: false, origin: prior?.origin ?? step, display: r.display, releasedUnowned: prior?.releasedUnowned, required, requiredAt: prior ? prior.requiredAt : step });
    c.addStep(step, [r.key]);
  }

  /** Summary facts of a call: it may fault, it modifies a VMA the function was given. */
  private noteCallFacts(name: string, api: ApiEntry, n: AstNode, args: AstNode[], st: State): number[] {
    const facts = this.fx.facts!;
    if (api.mayFault && st.pf <= 0 && !droppedCallersMmapLock(st) && mayFailWith(api.faultsWhen, args)) {
      facts.fault ??= [this.fx.step(n, `${name}() may fault on user memory`), ...(api.faultVia ?? [])].slice(0, 6);
      if (facts.faultWhen !== 'always') {
        const when = entryConditions(st, this.fx.params);
        // Past a few conditions, the function is taken to fault whatever its arguments.
        if (!Object.keys(when).length || (facts.faultWhen?.size ?? 0) >= MAX_FAULT_CONDITIONS) facts.faultWhen = 'always';
        else {
          const known = facts.faultWhen ?? (facts.faultWhen = new Map());
          known.set(JSON.stringify(when), when);
        }
      }
    }
    if (api.takesMmapLock && api.takesMmapLockOf && !facts.takes && !droppedCallersVmaLock(st)) {
      const arg = args[api.takesMmapLockOf.target];
      const k = arg ? keyOf(stripParens(arg)) : null;
      const of = k ? this.parametrize(this.fx.canonical(api.takesMmapLockOf.path ? applyPath(api.takesMmapLockOf.path, k) : k)) : null;
      if (of) facts.takes = { chain: [this.fx.step(n, `${name}() takes the mmap lock`), ...api.takesMmapLock].slice(0, 8), of };
    }
    const modified: number[] = [];
    for (const i of modifiedVmaArgs(api, args)) {
      const a = args[i];
      const k = a ? keyOf(stripParens(a)) : null;
      const p = k ? this.noteModify(k, st, n, `${name}() modifies \`${k}\``) : -1;
      if (p >= 0) modified.push(p);
    }
    return modified;
  }

  private split(effect: LockEffect, bits: number): { ok: boolean; bits: number }[] {
    let okBits: number;
    switch (effect.when) {
      case 'ret-bits':
        okBits = effect.okBits ?? V_ANY;
        break;
      case 'ret-zero':
        okBits = V_ZERO;
        break;
      case 'ret-true':
      case 'ret-nonnull':
        okBits = NONZERO;
        break;
      default:
        return [{ ok: true, bits }];
    }
    const out: { ok: boolean; bits: number }[] = [];
    if (bits & okBits) out.push({ ok: true, bits: bits & okBits });
    if (bits & ~okBits & V_ANY) out.push({ ok: false, bits: bits & ~okBits & V_ANY });
    return out;
  }

  /**
   * A callee that releases (or may release, or downgrades, or needs) the mmap lock of a VMA it is
   * given (`$->vm_mm`) acts on the lock of the mm that VMA belongs to: the one the path knows it
   * by (`mm`, the VMA found in it), when the path knows nothing of `vma->vm_mm` itself.
   */
  private ownMmapLock(effect: LockEffect, target: AstNode, st: State): { key: string; display: string } | null {
    if (effect.lock !== 'mmap' || effect.path !== '$->vm_mm' || effect.op === 'acquire') return null;
    const vma = keyOf(stripParens(target));
    const found = vma ? this.mmapLockOfVma(vma, st) : null;
    const fact = found ? st.locks.get(found.key) : undefined;
    return found && fact ? { key: found.key, display: fact.display } : null;
  }

  /** Lock key of the object a lock call acts on, or null when it is not an mmap/VMA lock. */
  lockKey(effect: LockEffect, target: AstNode): string | null {
    let expr = stripParens(target);
    if (effect.rawRwsem) {
      const base = rwsemOwner(expr, effect.lock);
      if (!base || !this.mayBeMm(base, effect.lock)) return null;
      expr = base;
    }
    const k = keyOf(expr);
    return k ? `${effect.lock}:${this.fx.canonical(effect.path ? applyPath(effect.path, k) : k)}` : null;
  }

  /**
   * Can the owner of a field named like the mm's rwsem be an mm? Not a variable the function
   * declares as another structure (videobuf2's queue has a mutex called `mmap_lock`).
   */
  private mayBeMm(owner: AstNode, lock: LockClass): boolean {
    if (lock !== 'mmap' || owner.type !== 'identifier') return true;
    const struct = /^(?:const\s+)?struct\s+(\w+)/.exec(this.fx.typeOf(owner.text) ?? '')?.[1];
    return struct === undefined || struct === 'mm_struct';
  }

  private opInfo(st: State, effect: LockEffect, key: string, callee: string, n: AstNode, display: string): LockOpInfo {
    const prior = st.locks.get(key);
    return {
      node: n,
      callee,
      op: effect.op === 'acquire' ? 'acquire' : effect.op === 'downgrade' ? 'downgrade' : 'release',
      lock: effect.lock,
      raw: !!effect.rawRwsem,
      mode: effect.mode,
      key,
      display,
      trylock: !!effect.trylock,
      before: prior?.state ?? 'unknown',
      beforeOrigin: prior?.origin ?? null,
    };
  }

  /** Applies one lock operation to `c` (already a private copy). */
  private lockOp(c: State, effect: LockEffect, named: string, callee: string, n: AstNode, display: string, origin?: TraceStep): void {
    const key = c.lockKeyOf(named);
    const prior = c.locks.get(key);
    const what = lockName(effect);
    switch (effect.op) {
      case 'acquire': {
        if (this.fx.sink) this.fx.sink.lockOp(this.opInfo(c, effect, key, callee, n, display), c);
        if (this.fx.facts && !this.fx.facts.takes && effect.lock === 'mmap' && !effect.trylock && !droppedCallersVmaLock(c)) {
          const of = this.parametrize(key.slice(5));
          if (of) this.fx.facts.takes = { chain: [this.fx.step(n, `${callee}() takes the mmap lock of \`${display}\``)], of };
        }
        const step = origin ?? this.fx.step(n, `${what} of \`${display}\` taken here (${callee}())`);
        // A VMA write lock has no unlock call: it ends with the mmap write lock, so it is never "taken here" for balance.
        const own = effect.lock !== 'vma-write';
        c.setLock(key, { state: effect.mode ?? 'held', acquiredHere: own, origin: step, display, releasedUnowned: prior?.releasedUnowned, required: prior?.required, requiredAt: prior?.requiredAt });
        c.addStep(step, [key]);
        // A VMA read-locked through a pointer is kept alive by that lock too.
        if (effect.lock === 'vma') {
          const p = c.ptrs.get(key.slice(4));
          if (p && !p.staleSince && !p.lockedBy.includes(key)) c.setPtr(key.slice(4), { ...p, lockedBy: [...p.lockedBy, key] });
        }
        break;
      }
      case 'release': {
        if (this.fx.sink) this.fx.sink.lockOp(this.opInfo(c, effect, key, callee, n, display), c);
        const step = this.fx.step(n, `${what} of \`${display}\` released here (${callee}())`);
        // Its own lock after a callee that may have released it (forgottenOwn) is still its own.
        const own = !!prior && (prior.forgottenOwn || (prior.state !== 'unknown' && prior.acquiredHere));
        const unowned = !own || !!prior.releasedUnowned;
        const required = prior ? prior.required : (effect.mode ?? 'held');
        c.setLock(key, { state: 'none', acquiredHere: prior?.acquiredHere ?? false, origin: null, display, releasedUnowned: unowned, required, requiredAt: prior ? prior.requiredAt : step });
        // An mm without other users: nobody can unmap its VMAs while the lock is dropped.
        if (c.getVal(`${SOLE_USER_PREFIX}${key}`) !== V_POS) c.markStale(key, step);
        c.addStep(step, [key]);
        if (effect.endsVmaWriteLocks) endVmaWriteLocks(c);
        break;
      }
      case 'downgrade': {
        if (this.fx.sink) this.fx.sink.lockOp(this.opInfo(c, effect, key, callee, n, display), c);
        const step = this.fx.step(n, `mmap lock of \`${display}\` downgraded to read here (${callee}())`);
        const required = prior ? prior.required : 'write';
        c.setLock(key, { state: 'read', acquiredHere: prior?.acquiredHere ?? false, origin: prior?.origin ?? step, display, releasedUnowned: prior?.releasedUnowned, required, requiredAt: prior ? prior.requiredAt : step });
        c.addStep(step, [key]);
        if (effect.endsVmaWriteLocks) endVmaWriteLocks(c);
        break;
      }
      case 'assert': {
        if (prior && (prior.state === 'read' || prior.state === 'write')) {
          if (effect.mode && prior.state !== effect.mode && prior.state === 'read') break;
          break;
        }
        if (prior && prior.state === 'held' && !effect.mode) break;
        const step = this.fx.step(n, `${callee}() asserts the ${what} of \`${display}\` is held`);
        const required = prior ? prior.required : (effect.mode ?? 'held');
        c.setLock(key, { state: effect.mode ?? 'held', acquiredHere: prior?.acquiredHere ?? false, origin: prior?.origin ?? step, display, releasedUnowned: prior?.releasedUnowned, required, requiredAt: prior ? prior.requiredAt : step });
        c.addStep(step, [key]);
        break;
      }
      case 'forget': {
        if (!prior) {
          // Nothing known here, but the callee may have released it: this function's own summary
          // must say so too (a wrapper of a conditional unlock helper).
          c.setLock(key, { state: 'unknown', acquiredHere: false, origin: null, display, releasedUnowned: true });
        } else if (prior) {
          // A lock this function took itself stays its own (see forgetAll()).
          const forgottenOwn = prior.forgottenOwn || (prior.acquiredHere && !prior.releasedUnowned && !prior.required);
          c.setLock(key, { ...prior, state: 'unknown', acquiredHere: false, releasedUnowned: !!prior.releasedUnowned || !prior.acquiredHere, forgottenOwn });
          c.addStep(this.fx.step(n, `${callee}() may release the ${what} of \`${display}\``), [key]);
        }
        break;
      }
    }
  }
}

/**
 * For a raw rwsem argument, the object whose lock it is: `&mm->mmap_lock` -> `mm`,
 * `&vma->vm_lock->lock` -> `vma`; null for any other rwsem.
 */
export function rwsemOwner(arg: AstNode, lock: LockClass): AstNode | null {
  const e = stripParens(arg);
  if (e.type !== 'pointer_expression' || e.operator !== '&') return null;
  let f: AstNode | null = stripParens(e.child('argument')!);
  const path = lock === 'mmap' ? null : [...VMA_RWSEM_PATH].reverse();
  if (!path) {
    if (f.type !== 'field_expression' || !MMAP_RWSEM_FIELDS.includes(f.child('field')?.text ?? '')) return null;
    return f.child('argument');
  }
  for (const name of path) {
    if (!f || f.type !== 'field_expression' || f.child('field')?.text !== name) return null;
    f = f.child('argument') ? stripParens(f.child('argument')!) : null;
  }
  return f;
}

/** The return values that are failure, by failure style. */
const FAILURE_BITS: Record<NonNullable<ApiEntry['fails']>, number> = {
  'zero-ok': V_NEG,
  'true-ok': V_ZERO,
  'null-fail': V_ZERO,
  'errptr-fail': V_ERR,
  'null-or-errptr-fail': V_ZERO | V_ERR,
};

function bitsForFailure(api: ApiEntry): number {
  if (api.returns !== undefined) return api.returns;
  switch (api.fails) {
    case 'zero-ok':
      return V_ZERO | V_NEG;
    case 'true-ok':
      return V_ZERO | V_POS;
    case 'null-fail':
      return V_ZERO | V_POS;
    case 'errptr-fail':
      return V_ERR;
    case 'null-or-errptr-fail':
      return V_ZERO | V_POS | V_ERR;
    default:
      return api.returnsNullable ? V_ZERO | V_POS : V_ANY;
  }
}

/** Words for an abstract value on a branch: "is NULL", "is non-zero", "is negative"... */
function describeBits(bits: number, pointer: boolean): string {
  if (bits === V_ZERO) return pointer ? 'is NULL' : 'is 0';
  if ((bits & V_ZERO) === 0) {
    if (bits === V_NEG) return 'is negative';
    if (bits === V_ERR) return 'is an ERR_PTR';
    return pointer ? 'is not NULL' : 'is non-zero';
  }
  if (bits === (V_ZERO | V_POS)) return 'is not negative';
  return 'is not an ERR_PTR';
}

function lockName(effect: LockEffect): string {
  const mode = effect.mode ? `${effect.mode} ` : '';
  return effect.lock === 'mmap' ? `mmap ${mode}lock` : effect.lock === 'vma' ? `VMA ${mode}lock` : 'VMA write lock';
}

function displayOf(effect: LockEffect, target: AstNode): string {
  const t = effect.rawRwsem ? rwsemOwner(target, effect.lock) ?? target : stripParens(target);
  const text = oneLine(t.text);
  if (effect.path && /^&[\w>.-]+$/.test(text)) return applyPath(effect.path, text);
  return effect.path ? effect.path.replace('$', /^[\w>.-]+$/.test(text) ? text : `(${text})`) : text;
}


/**
 * The mmap write lock is gone: so is every VMA write lock taken under it, and what was known or
 * feared of them (a callee that may have write-locked one) no longer says anything: for a caller,
 * the mmap lock's own effect carries it. Only a requirement stays (the function asserted a VMA
 * write-locked before it let the lock go).
 */
function endVmaWriteLocks(c: State): void {
  for (const [k, l] of [...c.locks]) {
    if (!k.startsWith('vma-write:')) continue;
    if (!l.required) c.deleteLock(k);
    else if (l.state !== 'none') c.setLock(k, { ...l, state: 'none', acquiredHere: false });
  }
}

/** On this path the function has let go of a VMA lock its caller held. */
function droppedCallersVmaLock(st: State): boolean {
  for (const [k, l] of st.locks) {
    if (!k.startsWith('vma:')) continue;
    if ((l.state === 'none' || l.state === 'unknown') && (l.releasedUnowned || (!l.acquiredHere && l.required))) return true;
  }
  return false;
}

/** On this path the function has let go of an mmap lock its caller held (it is not held any more). */
function droppedCallersMmapLock(st: State): boolean {
  for (const [k, l] of st.locks) {
    if (!k.startsWith('mmap:')) continue;
    if ((l.state === 'none' || l.state === 'unknown') && (l.releasedUnowned || (!l.acquiredHere && l.required))) return true;
  }
  return false;
}

/** The value of a call is not used: it is a statement of its own (`WARN_ON(x);`, `(void)WARN_ON(x);`). */
function valueDiscarded(n: AstNode): boolean {
  let p = n.parent;
  while (p && (p.type === 'parenthesized_expression' || p.type === 'cast_expression')) p = p.parent;
  return p?.type === 'expression_statement';
}

export function oneLine(s: string): string {
  const folded = s.replace(/\s+/g, ' ').trim();
  return folded.length > 60 ? `${folded.slice(0, 57)}...` : folded;
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
