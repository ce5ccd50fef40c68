// Functions the parser did not read as functions. The prescan (src/engine/prescan.ts) delimits
// functions by kernel style; where the parser turns one into an error instead (a syntax the C
// grammar does not know, such as `do { } for_each_vma(...);` before it was rewritten), the
// function would be skipped in silence. The analysis says so instead.

/** The end offsets among `ends` (closing braces the prescan found) that no parsed definition spans. */
export function unparsedEnds(ends: readonly number[], definitions: readonly { startIndex: number; endIndex: number }[]): number[] {
  return ends.filter((end) => !definitions.some((d) => d.startIndex < end && end <= d.endIndex));
}

