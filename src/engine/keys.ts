// Normalised keys of pure C expressions (identifiers, field paths, `*p`, `&x`, constants, bit
// tests, comparisons): the names under which the abstract state keeps what a path knows.

import { AstNode, stripParens } from '../parse/ast.js';
import { isNamedConstant } from './c-names.js';
import { V_ANY, V_POS, V_ZERO } from './events.js';

/** Normalised key of a pure expression (identifiers, field paths, `*p`, `&x`, constants, bit tests). */
export function keyOf(n: AstNode): string | null {
  switch (n.type) {
    case 'identifier':
    case 'field_identifier':
    case 'number_literal':
      return n.text;
    case 'true':
    case 'false':
    case 'null':
      return n.text;
    case 'parenthesized_expression': {
      const inner = n.namedChildren[0];
      return inner ? keyOf(inner) : null;
    }
    case 'cast_expression': {
      const v = n.child('value');
      return v ? keyOf(v) : null;
    }
    case 'field_expression': {
      const arg = n.child('argument');
      const field = n.child('field');
      const op = n.operator;
      if (!arg || !field) return null;
      const base = keyOf(arg);
      return base === null ? null : `${base}${op === '.' ? '.' : '->'}${field.text}`;
    }
    case 'pointer_expression': {
      const arg = n.child('argument');
      const base = arg ? keyOf(arg) : null;
      if (base === null) return null;
      return `${n.operator === '&' ? '&' : '*'}${base}`;
    }
    case 'subscript_expression': {
      const arg = n.child('argument');
      const idx = n.child('index');
      const a = arg ? keyOf(arg) : null;
      const i = idx ? keyOf(idx) : null;
      return a !== null && i !== null ? `${a}[${i}]` : null;
    }
    case 'unary_expression': {
      // A negative constant: -1, -EFAULT.
      const arg = n.namedChildren[0];
      return n.operator === '-' && arg && (arg.type === 'number_literal' || (arg.type === 'identifier' && isNamedConstant(arg.text))) ? `-${arg.text}` : null;
    }
    case 'binary_expression': {
      const op = n.operator;
      if (op !== '&' && op !== '|' && op !== '>>' && op !== '<<') return null;
      const l = n.child('left');
      const r = n.child('right');
      const lk = l ? keyOf(l) : null;
      const rk = r ? keyOf(r) : null;
      return lk !== null && rk !== null ? `(${lk} ${op} ${rk})` : null;
    }
    default:
      return null;
  }
}

/** Key of `a == b` whichever way round it is written. */
export function equalityKey(a: string, b: string): string {
  const [x, y] = [a, b].sort();
  return `(${x} == ${y})`;
}

/** The two sides of a key made by equalityKey() whose sides are plain names, or null. */
export function equalityNames(key: string): [string, string] | null {
  const m = /^\((\w+) == (\w+)\)$/.exec(key);
  return m ? [m[1], m[2]] : null;
}

/** A condition of pure expressions only (no calls, no assignments): it can be re-tested later. */
export function isPureCondition(n: AstNode): boolean {
  const s = stripParens(n);
  switch (s.type) {
    case 'unary_expression':
      return s.operator === '!' && isPureCondition(s.namedChildren[0]);
    case 'binary_expression': {
      const op = s.operator ?? '';
      const l = s.child('left');
      const r = s.child('right');
      if (!l || !r) return false;
      if (op === '&&' || op === '||') return isPureCondition(l) && isPureCondition(r);
      if (['==', '!=', '<', '>', '<=', '>='].includes(op)) return keyOf(stripParens(l)) !== null && keyOf(stripParens(r)) !== null;
      return false;
    }
    default:
      return false;
  }
}

/** Normalised key of a comparison of two pure expressions, and whether the test is its positive form. */
export function relationKey(n: AstNode): { key: string; positive: boolean } | null {
  const op = n.operator;
  const l = n.child('left');
  const r = n.child('right');
  if (!l || !r || !op) return null;
  const lk = keyOf(stripParens(l));
  const rk = keyOf(stripParens(r));
  if (lk === null || rk === null) return null;
  switch (op) {
    case '==':
    case '!=':
      return { key: equalityKey(lk, rk), positive: op === '==' };
    case '<':
      return { key: `(${lk} < ${rk})`, positive: true };
    case '>=':
      return { key: `(${lk} < ${rk})`, positive: false };
    case '>':
      return { key: `(${rk} < ${lk})`, positive: true };
    case '<=':
      return { key: `(${rk} < ${lk})`, positive: false };
    default:
      return null;
  }
}

export function literalBits(text: string): number {
  const t = text.replace(/[uUlL]+$/, '');
  const v = t.startsWith('0x') || t.startsWith('0X') ? Number.parseInt(t, 16) : Number.parseFloat(t);
  if (Number.isNaN(v)) return V_ANY;
  return v === 0 ? V_ZERO : V_POS;
}

export function isZeroLiteral(n: AstNode): boolean {
  const s = stripParens(n);
  if (s.type === 'null' || s.type === 'false') return true;
  if (s.type === 'number_literal') return literalBits(s.text) === V_ZERO;
  if (s.type === 'cast_expression') {
    const v = s.child('value');
    return v ? isZeroLiteral(v) : false;
  }
  return false;
}
