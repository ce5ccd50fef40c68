// The join of two path states where paths meet (src/engine/dataflow.ts): what both paths know
// is kept, a fact one of them lacks or disagrees on is dropped or made unknown.

import { ENTRY_SNAPSHOT, V_ANY, V_ZERO } from './events.js';
import { isPossibleBitsKey, joinPossibleBits } from './bit-tests.js';
import type { State } from './state.js';

/** Joins two states whose lock signatures are equal: values and pointer facts that differ are dropped. */
export function joinStates(a: State, b: State): State {
  const out = a.clone();
  joinEntries(out, a, b);
  if (a.values !== b.values) {
    for (const [k, v] of a.values) {
      const w = b.values.get(k);
      if (w === v) continue;
      if (w !== undefined && (v | w) !== V_ANY) out.edit('values').set(k, v | w);
      else out.edit('values').delete(k);
    }
  }
  if (a.defs !== b.defs) for (const [k, d] of a.defs) if (b.defs.get(k)?.text !== d.text) out.edit('defs').delete(k);
  if (a.consts !== b.consts) {
    for (const [k, v] of a.consts) {
      const w = b.consts.get(k);
      if (w !== undefined && w !== v && isPossibleBitsKey(k)) out.edit('consts').set(k, joinPossibleBits(v, w));
      else if (w !== v) out.edit('consts').delete(k);
    }
  }
  // Pointer facts differ only where the maps or the values (their nullness) do.
  for (const [k, p] of a.ptrs === b.ptrs && a.values === b.values ? [] : a.ptrs) {
    const q = b.ptrs.get(k);
    if (!q || q.api !== p.api) {
      out.edit('ptrs').delete(k);
      continue;
    }
    const tested = p.tested.filter((f) => q.tested.includes(f));
    const startBounds = p.startBounds?.filter((f) => q.startBounds?.includes(f));
    const va = a.getVal(k);
    const vb = b.getVal(k);
    if (va !== vb && va !== V_ANY && vb !== V_ANY && ((va === V_ZERO) !== (vb === V_ZERO))) {
      out.edit('ptrs').set(k, { ...p, tested, startBounds, staleSince: p.staleSince && q.staleSince ? p.staleSince : null, escaped: !!(p.escaped || q.escaped), nullnessMerged: true });
      continue;
    }
    const staleSince = p.staleSince && q.staleSince ? p.staleSince : null;
    const escaped = !!(p.escaped || q.escaped);
    if (tested.length !== p.tested.length || staleSince !== p.staleSince || escaped !== !!p.escaped || startBounds?.length !== p.startBounds?.length) out.edit('ptrs').set(k, { ...p, tested, startBounds, staleSince, escaped });
  }
  for (const [k, l] of a.locks === b.locks ? [] : a.locks) {
    const m = b.locks.get(k);
    if (m === l) continue;
    if (!m) {
      out.edit('locks').set(k, { ...l, state: 'unknown', acquiredHere: false });
    } else if (m.state !== l.state) {
      out.edit('locks').set(k, { ...l, state: 'unknown', acquiredHere: false, forgottenOwn: !!(l.forgottenOwn && m.forgottenOwn) });
    } else if (m.acquiredHere !== l.acquiredHere || !!m.releasedUnowned !== !!l.releasedUnowned || m.required !== l.required || !!m.forgottenOwn !== !!l.forgottenOwn) {
      const required = l.required === m.required ? l.required : l.required && m.required ? 'held' : undefined;
      out.edit('locks').set(k, { ...l, acquiredHere: l.acquiredHere && m.acquiredHere, releasedUnowned: !!(l.releasedUnowned || m.releasedUnowned), required, forgottenOwn: !!(l.forgottenOwn && m.forgottenOwn) });
    }
  }
  if (a.locks !== b.locks) for (const [k, m] of b.locks) if (!a.locks.has(k)) out.edit('locks').set(k, { ...m, state: 'unknown', acquiredHere: false });
  // A kernel lock is held after the join where both paths hold it (no finding from a maybe).
  if (a.kernelLocks !== b.kernelLocks) out.kernelLocks = new Map([...a.kernelLocks].filter(([k, f]) => b.kernelLocks.get(k)?.mode === f.mode));
  if (a.atomicSections.length !== b.atomicSections.length) out.atomicSections = a.atomicSections.length < b.atomicSections.length ? a.atomicSections : b.atomicSections;
  if (a.rcuSections.length !== b.rcuSections.length) out.rcuSections = a.rcuSections.length < b.rcuSections.length ? a.rcuSections : b.rcuSections;
  if (a.pf !== b.pf) out.pf = Math.min(a.pf, b.pf);
  if (a.ret !== b.ret) out.ret = a.ret < 0 || b.ret < 0 ? -1 : a.ret | b.ret;
  if (a.retKey !== b.retKey) out.retKey = null;
  return out;
}

/** The entry snapshots and marks of two joined states, on `out` (a copy of `a`). */
function joinEntries(out: State, a: State, b: State): void {
  // A parameter (or what it points to) assigned on one side only: the other side's value of it is
  // its value as passed.
  for (const pointee of [false, true]) {
    const ea = pointee ? a.pointeeEntry : a.paramEntry;
    const eb = pointee ? b.pointeeEntry : b.paramEntry;
    // The same snapshots on both sides (or none): a's, which `out` has.
    if (ea === eb) continue;
    const joined = new Map<number, number>();
    for (const [name, i] of a.params) {
      const sa = ea.get(i);
      const sb = eb.get(i);
      if (sa === undefined && sb === undefined) continue;
      const of = pointee ? `*${name}` : name;
      joined.set(i, (sa ?? a.getVal(of) | ENTRY_SNAPSHOT) | (sb ?? b.getVal(of) | ENTRY_SNAPSHOT));
    }
    if (sameEntries(joined, ea)) continue;
    if (pointee) out.pointeeEntry = joined;
    else out.paramEntry = joined;
  }
  // A field of a parameter's structure written on one side only: what it held on entry is not known.
  if (a.fieldEntry !== b.fieldEntry) {
    const fields = new Map<string, number>();
    for (const [k, v] of a.fieldEntry) fields.set(k, v | (b.fieldEntry.get(k) ?? V_ANY | ENTRY_SNAPSHOT));
    for (const k of b.fieldEntry.keys()) if (!a.fieldEntry.has(k)) fields.set(k, V_ANY | ENTRY_SNAPSHOT);
    if (!sameEntries(fields, a.fieldEntry)) out.fieldEntry = fields;
  }
  if (a.modified !== b.modified && [...a.modified].some((i) => !b.modified.has(i))) out.modified = new Set([...a.modified].filter((i) => b.modified.has(i)));
  if (a.soleUser !== b.soleUser && [...a.soleUser].some((k) => !b.soleUser.has(k))) out.soleUser = new Set([...a.soleUser].filter((k) => b.soleUser.has(k)));
}

/** Do two snapshot maps hold the same entries? (A join keeps the side's own map then: no copy, and its hash.) */
function sameEntries<K>(x: ReadonlyMap<K, number>, y: ReadonlyMap<K, number>): boolean {
  if (x.size !== y.size) return false;
  for (const [k, v] of x) if (y.get(k) !== v) return false;
  return true;
}
