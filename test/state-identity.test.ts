// A path state's identity for the worklist (src/engine/state-identity.ts): states that agree on
// what it covers are one, whatever their trace or the bits a flag may have; a difference in any
// lock, value, pointer fact or constant keeps them apart, and a state written after its identity
// was taken is not taken for the state it was copied from.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { State, type LockFact } from '../src/engine/state.js';
import { sameIdentity } from '../src/engine/state-identity.js';
import { possibleBitsKey } from '../src/engine/bit-tests.js';
import type { LockKey } from '../src/engine/lock-keys.js';
import type { TraceStep } from '../src/types.js';

const MM = 'mmap:mm' as LockKey;
const held: LockFact = { state: 'read', acquiredHere: true, origin: null, display: 'mm' };
const step = (line: number): TraceStep => ({ file: 'a.c', line, column: 1, message: 'here' });

/** A state built step by step, as a path would build it. */
function built(): State {
  const s = new State();
  s.setLock(MM, held);
  s.setVal('ret', 4);
  s.setPtr('vma', { api: 'find_vma', addr: 'addr', nullable: true, mayStartAbove: true, origin: step(2), tested: ['vma'], lockedBy: [MM], staleSince: null });
  s.setConst('op', 'OP_FIRST');
  return s;
}

const same = (a: State, b: State): boolean => {
  const one = sameIdentity(a, b);
  if (one) assert.equal(a.identity(), b.identity(), 'one state, one identity number');
  return one;
};

test('state identity: two paths that built the same facts are one state, whatever their traces', () => {
  const a = built();
  const b = built();
  a.addStep(step(3), ['mm']);
  assert.ok(same(a, b));
  // The bits a flag may have are the kernel context's, joined apart (src/engine/kernel-context.ts).
  b.setConst(possibleBitsKey('flags'), 'FOLL_WRITE');
  assert.ok(same(a, b));
});

test('state identity: a lock, a value, a pointer fact or a constant that differs keeps two states apart', () => {
  const base = built();
  const variants: [string, (s: State) => void][] = [
    ['lock mode', (s) => s.setLock(MM, { ...held, state: 'write' })],
    ['lock taken before entry', (s) => s.setLock(MM, { ...held, acquiredHere: false })],
    ['value', (s) => s.setVal('ret', 2)],
    ['pointer tested', (s) => s.setPtr('vma', { ...s.ptrs.get('vma')!, tested: [] })],
    ['pointer stale', (s) => s.setPtr('vma', { ...s.ptrs.get('vma')!, staleSince: step(9) })],
    ['constant', (s) => s.setConst('op', 'OP_SECOND')],
    ['pagefault depth', (s) => s.setPf(1)],
    ['returned value', (s) => s.setRet(1, null)],
    ['modified VMA', (s) => s.setModified(0)],
  ];
  for (const [what, change] of variants) {
    const other = built();
    change(other);
    assert.ok(!sameIdentity(base, other), what);
  }
});

test('state identity: a copy written after both identities were taken is another state', () => {
  const a = built();
  const b = a.clone();
  assert.ok(same(a, b));
  const before = b.identity();
  b.setVal('ret', 1);
  assert.ok(!sameIdentity(a, b));
  assert.notEqual(b.identity(), before);
  // And its own copy, written again, takes a new identity too (its map's hash is not kept stale).
  b.setVal('ret', 4);
  assert.ok(same(a, b));
});
