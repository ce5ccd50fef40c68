// Bit tests of a variable against a mask of named constants (`fault & VM_FAULT_RETRY`,
// `fault & (VM_FAULT_RETRY | VM_FAULT_COMPLETED)`): what a path knows of them, whichever mask a
// later test uses. A mask is a set of atoms: the bits of its value where the file or the tree
// defines it (src/engine/named-constants.ts), else the names of its constants, each taken as a bit
// of its own. What a path learns is kept under one key per variable and mask (`(fault & {#10|#14})`);
// a test of another mask is decided from it where the sets allow it: a mask whose atoms are all
// known clear is clear, a mask that contains a set known to have one of its atoms set is set.
// Names of unknown value never decide a test of another name: unknown stays unknown.

import { AstNode, stripParens } from '../parse/ast.js';
import { isNamedConstant } from './c-names.js';
import { V_ANY, V_NEG, V_POS, V_ZERO, V_ERR } from './events.js';
import type { State } from './state.js';
import { equalityNames } from './keys.js';

/** The value of a named constant of the file or the tree, when known. */
export type ConstantValue = (name: string) => bigint | undefined;

/** What a call's result is known to have of a mask of named constants (LockEffect.retMask). */
export interface BitFact {
  /** The constants of the mask, by name. */
  mask: readonly string[];
  /** One of its bits is set (true) or none is (false). */
  set: boolean;
}

const NONZERO = V_POS | V_NEG | V_ERR;
const MAX_BITS = 64;

/** The atoms of a value: its set bits. */
function bitsOf(v: bigint): string[] {
  const out: string[] = [];
  for (let i = 0; i < MAX_BITS && v > 0n; i++, v >>= 1n) if (v & 1n) out.push(`#${i}`);
  return out;
}

/** The value of an integer literal (`0x400`, `12UL`), or undefined. */
function literalValue(text: string): bigint | undefined {
  const t = text.replace(/[uUlL]+$/, '');
  try {
    return BigInt(/^0[0-7]+$/.test(t) ? `0o${t.slice(1)}` : t);
  } catch {
    return undefined;
  }
}

/** The atoms of named constants: the bits of those whose value is known, the others' names. */
export function atomsOfNames(names: readonly string[], value?: ConstantValue): string[] {
  const out = new Set<string>();
  for (const name of names) {
    const v = value?.(name);
    if (v === undefined) out.add(name);
    else if (v >= 0n) for (const a of bitsOf(v)) out.add(a);
    else out.add(name);
  }
  return [...out].sort();
}

/**
 * The atoms of a mask expression (a named constant, a literal, their `|`, in parentheses or a
 * cast), or null when the expression is something else.
 */
export function maskAtoms(e: AstNode, value?: ConstantValue): string[] | null {
  const n = stripParens(e);
  if (n.type === 'cast_expression') {
    const v = n.child('value');
    return v ? maskAtoms(v, value) : null;
  }
  if (n.type === 'identifier' && isNamedConstant(n.text)) return atomsOfNames([n.text], value);
  if (n.type === 'number_literal') {
    const v = literalValue(n.text);
    return v === undefined || v < 0n ? null : bitsOf(v);
  }
  if (n.type === 'binary_expression' && n.operator === '|') {
    const l = n.child('left');
    const r = n.child('right');
    const a = l ? maskAtoms(l, value) : null;
    const b = a && r ? maskAtoms(r, value) : null;
    return a && b ? [...new Set([...a, ...b])].sort() : null;
  }
  return null;
}

/** Whether every atom is a bit of a known value (no name of unknown value). */
function numeric(atoms: readonly string[]): boolean {
  return atoms.every((a) => a.startsWith('#'));
}

const FACT = /^\((.+) & \{([^{}]*)\}\)$/;

/**
 * The key under which a path keeps the bits a variable built from constants may have
 * (`flags = 0; if (w) flags |= FAULT_FLAG_WRITE;`): every atom it may have, a superset of those it
 * has. Not in the state's hash: two paths that differ only there are joined (their union), as
 * for the kernel locks (src/engine/dataflow.ts), so that flags set under conditions do not
 * multiply the paths.
 */
