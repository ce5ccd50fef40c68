// What the parser reads of a file when the demand keeps only some of its functions. The text it
// is given is blanked (src/engine/prescan.ts keepOnly(): the same length, all but the kept ranges
// and the conditional directives between them made spaces), and of that text only the ranges that
// hold something are included (tree-sitter's included ranges): the kept ranges, and each line
// between them that keepOnly() left with text (a directive), with its line end and, when it ends
// with a backslash, the line it continues on. The blank rest is neither copied into the parser nor
// lexed; it was four fifths of the text of the files parsed on the whole 6.12 tree. Spaces and
// blank lines between tokens mean nothing to the grammar, so the syntax trees are the same.

import type { Range } from 'web-tree-sitter';
import { pointAt } from './ast.js';

/** The first character that is neither a space nor a line end (keepOnly() blanks with spaces). */
const NOT_BLANK = /[^ \n]/g;

/** The included ranges of `blanked` (keepOnly(text, kept)) for the sorted text ranges `kept`, with their rows and columns. */
export function includedRanges(blanked: string, kept: readonly { start: number; end: number }[]): Range[] {
  const spans: [number, number][] = [];
  const lineEnd = (from: number): number => {
    const nl = blanked.indexOf('\n', from);
    return nl < 0 ? blanked.length : nl + 1;
  };
  const textIn = (from: number, to: number): void => {
    NOT_BLANK.lastIndex = from;
    for (let m = NOT_BLANK.exec(blanked); m && m.index < to; m = NOT_BLANK.exec(blanked)) {
      const start = Math.max(from, blanked.lastIndexOf('\n', m.index) + 1);
      let end = Math.min(to, lineEnd(m.index));
      // A directive continued on the next line (blanked: `#if A && \` over a line of spaces).
      while (end < to && /\\\r?\n$/.test(blanked.slice(Math.max(start, end - 3), end))) end = Math.min(to, lineEnd(end));
      spans.push([start, end]);
      NOT_BLANK.lastIndex = end;
    }
  };
  let at = 0;
  for (const r of kept) {
    if (r.start < at) continue;
    textIn(at, r.start);
    spans.push([r.start, r.end]);
    at = r.end;
  }
  textIn(at, blanked.length);
  const merged: [number, number][] = [];
  for (const s of spans) {
    const last = merged[merged.length - 1];
    if (last && s[0] <= last[1]) last[1] = Math.max(last[1], s[1]);
    else if (s[1] > s[0]) merged.push([s[0], s[1]]);
  }
  const file = { path: '', text: blanked };
  return merged.map(([start, end]) => ({ startIndex: start, endIndex: end, startPosition: pointAt(file, start), endPosition: pointAt(file, end) }));
}
