// A statement macro with a block that the C grammar misreads (`for_each_process(p) { ... }` after a
// declaration reads as a nested function definition): the call it stands for, rebuilt on the same
// text, and its block, for the control-flow graph.

import { AstNode } from './ast.js';

/**
 * `for_each_process(p) { ... }` after a declaration: the grammar reads a one-argument macro and
 * its block as a nested function definition (type `for_each_process`, declarator `(p)`). The
 * call it stands for, rebuilt on the same text, and the block.
 */
export function macroWithBody(def: AstNode): { name: string; call: AstNode; body: AstNode } | null {
  const type = def.child('type');
  const declarator = def.child('declarator');
  const body = def.child('body');
  const arg = declarator?.type === 'parenthesized_declarator' ? declarator.namedChildren[0] : undefined;
  if (type?.type !== 'type_identifier' || !declarator || !body || arg?.type !== 'identifier') return null;
  const at = (n: AstNode, type: string, field: string | null): AstNode =>
    new AstNode(n.file, type, true, field, false, n.start, n.end);
  const call = new AstNode(def.file, 'call_expression', true, null, false, type.start, declarator.end);
  const fn = at(type, 'identifier', 'function');
  const list = at(declarator, 'argument_list', 'arguments');
  const argument = at(arg, 'identifier', null);
  call.parent = def.parent;
  call.children.push(fn, list);
  fn.parent = list.parent = call;
  list.children.push(argument);
  argument.parent = list;
  return { name: type.text, call, body };
}
