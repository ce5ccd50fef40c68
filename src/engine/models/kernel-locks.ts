// The kernel-lock model: the locks other than the mm's (kb/kernel-locks.ts) a path holds, by lock
// class as lockdep names them, and the atomic sections it is in (State.kernelLocks,
// State.atomicSections); the order facts a path shows (a class taken while the mmap lock or a VMA
// lock is held: mmap_lock -> class); and the summary facts callers read (the classes a function
// takes inside, the locks it leaves taken or released: a wrapper of mutex_lock()).
// The mm's own locks keep their model (locks.ts); this one never changes them.

import { stripParens, type AstNode } from '../../parse/ast.js';
import type { ApiEntry, KernelLockEffect } from '../../kb/lock-api.js';
import { ATOMIC_SECTION_CALLS, DOCUMENTED_ORDER, KERNEL_LOCK_CALLS, KERNEL_LOCK_GUARDS, isAtomicKind, type KernelLockCall } from '../../kb/kernel-locks.js';
import type { DemandNames } from '../demand-names.js';
import { LOCK_CLASS_DECLARATIONS } from '../../kb/lock-classes.js';
import type { TraceStep } from '../../types.js';
import { applyPath, keyOf } from '../keys.js';
import { isLockOf } from '../lock-keys.js';
import type { KernelLockFact, State } from '../state.js';
import type { FunctionContext } from '../context.js';
import { parametrize, type SummaryFacts } from './summary-facts.js';
import { heldLockKeys } from './lock-queries.js';
import { entryConditions, mayFailWith } from '../arg-conditions.js';

/** The lock class lockdep's lock-order comments call the mmap lock; a VMA lock counts as it. */
export const MMAP_LOCK_CLASS = 'mmap_lock';

/** The trace key of the steps that concern a kernel lock (StateView.trace). */
export function kernelLockTraceKey(key: string): string {
  return `kernel:${key}`;
}

/** The trace key of the steps that enter an atomic section. */
export const ATOMIC_TRACE_KEY = 'atomic-section';

/** Classes a summary keeps (ApiEntry.acquires). */
const MAX_ACQUIRED_CLASSES = 32;
/** Steps of a chain down to an acquisition. */
const MAX_CHAIN = 6;

/** Fields that are the mm's own rwsems (`mm->mmap_lock`, `vma->vm_lock->lock`): those calls are the mmap and VMA classes'. */
const MM_RWSEM_FIELDS = new Set(LOCK_CLASS_DECLARATIONS.flatMap((d) => [...(d.rwsem?.fields ?? []), ...(d.rwsem?.path?.slice(-1) ?? [])]));

