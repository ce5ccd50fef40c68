// Text edits of the recall benchmark's mutants. Every line stays where it was: an insertion goes
// at the end of a line, a deletion leaves blanks, so findings keep their lines.

/** The text with [start, end) blanked (newlines kept). */
export function blank(text: string, start: number, end: number): string {
  return text.slice(0, start) + text.slice(start, end).replace(/[^\n]/g, ' ') + text.slice(end);
}

/** The text with `code` put at the end of the line holding `offset`. */
export function appendToLine(text: string, offset: number, code: string): string {
  let eol = text.indexOf('\n', offset);
  if (eol < 0) eol = text.length;
  return text.slice(0, eol) + ' ' + code + text.slice(eol);
}
