// blankBlockComments (src/engine/named-constants.ts): the same text as the regular expression it
// replaced, on the shapes comments take (empty, `/*/`, unterminated, spanning lines, CRLF) and on
// random strings of the characters that matter; and the constants read through it.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { blankBlockComments, readConstantDefinitions } from '../src/engine/named-constants.js';

const byRegex = (text: string): string => text.replace(/\/\*[\s\S]*?\*\//g, (c) => c.replace(/[^\n]/g, ' '));

test('blankBlockComments gives what the regular expression gives', () => {
  const shapes = ['', 'a', '/**/', '/*/', '/*/ */', 'a /* b */ c', '/* a\nb\r\nc */d', 'x /* open', '*/ /* a */ */', '/* a */ /* b\n */ /*', '#define A 1 /* one\n * two */\n#define B 2'];
  for (const text of shapes) assert.equal(blankBlockComments(text), byRegex(text), JSON.stringify(text));
  // Random strings over the characters that start, end and break comments.
  let seed = 22;
  const next = (): number => (seed = (seed * 1103515245 + 12345) % 2147483648);
  const alphabet = ['/', '*', '\n', 'a', ' ', '\r'];
  for (let i = 0; i < 2000; i++) {
    const text = Array.from({ length: next() % 40 }, () => alphabet[next() % alphabet.length]).join('');
    assert.equal(blankBlockComments(text), byRegex(text), JSON.stringify(text));
  }
});

test('constants are read past block comments, in a definition and around one', () => {
  const defs = readConstantDefinitions('#define VM_A (1 /* bit */ << 2) /* a\n * comment */\n/* #define VM_B 3 */\n#define VM_C 0x4\n');
  assert.deepEqual([...defs.keys()], ['VM_A', 'VM_C']);
  assert.equal(defs.get('VM_A'), '(1           << 2)');
});
