// Function summaries: what a call does, computed from the callee's own flow graph, in the same
// vocabulary as the knowledge base (an ApiEntry), so that the transfer functions apply a summary
// exactly as they apply a built-in entry. A summary says:
// - its lock effect on each lock reachable from a parameter (`mm`, `vma->vm_mm`, `*vmap`):
//   acquire / release / downgrade / drop-and-retake, unconditional or tied to the return value,
//   or "may change" (forget) when no return value tells;
// - what it requires on entry (it asserts the lock, or releases one it did not take);
// - whether it may fault on user memory with its caller's locks in place, and through what;
// - whether it leaves page faults disabled (kmap_atomic()) or enables them (kunmap_atomic());
// - what it returns (abstract bits), whether that is a VMA that may be NULL, how it fails;
// - which pointer parameters it dereferences, which VMA parameters it modifies.

import type { ApiEntry, FailureStyle, LockClass, LockEffect, LockMode, LockRequirement } from '../kb/lock-api.js';
import type { TraceKind, TraceStep } from '../types.js';
import type { State, LockFact, TraceLink } from './state.js';
import { entryConditions } from './arg-conditions.js';
import type { SummaryFacts } from './models/summary-facts.js';
import type { OutField } from './out-values.js';
import { LOCK_CLASSES, lockClass } from '../kb/lock-classes.js';
import { isForgottenKey, lockClassOf, lockInstanceOf, lockKeyFor, type LockKey } from './lock-keys.js';
import { ENTRY_SNAPSHOT, V_ANY, V_ERR, V_ZERO, type ReturnKind } from './events.js';

export interface SummaryInput {
  name: string;
  file: string;
  line: number;
  returnKind: ReturnKind;
  params: readonly string[];
  /** States that reach the function's exit. */
  exits: readonly State[];
  facts: SummaryFacts;
  failureReturns: readonly { step: TraceStep; returned: number; when: Record<number, number> }[];
  /** The function's documentation says it does not fail (src/engine/doc-claims.ts). */
  documentedNoFailure?: boolean;
  /** For each exit, what it knew of the fields of its parameters' structures on entry and at its end. */
  outFields?: readonly ReadonlyMap<string, OutField>[];
}

/** How one exit path leaves a lock, relative to entry. */
type Change = 'same' | 'acquired' | 'released' | 'retaken' | 'downgraded' | 'unknown';


function changeOf(lock: LockClass, f: LockFact | undefined): { change: Change; mode?: LockMode } {
  if (!f) return { change: 'same' };
  // Its own lock, which a callee may have released: its callers' locks are not involved.
  if (f.state === 'unknown') return { change: f.forgottenOwn ? 'same' : 'unknown' };
  const mode = f.state === 'read' || f.state === 'write' ? f.state : undefined;
  if (f.state === 'none') return { change: f.releasedUnowned || f.required ? 'released' : 'same' };
  // A lock that ends with another (a VMA write lock): taken, never released by the function itself.
  if (lockClass(lock).endsWith) return { change: f.required ? 'same' : 'acquired', mode };
  if (f.acquiredHere) return { change: f.releasedUnowned || f.required ? 'retaken' : 'acquired', mode };
  if (f.required === 'write' && f.state === 'read') return { change: 'downgraded' };
  return { change: 'same' };
}

/**
 * `vma->vm_mm` with params [vma] -> { target: 0, path: '$->vm_mm' }. The current task's objects
 * (`current->mm`, also reached through a local `mm = current->mm`) are the same for the caller:
 * { target: 'current', path: '$->mm' }.
 */
function parametrize(expr: string, params: readonly string[]): { target: number | 'current'; path?: string } | null {
  const m = /^([*&]*)([A-Za-z_]\w*)/.exec(expr);
  if (!m) return null;
  const index = params.indexOf(m[2]);
  const target = index >= 0 ? index : m[2] === 'current' && expr.length > m[0].length ? 'current' : null;
  if (target === null) return null;
  const path = `${m[1]}$${expr.slice(m[0].length)}`;
  return path === '$' ? { target } : { target, path };
}

function retBits(pathState: State): number {
  return pathState.ret < 0 ? V_ANY : pathState.ret;
}

