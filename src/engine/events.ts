// Events the engine sends to rules, and the read-only view of the abstract state they carry.

import type { AstNode as Node } from '../parse/ast.js';
import type { ApiEntry, LockClass } from '../kb/lock-api.js';
import type { TraceStep } from '../types.js';
import type { LockKey } from './lock-keys.js';
import type { EntryContext } from './entry-context.js';
import type { KernelLockKind } from '../kb/kernel-locks.js';

export type { LockKey } from './lock-keys.js';

/** State of one lock on one path. 'unknown' is never a reason to report. */
export type LockStateName = 'read' | 'write' | 'held' | 'none' | 'unknown';

export interface HeldLock {
  /** Which lock: its class and the object's path (src/engine/lock-keys.ts). */
  key: LockKey;
  /** The path of the object whose lock it is (`mm`, `vma`, `*vmap`), canonical. */
  instance: string;
  /** The lock expression as written where it was taken, e.g. `mm` or `vma->vm_mm`. */
  display: string;
  state: 'read' | 'write' | 'held';
  /** Where it was taken (or asserted); null when known from the function's entry annotation. */
  origin: TraceStep | null;
}

/** What is known about a pointer that came from a VMA lookup or iterator (State.ptrs). */
export interface PointerFact {
  /** The function it came from (`find_vma`, `lock_vma_under_rcu`, ...). */
  api: string;
  /** Key of the address it was looked up with (find_vma's second argument), when pure. */
  addr: string | null;
  /** That function may return NULL. */
  nullable: boolean;
  /** That function returns the first VMA ending above the address, which may start above it. */
  mayStartAbove: boolean;
  /** Where it was looked up. */
  origin: TraceStep;
  /** Fields of the pointee that a branch condition on this path tested (e.g. `vm_start`), sorted. */
  tested: readonly string[];
  /** Keys of the locks held when it was looked up, or that keep it alive since (for staleness). */
  lockedBy: readonly LockKey[];
  /** Set when one of those locks was dropped since: where. */
  staleSince: TraceStep | null;
  /** It was stored where other code sees it (`s->vma = ...`): a NULL check may be out of sight. */
  escaped?: boolean;
  /** A new VMA not yet in the tree (vm_area_alloc, vm_area_dup): nothing else can reach it yet. */
  fresh?: boolean;
  /** Paths that knew it NULL and paths that knew it non-NULL were merged here. */
  nullnessMerged?: boolean;
  /** Variables holding a bound computed from its vm_start (`hole_end = min(end, vma->vm_start)`, start-bounds.ts). */
  startBounds?: readonly string[];
  /**
   * Found inside an RCU read-side section with neither the mmap lock nor a VMA lock held or possibly
   * held (a walk of the VMA tree under rcu_read_lock() only): where that section began. Such a VMA
   * is not stable until a VMA lock is taken on it (`lockedBy`) or the mmap lock is held.
   */
  rcuOnly?: TraceStep;
  /** From a maple tree walk (ApiEntry.treeEntry): a VMA only where assigned to a VMA pointer. */
  treeEntry?: boolean;
}

/**
 * May be NULL / is certainly NULL / known non-NULL on this path; 'unknown' when paths that had
 * tested it (NULL on one, not NULL on another) were merged: not evidence of a missing check.
 */
export type Nullness = 'maybe-null' | 'null' | 'nonnull' | 'unknown';

/** A pointer fact as a path sees it: with whether the pointer is NULL, non-NULL or either there. */
export type PathPointer = PointerFact & { nullness: Nullness };

