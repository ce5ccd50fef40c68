// What the function being analysed gives the transfer functions and its models: how to resolve a
// callee, name a lock expression, make a trace step, and where events go in the reporting pass.

import type { AstNode } from '../parse/ast.js';
import type { ApiEntry, LockClass } from '../kb/lock-api.js';
import type { TraceKind, TraceStep } from '../types.js';
import type { State } from './state.js';
import type { CallRequirement, KernelLockEvent, LockOp } from './events.js';
import type { LockOrderEdge } from '../types.js';
import type { SummaryFacts } from './models/summary-facts.js';

/** Receives what happens along a path during the reporting pass (null during the fixpoint). */
export interface EventSink {
  call(node: AstNode, callee: string | null, api: ApiEntry | undefined, args: AstNode[], state: State, requires: CallRequirement[]): void;
  deref(node: AstNode, pointer: AstNode, key: string, field: string | null, state: State, debugOnly: boolean): void;
  lockOp(op: LockOp, state: State): void;
  /** A kernel lock (kb/kernel-locks.ts) is taken, with the state before it. */
  kernelLock?(op: KernelLockEvent, state: State): void;
  /** `object->field = ...` (or `object.field`, compound assignments included). */
  write(node: AstNode, object: AstNode, objectKey: string | null, field: string, arrow: boolean, state: State): void;
}

/** What the function being analysed provides to its transfer functions. */
export interface FunctionContext {
  readonly file: string;
  /** What a callee does: its summary, config entry or knowledge-base entry (src/file-analysis/file-resolver.ts decides which, in that order). */
  resolve(name: string): ApiEntry | undefined;
  /** Parameter names, in order. */
  params: readonly string[];
  /** Collects the summary facts of this function (null when nobody needs them). */
  facts: SummaryFacts | null;
  /** Canonical form of a lock expression key, following single assignments (`mm = vma->vm_mm`). */
  canonical(key: string): string;
  step(node: AstNode, message: string, kind?: TraceKind): TraceStep;
  sink: EventSink | null;
  /**
   * Local flags that guard lock operations in this function (`if (locked) mmap_read_unlock(mm)`):
   * a callee that receives one (or its address) may have released the lock and cleared it.
   */
  lockFlags: ReadonlyMap<string, ReadonlySet<LockClass>>;
  /** Parameters declared as pointers (`int *locked`). */
  pointerParams: ReadonlySet<string>;
  /** Declared type of a parameter or local (`struct vb2_queue *`), when the function declares it. */
  typeOf(name: string): string | undefined;
  /** The file's text (a static lock's class is the file's). */
  source: { text: string };
  /** The order facts the function's paths show (mmap_lock -> class), by `from\0to`; null when not collected. */
  orderEdges: Map<string, LockOrderEdge> | null;
  /** VMA fields whose writers need the mmap write lock (`vm_flags` too where it is a plain field). */
  vmaWriteFields: readonly string[];
  /** VMA fields per-VMA-lock readers read (their writers need the VMA write lock); none without per-VMA locks. */
  vmaLockedFields: readonly string[];
  /** The function takes the mmap lock or a VMA lock itself somewhere (function-text.ts takesMmOrVmaLock()). */
  takesMmOrVmaLock(): boolean;
  /** The value of a named integer constant (`#define`, enumerator) of the file or the tree, when known. */
  constantValue?(name: string): bigint | undefined;
}

/** Thrown when one function's analysis is past its deadline, even inside one statement. */
export class OutOfBudget extends Error {
  constructor() {
    super('out of budget');
  }
}
