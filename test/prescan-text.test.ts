// The prescan's reading of C text (src/engine/prescan.ts): directive lines with their
// continuations and comments are skipped whole, block comments end at their `*/` (or at the end
// of the text), a name is recorded as assigned only with an assignment operator after it, and a
// two-byte text reads as a one-byte one.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { prescan } from '../src/engine/prescan.js';

const DIRECTIVES = `#define MAKE(name) \\
void name(void) \\
{ \\
	hidden_call(); \\
}
#define COMMENTED 1 /* a comment that spans
void ghost(void)
{ ghost_call(); }
 */ + inner_call(2)
#define ESCAPED "a\\\\" /* ends here */
int after(struct vm_area_struct *vma)
{
	/* a comment holding
} in column 0 */
	visible_call(vma);
	/**/ past_empty_comment();
	vma->vm_start = 0;
	if (vma->vm_end == 1)
		vma->vm_flags |= 2;
	other->unwanted = 3;
	return 0;
}
#define LAST(x) tail_call(x) \\`;

test('prescan: directives, their continuations and comments are skipped whole; the function after them is read', () => {
  const wanted = new Set(['vm_start=', 'vm_end=', 'vm_flags=', 'unwanted']);
  const scan = prescan(DIRECTIVES, wanted);
  assert.deepEqual(scan.functions.map((f) => f.name), ['after']);
  const [fn] = scan.functions;
  // Calls (`if (` too) and wanted names, read or written; a wanted write only where there is one
  // (`vm_end` is compared, not assigned); nothing of the directives.
  assert.deepEqual([...fn!.ids].sort(), ['if', 'past_empty_comment', 'unwanted', 'visible_call', 'vm_flags=', 'vm_start=']);
  // Its closing brace's row counts the lines of the comments and continuations before it.
  const lines = DIRECTIVES.split('\n');
  assert.equal(fn!.endRow, lines.lastIndexOf('}'));
  assert.ok(fn!.startRow <= lines.indexOf('int after(struct vm_area_struct *vma)'));
});

test('prescan: an unterminated comment or directive at the end of the text ends the scan, not the function before', () => {
  for (const tail of ['/* never closed { f(', '#define X y \\', '#define Y /* open']) {
    const scan = prescan(`void f(void)\n{\n\tg();\n}\n${tail}`, new Set());
    assert.deepEqual(scan.functions.map((fn) => [fn.name, fn.ids]), [['f', ['g']]], tail);
  }
});

test('prescan: a text with a character outside Latin-1 (two bytes a unit) is read as the same text without it', () => {
  const text = 'void f(void)\n{\n\t/* Jos\u00e9 \u2019s */\n\tmmap_read_lock(mm);\n}\n';
  const plain = text.replace(/[^\x00-\x7f]/g, 'x');
  const wanted = new Set(['mmap_read_lock']);
  // All but the size in bytes, which UTF-8 makes larger.
  const { bytes: _b1, ...read } = prescan(text, wanted);
  const { bytes: _b2, ...readPlain } = prescan(plain, wanted);
  assert.deepEqual(read, readPlain);
  assert.deepEqual(read.functions[0]!.ids, ['mmap_read_lock']);
});
