// Shared by the VMA write rules: is an expression a VMA (not a vm_region or anything else with a
// vm_start field), is it one nothing else can reach yet, and how to explain the lock state found.
// (Whether a callee may reach a VMA variable through a structure is the engine's:
// EventBase.sharedThroughStruct.)
import type { EventBase } from '../engine/events.js';
import type { TraceStep } from '../types.js';
import { VMA_POINTER_TYPE } from '../kb/lock-api.js';

/** The expression's key names a VMA: declared `struct vm_area_struct *` here, or a VMA the engine tracks. */
export function isVma(ev: EventBase, key: string | null): key is string {
  if (!key) return false;
  if (ev.state.pointer(key)) return true;
  if (!/^\w+$/.test(key)) return false;
  const type = ev.typeOf(key);
  return !!type && VMA_POINTER_TYPE.test(type.trim());
}

/** A VMA from vm_area_alloc()/vm_area_dup() in this function: not in the tree yet. */
export function isFreshVma(ev: EventBase, key: string): boolean {
  return !!ev.state.pointer(key)?.fresh;
}

/** The mmap lock found for a VMA, as mmapLockOfVma() gives it. */
export interface MmapLockOfVma {
  key: string;
  state: string;
  origin: TraceStep | null;
  display: string;
}

/**
 * The last step of the path that concerns the lock (where its state last changed), if any. The
 * trace also carries the branch conditions taken after the first step about the key (steps of
 * kind 'branch'): they are not changes of the lock.
 */
function lastStepOf(ev: EventBase, lockKey: string): TraceStep | null {
  const steps = ev.state.trace([lockKey]).filter((s) => s.kind !== 'branch');
  return steps.length ? steps[steps.length - 1] : null;
}

/**
 * Where the state of an mmap lock comes from, in words: "since line 12" (where it was taken or
 * asserted), "since line 12, last changed at line 15" (a read lock that was a write lock: a
 * downgrade), "not held since line 20" (a release, a failed attempt). Empty when the path says
 * nothing.
 */
export function lockWhere(ev: EventBase, lock: MmapLockOfVma): string {
  const last = lastStepOf(ev, lock.key);
  const parts: string[] = [];
  if (lock.origin && (lock.state === 'read' || lock.state === 'write' || lock.state === 'held')) {
    parts.push(`since line ${lock.origin.line}`);
    if (lock.state === 'read' && last && last !== lock.origin && last.line !== lock.origin.line) parts.push(`last changed at line ${last.line}`);
  } else if (last) {
    parts.push(`since line ${last.line}`);
  } else if (lock.origin) {
    parts.push(`see line ${lock.origin.line}`);
  }
  return parts.length ? ` (${parts.join(', ')})` : '';
}

/**
 * The path's steps about the mmap lock and the VMA (its lookup, when the engine tracks it), in
 * path order, then a final step at the offending node.
 */
export function vmaTrace(ev: EventBase, lockKey: string, vmaKey: string, last: TraceStep, more: string[] = []): TraceStep[] {
  const steps = ev.state.trace([lockKey, vmaKey, ...more]);
  const origin = ev.state.pointer(vmaKey)?.origin;
  if (origin && !steps.includes(origin) && !steps.some((s) => s.file === origin.file && s.line === origin.line && s.message === origin.message)) {
    const at = steps.findIndex((s) => s.file === origin.file && s.line > origin.line);
    if (at < 0) steps.push(origin);
    else steps.splice(at, 0, origin);
  }
  return [...steps, last];
}
