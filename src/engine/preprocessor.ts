// Decides #if / #ifdef conditions from the command line's -D / -U (and the knowledge base's
// default defines). A condition that the given macros do not decide is null: both sides possible,
// unless the macros are a build's whole configuration (`closedPrefix`: a CONFIG_ name it does not
// define is not set).

import { AstNode, calleeName, callArgs, stripParens } from '../parse/ast.js';

export interface PreprocessorChoices {
  defines: ReadonlyMap<string, string>;
  undefines: ReadonlySet<string>;
  /** Names with this prefix that `defines` lacks are not defined (a configured kernel's CONFIG_). */
  closedPrefix?: string;
}

export class PreprocessorEvaluator {
  constructor(private readonly pp: PreprocessorChoices) {}

  /** true/false when the macros decide a conditional directive, null when both sides are possible. */
  decide(n: AstNode): boolean | null {
    if (n.type === 'preproc_ifdef' || n.type === 'preproc_elifdef') {
      const name = n.child('name')?.text;
      if (!name) return null;
      const negated = n.children.some((c) => c.type === '#ifndef' || c.type === '#elifndef');
      const d = this.isDefined(name);
      if (d === null) return null;
      return negated ? !d : d;
    }
    const cond = n.child('condition');
    return cond ? this.evaluate(cond) : null;
  }

  /**
   * The macro an undecided `#ifdef X`, `#ifndef X`, `#if X`, `#if defined(X)`, `#if !X` (and the
   * `#elif` forms) tests, as an identifier node, and whether the body runs when X is set. Null
   * for any other condition. Two regions of one function that test the same macro are taken
   * together on a path (src/engine/cfg.ts): a lock taken under `#ifndef CONFIG_ARM64` is released
   * under the same test further down.
   */
  simpleCondition(n: AstNode): { macro: AstNode; whenSet: boolean } | null {
    if (n.type === 'preproc_ifdef' || n.type === 'preproc_elifdef') {
      const macro = n.child('name');
      if (!macro || macro.type !== 'identifier') return null;
      return { macro, whenSet: !n.children.some((c) => c.type === '#ifndef' || c.type === '#elifndef') };
    }
    if (n.type !== 'preproc_if' && n.type !== 'preproc_elif') return null;
    let cond = n.child('condition');
    let whenSet = true;
    for (;;) {
      if (!cond) return null;
      if (cond.type === 'parenthesized_expression') cond = cond.namedChildren[0] ?? null;
      else if (cond.type === 'unary_expression' && cond.children[0]?.type === '!') {
        whenSet = !whenSet;
        cond = cond.namedChildren[0] ?? null;
      } else if (cond.type === 'preproc_defined') cond = cond.namedChildren.find((c) => c.type === 'identifier') ?? null;
      else break;
    }
    return cond?.type === 'identifier' ? { macro: cond, whenSet } : null;
  }

  private isDefined(name: string): boolean | null {
    if (this.pp.undefines.has(name)) return false;
    if (this.pp.defines.has(name)) return true;
    if (this.pp.closedPrefix && name.startsWith(this.pp.closedPrefix)) return false;
    return null;
  }

  /**
   * IS_ENABLED(X): X built in, or X_MODULE (a module), as include/linux/kconfig.h says. An option
   * turned off (-U X) is off as a module too unless X_MODULE is defined.
   */
  private isEnabled(name: string): boolean | null {
    const builtin = this.isDefined(name);
    const module = this.isDefined(`${name}_MODULE`) ?? (builtin === false ? false : null);
    if (builtin === true || module === true) return true;
    return builtin === false && module === false ? false : null;
  }

  /**
   * The value of an #if operand: a number, a macro defined as one, or 0 for a name known not to be
   * defined (as the C preprocessor reads it); null when unknown.
   */
  private numeric(e: AstNode): number | null {
    const n = stripParens(e);
    if (n.type === 'number_literal') return parseNumber(n.text);
    if (n.type === 'unary_expression' && n.operator === '-') {
      const v = this.numeric(n.namedChildren[0]);
      return v === null ? null : -v;
    }
    if (n.type !== 'identifier') return null;
    const value = this.pp.defines.get(n.text);
    if (value !== undefined) return parseNumber(value);
    return this.isDefined(n.text) === false ? 0 : null;
  }

