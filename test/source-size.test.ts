// The structure's limits (docs/architecture.md): no source file over 600 lines and no function over
// 120, in src/ and scripts/. Functions are found with the TypeScript compiler's own parser (every
// function-like node with a body: declarations, methods, arrows, accessors).
import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { test } from 'node:test';
import { fileURLToPath } from 'node:url';
import ts from 'typescript';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');
const MAX_FILE_LINES = 600;
const MAX_FUNCTION_LINES = 120;

function sources(dir: string): string[] {
  return readdirSync(path.join(ROOT, dir), { withFileTypes: true }).flatMap((e) =>
    e.isDirectory() ? sources(path.join(dir, e.name)) : e.name.endsWith('.ts') ? [path.join(dir, e.name)] : [],
  );
}

/** Functions longer than the limit in one file's text, as `file:line name (N lines)`. */
export function longFunctions(file: string, text: string, limit = MAX_FUNCTION_LINES): string[] {
  const source = ts.createSourceFile(file, text, ts.ScriptTarget.Latest, true);
  const found: string[] = [];
  const visit = (node: ts.Node): void => {
    if (ts.isFunctionLike(node) && 'body' in node && node.body) {
      const first = source.getLineAndCharacterOfPosition(node.getStart(source)).line;
      const last = source.getLineAndCharacterOfPosition(node.getEnd()).line;
      const name = node.name ? node.name.getText(source) : '(anonymous)';
      if (last - first + 1 > limit) found.push(`${file}:${first + 1} ${name} (${last - first + 1} lines)`);
    }
    ts.forEachChild(node, visit);
  };
  visit(source);
  return found;
}

test('source size: no file in src/ or scripts/ over 600 lines, no function over 120', () => {
  const files = [...sources('src'), ...sources('scripts')];
  assert.ok(files.length > 50, `only ${files.length} sources found`);
  const problems: string[] = [];
  for (const file of files) {
    const text = readFileSync(path.join(ROOT, file), 'utf8');
    const lines = text.split('\n').length - (text.endsWith('\n') ? 1 : 0);
    if (lines > MAX_FILE_LINES) problems.push(`${file}: ${lines} lines`);
    problems.push(...longFunctions(file, text));
  }
  assert.deepEqual(problems, []);
});

test('source size: the function measure counts a long function, and not a short one', () => {
  const body = (n: number): string => `function f() {\n${'  x++;\n'.repeat(n - 2)}}\n`;
  assert.deepEqual(longFunctions('a.ts', body(121)), ['a.ts:1 f (121 lines)']);
  assert.deepEqual(longFunctions('a.ts', body(120)), []);
  assert.deepEqual(longFunctions('a.ts', `const g = () => {\n${'  x++;\n'.repeat(130)}};\n`).length, 1);
});
