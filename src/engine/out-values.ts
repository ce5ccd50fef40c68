// What a function leaves where its caller sees it: the pointee of a pointer parameter (`*locked`)
// and the fields of structures its parameters point to (`state->vma`, `madv_behavior->lock_mode`).
// A caller tells a function's exits apart by them as by the return value (which lock it returns
// with, in which mode), so the exits of a function are read through them.

import { isNamedConstant } from './c-names.js';
import type { State } from './state.js';
import { equalityKey } from './keys.js';
import { V_ZERO } from './events.js';

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
export function outConstants(st: State, isOut: (key: string) => boolean): Map<string, OutConstant> {
  const out = new Map<string, OutConstant>();
  const get = (key: string): { equals?: string; differsFrom: Set<string> } => {
    let o = out.get(key) as { equals?: string; differsFrom: Set<string> } | undefined;
    if (!o) out.set(key, (o = { differsFrom: new Set() }));
    return o;
  };
  for (const [key, value] of st.consts) if (isNamedConstant(value) && isOut(key)) get(key).equals = value;
  for (const [k, bits] of st.vals) {
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
export function copyConstantFacts(st: State, from: string, to: string): void {
  const known = st.consts.get(from);
  if (known !== undefined && isNamedConstant(known)) st.setConst(to, known);
  for (const [k, bits] of [...st.vals]) {
    const sides = equalitySides(k);
    if (!sides || (sides[0] !== from && sides[1] !== from)) continue;
    const other = sides[0] === from ? sides[1] : sides[0];
    if (isNamedConstant(other)) st.setVal(equalityKey(to, other), bits);
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
