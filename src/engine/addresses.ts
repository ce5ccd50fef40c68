// One address in its several forms (src/kb/address-forms.ts): `untagged_addr(addr) & PAGE_MASK`,
// `PAGE_ALIGN_DOWN(args->addr)`, `(unsigned long)ptr` are all the key of the address they are
// a form of (`addr`, `args->addr`, `ptr`). The VMA pointer model keeps a lookup's address under
// that key, and a comparison or an offset that names any form of it is about that address.

import { calleeName, callArgs, stripParens, type AstNode } from '../parse/ast.js';
import { ADDRESS_FORMS, ADDRESS_MASKS, ADDRESS_MASK_CALLS, ADDRESS_SIZES } from '../kb/address-forms.js';
import { keyOf } from './keys.js';

/** Does `m` keep an address's page when an address is and-ed with it? */
function isPageMask(m: AstNode): boolean {
  const n = stripParens(m);
  if (n.type === 'identifier') return ADDRESS_MASKS.test(n.text);
  if (n.type === 'call_expression') return ADDRESS_MASK_CALLS.has(calleeName(n) ?? '');
  if (n.type === 'unary_expression' && n.operator === '~') {
    // ~(PAGE_SIZE - 1)
    const inner = n.namedChildren[0] ? stripParens(n.namedChildren[0]) : null;
    const size = inner?.type === 'binary_expression' && inner.operator === '-' ? inner.child('left') : null;
    return !!size && inner!.child('right')?.text === '1' && ADDRESS_SIZES.test(stripParens(size).text);
  }
  return false;
}

/** The expression an address form is of (itself when it is no form of another). */
export function addressBase(n: AstNode): AstNode {
  let cur = stripParens(n);
  for (let i = 0; i < 8; i++) {
    if (cur.type === 'cast_expression') {
      const v = cur.child('value');
      if (!v) break;
      cur = stripParens(v);
    } else if (cur.type === 'binary_expression' && cur.operator === '&') {
      const l = cur.child('left');
      const r = cur.child('right');
      if (l && r && isPageMask(r)) cur = stripParens(l);
      else if (l && r && isPageMask(l)) cur = stripParens(r);
      else break;
    } else if (cur.type === 'call_expression') {
      const i = ADDRESS_FORMS[calleeName(cur) ?? ''];
      const arg = i === undefined ? undefined : callArgs(cur)[i];
      if (!arg) break;
      cur = stripParens(arg);
    } else break;
  }
  return cur;
}

/** The key of the address an expression is a form of (`untagged_addr(addr) & PAGE_MASK`: `addr`), or null. */
export function addressKey(n: AstNode): string | null {
  return keyOf(addressBase(n));
}

/** Does the expression name the address `addr` (its key) in any form, anywhere in it? */
export function mentionsAddress(n: AstNode, addr: string): boolean {
  const stack = [n];
  while (stack.length) {
    const x = stack.pop()!;
    // A field's name is not a variable (`args->addr` does not name `addr`).
    if (x.type === 'field_identifier') continue;
    if (x.type === 'identifier' || x.type === 'field_expression' || x.type === 'subscript_expression' || x.type === 'pointer_expression') {
      if (keyOf(x) === addr) return true;
    }
    for (const c of x.namedChildren) stack.push(c);
  }
  return false;
}
