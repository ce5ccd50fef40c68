#!/usr/bin/env node
// Checks that every fixture (or the C files given as arguments) parses cleanly with the
// tree-sitter C grammar vmalint uses: no ERROR node, no MISSING node, except the MISSING ";"
// that an iterator macro or scoped_guard() call followed by its body always produces
// (`for_each_vma(vmi, vma) { ... }` parses as a call statement missing its ";" and a block), and
// the ERROR around the first name of such a macro's body read into one expression with the call
// (`scoped_guard(read_lock, &l) r = f();`).
//
//   node scripts/check-fixture-parse.mjs            # every fixtures/**/*.c
//   node scripts/check-fixture-parse.mjs a.c b.c    # just these
//   node scripts/check-fixture-parse.mjs --tree a.c # also print the syntax tree
import { readFileSync, readdirSync, statSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { createRequire } from 'node:module';
import { Parser, Language } from 'web-tree-sitter';
// What vmalint hands the parser: definition macros and `do { } for_each_vma(...);` rewritten (needs `npm run build`).
import { rewriteDefinitionMacros } from '../dist/src/parse/definition-macros.js';
import { rewriteDoIterators } from '../dist/src/parse/do-iterator.js';
import { rewriteAttributeMacros } from '../dist/src/parse/attribute-macros.js';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const require = createRequire(import.meta.url);

// Same pattern as ITERATOR_MACRO_PATTERN in src/kb/lock-api.ts, plus scoped_guard.
const BLOCK_MACRO = /for_each|^mas_for_|^xas_for_|^vma_iter_for|^hash_for|^radix_tree_for|^scoped_guard$|^scoped_cond_guard$/;

function walkDir(dir) {
  const out = [];
  for (const name of readdirSync(dir).sort()) {
    const p = path.join(dir, name);
    if (statSync(p).isDirectory()) out.push(...walkDir(p));
    else if (name.endsWith('.c')) out.push(p);
  }
  return out;
}

/** The MISSING ";" after `macro(args)` that is followed by a block or statement: allowed. */
function isAllowedMissing(node) {
  if (node.type !== ';') return false;
  const stmt = node.parent;
  if (!stmt || stmt.type !== 'expression_statement') return false;
  const call = stmt.namedChild(0);
  if (!call || call.type !== 'call_expression') return false;
  const fn = call.childForFieldName('function');
  return !!fn && fn.type === 'identifier' && BLOCK_MACRO.test(fn.text);
}

/**
 * The ERROR holding the first name of a macro's body that the grammar read into one expression
 * with the macro call (`scoped_guard(read_lock, &l) r = f();`): allowed, vmalint rewrites it
 * (src/parse/macro-statement.ts).
 */
function isAllowedError(node) {
  if (node.namedChildCount !== 1 || node.childCount !== 1) return false;
  const call = node.previousSibling;
  if (!call || call.type !== 'call_expression') return false;
  const fn = call.childForFieldName('function');
  if (!fn || fn.type !== 'identifier' || !BLOCK_MACRO.test(fn.text)) return false;
  let stmt = node.parent;
  while (stmt && stmt.type !== 'expression_statement' && stmt.startIndex === call.startIndex) stmt = stmt.parent;
  return !!stmt && stmt.type === 'expression_statement' && stmt.startIndex === call.startIndex;
}

function problems(tree) {
  const out = [];
  const cursor = tree.walk();
  let done = false;
  while (!done) {
    const n = cursor.currentNode;
    if (n.type === 'ERROR' && !isAllowedError(n)) {
      out.push({ node: n, what: 'ERROR' });
    } else if (n.isMissing && !isAllowedMissing(n)) {
      out.push({ node: n, what: `MISSING "${n.type}"` });
    }
    if (cursor.gotoFirstChild()) continue;
    while (!cursor.gotoNextSibling()) {
      if (!cursor.gotoParent()) {
        done = true;
        break;
      }
    }
  }
  return out;
}

await Parser.init();
const C = await Language.load(require.resolve('tree-sitter-c/tree-sitter-c.wasm'));
const parser = new Parser();
parser.setLanguage(C);

const args = process.argv.slice(2);
const printTree = args.includes('--tree');
const given = args.filter((a) => a !== '--tree');
const files = given.length ? given.map((f) => path.resolve(f)) : walkDir(path.join(root, 'fixtures'));

let bad = 0;
for (const file of files) {
  const text = readFileSync(file, 'utf8');
  const tree = parser.parse(rewriteAttributeMacros(rewriteDoIterators(rewriteDefinitionMacros(text))));
  const rel = path.relative(process.cwd(), file);
  if (printTree) console.log(tree.rootNode.toString());
  const found = problems(tree);
  for (const { node, what } of found) {
    const line = text.split('\n')[node.startPosition.row] ?? '';
    console.log(`${rel}:${node.startPosition.row + 1}:${node.startPosition.column + 1}: ${what}: ${line.trim()}`);
  }
  if (found.length) bad++;
}
console.log(`${files.length} file(s), ${bad} with parse problems`);
process.exit(bad ? 1 : 0);
