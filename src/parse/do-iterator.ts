// An iterator macro closing a `do { } ...;` loop: `do { ... } for_each_vma(vmi, vma);` (the body
// runs once for the VMA in hand, then once per VMA the iterator brings). The C grammar cannot read
// it: tree-sitter turns the function, and every function after it in the file, into one ERROR
// node, and none of them is analysed. Before parsing, the macro's name is rewritten into `while`
// padded with spaces (same length: every offset still points into the file as written), so that
// the loop parses as `do { ... } while (vmi, vma);`; the control-flow graph reads the name back
// from the file's text (between the body and the condition) and builds an iterator loop.

import { AstNode } from './ast.js';
import { ITERATOR_MACRO_PATTERN } from '../kb/lock-api.js';

/** `}` then an identifier, its arguments (not empty, one level of nested parentheses) and `;`. */
const CLOSING_MACRO = /\}(\s*)([A-Za-z_]\w*)(\s*\((?:[^();]|\([^();]*\))+\)\s*;)/g;

/** Is the `}` at `close` the end of a block opened by `do {`? (Braces counted back; comments and strings are not told apart: a miss only leaves the text as it was.) */
function closesDoBlock(text: string, close: number): boolean {
  let depth = 0;
  for (let i = close; i >= 0; i--) {
    const c = text.charCodeAt(i);
    if (c === 125) depth++;
    else if (c === 123 && --depth === 0) {
      let j = i - 1;
      while (j >= 0 && /\s/.test(text[j])) j--;
      return j >= 1 && text.slice(j - 1, j + 1) === 'do' && !/\w/.test(text[j - 2] ?? '');
    }
  }
  return false;
}

export function rewriteDoIterators(text: string): string {
  if (!text.includes('} ') && !text.includes('}\t')) return text;
  return text.replace(CLOSING_MACRO, (whole, space: string, name: string, rest: string, offset: number) => {
    if (name.length < 5 || !ITERATOR_MACRO_PATTERN.test(name) || !closesDoBlock(text, offset)) return whole;
    return `}${space}${'while'.padEnd(name.length)}${rest}`;
  });
}

/**
 * For a `do` statement whose `while` is an iterator macro in the file (see above): the macro call,
 * rebuilt on the file's text (name and arguments), for the control-flow graph; null for a plain
 * `do { } while (...)`.
 */
export function doIteratorCall(s: AstNode): AstNode | null {
  // The `while` token is not kept in the tree: the name is the file's text between body and condition.
  const body = s.child('body');
  const cond = s.child('condition');
  if (!body || !cond || cond.type !== 'parenthesized_expression') return null;
  const between = s.file.text.slice(body.end, cond.start);
  const name = between.trim();
  if (name === 'while' || !/^[A-Za-z_]\w*$/.test(name) || !ITERATOR_MACRO_PATTERN.test(name)) return null;
  const start = body.end + between.indexOf(name);
  const call = new AstNode(s.file, 'call_expression', true, null, false, start, cond.end);
  const fn = new AstNode(s.file, 'identifier', true, 'function', false, start, start + name.length);
  const list = new AstNode(s.file, 'argument_list', true, 'arguments', false, cond.start, cond.end);
  call.parent = s;
  call.children.push(fn, list);
  fn.parent = list.parent = call;
  // `(a, b, c)` parsed as comma expressions: the arguments are their operands, in order.
  const args: AstNode[] = [];
  const flatten = (n: AstNode): void => {
    if (n.type === 'comma_expression') for (const c of n.namedChildren) flatten(c);
    else args.push(n);
  };
  for (const c of cond.namedChildren) flatten(c);
  list.children.push(...args);
  return call;
}