export interface StateView {
  /** mmap locks known held on this path. */
  heldMmapLocks(): HeldLock[];
  /** VMA read locks known held on this path. */
  heldVmaLocks(): HeldLock[];
  /** The state of a lock (by its key). */
  lockState(key: LockKey): LockStateName;
  /** True inside pagefault_disable() ... pagefault_enable(). */
  pagefaultDisabled(): boolean;
  /** Kernel locks (mutexes, spinlocks, the folio lock, ...: kb/kernel-locks.ts) held on this path, oldest first. */
  heldKernelLocks(): HeldKernelLock[];
  /**
   * Why the path is in atomic context, if it is: a spinlock or rwlock held (other than the keys
   * `except` names), or preemption or interrupts disabled (the step that made it so).
   */
  atomicContext(except?: ReadonlySet<string>): { what: string; origin: TraceStep; traceKey: string } | null;
  /** Facts about a pointer expression (by its normalised key), when it came from a VMA lookup, with its nullness on this path. */
  pointer(key: string): PathPointer | undefined;
  /** The steps on this path that concern any of the given keys (lock or pointer keys), in order. */
  trace(keys: string[]): TraceStep[];
  /**
   * The mmap lock that protects a VMA (by the VMA's key): its own mm's lock when the path knows
   * it, else the one mmap lock the path knows about; null when nothing is known.
   */
  mmapLockOfVma(vmaKey: string): { key: LockKey; state: LockStateName; origin: TraceStep | null; display: string; acquiredHere: boolean } | null;
  /** The VMA write lock of a VMA (by the VMA's key); 'unknown' also when a callee may have taken it. */
  vmaWriteLock(vmaKey: string): LockStateName;
  /** Does the path know `variable & atoms` to be zero (src/engine/bit-tests.ts)? */
  bitsKnownClear(variable: string, atoms: readonly string[]): boolean;
}

export interface FunctionInfo {
  name: string;
  node: Node;
  /** 'pointer' | 'bool' | 'int' | 'void' | 'other' */
  returnKind: ReturnKind;
  /** Declared `static`: only this file can call it by name. */
  isStatic: boolean;
  /** Parameter names in order ('' for an unnamed one). */
  params: readonly string[];
  /**
   * Set when the function is a callback whose locks another callback of its operations table
   * releases (`.start` of a seq_operations: `struct seq_operations.stop`): it may return with them held.
   */
  handsLocksTo?: string;
  /** The lock context the kernel calls it in (a system call, a file_operations or vm_operations_struct handler, a walk callback). */
  entryContext?: EntryContext;
  /** Its callers run it with page faults disabled, and why (models/faults.ts calledWithPagefaultsDisabled()). */
  pagefaultsDisabledByCaller?: string;
}

export type ReturnKind = 'pointer' | 'bool' | 'int' | 'void' | 'other';

export interface EventBase {
  file: string;
  fn: FunctionInfo;
  state: StateView;
  /** Normalise an expression to the key the state uses (null when not a plain path). */
  keyOf(expr: Node): string | null;
  /** Lock key for an expression naming an mm (`mm`, `vma->vm_mm`, `&mm->mmap_lock`). */
  mmapKeyOf(expr: Node): LockKey | null;
  step(node: Node, message: string): TraceStep;
  /** Declared type of a variable or parameter of the function (`struct vm_area_struct *`), when declared there. */
  typeOf(name: string): string | undefined;
  /**
   * The designated fields of a file-scope variable's initializer (`static const struct
   * mm_walk_ops ops = { .walk_lock = PGWALK_RDLOCK }` -> walk_lock: PGWALK_RDLOCK): same file
   * first, then the rest of the run; undefined when no initializer is known.
   */
  initializer(variable: string): ReadonlyMap<string, string> | undefined;
  /**
   * The variable (a plain variable's key: `vma`; false for any other) is stored into or read from a field of a structure that the function
   * also hands to a callee the knowledge base does not describe: that callee may change what it
   * points to (write-lock the VMA) unseen by the path's state. Flow-insensitive: anywhere in the
   * function (src/engine/function-text.ts).
   */
  sharedThroughStruct(key: string): boolean;
}

/** A callee's entry requirement, in the caller's terms (lock key of the caller's state). */
export interface CallRequirement {
  lock: LockClass;
  /** undefined: held in either mode. */
  mode: 'read' | 'write' | undefined;
  key: LockKey;
  display: string;
  /** Where the callee shows it needs the lock. */
  at: TraceStep | null;
  /** The callee's argument and path it is about (as in the summary). */
  target: number;
  path?: string;
  /** 'write': needed by a write the callee makes (`at`), not asserted (LockRequirement.because). */
  because?: 'write';
  /** For `because`: the calls from the callee down to the write (LockRequirement.via). */
  via?: TraceStep[];
}

