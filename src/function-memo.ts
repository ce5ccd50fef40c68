// The memo of function analyses: what analysing one function produced (its summary, its call
// sites, what the rules reported, its failure exits) and what it depended on (the answers it got
// for the names it called, the initializers it read). It is keyed by the function's text, not its
// place, so that an unchanged function is not analysed again when a line above it was added or
// removed: a later pass or round over the file in the same run, and, through the cache
// (src/cache.ts), the next run after an edit elsewhere in the file. An entry recorded where the
// function stood before is moved to where it stands now (`relocated`).

import type { FindingInput, FunctionResult } from './engine/events.js';
import type { FunctionAnalysis } from './engine/function.js';

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
  /** Names resolved, with the fingerprint of the answer. */
  deps: Map<string, string>;
  initializers: Map<string, string>;
  /** What the rules reported, in order (by rule index; nodes reduced to their positions). */
  reports: [number, FindingInput][];
  analysis: Omit<FunctionAnalysis, 'result' | 'info'> | null;
  /** The function's failure exits (nodes reduced to their positions), for the rules' file checks. */
  failureReturns: FunctionResult['failureReturns'];
}

/**
 * The key of a function's analysis: its file, whether the rules watched it, what else in the file
 * changes it (the static functions it calls whose call sites are recorded, the callback table it
 * hands its locks to), and its text.
 */
export function memoKey(file: string, withVisitors: boolean, staticsCalled: string, handsLocksTo: string | undefined, text: string): string {
  return `${file}\0${withVisitors ? 1 : 0}\0${staticsCalled}\0${handsLocksTo ?? ''}\0${text}`;
}

/**
 * The entry as if recorded with the function at `to`: every line, row and offset that lay inside
 * the function where it stood moves with it (trace steps, report nodes, summary sources, and
 * `line N` in messages); what lay outside it (a callee's lines, in another function or file) stays.
 * Null when the function moved within its line (the columns would be wrong).
 */
export function relocated(entry: MemoEntry, file: string, to: FunctionPlace): MemoEntry | null {
  const from = entry.at;
  if (from.start === to.start && from.row === to.row) return entry;
  if (from.col !== to.col) return null;
  const rows = to.row - from.row;
  const offsets = to.start - from.start;
  const firstLine = from.row + 1;
  const lastLine = from.endRow + 1;
  const inside = (line: number): boolean => line >= firstLine && line <= lastLine;
  const moveText = (text: string): string => (text.includes('line ') ? text.replace(/\bline (\d+)\b/g, (m, n: string) => (inside(Number(n)) ? `line ${Number(n) + rows}` : m)) : text);
  const copy = structuredClone(entry);
  const seen = new Set<object>();
  const move = (value: unknown): unknown => {
    if (typeof value === 'string') return moveText(value);
    if (!value || typeof value !== 'object' || seen.has(value)) return value;
    seen.add(value);
    if (Array.isArray(value)) {
      for (let i = 0; i < value.length; i++) value[i] = move(value[i]);
      return value;
    }
    if (value instanceof Map) {
      for (const [k, v] of value) value.set(k, move(v));
      return value;
    }
    if (value instanceof Set) return value;
    const o = value as Record<string, unknown>;
    // A place in this file: a trace step or a summary's source ({ file, line }).
    if (o['file'] === file && typeof o['line'] === 'number' && inside(o['line'])) o['line'] = o['line'] + rows;
    // A node reduced to its position.
    if (typeof o['row'] === 'number' && typeof o['endRow'] === 'number' && typeof o['start'] === 'number' && typeof o['end'] === 'number' && o['start'] >= from.start && o['end'] <= from.end) {
      o['row'] = o['row'] + rows;
      o['endRow'] = o['endRow'] + rows;
      o['start'] = o['start'] + offsets;
      o['end'] = o['end'] + offsets;
    }
    for (const k of Object.keys(o)) if (k !== 'file' && k !== 'key') o[k] = move(o[k]);
    return o;
  };
  move(copy);
  copy.at = { row: to.row, col: to.col, endRow: to.endRow, start: to.start, end: to.end };
  return copy;
}