export function possibleBitsKey(variable: string): string {
  return `(${variable} == {bits})`;
}

/** A key made by possibleBitsKey(). */
export function isPossibleBitsKey(key: string): boolean {
  return key.endsWith(' == {bits})');
}

/** The atoms a variable may have (`=`, `|=` of masks only), or null. */
export function possibleBits(state: State, variable: string): string[] | null {
  const text = state.consts.get(possibleBitsKey(variable));
  return text === undefined ? null : text ? text.split('|') : [];
}

/** Records the atoms a variable may have (null: not known), after what was known of it was killed. */
export function setPossibleBits(state: State, variable: string, atoms: readonly string[] | null): void {
  if (atoms) state.setConst(possibleBitsKey(variable), [...new Set(atoms)].sort().join('|'));
}

/** The union of two paths' possible bits of a variable (the text setPossibleBits() writes). */
export function joinPossibleBits(a: string, b: string): string {
  return [...new Set([...(a ? a.split('|') : []), ...(b ? b.split('|') : [])])].sort().join('|');
}

/**
 * The atoms an expression may have: a mask, a variable whose possible atoms are known, their
 * `|`; null when not known.
 */
export function expressionBits(e: AstNode, state: State, keyOf: (n: AstNode) => string | null, value?: ConstantValue): string[] | null {
  const n = stripParens(e);
  const mask = maskAtoms(n, value);
  if (mask) return mask;
  if (n.type === 'binary_expression' && n.operator === '|') {
    const l = n.child('left');
    const r = n.child('right');
    const a = l ? expressionBits(l, state, keyOf, value) : null;
    const b = a && r ? expressionBits(r, state, keyOf, value) : null;
    return a && b ? [...new Set([...a, ...b])].sort() : null;
  }
  const k = keyOf(n);
  return k ? possibleBits(state, k) : null;
}

/** The key under which a path keeps what it knows of `variable & atoms`. */
export function bitFactKey(variable: string, atoms: readonly string[]): string {
  return `(${variable} & {${atoms.join('|')}})`;
}

/** The variable and atoms of a key made by bitFactKey(), or null for another key. */
export function parseBitFactKey(key: string): { variable: string; atoms: string[] } | null {
  const m = FACT.exec(key);
  return m ? { variable: m[1]!, atoms: m[2] ? m[2].split('|') : [] } : null;
}

/**
 * What the path knows of `variable & atoms`: V_ZERO, NONZERO, or V_ANY. From the facts of other
 * masks of the same variable, or from the constant the variable was last assigned.
 */
export function knownBitTest(state: State, variable: string, atoms: readonly string[], value?: ConstantValue): number {
  if (atoms.length === 0) return V_ZERO;
  const exact = state.getVal(bitFactKey(variable, atoms));
  if (exact !== V_ANY) return exact;
  // `fault = VM_FAULT_BADACCESS; ... fault & VM_FAULT_RETRY`: decided by the values.
  const assigned = state.consts.get(variable);
  if (assigned !== undefined) {
    const held = /^\d/.test(assigned) ? (literalValue(assigned) !== undefined ? bitsOf(literalValue(assigned)!) : null) : isNamedConstant(assigned) ? atomsOfNames([assigned], value) : null;
    if (held && numeric(held) && numeric(atoms)) return held.some((a) => atoms.includes(a)) ? V_POS : V_ZERO;
  }
  // None of the atoms it may have (values known: a name of unknown value may be composite).
  const possible = possibleBits(state, variable);
  if (possible && numeric(possible) && numeric(atoms) && !atoms.some((a) => possible.includes(a))) return V_ZERO;
  const prefix = `(${variable} & {`;
  const clear = new Set<string>();
  const someSet: { atoms: string[]; bits: number }[] = [];
  for (const [k, bits] of state.values) {
    if (!k.startsWith(prefix)) continue;
    const fact = parseBitFactKey(k);
    if (!fact || fact.variable !== variable) continue;
    const known = fact.atoms;
    if (bits === V_ZERO) for (const a of known) clear.add(a);
    else if ((bits & V_ZERO) === 0 && bits !== 0 && known.length > 0) someSet.push({ atoms: known, bits });
  }
  // Every atom of the mask is known clear.
  if (atoms.every((a) => clear.has(a))) return V_ZERO;
  // One of a set of atoms is known set, and those of them not known clear are all in the mask.
  for (const f of someSet) if (f.atoms.every((a) => clear.has(a) || atoms.includes(a))) return f.bits & NONZERO;
  return V_ANY;
}

