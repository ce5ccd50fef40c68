// The memo of function analyses: what analysing one function produced (its summary, its call
// sites, what the rules reported, its failure exits) and what it depended on (the answers it got
// for the names it called, the initializers it read). It is keyed by the function's text, not its
// place, so that an unchanged function is not analysed again when a line above it was added or
// removed: a later pass or round over the file in the same run, and, through the cache
// (src/cache.ts), the next run after an edit elsewhere in the file. An entry recorded where the
// function (and the functions of the file it calls) stood before is moved to where they stand now
// (`moved`).

import { createHash } from 'node:crypto';
import v8 from 'node:v8';
import type { FindingInput, FunctionResult } from './engine/events.js';
import type { FunctionAnalysis } from './engine/function.js';
import type { AstNode } from './parse/ast.js';
import { rewritePlaces } from './place-rewrite.js';

/** Where a function stood when its entry was recorded. */
export interface FunctionPlace {
  row: number;
  col: number;
  endRow: number;
  start: number;
  end: number;
}

export interface MemoEntry {
  /** memoKey(): the file, the mode of the analysis, and the function's text. */
  key: string;
  at: FunctionPlace;
  /**
   * Names resolved, with the fingerprint of the answer. For a function of the same file, the
   * answer as if that function stood at the top of the file, and where it stood (`places`): a
   * callee that only moved does not make its callers' entries stale; they move with it.
   */
  deps: Map<string, string>;
  places: Map<string, FunctionPlace>;
  initializers: Map<string, string>;
  /** What the rules reported, in order (by rule index; nodes reduced to their positions). */
  reports: [number, FindingInput][];
  analysis: Omit<FunctionAnalysis, 'result' | 'info'> | null;
  /** The function's failure exits (nodes reduced to their positions), for the rules' file checks. */
  failureReturns: FunctionResult['failureReturns'];
}

/**
 * Functions the memo keeps (the oldest go first). A file analysed again in a later round brings
 * its own entries (packMemo()), so the memo only has to hold the run's latest files.
 */
const MEMO_LIMIT = 1_000;

/** The memo of an analyzer: entries by memoKey(), the oldest dropped past MEMO_LIMIT. */
export class FunctionMemo {
  private readonly entries = new Map<string, MemoEntry>();

  /** Entries from an earlier run (the cache's), where the memo has none of their key. */
  seed(entries: readonly MemoEntry[] | undefined): void {
    for (const e of entries ?? []) if (!this.entries.has(e.key)) this.entries.set(e.key, e);
  }

  get(key: string): MemoEntry | undefined {
    return this.entries.get(key);
  }

  /** Keeps `entry` as the newest. */
  store(entry: MemoEntry): void {
    this.entries.delete(entry.key);
    this.entries.set(entry.key, entry);
    if (this.entries.size > MEMO_LIMIT) this.entries.delete(this.entries.keys().next().value!);
  }
}

/**
 * A file's memo entries packed in one buffer, to keep between its analyses in one run: a later
 * round may analyse the file in another thread, or after this thread's memo dropped them (a
 * whole tree analyses several times MEMO_LIMIT functions a thread). Packed, an entry is about
 * 1.6 KB; as objects, several times that.
 */
export function packMemo(entries: readonly MemoEntry[]): Uint8Array {
  return v8.serialize(entries);
}

/** The entries a file's analysis starts from: its packed entries of this run, then an earlier run's (the cache's). */
export function knownEntries(packed: Uint8Array | undefined, earlier: readonly MemoEntry[] | undefined): readonly MemoEntry[] | undefined {
  return packed ? [...(v8.deserialize(packed) as MemoEntry[]), ...(earlier ?? [])] : earlier;
}

/** A node reduced to what a report reads of it: where it is. */
export function positionOf(node: AstNode): AstNode {
  return { row: node.row, col: node.col, endRow: node.endRow, endCol: node.endCol, start: node.start, end: node.end } as AstNode;
}

/**
 * The key of a function's analysis: its file, whether the rules watched it, what else in the file
 * changes it (the static functions it calls whose call sites are recorded, the callback table it
 * hands its locks to), and its text; as a digest (memoDigest).
 */
export function memoKey(file: string, withVisitors: boolean, staticsCalled: string, handsLocksTo: string | undefined, calledAs: string | undefined, text: string): string {
  return memoDigest(`${file}\0${withVisitors ? 1 : 0}\0${staticsCalled}\0${handsLocksTo ?? ''}\0${calledAs ?? ''}\0${text}`);
}

/**
 * A memo key as a digest: an entry kept with the function's whole text in its key held a copy of
 * every memoised function's text (a third of a worker's memo on the whole 6.12 tree).
 */
export function memoDigest(key: string): string {
  return createHash('sha1').update(key).digest('base64');
}

/** A function of the file that moved: where it stood, where it stands. */
export interface Move {
  from: FunctionPlace;
  to: FunctionPlace;
}

/** Where a function would stand at the top of its file (for comparing what it says, wherever it is). */
export function atOrigin(place: FunctionPlace): FunctionPlace {
  return { row: 0, col: place.col, endRow: place.endRow - place.row, start: 0, end: place.end - place.start };
}

/**
 * A copy of `value` in which every line, row and offset of `file` that lay inside a moved
 * function moves with it (trace steps, nodes reduced to their positions, summary sources, and
 * `line N` in messages); the rest stays. Null when a function moved within its line (its columns
 * would be wrong).
 */
export function moved<T>(value: T, file: string, moves: readonly Move[]): T | null {
  const shifts = moves.filter((m) => m.from.start !== m.to.start || m.from.row !== m.to.row);
  if (!shifts.length) return value;
  if (shifts.some((m) => m.from.col !== m.to.col)) return null;
  const lineShift = (line: number): number => {
    for (const m of shifts) if (line >= m.from.row + 1 && line <= m.from.endRow + 1) return m.to.row - m.from.row;
    return 0;
  };
  return rewritePlaces(structuredClone(value), {
    // `line N` of a text about this file (another file's step speaks of its own lines).
    text: (text, about) => (text.includes('line ') && (about === null || about === file) ? text.replace(/\bline (\d+)\b/g, (_, n: string) => `line ${Number(n) + lineShift(Number(n))}`) : text),
    // A place in this file: a trace step or a summary's source ({ file, line }).
    line: (at, line) => (at === file ? line + lineShift(line) : line),
    node: (o) => {
      const m = shifts.find((x) => o.start >= x.from.start && o.end <= x.from.end);
      if (!m) return;
      o.row += m.to.row - m.from.row;
      o.endRow += m.to.row - m.from.row;
      o.start += m.to.start - m.from.start;
      o.end += m.to.start - m.from.start;
    },
  });
}