export interface CallEvent extends EventBase {
  node: Node;
  /** Callee name when the callee is a plain identifier. */
  callee: string | null;
  /** What is known of the callee: knowledge base, config or computed summary. */
  api: ApiEntry | undefined;
  args: Node[];
  /** What the callee needs held on entry, in this caller's lock keys. */
  requires: CallRequirement[];
  /** Keys of the held kernel locks (HeldKernelLock.key) the callee releases or drops for a while (its summary says so). */
  dropsKernelLocks: ReadonlySet<string>;
}

/** `object->field = value` (any assignment operator). */
export interface WriteEvent extends EventBase {
  node: Node;
  object: Node;
  objectKey: string | null;
  field: string;
  /** `->` (through a pointer) or `.`. */
  arrow: boolean;
}

export interface DerefEvent extends EventBase {
  node: Node;
  /** The pointer expression that is dereferenced. */
  pointer: Node;
  pointerKey: string;
  /** Field name for `p->field`, null for `*p` and `p[i]`. */
  field: string | null;
  /**
   * In the condition of a check that only CONFIG_DEBUG_VM builds evaluate (VM_WARN_ON(),
   * VM_BUG_ON(): ApiEntry.check 'debug'): an assertion of an invariant, not run otherwise.
   */
  debugOnly: boolean;
}

/** A lock operation of a call, with the state of that lock before it. */
export interface LockOp {
  node: Node;
  callee: string;
  op: 'acquire' | 'release' | 'downgrade';
  lock: LockClass;
  /** The call names the rwsem itself (`down_read(&mm->mmap_lock)`) rather than the mmap_* wrapper. */
  raw: boolean;
  /** lockdep's might_lock*(): the call says the lock may be taken here, and takes nothing. */
  annotation: boolean;
  mode: 'read' | 'write' | undefined;
  key: LockKey;
  display: string;
  trylock: boolean;
  /** State of this lock just before the operation. */
  before: LockStateName;
  /** Where the lock was taken, if it is held before the operation. */
  beforeOrigin: TraceStep | null;
}

export interface LockOpEvent extends EventBase, LockOp {}

/** A kernel lock (kb/kernel-locks.ts) held on a path, as the rules see it. */
export interface HeldKernelLock {
  /** The lock object's key (`rt->buffer_mutex`; `i_rwsem@inode` for a class the call fixes). */
  key: string;
  /** The key of its steps in the path's trace (StateView.trace). */
  traceKey: string;
  /** Its lockdep-style class (`struct snd_pcm_runtime::buffer_mutex`, `i_rwsem`); null when not known. */
  cls: string | null;
  kind: KernelLockKind;
  mode: 'read' | 'write';
  trylock: boolean;
  nested: boolean;
  origin: TraceStep;
  display: string;
}

/** A kernel lock taken on a path (the state is the one before). */
export interface KernelLockEvent extends HeldKernelLock {
  op: 'acquire';
  /** The call that takes it (the lock call, or a callee that takes it for its caller). */
  node: Node;
}

export interface KernelLockOpEvent extends EventBase, KernelLockEvent {}

/** Abstract return value: bits of {zero/NULL/false, positive/valid/true, negative errno, ERR_PTR}. */
export const V_ZERO = 1;
export const V_POS = 2;
export const V_NEG = 4;
export const V_ERR = 8;
export const V_ANY = V_ZERO | V_POS | V_NEG | V_ERR;
/**
 * Marks an entry snapshot (State.paramEntry and the like): what a path knew of a parameter's
 * value when the function first assigned it (V_* bits, with this marker so that "nothing known"
 * is still a snapshot).
 */
export const ENTRY_SNAPSHOT = 16;
/**
 * In a failure's conditions on the arguments (`failsWhen`): the failure path compared the
 * parameter with a named constant (`if (cpu_base == TX_CPU_BASE) return -EINVAL;`), whose value
 * the analysis does not know. The failure is one case of the function, which a caller passing a
 * constant of its own may not select.
 */
export const V_SELECTED = 32;

