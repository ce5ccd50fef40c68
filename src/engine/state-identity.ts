// A path state's identity for the worklist (src/engine/dataflow.ts): a number that equal states
// share (identityHash) and the equality it stands for (sameIdentity). It covers the locks, values,
// pointer facts, flag definitions, constants (not the bits a flag may have), lock aliases, entry
// snapshots, marks, pagefault depth and returned value; not the trace, nor the kernel context
// (src/engine/kernel-context.ts), nor where the path returned. It is made without strings: the
// identity was the sorted text of all of that, rendered anew for each state the fixpoint met.

import { isPossibleBitsKey } from './bit-tests.js';
import type { LockFact, PointerFact, State } from './state.js';
import { fnv1a } from '../text-hash.js';

/**
 * Each map's or set's hash, kept while nothing writes it: a state writes only maps it alone holds
 * (State.edit(), which forgets the hash), and the other collections are replaced, never changed.
 */
const collectionHashes = new WeakMap<object, number>();

export function forgetCollectionHash(collection: object): void {
  collectionHashes.delete(collection);
}


function mix(h: number, v: number): number {
  h = Math.imul(h ^ (v >>> 0), 0x85ebca6b);
  return (h ^ (h >>> 13)) >>> 0;
}

/** An order-free hash of a map: the sum of its entries' hashes (the entries a map leaves out hash to -1). */
function mapHash<K, V>(map: ReadonlyMap<K, V>, entry: (k: K, v: V) => number): number {
  if (!map.size) return 0;
  let h = collectionHashes.get(map);
  if (h === undefined) {
    h = 0;
    for (const [k, v] of map) {
      const e = entry(k, v);
      if (e !== -1) h = (h + e) >>> 0;
    }
    collectionHashes.set(map, h);
  }
  return h;
}

function setHash<K>(set: ReadonlySet<K>, item: (k: K) => number): number {
  if (!set.size) return 0;
  let h = collectionHashes.get(set);
  if (h === undefined) {
    h = 0;
    for (const k of set) h = (h + item(k)) >>> 0;
    collectionHashes.set(set, h);
  }
  return h;
}

const lockFlags = (l: LockFact): number => (l.acquiredHere ? 1 : 0) | (l.releasedUnowned ? 2 : 0) | (l.forgottenOwn ? 4 : 0);
const lockEntry = (k: string, l: LockFact): number => mix(fnv1a(l.required ?? '', fnv1a(l.state, fnv1a(k))), lockFlags(l));
const numberEntry = (k: string | number, v: number): number => mix(typeof k === 'number' ? mix(0x9e3779b9, k) : fnv1a(k), v);
const pointerEntry = (k: string, p: PointerFact): number => {
  let h = fnv1a(p.api, fnv1a(k));
  for (const t of p.tested) h = fnv1a(t, mix(h, 1));
  for (const b of p.startBounds ?? []) h = fnv1a(b, mix(h, 2));
  return mix(h, (p.staleSince ? 1 : 0) | (p.escaped ? 2 : 0));
};
const defEntry = (k: string, d: { text: string }): number => fnv1a(d.text, fnv1a(k));
const constEntry = (k: string, v: string): number => (isPossibleBitsKey(k) ? -1 : fnv1a(v, fnv1a(k)));
const textEntry = (k: string, v: string): number => fnv1a(v, fnv1a(k));

export function identityHash(s: State): number {
  let h = mapHash(s.locks, lockEntry);
  h = mix(h, mapHash(s.values, numberEntry));
  h = mix(h, mapHash(s.ptrs, pointerEntry));
  h = mix(h, mapHash(s.defs, defEntry));
  h = mix(h, mapHash(s.consts, constEntry));
  h = mix(h, mapHash(s.lockAliases, textEntry));
  h = mix(h, mapHash(s.paramEntry, numberEntry));
  h = mix(h, mapHash(s.pointeeEntry, numberEntry));
  h = mix(h, mapHash(s.fieldEntry, numberEntry));
  h = mix(h, setHash(s.modified, (i) => mix(0x27d4eb2f, i)));
  h = mix(h, setHash(s.soleUser, (k) => fnv1a(k)));
  h = mix(h, s.pf + 8);
  return mix(h, s.ret);
}

function sameMap<K, V>(a: ReadonlyMap<K, V>, b: ReadonlyMap<K, V>, same: (x: V, y: V) => boolean): boolean {
  if (a === b) return true;
  if (a.size !== b.size) return false;
  for (const [k, v] of a) {
    const w = b.get(k);
    if (w === undefined || !same(v, w)) return false;
  }
  return true;
}

function sameSet<K>(a: ReadonlySet<K>, b: ReadonlySet<K>): boolean {
  if (a === b) return true;
  if (a.size !== b.size) return false;
  for (const k of a) if (!b.has(k)) return false;
  return true;
}

const sameValue = <V>(x: V, y: V): boolean => x === y;
const sameLock = (x: LockFact, y: LockFact): boolean => x === y || (x.state === y.state && lockFlags(x) === lockFlags(y) && (x.required ?? '') === (y.required ?? ''));
const sameList = (x: readonly string[] | undefined, y: readonly string[] | undefined): boolean =>
  x === y || ((x?.length ?? 0) === (y?.length ?? 0) && (x ?? []).every((t, i) => t === y![i]));
const samePointer = (x: PointerFact, y: PointerFact): boolean =>
  x === y || (x.api === y.api && !x.staleSince === !y.staleSince && !x.escaped === !y.escaped && sameList(x.tested, y.tested) && sameList(x.startBounds, y.startBounds));
const sameDef = (x: { text: string }, y: { text: string }): boolean => x.text === y.text;

/** The constants, but for the bits flags may have (part of the kernel context). */
function sameConsts(a: ReadonlyMap<string, string>, b: ReadonlyMap<string, string>): boolean {
  if (a === b) return true;
  let kept = 0;
  for (const [k, v] of a) {
    if (isPossibleBitsKey(k)) continue;
    kept++;
    if (b.get(k) !== v) return false;
  }
  for (const k of b.keys()) if (!isPossibleBitsKey(k)) kept--;
  return kept === 0;
}

/** Are two states one for the worklist (identityHash() equal, and all it covers)? */
export function sameIdentity(a: State, b: State): boolean {
  if (a === b) return true;
  return (
    a.pf === b.pf &&
    a.ret === b.ret &&
    sameMap(a.locks, b.locks, sameLock) &&
    sameMap(a.values, b.values, sameValue) &&
    sameMap(a.ptrs, b.ptrs, samePointer) &&
    sameMap(a.defs, b.defs, sameDef) &&
    sameConsts(a.consts, b.consts) &&
    sameMap(a.lockAliases, b.lockAliases, sameValue) &&
    sameMap(a.paramEntry, b.paramEntry, sameValue) &&
    sameMap(a.pointeeEntry, b.pointeeEntry, sameValue) &&
    sameMap(a.fieldEntry, b.fieldEntry, sameValue) &&
    sameSet(a.modified, b.modified) &&
    sameSet(a.soleUser, b.soleUser)
  );
}