/** The static names of a file's text (`static DEFINE_MUTEX(m);`, `static struct mutex m;`): a static lock's class is the file's. */
const staticNames = new WeakMap<object, Set<string>>();
function fileStatics(file: { text: string }): Set<string> {
  let names = staticNames.get(file);
  if (!names) {
    names = new Set();
    for (const m of file.text.matchAll(/^static\s+(?:DEFINE_\w+\s*\(\s*(\w+)|[^;=(]*?\b(\w+)\s*(?:[;=[]))/gm)) names.add(m[1] ?? m[2]);
    staticNames.set(file, names);
  }
  return names;
}

/**
 * The structures a file's typedefs name (`typedef struct sg_fd { ... } Sg_fd;`,
 * `typedef struct foo foo_t;`): a lock reached through `Sg_fd *sfp` has the class of
 * `struct sg_fd`'s field, as through `struct sg_fd *sfp`.
 */
const typedefNames = new WeakMap<object, Map<string, string>>();
function fileTypedefs(file: { text: string }): Map<string, string> {
  let names = typedefNames.get(file);
  if (!names) {
    names = new Map();
    const text = file.text;
    for (const m of text.matchAll(/\btypedef\s+struct\s+(\w+)\s*([{\w])/g)) {
      let at = m.index + m[0].length - 1;
      if (m[2] === '{') {
        // Past the body: its matching brace.
        let depth = 0;
        for (; at < text.length; at++) {
          if (text[at] === '{') depth++;
          else if (text[at] === '}' && --depth === 0) break;
        }
        at++;
      }
      const name = /^\s*(\w+)\s*;/.exec(text.slice(at, at + 200))?.[1];
      if (name) names.set(name, m[1]);
    }
    typedefNames.set(file, names);
  }
  return names;
}

/** The lock object a lock argument names: `&x->lock` is `x->lock`, `lock` (a pointer) is `*lock`. */
function lockObject(arg: AstNode, throughPointer: boolean): { object: AstNode | null; key: string } | null {
  let a = stripParens(arg);
  while (a.type === 'cast_expression') a = stripParens(a.child('value') ?? a);
  if (a.type === 'pointer_expression' && a.operator === '&') {
    const inner = a.child('argument');
    const k = inner ? keyOf(inner) : null;
    if (!inner || !k) return null;
    return throughPointer ? { object: null, key: `*${k}` } : { object: stripParens(inner), key: k };
  }
  const k = keyOf(a);
  return k ? { object: null, key: `*${k}` } : null;
}

/**
 * The lockdep-style class of the lock object `object` (an expression of the lock itself), in the
 * function of `context`: a field reached from a variable the function declares as `struct S *` or
 * `struct S` is `struct S::field` (`struct snd_pcm_runtime::buffer_mutex`); a file-scope lock is
 * its name, qualified by the file for a static one. Null when it cannot be named (a lock through a
 * pointer variable, a field two pointers away): such a lock adds no order.
 */
export function lockClassOfObject(context: FunctionContext, fileText: { text: string }, object: AstNode): string | null {
  const fields: string[] = [];
  let n = stripParens(object);
  let arrows = 0;
  while (n.type === 'field_expression') {
    fields.unshift(n.child('field')?.text ?? '?');
    if (n.operator === '->') arrows++;
    n = stripParens(n.child('argument') ?? n);
  }
  if (n.type !== 'identifier') return null;
  const root = n.text;
  const type = context.typeOf(root);
  if (!fields.length) {
    if (type !== undefined) return null;
    return fileStatics(fileText).has(root) ? `${root} (${context.file})` : root;
  }
  if (type === undefined) {
    // A file-scope structure: `foo_dev.lock`.
    if (arrows) return null;
    return fileStatics(fileText).has(root) ? `${root}.${fields.join('.')} (${context.file})` : `${root}.${fields.join('.')}`;
  }
  // Only the first hop's type is known: `p->a.b` is fine, `p->a->b` is not.
  if (arrows > 1 || (arrows === 1 && !/\*\s*$/.test(type))) return null;
  const struct = /\bstruct\s+(\w+)/.exec(type)?.[1] ?? fileTypedefs(fileText).get(/^(?:const\s+)?(\w+)/.exec(type.trim())?.[1] ?? '');
  return struct ? `struct ${struct}::${fields.join('.')}` : null;
}

/** Is `key` (a lock object) one of the mm's own rwsems, which the mmap and VMA lock models own? */
function isMmRwsem(key: string): boolean {
  const last = /(?:->|\.)(\w+)$/.exec(key)?.[1];
  return !!last && MM_RWSEM_FIELDS.has(last);
}

/** The mmap or a VMA lock held on the path, with where it was taken: what makes an acquisition an order fact. */
export function heldMmSide(state: State): TraceStep | null | undefined {
  const key = heldLockKeys(state).find((k) => isLockOf(k, 'mmap') || isLockOf(k, 'vma'));
  return key === undefined ? undefined : (state.locks.get(key)?.origin ?? null);
}

/** One kernel lock operation at a call: the object, its class, and how it may go. */
interface KernelLockOp {
  call: KernelLockCall;
  key: string;
  cls: string | null;
  display: string;
  /** The argument as written (`&rt->buffer_mutex`). */
  argText: string;
}

function opOf(context: FunctionContext, fileText: { text: string }, name: string, args: AstNode[]): KernelLockOp | null {
  const call = KERNEL_LOCK_CALLS.get(name);
  if (!call) return null;
  const arg = args[call.arg];
  if (!arg) return null;
  const object = lockObject(arg, !!call.throughPointer);
  if (!object) return null;
  if (!call.className && call.kind === 'rwsem' && isMmRwsem(object.key)) return null;
  // A lock inside the object given (`dma_resv_lock(obj)`: `obj->lock`).
  const named = call.field ? (object.key.startsWith('*') ? `${object.key.slice(1)}->${call.field.name}` : `${object.key}.${call.field.name}`) : object.key;
  const key = context.canonical(named);
  const cls = call.className ?? call.field?.cls ?? (object.object ? lockClassOfObject(context, fileText, object.object) : null);
  return { call, key: call.className ? `${call.className}@${key}` : key, cls, display: named.replace(/^\*/, ''), argText: stripParens(arg).text };
}

/** The ways a kernel lock call may go on `state`: its value, and the state. */
export interface KernelLockOutcome {
  state: State;
  /** V_* bits the call returns on this way; undefined: what the call's entry says. */
  bits?: number;
}

/**
 * Applies a call's kernel-lock effects (the knowledge base's lock calls, an atomic section, or a
 * summary's `kernelLocks`) to `state`, noting order facts and summary facts on the way. Returns
 * null when the call does nothing here.
 */
export function applyKernelLockCall(
  context: FunctionContext,
  fileText: { text: string },
  name: string,
  api: ApiEntry | undefined,
  n: AstNode,
  args: AstNode[],
  state: State,
): KernelLockOutcome[] | null {
  const section = ATOMIC_SECTION_CALLS.get(name)?.op ?? api?.atomicSection;
  if (section) return [{ state: atomicSectionCall(context, section, name, n, state) }];
  const op = opOf(context, fileText, name, args);
  if (op) return applyOp(context, op, name, n, state);
  noteCalleeAcquires(context, name, api, n, args, state);
  if (!api?.kernelLocks?.length) return null;
  let out = state;
  for (const e of api.kernelLocks) {
    if (e.op === 'drop') continue;
    const key = calleeLockKey(context, e, args);
    if (key === null) continue;
    out = out === state ? state.clone() : out;
    if (e.op === 'acquire') {
      const step = context.step(n, `${e.cls ?? 'a lock'} taken here (${name}() takes \`${key}\`)`, 'acquire');
      takeLock(context, out, key, { cls: e.cls, kind: e.kind, mode: e.mode, trylock: false, nested: false, origin: step, display: key }, step, n);
    } else out.setKernelLock(key, undefined);
  }
  return [{ state: out }];
}

/**
 * Entering or leaving an atomic section (preempt_disable(), local_irq_restore(), or a wrapper whose
 * summary says so); a callee that leaves its caller's section for a while ('drop'). Leaving a
 * section the function did not enter is its caller's: a summary fact.
 */
function atomicSectionCall(context: FunctionContext, section: 'enter' | 'leave' | 'drop', name: string, n: AstNode, state: State): State {
  const copy = state.clone();
  if (section === 'enter') {
    const what = ATOMIC_SECTION_CALLS.get(name)?.what ?? 'an atomic section entered';
    const step = context.step(n, `${what} here (${name}())`, 'acquire');
    copy.setAtomicSections([...state.atomicSections, step]);
    copy.addStep(step, [ATOMIC_TRACE_KEY]);
    if (context.facts) context.facts.entersAtomicSection = true;
  } else if (section === 'leave' && state.atomicSections.length) copy.setAtomicSections(state.atomicSections.slice(0, -1));
  else if (!state.atomicSections.length && context.facts) context.facts.dropsAtomicSection = true;
  return copy;
}

function applyOp(context: FunctionContext, op: KernelLockOp, name: string, n: AstNode, state: State): KernelLockOutcome[] {
  const { call } = op;
  if (call.op === 'release') {
    const copy = state.clone();
    copy.setKernelLock(heldKeyReleased(state, op) ?? op.key, undefined);
    if (!state.kernelLocks.has(op.key) && copy.kernelLocks.size === state.kernelLocks.size) noteRelease(context, op);
    return [{ state: copy }];
  }
  const what = op.cls ?? `\`${op.display}\``;
  const step = context.step(n, `${what} taken here (${name}(${op.argText}))`, 'acquire');
  const fact: KernelLockFact = { cls: op.cls, kind: call.kind, mode: call.mode, trylock: !!call.trylock, nested: !!call.nested, origin: step, display: op.display };
  const held = state.clone();
  takeLock(context, held, op.key, fact, step, n);
  if (!call.when) return [{ state: held }];
  const failed = state.clone();
  failed.addStep(context.step(n, `${name}() failed here: \`${op.display}\` is not taken`, 'failure'), []);
  // V_ZERO = 1, V_POS = 2, V_NEG = 4 (events.ts).
  return call.when === 'ret-zero'
    ? [
        { state: held, bits: 1 },
        { state: failed, bits: 4 },
      ]
    : [
        { state: held, bits: 2 },
        { state: failed, bits: 1 },
      ];
}

/**
 * The held lock a release names by another name: the only one held of its class (`op->lock`
 * taken in a loop, released as `cur_op->lock` after `cur_op = op`), as lockdep matches a release
 * to the lock it held. Null when the release names a held lock, or none or several match.
 */
function heldKeyReleased(state: State, op: KernelLockOp): string | null {
  if (state.kernelLocks.has(op.key) || !op.cls) return null;
  let found: string | null = null;
  for (const [key, f] of state.kernelLocks) {
    if (f.cls !== op.cls) continue;
    if (found !== null) return null;
    found = key;
  }
  return found;
}

/** `copy` holds the lock from `step` on; a blocking acquisition of a known class is an order fact under the mmap lock, and a summary fact. */
function takeLock(context: FunctionContext, copy: State, key: string, fact: KernelLockFact, step: TraceStep, n: AstNode): void {
  if (context.sink) context.sink.kernelLock?.({ ...fact, key, traceKey: kernelLockTraceKey(key), op: 'acquire', node: n }, copy);
  copy.setKernelLock(key, fact);
  copy.addStep(step, [kernelLockTraceKey(key)]);
  if (fact.cls && !fact.trylock && !fact.nested) noteAcquired(context, copy, fact.cls, [step]);
}

/** Distinct argument conditions an acquisition keeps (ApiEntry.acquires[].when), as for faults. */
const MAX_ACQUIRE_CONDITIONS = 8;

/**
 * A class taken (and waited for) on this path, directly or inside a callee: a summary fact, under
 * what the path knew of the parameters (`snd_pcm_oss_change_params(substream, trylock)` waits for
 * the lock only with `trylock` false), and an order fact under the mmap lock.
 */
function noteAcquired(context: FunctionContext, state: State, cls: string, chain: TraceStep[]): void {
  const facts = context.facts;
  if (facts) {
    const acquires = (facts.acquires ??= new Map());
    let known = acquires.get(cls);
    if (!known) acquires.set(cls, (known = { via: chain.slice(0, MAX_CHAIN), when: new Map() }));
    if (known.when !== 'always') {
      const when = entryConditions(state, context.params);
      if (!Object.keys(when).length || known.when.size >= MAX_ACQUIRE_CONDITIONS) known.when = 'always';
      else known.when.set(JSON.stringify(when), when);
    }
  }
  const mm = heldMmSide(state);
  if (mm === undefined || !context.orderEdges) return;
  const edgeKey = `${MMAP_LOCK_CLASS}\0${cls}`;
  if (context.orderEdges.has(edgeKey)) return;
  const evidence = [...(mm ? [mm] : []), ...chain].slice(0, MAX_CHAIN + 1);
  const at = chain[0];
  context.orderEdges.set(edgeKey, {
    from: MMAP_LOCK_CLASS,
    to: cls,
    // Held since entry by how the kernel calls the function (a ->mmap handler): the entry says how.
    reason: mm?.kind === 'entry' ? `${cls} is taken at ${at.file}:${at.line} under mmap_lock (${mm.message})` : `${cls} is taken under mmap_lock at ${at.file}:${at.line}`,
    evidence,
  });
}

/** A callee that takes classes inside (its summary's `acquires`): taken on this path too. */
function noteCalleeAcquires(context: FunctionContext, name: string, api: ApiEntry | undefined, n: AstNode, args: AstNode[], state: State): void {
  if (!api?.acquires?.length) return;
  if (!context.facts && (!context.orderEdges || heldMmSide(state) === undefined)) return;
  const step = context.step(n, `${name}() is called here`, 'call');
  for (const a of api.acquires) if (mayFailWith(a.when, args)) noteAcquired(context, state, a.cls, [step, ...a.via]);
}

/** A release of a lock this path does not hold: the function releases its caller's (a summary fact). */
function noteRelease(context: FunctionContext, op: KernelLockOp): void {
  const facts = context.facts;
  if (!facts) return;
  (facts.kernelReleases ??= new Map()).set(op.key, { kind: op.call.kind, mode: op.call.mode, cls: op.cls });
}

/**
 * The kernel-lock part of a function's summary: the classes it takes inside, and the locks every
 * way out leaves taken (held on each exit, of an object the caller names) or released.
 */
export function kernelLockSummary(context: FunctionContext, exits: readonly State[], facts: Pick<SummaryFacts, 'acquires' | 'kernelReleases' | 'entersAtomicSection' | 'dropsAtomicSection'>): Pick<ApiEntry, 'acquires' | 'kernelLocks' | 'atomicSection'> {
  const out: Pick<ApiEntry, 'acquires' | 'kernelLocks' | 'atomicSection'> = {};
  // Sorted, then capped: the same classes give the same summary whatever order the paths found them in.
  if (facts.acquires?.size) {
    out.acquires = [...facts.acquires]
      .sort((a, b) => (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0))
      .slice(0, MAX_ACQUIRED_CLASSES)
      .map(([cls, { via, when }]) => (when === 'always' ? { cls, via } : { cls, via, when: [...when.values()] }));
  }
  const effects: KernelLockEffect[] = [];
  if (exits.length) {
    for (const [key, fact] of exits[0].kernelLocks) {
      if (fact.trylock || !exits.every((s) => s.kernelLocks.get(key)?.cls === fact.cls && s.kernelLocks.has(key))) continue;
      const where = nameForCaller(context, key);
      if (where) effects.push({ op: 'acquire', kind: fact.kind, mode: fact.mode, cls: fact.cls, ...where });
    }
    for (const [key, r] of facts.kernelReleases ?? []) {
      const where = nameForCaller(context, key);
      // Released for good, or dropped for a while and taken again (a fault made in between is not under it).
      if (where) effects.push({ op: exits.some((s) => s.kernelLocks.has(key)) ? 'drop' : 'release', kind: r.kind, mode: r.mode, cls: r.cls, ...where });
    }
  }
  if (effects.length) out.kernelLocks = effects;
  // Its atomic sections, for its caller: entered on every way out (a preempt_disable() wrapper),
  // its caller's left (local_irq_enable_exit_to_user()), or left for a while and entered again.
  const depths = new Set(exits.map((st) => st.atomicSections.length));
  if (facts.dropsAtomicSection) out.atomicSection = !facts.entersAtomicSection && depths.size === 1 && depths.has(0) ? 'leave' : 'drop';
  else if (exits.length && !depths.has(0) && depths.size === 1 && depths.has(1)) out.atomicSection = 'enter';
  return out;
}

/** The caller's key of the lock a callee's effect is about (null when the argument is not a plain path). */
function calleeLockKey(context: FunctionContext, e: KernelLockEffect, args: AstNode[]): string | null {
  if (e.target < 0) return e.path;
  const arg = args[e.target];
  const argKey = arg ? keyOf(stripParens(arg)) : null;
  return argKey ? context.canonical(applyPath(e.path, argKey)) : null;
}

/**
 * The caller's kernel locks a callee releases or drops for a while (its summary's `kernelLocks`), by
 * key; ATOMIC_TRACE_KEY when it leaves its caller's atomic section (for a while).
 */
export function kernelLocksDroppedBy(context: FunctionContext, api: ApiEntry | undefined, args: AstNode[]): Set<string> {
  const out = new Set<string>();
  if (api?.atomicSection === 'leave' || api?.atomicSection === 'drop') out.add(ATOMIC_TRACE_KEY);
  for (const e of api?.kernelLocks ?? []) {
    if (e.op === 'acquire') continue;
    const key = calleeLockKey(context, e, args);
    if (key !== null) out.add(key);
  }
  return out;
}

/** A lock object as its caller names it: a parameter and a path from it, or a file-scope lock. */
function nameForCaller(context: FunctionContext, key: string): { target: number; path: string } | null {
  const fixed = /^(.*)@(.*)$/.exec(key);
  const object = fixed ? fixed[2] : key;
  const p = parametrize(context, object);
  if (p) return { target: p.target, path: fixed ? `${fixed[1]}@${p.path ?? '$'}` : (p.path ?? '$') };
  // A file-scope lock (`&reading_mutex`): the same for every caller.
  if (/^\w+(\.\w+)*$/.test(object) && context.typeOf(object.split('.')[0]) === undefined) return { target: -1, path: key };
  return null;
}

/**
 * What makes a function worth analysing for the kernel-lock model (src/engine/demand.ts): the calls
 * that take a kernel lock (not the releases) or enter an atomic section, and the guard classes.
 */
export function kernelLockDemand(): DemandNames {
  const acquires = [...KERNEL_LOCK_CALLS].filter(([, c]) => c.op === 'acquire');
  const sections = [...ATOMIC_SECTION_CALLS].filter(([, c]) => c.op === 'enter').map(([name]) => name);
  const atomicGuards = Object.entries(KERNEL_LOCK_GUARDS).filter(([, g]) => ATOMIC_SECTION_CALLS.has(g.acquire) || isAtomicKind(KERNEL_LOCK_CALLS.get(g.acquire)?.kind ?? 'mutex'));
  const below = new Set(DOCUMENTED_ORDER.filter((d) => d.from === MMAP_LOCK_CLASS).map((d) => d.to));
  return {
    kernelLockNames: [...acquires.map(([name]) => name), ...sections, ...Object.keys(KERNEL_LOCK_GUARDS)],
    atomicLockNames: [...acquires.filter(([, c]) => isAtomicKind(c.kind)).map(([name]) => name), ...sections, ...atomicGuards.map(([name]) => name)],
    orderedLockNames: acquires.filter(([, c]) => c.className && below.has(c.className)).map(([name]) => name),
    kernelReleaseNames: [...[...KERNEL_LOCK_CALLS].filter(([, c]) => c.op === 'release').map(([name]) => name), ...[...ATOMIC_SECTION_CALLS].filter(([, c]) => c.op === 'leave').map(([name]) => name)],
    atomicSectionNames: [...ATOMIC_SECTION_CALLS.keys()],
  };
}