export interface ExitPath {
  state: StateView;
  /** The return statement (null when the function falls off its end). */
  returnNode: Node | null;
  /** Abstract value returned (V_* bits), V_ANY when unknown. */
  returned: number;
  /**
   * The constant returned, when the path returns one (src/engine/bit-tests.ts returnedConstant()):
   * `=<value>` where its value is known, else its name (`VM_FAULT_SIGSEGV`, `-EACCES`).
   */
  returnedConstant?: string;
  /**
   * What the path knows of the variable it returns against named constants, when it returns a
   * variable of unknown value (`!=SCAN_SUCCEED` after `if (result != SCAN_SUCCEED)`): two exits
   * that know the same return values a caller cannot tell apart by the value.
   */
  returnedFacts?: string;
  /** What the path knew of the parameters as passed (arg-conditions.ts entryConditions()). */
  argumentsKnown: Readonly<Record<number, number>>;
  /** Values the function left where its caller sees them (`*mmap_locked = true`, `ctx->mmap_locked = true`), by key. */
  outFlags: ReadonlyMap<string, number>;
  /** Named constants those places are known to hold or not (`s->lock_mode = MODE_READ`), by key. */
  outConstants: ReadonlyMap<string, { equals?: string; differsFrom: ReadonlySet<string> }>;
  /** Fields of the parameters' structures (canonical keys): known on entry, at the exit, written on the path. */
  outFields: ReadonlyMap<string, { entry: number; exit: number; written: boolean }>;
  /** Lock facts at exit, by key, with whether the function itself took the lock on this path. */
  locks: ReadonlyMap<LockKey, ExitLockFact>;
  /** Configuration macros the path assumed set (true) or not (false) at undecided #if regions (config-paths.ts). */
  config: ReadonlyMap<string, boolean>;
}

export interface ExitLockFact {
  state: LockStateName;
  /** This function took the lock on this path. */
  acquiredHere: boolean;
  /**
   * On this path the function released a lock it had not taken, or handed it to a callee that may
   * release it: evidence that the function is called with the lock held.
   */
  releasedUnowned: boolean;
  origin: TraceStep | null;
  display: string;
  /** The same lock, tracked under this other key (`vma` stored as `*vmap` or `state->vma`). */
  aliasOf?: LockKey;
}


export interface FunctionExitEvent {
  file: string;
  fn: FunctionInfo;
  /**
   * False when the analysis did not reach the end (past its path budget, or it failed): `exits`
   * is then empty, and a rule only ends what it kept for the function. Every function whose
   * analysis started gets this event, complete or not.
   */
  complete: boolean;
  exits: ExitPath[];
  /** Position of the function's closing brace, for findings about falling off the end. */
  endStep(message: string): TraceStep;
  step(node: Node, message: string): TraceStep;
}

export interface CommentInfo {
  node: Node;
  text: string;
}

/** What the engine learnt about one function of the file. */
export interface FunctionResult {
  info: FunctionInfo;
  /** Return statements on feasible paths that return failure for the function's return kind. */
  /** Exits that return failure, with what the path knew of the arguments (`when`, by parameter). */
  failureReturns: { node: Node | null; returned: number; when: Record<number, number> }[];
  /** Its documentation says it does not fail (src/engine/doc-claims.ts). */
  documentedNoFailure?: boolean;
}

export interface FileEvent {
  file: string;
  /**
   * The file's comments when a rule's text trigger (RuleMeta.textTrigger) matches the file's
   * text, else none: a rule that reads comments declares the text it looks for.
   */
  comments: CommentInfo[];
  /** Function results by name (the first definition when #ifdef halves define a name twice). */
  functions: ReadonlyMap<string, FunctionResult>;
  /** Every function definition of the file, in source order. */
  definitions: readonly FunctionResult[];
  /** What the run knows of a function by name (this file's summaries, the run's, the KB). */
  resolve(name: string): ApiEntry | undefined;
  step(node: Node, message: string): TraceStep;
}

/** What a rule reports; the engine adds rule id, severity, file, function and line text. */
export interface FindingInput {
  node: Node;
  message: string;
  trace: TraceStep[];
  /** Enclosing function name (null outside functions). */
  function: string | null;
  /**
   * Report it only if the run knows the lock order `from` -> `to` (from any of its files, or the
   * kernel's documented order): the other half of an ABBA deadlock, whose evidence is then added
   * to the trace. Judged once the run knows every file's order facts.
   */
  ifOrder?: { from: string; to: string };
}
