// The lock context the kernel calls a function in (kb/entry-contexts.ts): found from how the file
// defines or registers it (SYSCALL_DEFINEn, `.mmap = foo_mmap` in a file_operations initializer,
// a walk callback of ops whose `.walk_lock` says what the walk holds), then fitted to the
// function's parameters as lock keys for its entry state and its exits.

import type { LockClass } from '../kb/lock-classes.js';
import { ASMLINKAGE_SYSCALL, ENTRY_CONTEXT_CALLBACKS, SYSCALL_CONTEXT, SYSCALL_DEFINITION, WALK_CALLBACK_FIELDS, WALK_LOCK_CONTEXTS, type EntryContextDecl, type EntryLockDecl } from '../kb/entry-contexts.js';
import { PAGE_WALK_LOCK_FIELD } from '../kb/lock-api.js';
import type { TraceStep } from '../types.js';
import type { AstNode } from '../parse/ast.js';
import { lockClassOf, lockKeyFor, type LockKey } from './lock-keys.js';
import type { State } from './state.js';

/** How the kernel calls a function: the declaration that applies and why (`the .mmap of foo_fops`). */
export interface CalledAs {
  decl: EntryContextDecl;
  /** `the .mmap of \`foo_fops\` (line 12)`, `a system call`. */
  how: string;
  /** The operations table that registers it, when one does. */
  table?: RegisteringTable;
}

/** An operations table that registers a handler: its variable, its struct, the methods it sets. */
export interface RegisteringTable {
  variable: string;
  struct: string;
  methods: readonly string[];
}

/** A lock on entry, fitted to the function: its key and how it reads there. */
export interface EntryContextLock {
  key: LockKey;
  lock: LockClass;
  state: 'read' | 'write' | 'held';
  display: string;
}

/** The context fitted to one function (FunctionInfo.entryContext). */
export interface EntryContext {
  /** `sys_pkey_free() is a system call: the kernel enters it without the mmap lock or any VMA lock`. */
  says: string;
  step: TraceStep;
  /** Classes no lock of which is held on entry. */
  none: readonly LockClass[];
  held: readonly EntryContextLock[];
  /** One of these is held on entry, not known which: released only by returning one of `releaseResults`. */
  oneOf: readonly EntryContextLock[];
  releaseResults: readonly string[];
  /** The operations table that registers the function, when one does. */
  table?: RegisteringTable;
}

/** A file-scope initializer as the file analysis reads it. */
interface Initializer {
  fields: ReadonlyMap<string, string>;
  type: string;
}

function tableOf(type: string): string | undefined {
  return /^(?:(?:const|static)\s+)*struct\s+(\w+)$/.exec(type.trim())?.[1];
}

function functionName(value: string): string | undefined {
  return /^&?\s*([A-Za-z_]\w*)$/.exec(value.trim())?.[1];
}

/**
 * The functions the file's initializers register with a known context, by name. A function
 * registered in two contexts that differ gets none (which one runs is not known).
 */
export function registeredContexts(initializers: ReadonlyMap<string, Initializer & { line: number }>): Map<string, CalledAs> {
  const out = new Map<string, CalledAs>();
  const conflicting = new Set<string>();
  const add = (name: string, decl: EntryContextDecl, how: string, table: RegisteringTable): void => {
    const had = out.get(name);
    if (had && had.decl !== decl) conflicting.add(name);
    else if (!had) out.set(name, { decl, how, table });
    // Two tables registering it: which one's methods go with the call is not known.
    else if (had.table && had.table.variable !== table.variable) delete had.table;
  };
  for (const [variable, init] of initializers) {
    const table = tableOf(init.type);
    if (!table) continue;
    const registering: RegisteringTable = { variable, struct: table, methods: [...init.fields.keys()] };
    const fields = ENTRY_CONTEXT_CALLBACKS[table];
    if (fields) {
      for (const [field, decl] of Object.entries(fields)) {
        const name = functionName(init.fields.get(field) ?? '');
        if (name) add(name, decl, `the .${field} of \`${variable}\` (struct ${table}, line ${init.line})`, registering);
      }
    }
    if (table === 'mm_walk_ops') {
      const walkLock = init.fields.get(PAGE_WALK_LOCK_FIELD)?.trim();
      const decl = walkLock ? WALK_LOCK_CONTEXTS[walkLock] : undefined;
      if (!decl) continue;
      for (const field of WALK_CALLBACK_FIELDS) {
        const name = functionName(init.fields.get(field) ?? '');
        if (name) add(name, decl, `the .${field} of \`${variable}\` (struct mm_walk_ops, line ${init.line})`, registering);
      }
    }
  }
  for (const name of conflicting) out.delete(name);
  return out;
}

/** A system call's definition (`SYSCALL_DEFINE1(pkey_free, int, pkey)`). */
export function syscallContext(fn: AstNode): CalledAs | undefined {
  const macro = /^\w+(?=\s*\()/.exec(fn.text)?.[0];
  if (macro && SYSCALL_DEFINITION.test(macro)) return { decl: SYSCALL_CONTEXT, how: 'a system call' };
  // An architecture's own system call, written out: `asmlinkage int sys_cacheflush(...)`.
  return ASMLINKAGE_SYSCALL.test(fn.text.slice(0, 300)) ? { decl: SYSCALL_CONTEXT, how: 'a system call' } : undefined;
}

/** The context fitted to a function: its entry locks as keys of its parameters (canonical). */
export function fitContext(called: CalledAs, name: string, params: readonly string[], canonical: (key: string) => string, at: { file: string; line: number; column: number }): EntryContext | undefined {
  const fit = (d: EntryLockDecl): EntryContextLock | null => {
    const param = d.param === 'last' ? params[params.length - 1] : params[d.param];
    if (!param) return null;
    const display = d.path.replace('$', param);
    return { key: lockKeyFor(d.lock, canonical(display)), lock: d.lock, state: d.state, display };
  };
  const held = (called.decl.held ?? []).map(fit);
  const oneOf = (called.decl.oneOf ?? []).map(fit);
  // A parameter the context names is missing (an unnamed one, another signature): no context.
  if (held.includes(null) || oneOf.includes(null)) return undefined;
  const says = `${name}() is ${called.how}: the kernel calls it ${called.decl.says}`;
  return {
    says,
    step: { ...at, message: says, kind: 'entry' },
    none: called.decl.none ?? [],
    held: held as EntryContextLock[],
    oneOf: oneOf as EntryContextLock[],
    releaseResults: called.decl.releaseResults ?? [],
    ...(called.table ? { table: called.table } : {}),
  };
}

/** No lock of these classes is held on entry (every caller holds none: CallSite.free). */
export interface EntryNone {
  classes: readonly LockClass[];
  step: TraceStep;
}

/** The classes of which the path holds no lock, known from its entry (State.noneAtEntry); null when none. */
export function freeClasses(pathState: State): { classes: LockClass[]; why: TraceStep } | null {
  const why = pathState.noneAtEntryStep;
  if (!why) return null;
  const classes = [...pathState.noneAtEntry].filter((c) => ![...pathState.locks].some(([k, l]) => l.state !== 'none' && lockClassOf(k) === c)) as LockClass[];
  return classes.length ? { classes, why } : null;
}
