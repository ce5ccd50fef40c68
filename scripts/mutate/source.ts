// The shapes the recall benchmark's operators look for in a kernel file: its functions, the
// statements of each block in order, the calls and assignments among them. Read with vmalint's
// own parser (tree-sitter, with the kernel's definition macros rewritten), without analysis.

import { toAst, walk, type AstNode } from '../../src/parse/ast.js';
import type { CParser } from '../../src/parse/parser.js';
import { inEnabledRegion, topLevelItems } from '../../src/parse/top-level.js';
import { PreprocessorEvaluator } from '../../src/engine/preprocessor.js';
import { DEFAULT_DEFINES } from '../../src/kb/lock-api.js';

/**
 * vmalint's default configuration (CONFIG_MMU set): a function under `#else` of `#ifdef
 * CONFIG_MMU` (nommu's __get_user_pages_locked() in mm/gup.c) is not in the build vmalint analyses
 * by default, so no bug is planted there.
 */
const DEFAULT_BUILD = new PreprocessorEvaluator({ defines: DEFAULT_DEFINES, undefines: new Set() });

export interface ParsedFile {
  path: string;
  /** Path relative to the tree's root, as reports show it. */
  relative: string;
  text: string;
  functions: FunctionShape[];
}

export interface FunctionShape {
  name: string;
  node: AstNode;
  body: AstNode;
  /** Every block of the body (the body itself included), each as its statements in order. */
  blocks: AstNode[][];
}

/** A statement that only calls a function: `f(args);`. */
export function callStatement(s: AstNode | undefined): { name: string; args: string[]; call: AstNode } | null {
  if (!s || s.type !== 'expression_statement') return null;
  const e = s.namedChildren[0];
  return e ? callShape(e) : null;
}

export function callShape(e: AstNode): { name: string; args: string[]; call: AstNode } | null {
  if (e.type !== 'call_expression') return null;
  const fn = e.child('function');
  if (!fn || fn.type !== 'identifier') return null;
  const args = e.child('arguments');
  return { name: fn.text, args: args ? args.namedChildren.filter((a) => a.type !== 'comment').map((a) => a.text) : [], call: e };
}

/** `x = f(...);` or `T *x = f(...);`: the variable and the call. */
export function assignedCall(s: AstNode | undefined): { variable: string; name: string; call: AstNode } | null {
  if (!s) return null;
  if (s.type === 'expression_statement') {
    const e = s.namedChildren[0];
    if (e?.type !== 'assignment_expression' || e.operator !== '=') return null;
    const left = e.child('left');
    const right = e.child('right');
    const call = right ? callShape(right) : null;
    if (left?.type !== 'identifier' || !call) return null;
    return { variable: left.text, name: call.name, call: call.call };
  }
  if (s.type === 'declaration') {
    const init = s.namedChildren.find((c) => c.type === 'init_declarator');
    const value = init?.child('value');
    const call = value ? callShape(value) : null;
    let d = init?.child('declarator') ?? null;
    while (d && d.type === 'pointer_declarator') d = d.child('declarator');
    if (!call || d?.type !== 'identifier') return null;
    return { variable: d.text, name: call.name, call: call.call };
  }
  return null;
}

/** The condition of an `if` without else, its parentheses and `unlikely()` removed. */
export function ifCondition(s: AstNode | undefined): AstNode | null {
  if (!s || s.type !== 'if_statement' || s.child('alternative')) return null;
  let c = s.child('condition');
  for (;;) {
    if (!c) return null;
    if (c.type === 'parenthesized_expression') c = c.namedChildren[0] ?? null;
    else if (c.type === 'call_expression' && /^(unlikely|likely)$/.test(c.child('function')?.text ?? '')) c = c.child('arguments')?.namedChildren[0] ?? null;
    else return c;
  }
}

/** Is `e` the test `!v` or `v == NULL` / `NULL == v`? */
export function isNullTest(e: AstNode | null, v: string): boolean {
  if (!e) return false;
  if (e.type === 'unary_expression' && e.operator === '!') return e.namedChildren[0]?.text === v;
  if (e.type === 'binary_expression' && e.operator === '==') {
    const [l, r] = [e.child('left')?.text, e.child('right')?.text];
    return (l === v && r === 'NULL') || (l === 'NULL' && r === v);
  }
  return false;
}

/** The statement leaves the block: `return`, `goto`, `break`, `continue`. */
export function isExit(s: AstNode | undefined): boolean {
  return !!s && /^(return_statement|goto_statement|break_statement|continue_statement)$/.test(s.type);
}

/** Does the `if` only leave (its consequence an exit, or a block ending in one)? */
export function ifOnlyLeaves(s: AstNode): boolean {
  const body = s.child('consequence');
  if (!body) return false;
  if (isExit(body)) return true;
  if (body.type !== 'compound_statement') return false;
  const inner = statements(body);
  return isExit(inner[inner.length - 1]);
}

export function statements(block: AstNode): AstNode[] {
  return block.namedChildren.filter((c) => c.type !== 'comment' && !c.type.startsWith('preproc'));
}

function functionName(def: AstNode): string | null {
  let d = def.child('declarator');
  while (d && d.type !== 'function_declarator') d = d.child('declarator');
  const id = d?.child('declarator');
  return id?.type === 'identifier' ? id.text : null;
}

export function parseFile(parser: CParser, file: string, relative: string, text: string): ParsedFile {
  const tree = parser.parse(text);
  const source = { path: file, text };
  const root = toAst(tree.rootNode as never, source);
  const built = new Set(topLevelItems(tree.rootNode).definitions.filter((d) => inEnabledRegion(d, DEFAULT_BUILD, source)).map((d) => d.startIndex));
  tree.delete();
  const functions: FunctionShape[] = [];
  walk(root, (n) => {
    if (n.type !== 'function_definition') return true;
    if (!built.has(n.start)) return false;
    const name = functionName(n);
    const body = n.child('body');
    if (!name || !body) return false;
    const blocks: AstNode[][] = [];
    walk(body, (b) => {
      if (b.type === 'compound_statement') blocks.push(statements(b));
    });
    functions.push({ name, node: n, body, blocks });
    return false;
  });
  return { path: file, relative, text, functions };
}

/** The text of the function from `from` (an offset) to its end. */
export function textAfter(fn: FunctionShape, from: number): string {
  return fn.node.file.text.slice(from, fn.node.end);
}

/** The text of the function before `to` (an offset). */
export function textBefore(fn: FunctionShape, to: number): string {
  return fn.node.file.text.slice(fn.node.start, to);
}
