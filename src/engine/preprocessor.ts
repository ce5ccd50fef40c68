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

  /** Simple #if expressions: 0/1, NAME, defined(X), IS_ENABLED(X), !, &&, ||. */
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
}

export const CONDITIONAL_DIRECTIVES = new Set(['preproc_ifdef', 'preproc_if', 'preproc_elif', 'preproc_elifdef']);
