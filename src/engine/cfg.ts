// Per-function control-flow graph, built from the syntax tree of kernel C as tree-sitter
// recovers it: iterator macros and scoped_guard() parse as a call missing its `;` followed by
// the body (parse/macro-statement.ts brings a body that starts with a name to that shape), or
// (a one-argument macro after a declaration: `for_each_process(p) { }`) as a nested function
// definition; guard(kind)(args); holds a lock until its block is left by any way; #if/#ifdef
// inside a function are branches (decided by -D/-U when they can be).
//
// Conditions are decomposed (&&, ||, !, ?:, likely()/unlikely()) into atomic condition nodes
// so that each branch can refine the facts the dataflow keeps.

import { AstNode, calleeName, callArgs, stripParens, walk } from '../parse/ast.js';
import { macroWithBody } from '../parse/macro-with-body.js';
import { doIteratorCall } from '../parse/do-iterator.js';
import { bodyMacro } from '../parse/macro-statement.js';
import { lookupApi, ITERATOR_MACRO_PATTERN } from '../kb/lock-api.js';
import { PreprocessorEvaluator, PREPROC_CONDITIONALS, holdsCaseLabels, type PreprocessorChoices } from './preprocessor.js';

export type { PreprocessorChoices } from './preprocessor.js';

export type CfgKind =
  | 'entry'
  | 'exit'
  | 'nop'
  /** Evaluate an expression or a declaration. */
  | 'eval'
  /** Atomic condition: succs[0] when true, succs[1] when false. */
  | 'cond'
  /** Nondeterministic choice between succs (#ifdef halves, iterator loop tests, switch). */
  | 'branch'
  | 'return'
  | 'guard-acquire'
  | 'guard-release'
  /** Entering a `case` of a switch: the switch expression equals the case value (ast). */
  | 'case'
  /** Start of one iteration of an iterator macro: its arguments are (re)assigned, pointers non-NULL. */
  | 'iter-begin'
  /** The iterator loop is done: its arguments hold unknown values. */
  | 'iter-end';

export interface GuardUse {
  /** Guard class, e.g. `mmap_read_lock` or `rwsem_read`. */
  cls: string;
  args: AstNode[];
  node: AstNode;
}

export interface CfgNode {
  id: number;
  kind: CfgKind;
  ast: AstNode | null;
  succs: number[];
  guard?: GuardUse;
  /** For iter-begin / iter-end: the iterator's arguments. */
  iterArgs?: AstNode[];
  /** For cond: the condition as written when it was reached through `!` (for traces). */
  negatedFrom?: AstNode;
  /** For cond: part of a debug check's condition (`if (VM_WARN_ON_ONCE_MM(...))`): its lock calls take nothing. */
  check?: boolean;
  /** For case: the switch expression, and the texts of all its case labels. */
  switchOn?: AstNode;
  caseLabels?: string[];
}

export interface Cfg {
  nodes: CfgNode[];
  entry: number;
  exit: number;
  /** Tree-sitter ERROR nodes the builder stepped over. */
  parseErrors: number;
}


interface Scope {
  block: AstNode | null;
  guards: GuardUse[];
  /** A loop, switch or scoped_guard: `break` leaves it. */
  breakable: boolean;
}

interface Ctx {
  scopes: Scope[];
  breakTarget: number | null;
  breakDepth: number;
  continueTarget: number | null;
  continueDepth: number;
}

/** One statement of a block, or a macro call with the statement it governs. */
interface BlockItem {
  stmt: AstNode;
  call?: AstNode;
  body?: AstNode;
  macro?: 'iterator' | 'scoped_guard';
  guard?: GuardUse;
}

const STATEMENT_TYPES = new Set([
  'compound_statement',
  'expression_statement',
  'declaration',
  'if_statement',
  'while_statement',
  'do_statement',
  'for_statement',
  'switch_statement',
  'case_statement',
  'break_statement',
  'continue_statement',
  'return_statement',
  'goto_statement',
  'labeled_statement',
  'preproc_ifdef',
  'preproc_if',
  'attributed_statement',
]);

