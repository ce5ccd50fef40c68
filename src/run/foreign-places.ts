// A file's result that holds but for where other files' functions stand. The summaries a file's
// analysis reads carry places in other files (the trace steps of a callee, "through fetch() at
// mm/util.c:42" in a message), so a line added near the top of mm/mlock.c changed the answers its
// callers' files got, and every one of those files was parsed and analysed again for nothing but
// new line numbers. Here each place in another file of the run is told relative to the function it
// lies in (the function's name among its file's functions, and the distance from its last line):
// what a summary says "wherever its functions stand". A cached result whose answers are the same
// told that way still holds; it is moved to where those functions stand now (`relocate`), the
// way the function memo moves an analysis within its own file (src/function-memo.ts).

import type { ApiEntry } from '../kb/lock-api.js';
import type { FilePrescan } from '../engine/prescan.js';
import { createHash } from 'node:crypto';
import { rewritePlaces } from '../place-rewrite.js';

/** A function of another file that places of a result lie in: its key, and its first and last rows then. */
export type Anchor = [key: string, startRow: number, endRow: number];
/** By file, the functions a result's places in it lie in. */
export type ForeignAnchors = [file: string, anchors: Anchor[]][];

/** A file's functions in order: their keys (name, and the how-manieth of that name) and rows. */
interface FunctionTable {
  keys: string[];
  startRows: number[];
  endRows: number[];
  byKey: Map<string, number>;
}

/** `<file>:<line>` in a text, where the file may be any path without spaces or brackets. */
const FILE_LINE = /([^\s()[\]'"`,;]+):(\d+)/g;
/** `line N` in a text. */
const LINE_N = /\bline (\d+)\b/g;

/** How a place moves: its new line, or null when it cannot be told. */
type LineMap = (file: string, line: number) => number | string | null;

export class ForeignPlaces {
  private readonly tables = new Map<string, FunctionTable | null>();
  private readonly placeFreeByEntry = new WeakMap<object, string>();

  constructor(private readonly prescans: ReadonlyMap<string, FilePrescan>) {}

  /**
   * A fingerprint of an answer with every place in a file of the run told relative to the
   * function it lies in (the same for an answer whose functions only moved); '' for none.
   */
  placeFree(entry: ApiEntry | undefined): string {
    if (!entry) return '';
    let fp = this.placeFreeByEntry.get(entry);
    if (fp === undefined) {
      const relative = this.rewrite(structuredClone(entry), null, (file, line) => {
        const at = this.functionAt(file, line);
        return at ? `${at.key}${line - 1 - at.endRow}` : line;
      });
      fp = createHash('sha1').update(JSON.stringify(relative)).digest('base64');
      this.placeFreeByEntry.set(entry, fp);
    }
    return fp;
  }

  /** The functions of files other than `own` that places in `value` lie in (what relocate() needs). */
  anchorsOf(value: unknown, own: string): ForeignAnchors {
    const byFile = new Map<string, Map<string, Anchor>>();
    // Read only: every place is given back as it is.
    this.rewrite(value, own, (file, line) => {
      const at = this.functionAt(file, line);
      if (at) {
        let anchors = byFile.get(file);
        if (!anchors) byFile.set(file, (anchors = new Map()));
        anchors.set(at.key, [at.key, at.startRow, at.endRow]);
      }
      return line;
    });
    return [...byFile].map(([file, anchors]) => [file, [...anchors.values()]]);
  }

  /**
   * A copy of `value` (a result made when the functions of `anchors` stood there) with its places
   * in other files than `own` where those functions stand now; null when a place lies outside them
   * or one of them is gone.
   */
  relocate<T>(value: T, own: string, anchors: ForeignAnchors): T | null {
    const then = new Map(anchors.map(([file, list]) => [file, list]));
    let lost = false;
    const copy = this.rewrite(structuredClone(value), own, (file, line) => {
      const list = then.get(file);
      if (!list) return line;
      const was = list.find(([, start, end]) => line - 1 >= start && line - 1 <= end);
      const table = this.table(file);
      const now = was && table ? table.byKey.get(was[0]) : undefined;
      if (!was || now === undefined) {
        lost = true;
        return null;
      }
      return line + table!.endRows[now]! - was[2];
    });
    return lost ? null : copy;
  }

  /** The function of `file` (a file of the run) whose rows hold `line` (1-based), with its key. */
  private functionAt(file: string, line: number): { key: string; startRow: number; endRow: number } | null {
    const table = this.table(file);
    if (!table) return null;
    const row = line - 1;
    let lo = 0;
    let hi = table.startRows.length - 1;
    while (lo <= hi) {
      const mid = (lo + hi) >> 1;
      if (table.startRows[mid]! > row) hi = mid - 1;
      else if (table.endRows[mid]! < row) lo = mid + 1;
      else return { key: table.keys[mid]!, startRow: table.startRows[mid]!, endRow: table.endRows[mid]! };
    }
    return null;
  }

  private table(file: string): FunctionTable | null {
    let table = this.tables.get(file);
    if (table === undefined) {
      const scan = this.prescans.get(file);
      table = scan ? { keys: [], startRows: [], endRows: [], byKey: new Map() } : null;
      const seen = new Map<string, number>();
      for (const fn of scan?.functions ?? []) {
        const n = seen.get(fn.name) ?? 0;
        seen.set(fn.name, n + 1);
        const key = `${fn.name}#${n}`;
        table!.byKey.set(key, table!.keys.length);
        table!.keys.push(key);
        table!.startRows.push(fn.startRow);
        table!.endRows.push(fn.endRow);
      }
      this.tables.set(file, table);
    }
    return table;
  }

  /**
   * `value` with each place in a file of the run other than `own` (null: any) given to `map`: a
   * `{ file, line }` object (with the `line N` of its texts, which are about its file) and a
   * `<file>:<line>` in any text. Rewrites in place: callers pass a copy.
   */
  private rewrite<T>(value: T, own: string | null, map: LineMap): T {
    const foreign = (file: string | null): file is string => file !== null && file !== own && this.prescans.has(file);
    return rewritePlaces(value, {
      text: (s, about) => {
        const t = s.includes(':') ? s.replace(FILE_LINE, (whole, file: string, n: string) => (foreign(file) ? `${file}:${map(file, Number(n)) ?? n}` : whole)) : s;
        return foreign(about) && t.includes('line ') ? t.replace(LINE_N, (_, n: string) => `line ${map(about, Number(n)) ?? n}`) : t;
      },
      line: (file, line) => (foreign(file) ? (map(file, line) ?? line) : line),
    });
  }
}