/** The bit test `l & r` of a variable against a mask: the variable's key and the mask's atoms; null for another expression. */
export function bitTestOf(l: AstNode, r: AstNode, keyOf: (n: AstNode) => string | null, value?: ConstantValue): { variable: string; atoms: string[] } | null {
  for (const [v, m] of [
    [l, r],
    [r, l],
  ] as const) {
    const atoms = maskAtoms(m, value);
    if (!atoms || maskAtoms(v, value)) continue;
    const variable = keyOf(stripParens(v));
    if (variable) return { variable, atoms };
  }
  return null;
}

/**
 * What a path returns when that is a constant (`return VM_FAULT_SIGSEGV;`, `return -EACCES;`,
 * `return 0;`, a variable last assigned one): `=<value>` where the value is known, else the
 * constant's text. Two exits with the same answer return the same value; two with different
 * values (`=...`) return different ones; two different names of unknown value may be either.
 */
export function returnedConstant(state: State, value?: ConstantValue): string | undefined {
  let k = state.retKey;
  if (k === null) return undefined;
  const constant = (t: string): boolean => /^-?\d/.test(t) || isNamedConstant(t.replace(/^-/, ''));
  if (!constant(k)) {
    const assigned = state.consts.get(k);
    if (assigned === undefined || !constant(assigned)) return undefined;
    k = assigned;
  }
  const negative = k.startsWith('-');
  const text = negative ? k.slice(1) : k;
  const v = /^\d/.test(text) ? literalValue(text) : value?.(text);
  return v === undefined ? k : `=${negative ? -v : v}`;
}

/**
 * Whether the expression may have one of the named constants' bits on this path: 'yes' where the
 * bits it may have are known (built from constants here) and include one, 'no' where they are
 * known and include none, 'unknown' otherwise (a parameter; names of unknown value that differ
 * from the mask's, which may be composite: FAULT_FLAG_DEFAULT holds FAULT_FLAG_ALLOW_RETRY).
 */
export function argumentHasBits(e: AstNode, names: readonly string[], state: State, keyOf: (n: AstNode) => string | null, value?: ConstantValue): 'yes' | 'no' | 'unknown' {
  const atoms = atomsOfNames(names, value);
  const possible = expressionBits(e, state, keyOf, value);
  if (!possible) {
    const k = keyOf(stripParens(e));
    return k && knownBitTest(state, k, atoms, value) === V_ZERO ? 'no' : 'unknown';
  }
  if (atoms.some((a) => possible.includes(a))) return 'yes';
  return numeric(atoms) && numeric(possible) ? 'no' : 'unknown';
}

/**
 * What a path that returns a variable of unknown value knows of it against named constants
 * (`!=SCAN_SUCCEED`, `==-EAGAIN`), sorted; undefined when it returns something else or knows
 * nothing of the kind.
 */
export function returnedFacts(state: State): string | undefined {
  const k = state.retKey;
  if (k === null || !/^[A-Za-z_]\w*$/.test(k) || isNamedConstant(k) || state.consts.has(k)) return undefined;
  const facts: string[] = [];
  for (const [key, bits] of state.values) {
    const sides = equalityNames(key);
    if (!sides || bits === V_ANY) continue;
    const other = sides[0] === k ? sides[1] : sides[1] === k ? sides[0] : null;
    if (other === null || !isNamedConstant(other)) continue;
    if (bits === V_ZERO) facts.push(`!=${other}`);
    else if ((bits & V_ZERO) === 0) facts.push(`==${other}`);
  }
  return facts.length ? facts.sort().join(' ') : undefined;
}