export class CfgBuilder {
  private nodes: CfgNode[] = [];
  private labels = new Map<string, { nop: number; ancestors: Set<AstNode> }>();
  private parseErrors = 0;

  private readonly pre: PreprocessorEvaluator;

  constructor(pp: PreprocessorChoices) {
    this.pre = new PreprocessorEvaluator(pp);
  }

  build(fn: AstNode): Cfg {
    const entry = this.add('entry', null);
    const exit = this.add('exit', null);
    const body = fn.child('body');
    this.collectLabels(fn);
    const ctx: Ctx = { scopes: [], breakTarget: null, breakDepth: 0, continueTarget: null, continueDepth: 0 };
    const first = body ? this.stmt(body, exit, ctx) : exit;
    this.nodes[entry].succs.push(first);
    return { nodes: this.nodes, entry, exit, parseErrors: this.parseErrors };
  }

  private add(kind: CfgKind, ast: AstNode | null, succs: number[] = []): number {
    const id = this.nodes.length;
    this.nodes.push({ id, kind, ast, succs });
    return id;
  }

  private collectLabels(fn: AstNode): void {
    walk(fn, (n) => {
      if (n.type === 'labeled_statement') {
        const label = n.child('label');
        if (label) {
          const ancestors = new Set<AstNode>();
          for (let p = n.parent; p; p = p.parent) ancestors.add(p);
          this.labels.set(label.text, { nop: this.add('nop', n), ancestors });
        }
      }
    });
  }

  /** Release chain for the guards of scopes[from..] (innermost first), then `target`. */
  private releaseChain(ctx: Ctx, fromDepth: number, target: number, keep?: (s: Scope) => boolean): number {
    let cur = target;
    for (let d = fromDepth; d < ctx.scopes.length; d++) {
      const scope = ctx.scopes[d];
      if (keep && keep(scope)) continue;
      for (const g of scope.guards) {
        const id = this.add('guard-release', g.node, [cur]);
        this.nodes[id].guard = g;
        cur = id;
      }
    }
    return cur;
  }

