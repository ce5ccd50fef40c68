// Kernel attribute macros with arguments, which the C grammar cannot read where kernel code puts
// them: `static __printf(3, 4) void slab_err(...)`, `static void __section(".inittext")
// serial_putchar(int ch)`, `void f(struct x *x) __must_hold(&x->lock)`. tree-sitter turns such a
// function into an error, and it is not analysed. Before parsing, each invocation is replaced by
// spaces of the same length (newlines kept: every offset, row and column still points into the
// file as written); what reads the function's text (its `__must_hold()`, its name) reads the
// file's own text.

import { ATTRIBUTE_MACROS_WITH_ARGUMENTS } from '../engine/c-names.js';

/** An invocation of one of the attribute macros that take arguments (c-names.ts). */
const ATTRIBUTE_CALL = new RegExp(`\\b(?:${ATTRIBUTE_MACROS_WITH_ARGUMENTS.join('|')})\\s*\\(`, 'g');

export function rewriteAttributeMacros(text: string): string {
  ATTRIBUTE_CALL.lastIndex = 0;
  if (!ATTRIBUTE_CALL.test(text)) return text;
  ATTRIBUTE_CALL.lastIndex = 0;
  let out = '';
  let at = 0;
  for (let m = ATTRIBUTE_CALL.exec(text); m; m = ATTRIBUTE_CALL.exec(text)) {
    if (m.index < at || onDirectiveLine(text, m.index)) continue;
    const end = closingParenthesis(text, m.index + m[0].length);
    if (end < 0) continue;
    out += text.slice(at, m.index) + text.slice(m.index, end + 1).replace(/[^\n]/g, ' ');
    at = end + 1;
    ATTRIBUTE_CALL.lastIndex = at;
  }
  return at ? out + text.slice(at) : text;
}

/** Is `index` on a preprocessor line (`#define __printf(a, b) ...`), counting continuations? */
function onDirectiveLine(text: string, index: number): boolean {
  let start = text.lastIndexOf('\n', index - 1) + 1;
  // A continued line: back to the line that starts the directive.
  while (start >= 2 && text[start - 2] === '\\') start = text.lastIndexOf('\n', start - 3) + 1;
  return /^[ \t]*#/.test(text.slice(start, start + 80));
}

/** The index of the `)` that closes the parenthesis opened just before `from`, or -1 (strings skipped; gives up at a `;`, `{` or `}`). */
function closingParenthesis(text: string, from: number): number {
  let depth = 1;
  for (let i = from; i < text.length; i++) {
    const c = text[i];
    if (c === '"' || c === "'") {
      for (i++; i < text.length && text[i] !== c && text[i] !== '\n'; i++) if (text[i] === '\\') i++;
    } else if (c === '(') depth++;
    else if (c === ')' && --depth === 0) return i;
    else if (c === ';' || c === '{' || c === '}') return -1;
  }
  return -1;
}
