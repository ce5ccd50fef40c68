// The parser given only the ranges of a blanked file that hold something (src/parse/included-ranges.ts):
// the same syntax trees as the whole blanked text, without reading the functions the demand left out.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { CParser, initParser } from '../src/parse/parser.js';
import { toAst, type AstNode } from '../src/parse/ast.js';
import { topLevelItems } from '../src/parse/top-level.js';
import { keepOnly } from '../src/engine/prescan.js';
import { includedRanges } from '../src/parse/included-ranges.js';

const LINES = [
  'static const struct vm_operations_struct ops = { .fault = fault_one };',
  '#if defined(CONFIG_A) && \\',
  '    defined(CONFIG_B)',
  'static int skipped_one(int x)',
  '{',
  '\treturn x + 1;',
  '}',
  '#endif',
  '/* kept: takes the lock */',
  'int kept_one(struct mm_struct *mm)',
  '{',
  '\tmmap_read_lock(mm);',
  '\treturn 0;',
  '}',
  '#ifdef CONFIG_C',
  'static void skipped_two(void) { do_nothing(); }',
  '#else',
  'int kept_two(struct mm_struct *mm) { mmap_read_unlock(mm); return 1; }',
  '#endif',
  '',
];

/** The ranges the demand would keep: the initializer, and each function named kept_ with the comment above it. */
function keptRanges(text: string): { start: number; end: number }[] {
  const out: { start: number; end: number }[] = [{ start: 0, end: text.indexOf(';') + 1 }];
  for (const name of ['/* kept', 'int kept_two']) {
    const start = text.indexOf(name);
    const open = text.indexOf('{', text.indexOf(')', start));
    let depth = 0;
    let end = open;
    for (; end < text.length; end++) {
      if (text[end] === '{') depth++;
      else if (text[end] === '}' && --depth === 0) break;
    }
    out.push({ start, end: end + 1 });
  }
  return out;
}

const shape = (n: AstNode): string => `${n.type}|${n.field ?? ''}|${n.missing}|${n.start}-${n.end}(${n.children.map(shape).join(',')})`;

for (const [ending, eol] of [['LF', '\n'], ['CRLF', '\r\n']] as const) {
test(`included ranges (${ending}): the kept functions, initializer and directives parse as in the whole blanked text; the left-out functions are not read`, async () => {
  await initParser();
  const SOURCE = LINES.join(eol);
  const parser = new CParser();
  const file = { path: 'ranges.c', text: SOURCE };
  const kept = keptRanges(SOURCE);
  const blanked = keepOnly(SOURCE, kept);
  const ranges = includedRanges(blanked, kept);
  for (const name of ['skipped_one', 'skipped_two', 'return x + 1']) {
    const at = SOURCE.indexOf(name);
    assert.ok(!ranges.some((r) => r.startIndex <= at && at < r.endIndex), `${name} is not read`);
  }
  // The continued directive is read whole, and each range's row is where it starts.
  const continued = SOURCE.indexOf('#if defined');
  assert.ok(ranges.some((r) => r.startIndex === continued && r.endIndex > SOURCE.indexOf('defined(CONFIG_B)')));
  for (const r of ranges) assert.equal(r.startPosition.row, SOURCE.slice(0, r.startIndex).split('\n').length - 1);

  const whole = parser.parse(blanked);
  const part = parser.parse(blanked, ranges);
  try {
    const a = topLevelItems(whole.rootNode);
    const b = topLevelItems(part.rootNode);
    assert.deepEqual(b.definitions.map((n) => shape(toAst(n, file))), a.definitions.map((n) => shape(toAst(n, file))));
    assert.deepEqual(b.initialized.map((n) => shape(toAst(n, file))), a.initialized.map((n) => shape(toAst(n, file))));
    // Both kept functions are read: the blanked text keeps the line the directive goes on over.
    assert.deepEqual(
      b.definitions.map((n) => SOURCE.slice(n.startIndex, n.endIndex).replace(/^\/\*.*\*\/\s*/, '').split('(')[0]),
      ['int kept_one', 'int kept_two'],
    );
  } finally {
    whole.delete();
    part.delete();
  }
});
}