  /** Builds `s` so that it continues to `next`; returns its entry node. */
  private stmt(s: AstNode, next: number, ctx: Ctx): number {
    switch (s.type) {
      case 'compound_statement':
        return this.block(s, s.namedChildren, next, ctx);
      case 'expression_statement': {
        const expr = s.namedChildren[0];
        if (!expr) return next;
        const guard = this.guardStatement(expr);
        if (guard) {
          // A lone guard statement outside a block sequence (e.g. the body of an if): it is
          // released at once when its (one-statement) scope ends.
          const rel = this.add('guard-release', guard.node, [next]);
          this.nodes[rel].guard = guard;
          const acq = this.add('guard-acquire', guard.node, [rel]);
          this.nodes[acq].guard = guard;
          return acq;
        }
        return this.add('eval', expr, [next]);
      }
      case 'declaration':
        return this.add('eval', s, [next]);
      case 'if_statement': {
        const cond = s.child('condition');
        const cons = s.child('consequence');
        const alt = s.child('alternative');
        const thenEntry = cons ? this.stmt(cons, next, ctx) : next;
        let elseEntry = next;
        if (alt) {
          const altStmt = alt.type === 'else_clause' ? alt.namedChildren[0] : alt;
          if (altStmt) elseEntry = this.stmt(altStmt, next, ctx);
        }
        return cond ? this.cond(cond, thenEntry, elseEntry) : this.branch([thenEntry, elseEntry]);
      }
      case 'while_statement':
        return this.whileStmt(s, next, ctx);
      case 'do_statement':
        return this.doStmt(s, next, ctx);
      case 'for_statement':
        return this.forStmt(s, next, ctx);
      case 'switch_statement':
        return this.switchStmt(s, next, ctx);
      case 'case_statement':
        // A case label outside a switch body sequence: just its statements.
        return this.block(null, s.namedChildren.filter((c) => c.field !== 'value'), next, ctx, false);
      case 'break_statement':
        if (ctx.breakTarget === null) return next;
        return this.releaseChain(ctx, ctx.breakDepth, ctx.breakTarget);
      case 'continue_statement':
        if (ctx.continueTarget === null) return next;
        return this.releaseChain(ctx, ctx.continueDepth, ctx.continueTarget);
      case 'return_statement': {
        const value = s.namedChildren[0] ?? null;
        const afterGuards = this.releaseChain(ctx, 0, 1);
        return this.add('return', value ?? s, [afterGuards]).valueOf();
      }
      case 'goto_statement': {
        const label = s.child('label');
        const target = label ? this.labels.get(label.text) : undefined;
        if (!target) return next;
        return this.releaseChain(ctx, 0, target.nop, (scope) => scope.block !== null && target.ancestors.has(scope.block));
      }
      case 'labeled_statement': {
        const label = s.child('label');
        const info = label ? this.labels.get(label.text) : undefined;
        const inner = s.namedChildren.filter((c) => c.field !== 'label');
        const entry = this.block(null, inner, next, ctx, false);
        if (!info) return entry;
        this.nodes[info.nop].succs.push(entry);
        return info.nop;
      }
      case 'attributed_statement': {
        const inner = s.namedChildren.filter((c) => c.type !== 'attribute_declaration');
        return this.block(null, inner, next, ctx, false);
      }
      case 'preproc_ifdef':
      case 'preproc_if':
      case 'preproc_elif':
      case 'preproc_elifdef':
      case 'preproc_else':
        return this.preproc(s, next, ctx);
      case 'ERROR':
        this.parseErrors++;
        return this.block(null, s.namedChildren, next, ctx, false);
      case 'comment':
      case 'preproc_call':
      case 'preproc_def':
      case 'preproc_function_def':
      case 'preproc_include':
      case 'type_definition':
      case 'struct_specifier':
      case 'union_specifier':
      case 'enum_specifier':
      case ';':
        return next;
      default:
        // An expression where a statement was expected (error recovery): evaluate it.
        if (s.named) return this.add('eval', s, [next]);
        return next;
    }
  }

  private whileStmt(s: AstNode, next: number, ctx: Ctx): number {
    const header = this.add('nop', s);
    const inner = this.loopCtx(ctx, next, header);
    const body = s.child('body');
    const bodyEntry = body ? this.stmt(body, header, inner) : header;
    const cond = s.child('condition');
    this.nodes[header].succs.push(cond ? this.cond(cond, bodyEntry, next) : bodyEntry);
    return header;
  }

  private doStmt(s: AstNode, next: number, ctx: Ctx): number {
    const iterator = doIteratorCall(s);
    if (iterator) return this.iteratorLoop(iterator, s.child('body'), next, ctx, true);
    const condNop = this.add('nop', s);
    const inner = this.loopCtx(ctx, next, condNop);
    const body = s.child('body');
    const bodyEntry = body ? this.stmt(body, condNop, inner) : condNop;
    const cond = s.child('condition');
    this.nodes[condNop].succs.push(cond ? this.cond(cond, bodyEntry, next) : bodyEntry);
    return bodyEntry;
  }

  private forStmt(s: AstNode, next: number, ctx: Ctx): number {
    const header = this.add('nop', s);
    const update = s.child('update');
    const updateEntry = update ? this.add('eval', update, [header]) : header;
    const inner = this.loopCtx(ctx, next, updateEntry);
    const body = s.child('body');
    const bodyEntry = body ? this.stmt(body, updateEntry, inner) : updateEntry;
    const cond = s.child('condition');
    this.nodes[header].succs.push(cond ? this.cond(cond, bodyEntry, next) : bodyEntry);
    const init = s.child('initializer');
    if (!init) return header;
    return this.add('eval', init, [header]);
  }

  private loopCtx(ctx: Ctx, breakTarget: number, continueTarget: number): Ctx {
    return {
      scopes: ctx.scopes,
      breakTarget,
      breakDepth: ctx.scopes.length,
      continueTarget,
      continueDepth: ctx.scopes.length,
    };
  }

