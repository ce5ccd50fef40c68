// What several rules ask of a call: is it a user access that can fault here (directly, or through
// a helper whose summary says so), and how to say where the access is.

import type { CallEvent } from '../engine/events.js';
import { mayFaultWith } from '../engine/models/faults.js';
import type { TraceStep } from '../types.js';
import { ATOMIC_SAFE_ACCESSES } from '../kb/kernel-locks.js';

export interface UserAccess {
  /**
   * The access may sleep: it reaches might_fault() (not only `__get_user()`, `__put_user()` and
   * the like, which code in atomic context uses on purpose: their fault fails fast there).
   */
  mightSleep: boolean;
  /** ` (through helper() at line N)` for a helper's access, '' for a direct one. */
  through: string;
  /** The chain of calls down to the access (empty for a direct one). */
  via: TraceStep[];
}

/** The call may fault on user memory here (page faults enabled, its arguments allowing it); null otherwise. */
export function userAccessAt(ev: CallEvent): UserAccess | null {
  if (!ev.api?.mayFault || ev.state.pagefaultDisabled() || !mayFaultWith(ev.api, ev.args, (k, a) => ev.state.bitsKnownClear(k, a))) return null;
  const via = ev.api.faultVia ?? [];
  const access = via.length ? via[via.length - 1] : null;
  const through = access ? ` (through ${access.message.replace(/ may fault on user memory$/, '')} at ${access.file === ev.file ? `line ${access.line}` : `${access.file}:${access.line}`})` : '';
  const accesses = [ev.callee ?? '', ...via.map((s) => /^(\w+)\(\) may fault on user memory$/.exec(s.message)?.[1] ?? '')];
  return { through, via, mightSleep: !accesses.some((name) => ATOMIC_SAFE_ACCESSES.has(name)) };
}

/** `line N` in the same file, `file:N` elsewhere. */
export function placeOf(step: TraceStep, file: string): string {
  return step.file === file ? `line ${step.line}` : `${step.file}:${step.line}`;
}
