// What a function leaves where its caller sees it: the pointee of a pointer parameter (`*locked`)
// and the fields of structures its parameters point to (`state->vma`, `madv_behavior->lock_mode`).
// A caller tells a function's exits apart by them as by the return value (which lock it returns
// with, in which mode), so the exits of a function are read through them.

import { isNamedConstant } from './c-names.js';
import type { State } from './state.js';
import { equalityKey } from './keys.js';
import { ENTRY_SNAPSHOT, V_ANY, V_ZERO } from './events.js';

/** A place the caller sees: what a pointer parameter points to (`*vmap`), a field reached from one (`state->vma`). */
export function isOutKey(key: string, params: readonly string[]): boolean {
  const m = /^(\*?)(\w+)(.*)$/.exec(key);
  if (!m || (m[1] === '' && !m[3].startsWith('->')) || (m[1] === '*' && m[3] !== '')) return false;
  return params.includes(m[2]);
}

/** What an exit knows of an out value's named constant: which it equals, which it does not. */
export interface OutConstant {
  equals?: string;
  differsFrom: ReadonlySet<string>;
}

/**
 * The named constants the out values of a path are known to equal or not (`s->mode = MODE_READ;`,
 * or `s->mode = mode;` on a path that knows `mode == MODE_READ`, or `mode` none of the case labels
 * of a switch it passed): an out value that records the lock mode the function returns with.
 */
export function outConstants(pathState: State, canonical: (key: string) => string, params: readonly string[]): Map<string, OutConstant> {
  const isOut = (k: string): boolean => (k.startsWith('*') ? isOutKey(k, params) : !/^\w+$/.test(k) && written(pathState, canonical(k), params));
  const out = new Map<string, OutConstant>();
  const get = (key: string): { equals?: string; differsFrom: Set<string> } => {
    let o = out.get(key) as { equals?: string; differsFrom: Set<string> } | undefined;
    if (!o) out.set(key, (o = { differsFrom: new Set() }));
    return o;
  };
  for (const [key, value] of pathState.consts) if (isNamedConstant(value) && isOut(key)) get(key).equals = value;
  for (const [k, bits] of pathState.values) {
    const sides = equalitySides(k);
    if (!sides) continue;
    const [key, constant] = isNamedConstant(sides[1]) ? sides : [sides[1], sides[0]];
    if (!isNamedConstant(constant) || !isOut(key)) continue;
    if (bits === V_ZERO) get(key).differsFrom.add(constant);
    else if ((bits & V_ZERO) === 0) get(key).equals = constant;
  }
  return out;
}

/** The two sides of an equality key (`(A == s->mode)`), or null. */
function equalitySides(key: string): [string, string] | null {
  const m = /^\(([^ ]+) == ([^ ]+)\)$/.exec(key);
  return m ? [m[1]!, m[2]!] : null;
}

/** `to = from;`: the path's equality facts of `from` against named constants become facts of `to` too. */
export function copyConstantFacts(pathState: State, from: string, to: string): void {
  const known = pathState.consts.get(from);
  if (known !== undefined && isNamedConstant(known)) pathState.setConst(to, known);
  for (const [k, bits] of [...pathState.values]) {
    const sides = equalitySides(k);
    if (!sides || (sides[0] !== from && sides[1] !== from)) continue;
    const other = sides[0] === from ? sides[1] : sides[0];
    if (isNamedConstant(other)) pathState.setVal(equalityKey(to, other), bits);
  }
}

/** Do two exits' out values say they differ (different constants, or one known not to be the other's)? */
export function outConstantsDiffer(a: ReadonlyMap<string, OutConstant>, b: ReadonlyMap<string, OutConstant>): boolean {
  for (const [key, x] of a) {
    const y = b.get(key);
    if (!y) continue;
    if (x.equals && y.equals && x.equals !== y.equals) return true;
    if ((x.equals && y.differsFrom.has(x.equals)) || (y.equals && x.differsFrom.has(y.equals))) return true;
  }
  return false;
}

/**
 * The values a path leaves where its caller sees them, by the path's own keys: what its pointer
 * parameters point to (`*mmap_locked`, written or tested), and the fields of their structures it
 * wrote (`ctx->mmap_locked = true`; a field it only read tells its caller nothing new).
 */
export function outFlagValues(pathState: State, canonical: (key: string) => string, params: readonly string[]): Map<string, number> {
  const out = new Map<string, number>();
  for (const [k, bits] of pathState.values) {
    if (k.startsWith('*') ? isOutKey(k, params) : !/^\w+$/.test(k) && written(pathState, canonical(k), params)) out.set(k, bits);
  }
  return out;
}

/** The path wrote this field of a parameter's structure (canonical key). */
function written(pathState: State, key: string, params: readonly string[]): boolean {
  return isOutField(key, params) && pathState.fieldEntry.has(key);
}

/** A field of a structure a parameter points to (`priv->lock_ctx.mmap_locked`), not what a parameter points to. */
function isOutField(key: string, params: readonly string[]): boolean {
  return !key.startsWith('*') && isOutKey(key, params);
}

/** `raw` (canonically `key`) is about to be written: keep what the path knew of the field on entry, once. */
export function snapshotField(pathState: State, key: string, raw: string, params: readonly string[]): void {
  // A local alias (`mm = priv->mm`) is assigned, not the field it names.
  if (/^\w+$/.test(raw) || !isOutField(key, params) || pathState.fieldEntry.has(key)) return;
  pathState.setFieldEntry(key, pathState.getVal(raw) | ENTRY_SNAPSHOT);
}

/** What a path knew, on entry and at its end, of the fields of its parameters' structures (canonical keys). */
export interface OutField {
  entry: number;
  exit: number;
  /** The path wrote it. */
  written: boolean;
}

export function outFields(pathState: State, canonical: (key: string) => string, params: readonly string[]): Map<string, OutField> {
  const out = new Map<string, OutField>();
  const entryOf = (key: string, now: number): number => {
    const snap = pathState.fieldEntry.get(key);
    return snap === undefined ? now : snap & ~ENTRY_SNAPSHOT;
  };
  for (const [raw, bits] of pathState.values) {
    if (/^\w+$/.test(raw)) continue;
    const key = canonical(raw);
    if (isOutField(key, params)) out.set(key, { entry: entryOf(key, bits), exit: bits, written: pathState.fieldEntry.has(key) });
  }
  for (const key of pathState.fieldEntry.keys()) {
    if (!out.has(key)) out.set(key, { entry: entryOf(key, V_ANY), exit: V_ANY, written: true });
  }
  return out;
}