  private branch(succs: number[]): number {
    const uniq = [...new Set(succs)];
    if (uniq.length === 1) return uniq[0];
    return this.add('branch', null, uniq);
  }

  /**
   * A sequence of statements forming one scope (a `{}` block when `scoped`). Handles the macro
   * shapes that only show in sequence: an iterator or scoped_guard call missing its `;` whose
   * body is the next statement, and guard(kind)(args); which holds until the scope ends.
   */
  private block(block: AstNode | null, stmts: AstNode[], next: number, ctx: Ctx, scoped = true): number {
    // Pair macro calls with the body statement that follows them.
    const items: BlockItem[] = [];
    for (let i = 0; i < stmts.length; i++) {
      const s = stmts[i];
      if (s.type === 'comment') continue;
      const macro = bodyMacro(s);
      if (macro) {
        let j = i + 1;
        while (j < stmts.length && stmts[j].type === 'comment') j++;
        if (j < stmts.length && this.isStatement(stmts[j])) {
          items.push({ stmt: s, call: s.namedChildren[0], body: stmts[j], macro });
          i = j;
          continue;
        }
      }
      if (s.type === 'function_definition') {
        // A macro with its block read as a nested definition: a loop when it is an iterator,
        // else its block, once.
        const m = macroWithBody(s);
        if (m && ITERATOR_MACRO_PATTERN.test(m.name)) items.push({ stmt: s, call: m.call, body: m.body, macro: 'iterator' });
        else if (m) items.push({ stmt: m.body });
        continue;
      }
      const expr = s.type === 'expression_statement' ? s.namedChildren[0] : undefined;
      const guard = expr ? this.guardStatement(expr) : null;
      items.push(guard ? { stmt: s, guard } : { stmt: s });
    }
    if (!scoped) {
      // Not a real scope: guards declared here belong to the enclosing one. Build plainly.
      return this.sequence(items, next, ctx, null);
    }
    const scope: Scope = { block, guards: [], breakable: false };
    const inner: Ctx = { ...ctx, scopes: [...ctx.scopes, scope] };
    // At the end of the block, every guard of the block is released.
    const allGuards = items.filter((it) => it.guard).map((it) => it.guard!);
    let end = next;
    for (const g of allGuards) {
      const id = this.add('guard-release', g.node, [end]);
      this.nodes[id].guard = g;
      end = id;
    }
    return this.sequence(items, end, inner, scope);
  }

  private sequence(
    items: BlockItem[],
    next: number,
    ctx: Ctx,
    scope: Scope | null,
  ): number {
    let cur = next;
    for (let k = items.length - 1; k >= 0; k--) {
      const it = items[k];
      if (scope) {
        // Guards active at position k: those declared before it in this block.
        scope.guards = items.slice(0, k).filter((x) => x.guard).map((x) => x.guard!);
      }
      if (it.guard) {
        const id = this.add('guard-acquire', it.guard.node, [cur]);
        this.nodes[id].guard = it.guard;
        cur = id;
      } else if (it.macro === 'iterator') {
        cur = this.iteratorLoop(it.call!, it.body!, cur, ctx);
      } else if (it.macro === 'scoped_guard') {
        cur = this.scopedGuard(it.call!, it.body!, cur, ctx);
      } else {
        cur = this.stmt(it.stmt, cur, ctx);
      }
    }
    if (scope) scope.guards = [];
    return cur;
  }

  private isStatement(n: AstNode): boolean {
    return STATEMENT_TYPES.has(n.type);
  }

  /** `guard(kind)(args)` */
  private guardStatement(expr: AstNode): GuardUse | null {
    if (expr.type !== 'call_expression') return null;
    const inner = expr.child('function');
    if (!inner || inner.type !== 'call_expression' || calleeName(inner) !== 'guard') return null;
    const clsArg = callArgs(inner)[0];
    if (!clsArg) return null;
    return { cls: clsArg.text, args: callArgs(expr), node: expr };
  }

