// The copy into AstNodes walks the tree by calling the module's cursor functions directly
// (src/parse/cursor-walk.ts): the same copy as the cursor's own properties give, on every fixture
// and on broken input (ERROR and MISSING nodes, repaired statement macros).
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { CParser, initParser } from '../src/parse/parser.js';
import { toAst, type AstNode } from '../src/parse/ast.js';
import { directWalkInUse, useDirectWalk } from '../src/parse/cursor-walk.js';
import { fixtureTexts } from './support/fixture-texts.js';

/** Everything the copy holds of a node and its subtree, as one string. */
function dump(n: AstNode): string {
  const parts: string[] = [];
  const visit = (x: AstNode, depth: number): void => {
    parts.push(`${depth} ${x.type} ${x.named} ${x.field} ${x.missing} ${x.start} ${x.end} ${x.parent ? `${x.parent.start}:${x.parent.type}` : '-'}`);
    for (const c of x.children) visit(c, depth + 1);
  };
  visit(n, 0);
  return parts.join('\n');
}

function copies(text: string): string {
  const tree = new CParser().parse(text);
  try {
    return dump(toAst(tree.rootNode, { path: 'x.c', text }));
  } finally {
    tree.delete();
  }
}

const BROKEN = [
  'int f(void) { int x = 1 return x; }',
  'void g(struct mm_struct *mm) { mmap_read_lock(mm) if (x) { return; }',
  'static int h(int a) { switch (a) { case 1: return 0; default: } }',
  'void k(void) { LIST_MACRO(x) { foo(); } bar(); }',
  '#ifdef CONFIG_X\nint m(void) {\n#else\nint m(int y) {\n#endif\n return 0; }',
  'int n(void) { return (1 + ; }',
];

test('the direct walk is the one in use with this web-tree-sitter', async () => {
  await initParser();
  assert.equal(directWalkInUse(), true);
});

test('the direct walk copies every fixture and broken input as the cursor does', async () => {
  await initParser();
  const texts = fixtureTexts(true).map((f) => f.text);
  assert.ok(texts.length > 50, `fixtures found: ${texts.length}`);
  texts.push(...BROKEN);
  let nodes = 0;
  try {
    for (const text of texts) {
      useDirectWalk(true);
      const direct = copies(text);
      useDirectWalk(false);
      const cursor = copies(text);
      assert.equal(direct, cursor);
      nodes += direct.split('\n').length;
    }
  } finally {
    useDirectWalk(true);
  }
  assert.ok(nodes > 10_000, `nodes compared: ${nodes}`);
});

test('a subtree copied by the direct walk stops at its node, as the cursor does', async () => {
  await initParser();
  const text = 'int a(void) { return 1; }\nint b(int x) { if (x) { x++; } return x; }\nint c(void) { return 3; }\n';
  const tree = new CParser().parse(text);
  try {
    for (const fn of tree.rootNode.namedChildren) {
      if (!fn) continue;
      useDirectWalk(true);
      const direct = dump(toAst(fn, { path: 'x.c', text }));
      useDirectWalk(false);
      const cursor = dump(toAst(fn, { path: 'x.c', text }));
      assert.equal(direct, cursor);
      assert.match(direct, /^0 function_definition/);
    }
  } finally {
    useDirectWalk(true);
    tree.delete();
  }
});
