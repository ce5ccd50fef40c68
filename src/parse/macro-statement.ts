// Statement macros that take the statement after them as their body: iterators
// (`for_each_vma(vmi, vma) stmt`), scoped_guard() and scoped_cond_guard(). The C grammar reads
// `macro(args) { ... }` or `macro(args) return x;` as a call statement missing its `;` and then
// the body; the control-flow graph pairs the two. A body that starts with a name
// (`scoped_guard(read_lock, &l) r = f();`) it reads as one expression instead, the macro call
// where the name belongs and the name an ERROR node: repairMacroStatement() rewrites that into the
// first shape, so that every reader of the tree (the CFG, the rules) sees the macro and its body.

import { AstNode, calleeName } from './ast.js';
import { ITERATOR_MACRO_PATTERN } from '../kb/lock-api.js';

export type BodyMacroKind = 'iterator' | 'scoped_guard';

/** The kind of a macro that takes a body, by its name; null for any other call. */
export function bodyMacroName(name: string | null): BodyMacroKind | null {
  if (!name) return null;
  if (name === 'scoped_guard' || name === 'scoped_cond_guard') return 'scoped_guard';
  if (ITERATOR_MACRO_PATTERN.test(name)) return 'iterator';
  return null;
}

/** `for_each_vma(vmi, vma)` / `scoped_guard(k, a)` as a call statement missing its `;`: the macro's kind. */
export function bodyMacro(s: AstNode): BodyMacroKind | null {
  if (s.type !== 'expression_statement') return null;
  const call = s.namedChildren[0];
  if (!call || call.type !== 'call_expression') return null;
  const semi = s.children[s.children.length - 1];
  const missingSemi = !semi || semi.missing || semi.type !== ';';
  if (!missingSemi) return null;
  return bodyMacroName(calleeName(call));
}

/** The statement a body macro statement governs: the next statement beside it (comments skipped). */
export function bodyOfMacro(s: AstNode): AstNode | null {
  if (!bodyMacro(s) || !s.parent) return null;
  const siblings = s.parent.children;
  for (let i = siblings.indexOf(s) + 1; i < siblings.length; i++) {
    const n = siblings[i];
    if (n.type === 'comment') continue;
    return n.named ? n : null;
  }
  return null;
}

/** A copy of `n` with another field name, range start and children (they are re-parented to it). */
function rebuilt(n: AstNode, field: string | null, start: number, children: AstNode[]): AstNode {
  const copy = new AstNode(n.file, n.type, n.named, field, n.missing, start, n.end);
  copy.parent = n.parent;
  for (const c of children) {
    c.parent = copy;
    copy.children.push(c);
  }
  return copy;
}

/** Nodes whose statements are a sequence (the CFG pairs a macro with the statement after it there). */
const SEQUENCES = new Set([
  'compound_statement',
  'case_statement',
  'labeled_statement',
  'attributed_statement',
  'translation_unit',
  'ERROR',
  'preproc_if',
  'preproc_ifdef',
  'preproc_elif',
  'preproc_elifdef',
  'preproc_else',
]);

/**
 * `scoped_guard(read_lock, &l) r = f();` read as `scoped_guard(...) <ERROR r> = f()` (or
 * `... ->field = f()`, `...[i] = f()`, `..., g()`): `err` is the ERROR node holding the body's
 * first name, right after the macro call, at the start of an expression statement. Rewrites the
 * statement in place into the call statement missing its `;` and the body statement after it,
 * the shape the grammar gives `macro(args) return x;`. Returns false, changing nothing, for any
 * other ERROR node.
 */
export function repairMacroStatement(err: AstNode): boolean {
  const parent = err.parent;
  const named = err.namedChildren;
  if (!parent || named.length !== 1 || err.children.length !== 1) return false;
  const at = parent.children.indexOf(err);
  const call = parent.children[at - 1];
  if (!call || call.type !== 'call_expression' || !bodyMacroName(calleeName(call))) return false;
  // The expressions from the statement's down to the ERROR's parent all start with the call.
  const path: AstNode[] = [];
  let stmt: AstNode | null = parent;
  while (stmt && stmt.type !== 'expression_statement') {
    if (stmt.start !== call.start) return false;
    path.unshift(stmt);
    stmt = stmt.parent;
  }
  const holder = stmt?.parent;
  if (!stmt || !holder || !holder.children.includes(stmt) || stmt.start !== call.start || stmt.namedChildren[0] !== path[0]) return false;
  // The body's expression: each node of the path copied to start at the body, the call and the
  // ERROR replaced by the name the ERROR holds.
  const start = named[0].start;
  let inner = rebuilt(named[0], call.field, start, [...named[0].children]);
  for (let i = path.length - 1; i >= 0; i--) {
    const p = path[i];
    const children = p.children.flatMap((c) => (c === call ? [inner] : c === err ? [] : c === path[i + 1] ? [inner] : [c]));
    inner = rebuilt(p, p.field, start, children);
  }
  const body = rebuilt(stmt, null, start, stmt.children.map((c) => (c === path[0] ? inner : c)));
  const semi = new AstNode(stmt.file, ';', false, null, true, call.end, call.end);
  const macro = new AstNode(stmt.file, 'expression_statement', true, null, false, call.start, call.end);
  for (const c of [rebuilt(call, null, call.start, [...call.children]), semi]) {
    c.parent = macro;
    macro.children.push(c);
  }
  // In a sequence of statements, the two side by side; as the one statement of an `if`, `else`
  // or loop, in a block that stands for it.
  const into = SEQUENCES.has(holder.type) ? holder : new AstNode(stmt.file, 'compound_statement', true, stmt.field, false, stmt.start, stmt.end);
  macro.parent = body.parent = into;
  if (into === holder) holder.children.splice(holder.children.indexOf(stmt), 1, macro, body);
  else {
    into.parent = holder;
    into.children.push(macro, body);
    holder.children.splice(holder.children.indexOf(stmt), 1, into);
  }
  return true;
}
