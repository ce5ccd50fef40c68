// A function's state at entry: what its known lock context says (src/engine/entry-context.ts),
// what every caller holds (from its call sites), and the sparse annotations after its declarator
// (`__must_hold(&mm->mmap_lock)`).

import type { AstNode } from '../parse/ast.js';
import type { TraceStep } from '../types.js';
import { MMAP_RWSEM_FIELDS, VMA_STRUCT_TAG, type LockClass } from '../kb/lock-api.js';
import { lockClass } from '../kb/lock-classes.js';
import { lockKeyFor } from './lock-keys.js';
import { State } from './state.js';
import { V_POS } from './events.js';
import type { EntryContext, EntryNone } from './entry-context.js';

/** A lock the function's callers hold on entry (from its call sites). */
export interface EntryLock {
  lock: LockClass;
  target: number | 'current';
  path?: string;
  state: 'read' | 'write' | 'held';
  /** The step that says so (the call), shown in traces. */
  step: TraceStep;
  /** Where the (first) caller took the lock. */
  origin: TraceStep | null;
  display: string;
}

/** Lock facts at entry: sparse annotations after the declarator, and what every caller holds. */
export function entryState(fn: AstNode, canonical: (k: string) => string, file: string, params: readonly string[], fromCallers: readonly EntryLock[] = [], context?: EntryContext, none?: EntryNone): State {
  const pathState = new State();
  pathState.params = new Map(params.map((p, i) => [p, i]));
  if (none && !context) {
    pathState.noneAtEntry = new Set(none.classes);
    pathState.noneAtEntryStep = none.step;
  }
  if (context) {
    if (context.none.length) {
      pathState.noneAtEntry = new Set(context.none);
      pathState.noneAtEntryStep = context.step;
    }
    for (const l of context.held) pathState.setLock(l.key, { state: l.state, acquiredHere: false, origin: context.step, display: l.display });
    if (context.held.length) pathState.addStep(context.step, context.held.map((l) => l.key));
  }
  for (const e of fromCallers) {
    const name = e.target === 'current' ? 'current' : params[e.target];
    if (!name) continue;
    const expr = e.path ? e.path.replace('$', name) : name;
    const key = lockKeyFor(e.lock, canonical(expr.replace(/^\*&/, '')));
    pathState.setLock(key, { state: e.state, acquiredHere: false, origin: e.origin ?? e.step, display: expr });
    if (e.origin) pathState.addStep(e.origin, [key]);
    pathState.addStep(e.step, [key]);
    // A VMA whose lock the callers hold is a VMA, not NULL.
    if (lockClass(e.lock).instance.struct === VMA_STRUCT_TAG && !e.path) pathState.setVal(name, V_POS);
  }
  const body = fn.child('body');
  const head = body ? fn.file.text.slice(fn.start, body.start) : fn.text;
  const re = /__(must_hold|releases|acquires)\s*\(\s*&?\s*([^()]*?)\s*->\s*(\w+)\s*\)/g;
  for (let m = re.exec(head); m; m = re.exec(head)) {
    if (!MMAP_RWSEM_FIELDS.includes(m[3])) continue;
    const base = m[2].replace(/\s+/g, '');
    const key = lockKeyFor('mmap', canonical(base));
    const step: TraceStep = { file, line: fn.row + 1, column: fn.col + 1, message: `__${m[1]}(${m[2]}->${m[3]}): the mmap lock is ${m[1] === 'acquires' ? 'not held' : 'held'} on entry`, kind: 'entry' };
    if (m[1] === 'acquires') pathState.setLock(key, { state: 'none', acquiredHere: false, origin: step, display: m[2] });
    else pathState.setLock(key, { state: 'held', acquiredHere: false, origin: step, display: m[2], required: 'held', requiredAt: step });
  }
  return pathState;
}