  /** An iterator macro's loop; `do { body } for_each_vma(vmi, vma);` (bodyFirst) runs the body once before. */
  private iteratorLoop(call: AstNode, body: AstNode | null, next: number, ctx: Ctx, bodyFirst = false): number {
    const args = callArgs(call);
    const header = this.add('branch', call);
    const end = this.add('iter-end', call, [next]);
    this.nodes[end].iterArgs = args;
    // `break` leaves the cursor where it stopped: it goes straight on, not through iter-end.
    const inner = this.loopCtx(ctx, next, header);
    const bodyEntry = body ? this.stmt(body, header, inner) : header;
    const begin = this.add('iter-begin', call, [bodyEntry]);
    this.nodes[begin].iterArgs = args;
    // Evaluate the macro's arguments once (derefs in them), then loop.
    this.nodes[header].succs.push(begin, end);
    return bodyFirst ? bodyEntry : header;
  }

  private scopedGuard(call: AstNode, body: AstNode, next: number, ctx: Ctx): number {
    const args = callArgs(call);
    const isCond = calleeName(call) === 'scoped_cond_guard';
    const cls = args[0]?.text ?? '';
    const guard: GuardUse = { cls, args: args.slice(isCond ? 2 : 1), node: call };
    const release = this.add('guard-release', call, [next]);
    this.nodes[release].guard = guard;
    // `break` inside scoped_guard leaves the guard's scope (it is a for loop underneath).
    const scope: Scope = { block: body, guards: [guard], breakable: true };
    const inner: Ctx = {
      scopes: [...ctx.scopes, scope],
      breakTarget: next,
      breakDepth: ctx.scopes.length,
      continueTarget: next,
      continueDepth: ctx.scopes.length,
    };
    const bodyEntry = this.stmt(body, release, inner);
    const acquire = this.add('guard-acquire', call, [bodyEntry]);
    this.nodes[acquire].guard = guard;
    return acquire;
  }

  private switchStmt(s: AstNode, next: number, ctx: Ctx): number {
    const cond = s.child('condition');
    const body = s.child('body');
    const inner: Ctx = { ...ctx, breakTarget: next, breakDepth: ctx.scopes.length };
    const entries: number[] = [];
    let hasDefault = false;
    let cur = next;
    const stmts = body ? body.namedChildren : [];
    // Flatten: case labels are markers in one statement sequence (fallthrough).
    const flat: ({ label: AstNode } | { stmt: AstNode })[] = [];
    const flatten = (items: readonly AstNode[]): void => {
      for (const item of items) {
        if (item.type === 'case_statement') {
          flat.push({ label: item });
          for (const c of item.namedChildren) if (c.field !== 'value') flat.push({ stmt: c });
        } else if (PREPROC_CONDITIONALS.has(item.type) && holdsCaseLabels(item)) {
          // `#ifdef CONFIG_X` around case labels: the labels of every half the build may compile
          // are labels of this switch (a half -D/-U rules out is left out).
          for (const half of this.pre.compiledHalves(item)) flatten(half);
        } else {
          flat.push({ stmt: item });
        }
      }
    };
    flatten(stmts);
    const labels = flat.flatMap((it) => ('label' in it && it.label.child('value') ? [it.label.child('value')!.text] : []));
    // Build backwards, pairing macro bodies inside the sequence.
    const seq: AstNode[] = [];
    const flush = (): void => {
      if (seq.length) {
        cur = this.block(null, seq.splice(0).reverse(), cur, inner, false);
      }
    };
    for (let k = flat.length - 1; k >= 0; k--) {
      const item = flat[k];
      if ('stmt' in item) {
        seq.push(item.stmt);
      } else {
        flush();
        const isDefault = item.label.children.some((c) => c.type === 'default');
        if (isDefault) hasDefault = true;
        const nop = this.add('nop', item.label, [cur]);
        const value = item.label.child('value');
        if (cond) {
          const guard = this.add('case', isDefault ? null : value, [nop]);
          this.nodes[guard].switchOn = cond;
          this.nodes[guard].caseLabels = labels;
          entries.push(guard);
        } else {
          entries.push(nop);
        }
        cur = nop;
      }
    }
    flush();
    if (!hasDefault && cond) {
      // No label matches: the switch is left with its expression none of them.
      const none = this.add('case', null, [next]);
      this.nodes[none].switchOn = cond;
      this.nodes[none].caseLabels = labels;
      entries.push(none);
    } else if (!hasDefault) entries.push(next);
    const choice = this.branch(entries.length ? entries : [next]);
    return cond ? this.add('eval', cond, [choice]) : choice;
  }