/** Return bits that tell the `yes` exits from the `no` exits, or null when the return value does not. */
function separating(yes: readonly State[], no: readonly State[]): number | null {
  let a = 0;
  let b = 0;
  for (const s of yes) a |= retBits(s);
  for (const s of no) b |= retBits(s);
  if (a === V_ANY || b === V_ANY || (a & b) !== 0 || a === 0 || b === 0) return null;
  return a;
}

/** How many of the callee's branches before its lock call a summary keeps for its callers' traces. */
const VIA_BRANCHES = 3;

/**
 * The callee's steps on one way out that has the effect (LockEffect.via): the last branches taken
 * before its lock call of that kind, and the call.
 */
function pathOf(pathState: State, key: LockKey, kind: TraceKind): TraceStep[] {
  const chain: TraceLink[] = [];
  for (let t = pathState.trace; t; t = t.prev) chain.push(t);
  chain.reverse();
  let at = -1;
  chain.forEach((t, i) => {
    if (t.step.kind === kind && t.keys.includes(key)) at = i;
  });
  if (at < 0) return [];
  const branches = chain.slice(0, at).filter((t) => t.step.kind === 'branch').slice(-VIA_BRANCHES);
  // A callee's own steps to it, which follow its call (addVia() in models/locks.ts).
  let end = at + 1;
  while (end < chain.length && end - at <= VIA_BRANCHES + 1 && chain[end]!.step.kind === 'call' && chain[end]!.keys.includes(key)) end++;
  return [...branches, ...chain.slice(at, end)].map((t) => summaryStep(t.step));
}

/** The constant an exit returns (`0`, `NULL`, `-EAGAIN`, `SCAN_FAIL`, also through a variable assigned it), or null. */
function returnedConstant(pathState: State): string | null {
  const n = pathState.retNode as { type?: string; text?: string } | null;
  if (!n?.text || n.type === 'return_statement') return null;
  const text = (pathState.retKey ? pathState.consts.get(pathState.retKey) : undefined) ?? n.text.replace(/^\((.*)\)$/, '$1').replace(/\s+/g, '');
  return /^(-?\d+[uUlL]*|NULL|true|false|-?[A-Z][A-Z0-9_]*)$/.test(text) ? text : null;
}

/** The returned value cannot tell a function's ways out apart: it returns nothing, or one constant on all of them. */
function returnSaysNothing(kind: ReturnKind, exits: readonly State[]): boolean {
  if (kind === 'void') return true;
  const first = exits[0] ? returnedConstant(exits[0]) : null;
  return first !== null && exits.every((pathState) => returnedConstant(pathState) === first);
}

/**
 * A parameter's value, as tested on the paths, tells the `yes` exits from the `no` exits (`if
 * (flags & UNLOCK)`, `if (!locked)`): what happens depends on the caller's arguments. The keys
 * are the parameters and the expressions of them the paths tested (`flags & UNLOCK`, `vmf->flags`).
 */
