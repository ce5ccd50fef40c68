// The tree's macros as facts (src/engine/tree-macros.ts): which VMA flags may be set atomically.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { macroNames, objectMacros } from '../src/engine/tree-macros.js';

test('tree macros: an object-like macro stands for the names its expansion reaches, function-like macro names left out', () => {
  const text = [
    '#define INIT_VM_FLAG(name) BIT((__force int) VMA_ ## name ## _BIT)',
    '#define VM_MAYBE_GUARD\tINIT_VM_FLAG(MAYBE_GUARD)',
    '/* These flags can be updated atomically via VMA/mmap read lock. */',
    '#define VM_ATOMIC_SET_ALLOWED VM_MAYBE_GUARD /* one for now */',
    '#define VM_STICKY \\',
    '\t(VM_SOFTDIRTY | VM_MAYBE_GUARD)',
  ].join('\n');
  const macros = objectMacros(text);
  assert.equal(macros.has('INIT_VM_FLAG'), false, 'a function-like macro is not an object-like one');
  assert.deepEqual(macros.get('VM_STICKY'), ['(VM_SOFTDIRTY | VM_MAYBE_GUARD)']);
  assert.deepEqual(macroNames(macros, 'VM_ATOMIC_SET_ALLOWED'), ['MAYBE_GUARD', 'VM_MAYBE_GUARD']);
  // A tree without the macro allows nothing.
  assert.deepEqual(macroNames(objectMacros('#define VM_NONE 0'), 'VM_ATOMIC_SET_ALLOWED'), []);
});