  /**
   * #if / #ifdef inside a function: each half is a path unless -D/-U decides. A half that tests
   * one macro (`#ifndef CONFIG_ARM64`) is a condition on that macro's name, as `if (CONFIG_ARM64)`
   * would be: a path that took it takes the same side of a later test of the macro.
   */
  private preproc(s: AstNode, next: number, ctx: Ctx): number {
    const chain: AstNode[] = [];
    for (let cur: AstNode | null = s; cur; cur = cur.child('alternative')) chain.push(cur);
    // Built from the last alternative back: each one's "not taken" goes to the rest of the chain.
    let rest = next;
    /** Undecided alternatives with other conditions, taken or not in any combination of paths. */
    const choices: number[] = [];
    for (let i = chain.length - 1; i >= 0; i--) {
      const cur = chain[i]!;
      const body = cur.namedChildren.filter((c) => c.field !== 'name' && c.field !== 'condition' && c.field !== 'alternative');
      const verdict = cur.type === 'preproc_else' ? true : this.pre.decide(cur);
      if (verdict === false) continue;
      const entry = this.block(null, body, next, ctx, false);
      if (verdict === true) {
        rest = entry;
        choices.length = 0;
        continue;
      }
      const simple = this.pre.simpleCondition(cur);
      if (simple) {
        const otherwise = choices.length ? this.branch([...choices, rest]) : rest;
        rest = simple.whenSet ? this.add('cond', simple.macro, [entry, otherwise]) : this.add('cond', simple.macro, [otherwise, entry]);
        choices.length = 0;
      } else choices.unshift(entry);
    }
    return choices.length ? this.branch([...choices, rest]) : rest;
  }

  /** Decomposes a condition into atomic condition nodes; returns the entry. */
  private cond(e: AstNode, t: number, f: number, negatedFrom?: AstNode, check = false): number {
    const n = stripParens(e);
    if (n.type === 'unary_expression' && n.operator === '!') {
      const arg = n.namedChildren[0];
      if (arg) return this.cond(arg, f, t, negatedFrom ? undefined : n, check);
    }
    if (n.type === 'binary_expression') {
      const op = n.operator;
      const left = n.child('left');
      const right = n.child('right');
      if (left && right) {
        if (op === '&&') return this.cond(left, this.cond(right, t, f, undefined, check), f, undefined, check);
        if (op === '||') return this.cond(left, t, this.cond(right, t, f, undefined, check), undefined, check);
      }
    }
    if (n.type === 'conditional_expression') {
      const c = n.child('condition');
      const a = n.child('consequence');
      const b = n.child('alternative');
      if (c && a && b) return this.cond(c, this.cond(a, t, f, undefined, check), this.cond(b, t, f, undefined, check), undefined, check);
    }
    if (n.type === 'comma_expression') {
      const left = n.child('left');
      const right = n.child('right');
      if (left && right) return this.add('eval', left, [this.cond(right, t, f, undefined, check)]);
    }
    if (n.type === 'call_expression') {
      const name = calleeName(n);
      const args = callArgs(n);
      const api = name && args.length >= 1 ? lookupApi(name) : undefined;
      if (api?.transparent) return this.cond(args[0], t, f, undefined, check || api.check === 'debug');
    }
    const id = this.add('cond', n, [t, f]);
    if (negatedFrom) this.nodes[id].negatedFrom = negatedFrom;
    if (check) this.nodes[id].check = true;
    return id;
  }
}

export function buildCfg(fn: AstNode, pp: PreprocessorChoices): Cfg {
  return new CfgBuilder(pp).build(fn);
}
