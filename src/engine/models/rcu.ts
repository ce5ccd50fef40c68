// The RCU read side: rcu_read_lock() ... rcu_read_unlock() sections along a path
// (State.rcuSections). Inside one, the VMA tree can be walked without the mmap lock
// (lock_vma_under_rcu()), and a VMA found there with no lock known held is not stable until its
// VMA lock is taken (models/pointers.ts: PointerFact.rcuOnly).

import type { AstNode } from '../../parse/ast.js';
import type { ApiEntry } from '../../kb/lock-api.js';
import type { State } from '../state.js';
import type { FunctionContext } from '../context.js';

/** rcu_read_lock() / rcu_read_unlock() (ApiEntry.rcuRead) on `copy`, a private copy. */
export function applyRcuRead(context: FunctionContext, name: string, api: ApiEntry, n: AstNode, copy: State): void {
  if (api.rcuRead === 'enter') copy.setRcuSections([...copy.rcuSections, context.step(n, `${name}(): an RCU read-side section begins`, 'acquire')]);
  // Leaving a section this path did not see begin (its caller's) leaves nothing known.
  else if (api.rcuRead === 'leave') copy.setRcuSections(copy.rcuSections.slice(0, -1));
}