function decidedByArgument(yes: readonly State[], no: readonly State[], params: readonly string[]): boolean {
  const named = params.filter((p) => !!p);
  if (!named.length) return false;
  // Not a call of them (`addr_is_stale(mm, addr)`): what that returns, no caller knows either.
  const ofParam = (k: string): boolean => !/\w\s*\(/.test(k) && named.some((p) => new RegExp(`(^|[^\\w.>])${p}(\\W|$)`).test(k));
  const keys = new Set<string>();
  for (const pathState of [...yes, ...no]) for (const k of pathState.values.keys()) if (ofParam(k)) keys.add(k);
  const entry = [...yes, ...no].map((pathState) => entryConditions(pathState, params));
  const bitsOf = (pathState: State, i: number, k: string): number => (k.startsWith('#') ? (entry[i]![Number(k.slice(1))] ?? V_ANY) : pathState.getVal(k));
  const all = [...params.map((_p, i) => `#${i}`), ...keys];
  // Every way out with the effect tested something the caller passed (`switch (s->lock_mode)`):
  // the caller may know which way it goes.
  const knows = (pathState: State, i: number): boolean => all.some((k) => bitsOf(pathState, i, k) !== V_ANY) || [...pathState.consts.keys()].some(ofParam);
  if (yes.every((pathState, i) => knows(pathState, i))) return true;
  return all.some((k) => {
    let a = 0;
    let b = 0;
    yes.forEach((pathState, i) => (a |= bitsOf(pathState, i, k)));
    no.forEach((pathState, i) => (b |= bitsOf(pathState, yes.length + i, k)));
    return a !== V_ANY && b !== V_ANY && (a & b) === 0;
  });
}

function modeOf(changes: { mode?: LockMode }[]): LockMode | undefined {
  const modes = new Set(changes.map((c) => c.mode));
  return modes.size === 1 ? [...modes][0] : undefined;
}

/**
 * A flag the function leaves in an out-parameter that tells the `yes` exits from the `no` exits:
 * every `yes` exit wrote `*flag` with bits within okBits, every `no` exit left it as it was or
 * wrote it outside okBits (`*lock_dropped = true;` where the lock was dropped).
 */
function flagSeparating(yes: readonly State[], no: readonly State[], params: readonly string[]): Pick<LockEffect, 'flag' | 'flagBits' | 'flagKept' | 'flagOtherBits'> | null {
  for (let i = 0; i < params.length; i++) {
    const name = params[i];
    if (!name) continue;
    const written = (pathState: State): boolean => pathState.pointeeEntry.has(i);
    let okBits = 0;
    if (!yes.every((pathState) => written(pathState) && pathState.getVal(`*${name}`) !== V_ANY && (okBits |= pathState.getVal(`*${name}`)) !== 0)) continue;
    if (!no.every((pathState) => !written(pathState) || (pathState.getVal(`*${name}`) & okBits) === 0)) continue;
    let other = 0;
    for (const pathState of no) if (written(pathState)) other |= pathState.getVal(`*${name}`);
    return { flag: i, flagBits: okBits, ...(no.some((pathState) => !written(pathState)) ? { flagKept: true } : {}), ...(other ? { flagOtherBits: other } : {}) };
  }
  return null;
}

function lockEffects(lock: LockClass, key: LockKey, where: { target: number | 'current'; path?: string }, exits: readonly State[], kind: ReturnKind, params: readonly string[]): LockEffect[] {
  const base = { lock, target: where.target, ...(where.path ? { path: where.path } : {}) };
  const forget: LockEffect[] = [{ ...base, op: 'forget', when: 'always' }];
  const byChange = new Map<Change, { st: State; mode?: LockMode }[]>();
  for (const pathState of exits) {
    const c = changeOf(lock, pathState.locks.get(key));
    const list = byChange.get(c.change) ?? [];
    list.push({ st: pathState, mode: c.mode });
    byChange.set(c.change, list);
  }
  const kinds = [...byChange.keys()].filter((k) => k !== 'same').sort().join(',');
  if (kinds === '') return [];
  if (byChange.has('unknown')) return forget;
  const get = (c: Change) => byChange.get(c) ?? [];
  const same = get('same');
  const when = (yes: { st: State }[], no: { st: State }[]): Partial<LockEffect> | null => {
    if (no.length === 0) return { when: 'always' };
    const bits = kind === 'void' ? null : separating(yes.map((y) => y.st), no.map((n) => n.st));
    const flag = flagSeparating(yes.map((y) => y.st), no.map((n) => n.st), params);
    if (bits !== null) return { when: 'ret-bits', okBits: bits, ...flag };
    return flag && { when: 'flag-out', ...flag };
  };
  switch (kinds) {
    case 'acquired': {
      const w = when(get('acquired'), same);
      return w ? [{ ...base, op: 'acquire', mode: modeOf(get('acquired')), when: 'always', ...w }] : forget;
    }
    case 'released': {
      const released = get('released').map((r) => r.st);
      const w = when(get('released'), same);
      const via = same.length ? pathOf(released[0]!, key, 'release') : [];
      const shown = via.length ? { via } : {};
      if (w) return [{ ...base, op: 'release', mode: undefined, when: 'always', ...w, ...shown }];
      // Nothing the caller sees tells the exits apart: the caller goes both ways, unless an
      // argument decides (`if (flags & UNLOCK)`), which the summary cannot say: then "may change".
      // So does a returned value the bits do not tell (named constants: `SCAN_SUCCEED`,
      // `-EAGAIN`), which a caller may test: only a value that says nothing (void, or the same
      // constant on every way out) makes the caller's two paths.
      if (!returnSaysNothing(kind, exits) || decidedByArgument(released, same.map((x) => x.st), params)) return forget;
      return [{ ...base, op: 'release', when: 'either', ...shown }];
    }
    case 'retaken': {
      if (same.length) return forget;
      return [
        { ...base, op: 'release', when: 'always' },
        { ...base, op: 'acquire', mode: modeOf(get('retaken')), when: 'always' },
      ];
    }
    case 'released,retaken': {
      if (same.length) return forget;
      const w = when(get('retaken'), get('released'));
      return w
        ? [
            { ...base, op: 'release', when: 'always' },
            { ...base, op: 'acquire', mode: modeOf(get('retaken')), when: 'always', ...w },
          ]
        : forget;
    }
    case 'downgraded': {
      const w = when(get('downgraded'), same);
      return w ? [{ ...base, op: 'downgrade', when: 'always', ...w }] : forget;
    }
    default:
      return forget;
  }
}

/** What a path knew, on entry, of the flag parameter i points to (`*locked`). */
function pointeeOnEntry(pathState: State, i: number, name: string): number {
  const snap = pathState.pointeeEntry.get(i);
  return snap !== undefined ? snap & ~ENTRY_SNAPSHOT : pathState.getVal(`*${name}`);
}

/** Parameters whose pointed-to flag, clear on entry, is clear at every exit (see ApiEntry.flagStaysClear). */
function flagsStayingClear(exits: readonly State[], params: readonly string[]): number[] {
  const out: number[] = [];
  params.forEach((name, i) => {
    if (!name) return;
    const clear = exits.filter((pathState) => pointeeOnEntry(pathState, i, name) === V_ZERO);
    if (clear.length && clear.every((pathState) => pathState.getVal(`*${name}`) === V_ZERO)) out.push(i);
  });
  return out;
}

/**
 * Effects that only paths entered with a pointed-to flag set have (`changed`): GUP's `int *locked`
 * protocol, where a set `*locked` says the caller holds the mmap lock, which the function may
 * drop, and a clear one that the function takes and releases its own. They then carry
 * `ifFlagSet`: a caller passing a flag it knows clear does not get them.
 */
function onlyWhenFlagSet(effects: LockEffect[], exits: readonly State[], changed: (pathState: State) => boolean, params: readonly string[]): LockEffect[] {
  if (!effects.length) return effects;
  const paths = exits.filter(changed);
  if (!paths.length) return effects;
  const flag = params.findIndex((name, i) => {
    if (!name) return false;
    return paths.every((pathState) => {
      const bits = pointeeOnEntry(pathState, i, name);
      return bits !== V_ANY && (bits & V_ZERO) === 0;
    });
  });
  return flag < 0 ? effects : effects.map((e) => (e.target === 'ret' ? e : { ...e, ifFlagSet: flag }));
}

/**
 * The same for a flag kept in a structure an argument points to (`lock_ctx->mmap_locked`): the
 * paths with the effect all found it clear (or all set) on entry, so a caller whose flag says
 * otherwise does not get the effect (`fallback_to_mmap_lock()` takes the mmap lock only when the
 * structure does not say it is held already).
 */
function onlyWhenFieldFlag(effects: LockEffect[], exits: readonly State[], changed: (pathState: State) => boolean, fieldsOf: ReadonlyMap<State, ReadonlyMap<string, OutField>>, params: readonly string[]): LockEffect[] {
  const paths = exits.filter(changed);
  if (!effects.length || !paths.length || effects.some((e) => e.ifFlagSet !== undefined)) return effects;
  const first = fieldsOf.get(paths[0]!);
  for (const key of [...(first?.keys() ?? [])].sort()) {
    const entries = paths.map((pathState) => fieldsOf.get(pathState)?.get(key)?.entry ?? V_ANY);
    const set = entries.every((b) => b !== V_ANY && (b & V_ZERO) === 0) ? true : entries.every((b) => b === V_ZERO) ? false : null;
    const where = set === null ? null : parametrize(key, params);
    if (!where || typeof where.target !== 'number' || !where.path) continue;
    // The paths without the effect all found it the other way: the flag decides.
    const others = exits.filter((pathState) => !changed(pathState)).map((pathState) => fieldsOf.get(pathState)?.get(key)?.entry ?? V_ANY);
    const exact = others.every((b) => b !== V_ANY && (set ? b === V_ZERO : (b & V_ZERO) === 0));
    return effects.map((e) => ({ ...e, ifFlag: { target: where.target as number, path: where.path!, set: set!, ...(exact ? { exact } : {}) } }));
  }
  return effects;
}

/** Fields of its arguments' structures the function leaves known on every way out, written on some. */
function leftFlags(exits: readonly State[], fieldsOf: ReadonlyMap<State, ReadonlyMap<string, OutField>>, params: readonly string[]): NonNullable<ApiEntry['leavesFlags']> {
  const out: NonNullable<ApiEntry['leavesFlags']> = [];
  const keys = new Set<string>();
  for (const pathState of exits) for (const [k, f] of fieldsOf.get(pathState) ?? []) if (f.written) keys.add(k);
  for (const key of [...keys].sort()) {
    let bits = 0;
    for (const pathState of exits) bits |= fieldsOf.get(pathState)?.get(key)?.exit ?? V_ANY;
    const where = bits === V_ANY ? null : parametrize(key, params);
    if (where && typeof where.target === 'number' && where.path) out.push({ target: where.target, path: where.path, bits });
  }
  return out;
}

/**
 * A lock-returning lookup (`uffd_lock_vma()`): the exits that return a VMA hold its read lock,
 * taken here, and the return value tells them from the others.
 */
function returnedVmaLock(exits: readonly State[]): LockEffect[] {
  const yes: State[] = [];
  const no: State[] = [];
  let mode: LockMode | undefined;
  for (const pathState of exits) {
    const f = pathState.retKey ? pathState.locks.get(lockKeyFor('vma', pathState.retKey)) : undefined;
    if (f && (f.state === 'read' || f.state === 'held') && f.acquiredHere) {
      yes.push(pathState);
      mode = f.state === 'read' ? 'read' : mode;
    } else no.push(pathState);
  }
  if (!yes.length) return [];
  const bits = no.length ? separating(yes, no) : V_ANY & ~(V_ZERO | V_ERR);
  if (bits === null) return [];
  return [{ lock: 'vma', op: 'acquire', mode: mode ?? 'read', target: 'ret', when: 'ret-bits', okBits: bits }];
}

function requirementOf(lock: LockClass, key: LockKey, where: { target: number; path?: string }, exits: readonly State[]): LockRequirement | null {
  if (exits.length === 0) return null;
  const facts = exits.map((pathState) => pathState.locks.get(key));
  if (facts.some((f) => !f || !f.required)) return null;
  const modes = new Set(facts.map((f) => f!.required));
  const only = modes.size === 1 ? [...modes][0] : 'held';
  const at = facts.find((f) => f!.requiredAt)?.requiredAt ?? undefined;
  return { lock, ...(only === 'held' ? {} : { mode: only as LockMode }), target: where.target, ...(where.path ? { path: where.path } : {}), ...(at ? { at: summaryStep(at) } : {}) };
}

/**
 * The VMA write lock a write needs of the caller (SummaryFacts.needsVmaWrite): on some path, not
 * every one, so not a requirement of the exits. One the exits also show (a callee's such
 * requirement on every path) says where the write is.
 */
function writeRequirements(facts: SummaryFacts, requires: LockRequirement[]): LockRequirement[] {
  const out: LockRequirement[] = [];
  for (const [target, { at, via }] of facts.needsVmaWrite ?? []) {
    const r: LockRequirement = { lock: 'vma-write', mode: 'write', target, at: summaryStep(at), because: 'write', ...(via.length ? { via: via.map(summaryStep) } : {}) };
    const i = requires.findIndex((q) => q.lock === 'vma-write' && q.target === target && !q.path);
    if (i >= 0) requires[i] = r;
    else out.push(r);
  }
  return out;
}

function failureStyle(kind: ReturnKind, failures: readonly { returned: number }[]): FailureStyle | undefined {
  if (failures.length === 0) return undefined;
  switch (kind) {
    case 'pointer': {
      const nul = failures.some((f) => f.returned & V_ZERO);
      const err = failures.some((f) => f.returned & V_ERR);
      return nul && err ? 'null-or-errptr-fail' : err ? 'errptr-fail' : 'null-fail';
    }
    case 'bool':
      return 'true-ok';
    case 'int':
      return 'zero-ok';
    default:
      return undefined;
  }
}

/**
 * Page faults disabled on every way out (`kmap_atomic()` calls pagefault_disable() and returns)
 * or enabled on every way out without a disable of its own (`__kunmap_atomic()`): the depth the
 * exits reach from 0 on entry. Exits that differ say nothing.
 */
function pagefaultEffect(exits: readonly State[]): 'disable' | 'enable' | undefined {
  if (!exits.length) return undefined;
  if (exits.every((pathState) => pathState.pf > 0)) return 'disable';
  if (exits.every((pathState) => pathState.pf < 0)) return 'enable';
  return undefined;
}

/**
 * A trace step as a summary keeps it: its place and message (the summaries file's format,
 * docs/summaries-format.md), not its kind, which is the analysis's own.
 */
function summaryStep(step: TraceStep): TraceStep {
  return { file: step.file, line: step.line, column: step.column, message: step.message };
}

/** The summary of one analysed function. */
export function summarize(input: SummaryInput): ApiEntry {
  const { exits, params } = input;
  const lock: LockEffect[] = [];
  const requires: LockRequirement[] = [];
  const keys = new Set<LockKey>();
  for (const pathState of exits) for (const k of pathState.locks.keys()) keys.add(k);
  const fieldsOf = new Map<State, ReadonlyMap<string, OutField>>(exits.map((pathState, i) => [pathState, input.outFields?.[i] ?? new Map()]));
  for (const key of [...keys].sort()) {
    const cls = lockClassOf(key);
    if (!LOCK_CLASSES.includes(cls)) continue;
    if (isForgottenKey(key)) {
      if (!lockClass(cls).endsWith) lock.push(...onlyWhenFlagSet([{ lock: cls, op: 'forget', target: 'all', when: 'always' }], exits, (pathState) => pathState.locks.has(key), params));
      continue;
    }
    const where = parametrize(lockInstanceOf(key), params);
    if (!where) continue;
    const changed = (pathState: State): boolean => changeOf(cls, pathState.locks.get(key)).change !== 'same';
    lock.push(...onlyWhenFieldFlag(onlyWhenFlagSet(lockEffects(cls, key, where, exits, input.returnKind, params), exits, changed, params), exits, changed, fieldsOf, params));
    const r = where.target === 'current' ? null : requirementOf(cls, key, { target: where.target, path: where.path }, exits);
    if (r) requires.push(r);
  }
  requires.push(...writeRequirements(input.facts, requires));
  if (input.returnKind === 'pointer') lock.push(...returnedVmaLock(exits));
  const entry: ApiEntry = { name: input.name, source: { kind: 'summary', file: input.file, line: input.line } };
  if (lock.length) entry.lock = lock;
  if (requires.length) entry.requires = requires;
  if (input.facts.takes) {
    entry.takesMmapLock = input.facts.takes.chain.map(summaryStep);
    entry.takesMmapLockOf = input.facts.takes.of;
    const when = input.facts.takesWhen;
    if (when && when !== 'always') entry.takesMmapLockWhen = [...when.values()];
  }
  if (input.facts.fault) {
    entry.mayFault = true;
    entry.faultVia = input.facts.fault.map(summaryStep);
    // Only for some arguments (copy_huge_page_from_user(..., allow_pagefault)): callers passing
    // others do not fault through it.
    const when = input.facts.faultWhen;
    if (when && when !== 'always') entry.faultsWhen = [...when.values()];
    if (input.facts.faultBits?.size) entry.faultsWithBits = [...input.facts.faultBits.values()];
  }
  const pagefault = pagefaultEffect(exits);
  if (pagefault) entry.pagefault = pagefault;
  if (input.returnKind !== 'void' && exits.length) {
    let bits = 0;
    for (const pathState of exits) bits |= retBits(pathState);
    if (bits !== V_ANY) entry.returns = bits;
  }
  if (input.returnKind === 'pointer') {
    const vma = exits.filter((pathState) => pathState.retPtr && !pathState.retPtr.fresh);
    if (vma.length && vma.length + exits.filter((pathState) => pathState.ret === V_ZERO || pathState.ret === V_ERR || pathState.ret === (V_ZERO | V_ERR)).length === exits.length) {
      entry.returnsVma = true;
      if (exits.some((pathState) => retBits(pathState) & V_ZERO)) entry.returnsNullable = true;
    }
    if (exits.length && exits.every((pathState) => pathState.retPtr?.fresh || (retBits(pathState) & ~(V_ZERO | V_ERR)) === 0) && exits.some((pathState) => pathState.retPtr?.fresh)) {
      entry.returnsVma = true;
      entry.freshVma = true;
    }
  }
  const left = leftFlags(exits, fieldsOf, params);
  if (left.length) entry.leavesFlags = left;
  const staysClear = flagsStayingClear(exits, params);
  if (staysClear.length) entry.flagStaysClear = staysClear;
  const fails = failureStyle(input.returnKind, input.failureReturns);
  if (fails) {
    entry.fails = fails;
    entry.failureAt = input.failureReturns.slice(0, 3).map((f) => summaryStep(f.step));
    if (input.documentedNoFailure) entry.documentedNoFailure = true;
    // Every failure needs something of the arguments: callers passing otherwise cannot get it.
    if (input.failureReturns.every((f) => Object.keys(f.when).length > 0)) {
      const seen = new Set<string>();
      entry.failsWhen = input.failureReturns.map((f) => f.when).filter((w) => !seen.has(JSON.stringify(w)) && !!seen.add(JSON.stringify(w)));
    }
  }
  if (input.facts.derefs.size) entry.derefsArgs = [...input.facts.derefs].sort((a, b) => a - b);
  // Modified on every way out (not only when a flag argument says so).
  const modifies = [...input.facts.modifiesAt.keys()].filter((i) => exits.length > 0 && exits.every((pathState) => pathState.modified.has(i)));
  if (modifies.length) entry.modifiesVma = modifies.sort((a, b) => a - b);
  return entry;
}

/**
 * What of a summary a caller's analysis depends on, for change detection across files. `flow`
 * leaves out what only refines a caller's precision (returned bits, dereferenced arguments, the
 * failure style): a caller analysed before such a change is not analysed again for it.
 */
export function summaryFingerprint(e: ApiEntry | undefined, part: 'all' | 'flow' = 'all'): string {
  if (!e) return '';
  const { source: _s, name: _n, faultVia: _v, failureAt: _f, takesMmapLock, requires, acquires, takesMmapLockWhen, atomicSection, ...all } = e;
  const rest: Partial<ApiEntry> = all;
  if (part === 'flow') {
    delete rest.returns;
    delete rest.fails;
    delete rest.derefsArgs;
  }
  const shown: Record<string, unknown> = { ...rest };
  // The callee's steps shown in its callers' traces: where, not what.
  if (rest.lock?.some((l) => l.via)) shown.lock = rest.lock.map(({ via: _via, ...l }) => l);
  if (requires) shown.requires = requires.map(({ at: _a, via: _v, ...r }) => r);
  if (takesMmapLock) shown.takesMmapLock = true;
  // The classes taken inside grow up the call graph one file at a time: a caller analysed again for
  // each would keep the cross-file fixed point from converging. They are best-effort (what the
  // callees' summaries said at the caller's turn, which -j does not change) and do not make the
  // callers' flow change.
  if (acquires && part === 'all') shown.acquires = acquires.map((a) => (a.when ? { cls: a.cls, when: a.when } : a.cls));
  // Read by mmap-lock-inversion only, best-effort like `acquires`.
  if (takesMmapLockWhen && part === 'all') shown.takesMmapLockWhen = takesMmapLockWhen;
  // Atomic sections entered or left through a chain of wrappers climb the call graph one file at a
  // time, like `acquires`: best-effort, and only the kernel-lock rules read them.
  if (atomicSection && part === 'all') shown.atomicSection = atomicSection;
  for (const k of Object.keys(shown)) if (shown[k] === undefined) delete shown[k];
  // An empty summary is what a caller assumed before there was one.
  return Object.keys(shown).length ? JSON.stringify(shown) : '';
}

