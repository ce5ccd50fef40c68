// A walk over a value that says where things are (a file's result, a summary, a function's memo
// entry) to move it to where its functions stand now: within a file (src/function-memo.ts) and
// across files (src/run/foreign-places.ts). It visits each string (with the file the nearest
// enclosing object names, which the string's `line N` is about), each `{ file, line }` place, and
// each node reduced to its position.

export interface PlaceRewrite {
  /** A string; `about`: the file of the nearest enclosing object that names one (null: none). */
  text(s: string, about: string | null): string;
  /** The line of an object `{ file, line }` (a fingerprint may put a text in its place). */
  line(file: string, line: number): number | string;
  /** A node reduced to its position (`row`, `endRow`, `start`, `end`), rewritten in place. */
  node?(o: Record<string, unknown> & { row: number; endRow: number; start: number; end: number }): void;
}

/**
 * `value` rewritten in place (callers pass a copy): every string, place and node as `rewrite`
 * says. An object's `file` is left as it is, and so is a memo entry's `key` (the function's text,
 * which may say anything).
 */
export function rewritePlaces<T>(value: T, rewrite: PlaceRewrite): T {
  const seen = new Set<object>();
  const walk = (item: unknown, about: string | null): unknown => {
    if (typeof item === 'string') return rewrite.text(item, about);
    if (!item || typeof item !== 'object' || seen.has(item)) return item;
    seen.add(item);
    if (Array.isArray(item)) {
      for (let i = 0; i < item.length; i++) item[i] = walk(item[i], about);
      return item;
    }
    if (item instanceof Map) {
      for (const [k, v] of item) item.set(k, walk(v, about));
      return item;
    }
    if (item instanceof Set) return item;
    const o = item as Record<string, unknown>;
    const file = typeof o['file'] === 'string' ? o['file'] : null;
    if (file !== null && typeof o['line'] === 'number') o['line'] = rewrite.line(file, o['line']);
    if (rewrite.node && typeof o['row'] === 'number' && typeof o['endRow'] === 'number' && typeof o['start'] === 'number' && typeof o['end'] === 'number') rewrite.node(o as Parameters<NonNullable<PlaceRewrite['node']>>[0]);
    const inner = file ?? about;
    for (const k of Object.keys(o)) if (k !== 'file' && k !== 'key' && k !== 'line') o[k] = walk(o[k], inner);
    return o;
  };
  return walk(value, null) as T;
}
