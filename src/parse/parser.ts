// Parsing with web-tree-sitter and the WASM grammar shipped in the tree-sitter-c package.
//
// The WebAssembly runtime and the C language are loaded once per thread, by one shared promise:
// analyses that start together (an editor restoring a session opens several documents at once)
// wait for the same load. Loading them twice replaces the runtime under the first load and breaks
// both ("Incompatible language version 0", "null function or function signature mismatch").
// Each analyzer then owns its parser (newParser), so that no two analyses share one, and a failed
// analysis is retried with a fresh one.
import { createRequire } from 'node:module';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { Parser, Language, Query, type Range, type Tree } from 'web-tree-sitter';
import { rewriteDefinitionMacros } from './definition-macros.js';
import { rewriteDoIterators } from './do-iterator.js';
import { rewriteAttributeMacros } from './attribute-macros.js';
import { installRoot } from '../install-root.js';
import { takeCursorCalls } from './cursor-walk.js';

const require = createRequire(import.meta.url);
let language: Language | null = null;
let loading: Promise<void> | null = null;
const queries = new Map<string, Query>();

/** Directory of the project's .scm queries. */
function queriesDir(): string {
  return path.join(installRoot(), 'queries');
}

/** Loads the WebAssembly runtime and the C grammar, once per thread, however many callers ask at once. */
export function initParser(): Promise<void> {
  loading ??= (async () => {
    // The module object Parser.init() fills: the cursor walk calls its functions (src/parse/cursor-walk.ts).
    const module: Record<string, unknown> = {};
    await Parser.init(module as unknown as Parameters<typeof Parser.init>[0]);
    takeCursorCalls(module);
    const wasm = require.resolve('tree-sitter-c/tree-sitter-c.wasm');
    language = await Language.load(wasm);
  })().catch((error: unknown) => {
    // A failed load is not kept: the next caller tries again.
    loading = null;
    throw error;
  });
  return loading;
}

/** A parser of C source of its own, for one analyzer (initParser must have completed). */
export class CParser {
  private parser: Parser | null = null;

  /**
   * Parses C source; definition macros, `do { } iterator(...);` loops and attribute macros with
   * arguments, which the grammar cannot read, are rewritten first (same length). With `ranges`,
   * only those parts of the text are read (src/parse/included-ranges.ts).
   */
  parse(text: string, ranges?: Range[]): Tree {
    if (!this.parser) {
      if (!language) throw new Error('parser not initialised');
      this.parser = new Parser();
      this.parser.setLanguage(language);
    }
    const tree = this.parser.parse(rewriteAttributeMacros(rewriteDoIterators(rewriteDefinitionMacros(text))), null, ranges ? { includedRanges: ranges } : undefined);
    if (!tree) throw new Error('tree-sitter returned no tree');
    return tree;
  }

  /** Drops the parser: the next parse makes a new one (after a failure, whatever state it was left in). */
  reset(): void {
    try {
      this.parser?.delete();
    } catch {
      // A parser whose WebAssembly state is broken may not even delete cleanly.
    }
    this.parser = null;
  }
}

/** A compiled query from queries/NAME.scm (cached). */
export function query(name: string): Query {
  let q = queries.get(name);
  if (!q) {
    if (!language) throw new Error('parser not initialised');
    const src = readFileSync(path.join(queriesDir(), `${name}.scm`), 'utf8');
    q = new Query(language, src);
    queries.set(name, q);
  }
  return q;
}
