// Parsing with web-tree-sitter and the WASM grammar shipped in the tree-sitter-c package.
import { createRequire } from 'node:module';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import path from 'node:path';
import { Parser, Language, Query, type Tree } from 'web-tree-sitter';
import { rewriteDefinitionMacros } from './definition-macros.js';

const require = createRequire(import.meta.url);
let language: Language | null = null;
let parser: Parser | null = null;
const queries = new Map<string, Query>();

/** Directory of the project's .scm queries (next to src/ and dist/). */
function queriesDir(): string {
  const here = path.dirname(fileURLToPath(import.meta.url));
  // src/parse -> ../../queries; dist/src/parse -> ../../../queries
  for (const up of ['../../queries', '../../../queries']) {
    const dir = path.resolve(here, up);
    try {
      readFileSync(path.join(dir, 'comments.scm'));
      return dir;
    } catch {
      // try the next layout
    }
  }
  throw new Error('vmalint installation is incomplete: queries/ not found');
}

export async function initParser(): Promise<void> {
  if (parser) return;
  await Parser.init();
  const wasm = require.resolve('tree-sitter-c/tree-sitter-c.wasm');
  language = await Language.load(wasm);
  parser = new Parser();
  parser.setLanguage(language);
}

/** Parses C source; definition macros the grammar cannot read are rewritten first (same length). */
export function parseC(text: string): Tree {
  if (!parser) throw new Error('parser not initialised');
  const tree = parser.parse(rewriteDefinitionMacros(text));
  if (!tree) throw new Error('tree-sitter returned no tree');
  return tree;
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