  /** Simple #if expressions: 0/1, NAME, defined(X), IS_ENABLED(X), !, &&, ||, and comparisons of numbers and macros. */
  private evaluate(e: AstNode): boolean | null {
    const n = stripParens(e);
    switch (n.type) {
      case 'number_literal':
        return Number.parseInt(n.text, 10) !== 0;
      case 'preproc_defined': {
        const id = n.namedChildren[0];
        return id ? this.isDefined(id.text) : null;
      }
      case 'identifier': {
        if (this.pp.defines.has(n.text)) return this.pp.defines.get(n.text) !== '0';
        return this.isDefined(n.text);
      }
      case 'call_expression': {
        const name = calleeName(n);
        const arg = callArgs(n)[0];
        if (!arg) return null;
        if (name === 'IS_ENABLED' || name === 'IS_REACHABLE') return this.isEnabled(arg.text);
        if (name === 'IS_BUILTIN' || name === 'defined') return this.isDefined(arg.text);
        if (name === 'IS_MODULE') return this.isDefined(`${arg.text}_MODULE`);
        return null;
      }
      case 'unary_expression': {
        if (n.operator !== '!') return null;
        const v = this.evaluate(n.namedChildren[0]);
        return v === null ? null : !v;
      }
      case 'binary_expression': {
        const compare = COMPARISONS[n.operator ?? ''];
        if (compare) {
          const a = this.numeric(n.child('left')!);
          const b = this.numeric(n.child('right')!);
          return a === null || b === null ? null : compare(a, b);
        }
        const l = this.evaluate(n.child('left')!);
        const r = this.evaluate(n.child('right')!);
        if (n.operator === '&&') {
          if (l === false || r === false) return false;
          return l === true && r === true ? true : null;
        }
        if (n.operator === '||') {
          if (l === true || r === true) return true;
          return l === false && r === false ? false : null;
        }
        return null;
      }
      default:
        return null;
    }
  }

  /** The bodies of a conditional chain's halves that may be compiled (the one -D/-U decides on, else every undecided one). */
  compiledHalves(s: AstNode): AstNode[][] {
    const out: AstNode[][] = [];
    for (let cur: AstNode | null = s; cur; cur = cur.child('alternative')) {
      const verdict = cur.type === 'preproc_else' ? true : this.decide(cur);
      if (verdict === false) continue;
      out.push(cur.namedChildren.filter((c) => c.field !== 'name' && c.field !== 'condition' && c.field !== 'alternative'));
      if (verdict === true) break;
    }
    return out;
  }
}

const COMPARISONS: Record<string, (a: number, b: number) => boolean> = {
  '==': (a, b) => a === b,
  '!=': (a, b) => a !== b,
  '<': (a, b) => a < b,
  '<=': (a, b) => a <= b,
  '>': (a, b) => a > b,
  '>=': (a, b) => a >= b,
};

/** A C integer literal (decimal, hex, octal; U/L suffixes), or null. */
function parseNumber(text: string): number | null {
  const t = text.trim().replace(/[uUlL]+$/, '');
  if (/^0[xX][0-9a-fA-F]+$/.test(t)) return Number.parseInt(t, 16);
  if (/^0[0-7]*$/.test(t)) return Number.parseInt(t, 8);
  if (/^[1-9]\d*$/.test(t)) return Number.parseInt(t, 10);
  return null;
}

export const CONDITIONAL_DIRECTIVES = new Set(['preproc_ifdef', 'preproc_if', 'preproc_elif', 'preproc_elifdef']);

export const PREPROC_CONDITIONALS = new Set(['preproc_ifdef', 'preproc_if', 'preproc_elif', 'preproc_elifdef', 'preproc_else']);

/** Does a conditional directive hold case labels of the switch around it (in any half)? */
export function holdsCaseLabels(s: AstNode): boolean {
  for (let cur: AstNode | null = s; cur; cur = cur.child('alternative')) {
    for (const c of cur.namedChildren) {
      if (c.field === 'alternative') continue;
      if (c.type === 'case_statement' || (PREPROC_CONDITIONALS.has(c.type) && holdsCaseLabels(c))) return true;
    }
  }
  return false;
}
