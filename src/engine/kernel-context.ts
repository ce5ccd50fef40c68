// The parts of a path's state that State.hash() leaves out, so that paths agreeing on the rest are
// one state: the kernel locks held, the atomic and RCU read sections, and the bits flags may have.
// Two such paths are joined here (src/engine/dataflow.ts).

import { isPossibleBitsKey, joinPossibleBits } from './bit-tests.js';
import type { State } from './state.js';

/** Do two states hold the same kernel locks, atomic and RCU read sections (which State.hash() leaves out)? */
export function sameKernelContext(a: State, b: State): boolean {
  for (const [k, v] of a.consts) if (isPossibleBitsKey(k) && b.consts.get(k) !== v) return false;
  for (const k of b.consts.keys()) if (isPossibleBitsKey(k) && !a.consts.has(k)) return false;
  if (a.atomicSections.length !== b.atomicSections.length || a.rcuSections.length !== b.rcuSections.length) return false;
  if (a.kernelLocks === b.kernelLocks) return true;
  if (a.kernelLocks.size !== b.kernelLocks.size) return false;
  for (const [k, f] of a.kernelLocks) if (b.kernelLocks.get(k)?.mode !== f.mode) return false;
  return true;
}

/**
 * `a` holding only the kernel locks both hold, in the fewer atomic sections: two paths that agree
 * on everything else are one state, in which a kernel lock is held only if both held it (each
 * path's own events were seen on its way here).
 */
export function joinKernelContext(a: State, b: State): State {
  const out = a.clone();
  // The bits flags may have are not in the hash either: their union (src/engine/bit-tests.ts).
  for (const [k, v] of a.consts) {
    if (!isPossibleBitsKey(k)) continue;
    const w = b.consts.get(k);
    if (w === undefined) out.deleteConst(k);
    else if (w !== v) out.setConst(k, joinPossibleBits(v, w));
  }
  out.kernelLocks = new Map([...a.kernelLocks].filter(([k, f]) => b.kernelLocks.get(k)?.mode === f.mode));
  if (b.atomicSections.length < a.atomicSections.length) out.atomicSections = b.atomicSections;
  if (b.rcuSections.length < a.rcuSections.length) out.rcuSections = b.rcuSections;
  return out;
}
