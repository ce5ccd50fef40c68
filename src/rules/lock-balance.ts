// Shared check of mmap-lock-imbalance and vma-lock-imbalance: one lock class each.
// At each lock operation: taken twice, released when not held, released with the wrong kind.
// At the function's exits: a lock this function took is held on some exits and released on
// others, and the return value does not say which (the lock-returning helper pattern).

import type { RuleContext, RuleVisitor } from './rule.js';
import { outConstantsDiffer } from '../engine/out-values.js';
import { isForgottenKey, isLockOf, lockClassOf, lockInstanceOf, forgottenKey, type LockKey } from '../engine/lock-keys.js';
import { V_ANY, V_ERR, V_NEG, V_POS, V_ZERO, type ExitPath, type ReturnKind } from '../engine/events.js';
import { configsConflict } from '../engine/config-paths.js';
import { VMA_LOCK_CONFIG } from '../kb/lock-api.js';
import type { EntryContext } from '../engine/entry-context.js';
import type { TraceStep } from '../types.js';

const HELD = new Set(['read', 'write', 'held']);

/** Does the return value tell a caller whether the lock is held (held <=> success value)? */
function returnSaysHeld(held: number, free: number, kind: ReturnKind): boolean {
  if (held === 0 || free === 0 || held === V_ANY || free === V_ANY || (held & free) !== 0) return false;
  const within = (bits: number, allowed: number): boolean => (bits & ~allowed) === 0;
  // A pointer: the other exits return NULL or an ERR_PTR, which the held exits never return.
  if (kind === 'pointer') return within(free, V_ZERO | V_ERR);
  // A bool lock helper means true = locked (mmap_read_trylock(), vma_start_read()).
  if (kind === 'bool') return within(held, V_POS) && within(free, V_ZERO);
  if (kind === 'int' || kind === 'other') {
    return (within(held, V_ZERO) && within(free, V_NEG | V_POS | V_ERR)) || (within(held, V_POS) && within(free, V_ZERO | V_NEG));
  }
  return false;
}

/** Both exits return the same constant (`VM_FAULT_SIGSEGV` on both): a caller cannot tell them apart by it. */
function sameConstant(a: ExitPath, b: ExitPath): boolean {
  return a.returnedConstant !== undefined && a.returnedConstant === b.returnedConstant;
}

/**
 * Both exits return a variable of unknown value of which they know the same (`result !=
 * SCAN_SUCCEED` on both), and nothing of the parameters tells them apart: a caller cannot tell
 * them apart by the value.
 */
function sameReturnFacts(a: ExitPath, b: ExitPath): boolean {
  if (a.returnedFacts === undefined || a.returnedFacts !== b.returnedFacts) return false;
  return !Object.entries(a.argumentsKnown).some(([i, bits]) => {
    const other = b.argumentsKnown[Number(i)];
    return other !== undefined && (other & bits) === 0;
  });
}

/**
 * Both exits return a value the analysis knows nothing of (`return ret;` after `ret = f(...)`,
 * `return f(...);`): the releasing exit may return whatever the holding one does, so its value
 * cannot tell the caller which happened.
 */
function bothAnyValue(a: ExitPath, b: ExitPath): boolean {
  return a.returned === V_ANY && b.returned === V_ANY && !!a.returnNode && !!b.returnNode && a.returnedConstant === undefined && b.returnedConstant === undefined;
}

/** Both exits return constants of known, different values (`VM_FAULT_RETRY` and 0). */
function constantsDiffer(a: ExitPath, b: ExitPath): boolean {
  const x = a.returnedConstant;
  const y = b.returnedConstant;
  return x !== undefined && y !== undefined && x.startsWith('=') && y.startsWith('=') && x !== y;
}

/** Both return values are known, non-failure-free and different: a caller can tell the exits apart. */
function returnDiffers(a: number, b: number): boolean {
  return a !== V_ANY && b !== V_ANY && a !== 0 && b !== 0 && (a & b) === 0;
}

/** `other` leaves the function holding a lock it took there that `exit` does not hold. */
function holdsAnotherLock(other: ExitPath, exit: ExitPath, key: LockKey): boolean {
  for (const [k, l] of other.locks) {
    if (k === key || isForgottenKey(k) || isLockOf(k, 'vma-write') || !HELD.has(l.state) || !l.acquiredHere) continue;
    const mine = exit.locks.get(k);
    if (!mine || !HELD.has(mine.state)) return true;
  }
  return false;
}

/**
 * `f` returns another lock instead of the one `h` holds, in another build: they assumed opposite
 * values of a configuration macro (`#ifdef CONFIG_X` taken on one, skipped on the other), or `h`
 * assumed the kernel has no per-VMA locks while `f` holds one it took. Within each configuration
 * the function returns a lock; which one is the configuration's contract, that its callers follow
 * under the same test. (An exit releasing without holding another lock is still compared: a lock
 * taken under one macro's test and released under another's leaks, ifdef-same-test-twice.c.)
 */
function otherBuild(h: ExitPath, f: ExitPath, key: LockKey): boolean {
  if (configsConflict(h.config, f.config) && holdsAnotherLock(f, h, key)) return true;
  const holdsVmaLock = (e: ExitPath): boolean => [...e.locks].some(([k, l]) => isLockOf(k, 'vma') && HELD.has(l.state) && l.acquiredHere);
  return (h.config.get(VMA_LOCK_CONFIG) === false && holdsVmaLock(f)) || (f.config.get(VMA_LOCK_CONFIG) === false && holdsVmaLock(h));
}

/** An out-parameter flag set (non-zero) on both exits: the caller reads the same lock state from it. */
function reportsHeldAlike(a: ExitPath, b: ExitPath): boolean {
  for (const [k, bits] of a.outFlags) {
    const other = b.outFlags.get(k);
    if (other !== undefined && bits !== V_ANY && other !== V_ANY && (bits & V_ZERO) === 0 && (other & V_ZERO) === 0) return true;
  }
  return false;
}

/**
 * `held` set a flag of its caller's structure (`ctx->mmap_locked = true` where it took the lock)
 * that `other` did not write: the flag says whether the lock is held on both (if it did on entry).
 */
function leavesFlagAlone(held: ExitPath, other: ExitPath): boolean {
  for (const [k, f] of held.outFields) {
    if (!f.written || f.exit === V_ANY || (f.exit & V_ZERO) !== 0) continue;
    if (!other.outFields.get(k)?.written) return true;
  }
  return false;
}

/** A VMA lock known by a field of a structure a parameter points to (`state->vma`). */
function handedOver(key: LockKey, params: readonly string[]): boolean {
  const m = lockClassOf(key) === 'vma' ? /^(\w+)->/.exec(lockInstanceOf(key)) : null;
  return !!m && params.includes(m[1]);
}

function describe(state: string, what: string, display: string): string {
  const mode = state === 'held' ? '' : `${state} `;
  return `${what} ${mode}lock of \`${display}\``;
}

type ExitEvent = Parameters<NonNullable<RuleVisitor['functionExit']>>[0];

/** The text of a return's value when it is made of constants only (`VM_FAULT_SIGBUS`, `VM_FAULT_NOPAGE | VM_FAULT_LOCKED`). */
function constantReturn(exit: ExitPath): string | null {
  let n = exit.returnNode;
  if (n && n.type === 'return_statement') n = n.namedChildren[0] ?? null;
  if (!n) return null;
  const text = n.text.replace(/\s+/g, ' ').trim();
  return /^[A-Z0-9_ |()]+$/.test(text) ? text : null;
}

/**
 * A function the kernel calls in a known lock context (EntryContext) must return with the locks it
 * was called with, no more, no fewer, whatever it returns: nothing after it releases a lock it
 * took, and its caller goes on with the lock it held. A lock it was called with but does not know
 * which (a fault handler's mmap or VMA read lock) it may release only with the result that says so.
 */
function judgeInContext(context: RuleContext, ev: ExitEvent, known: EntryContext, key: LockKey, what: string): void {
  const entered = known.held.find((h) => h.key === key);
  const oneOf = known.oneOf.some((h) => h.key === key);
  for (const exit of ev.exits) {
    const l = exit.locks.get(key);
    if (!l || l.aliasOf) continue;
    let message: string | null = null;
    // A lock it may have been called with (under another name: `current->mm` in a ->mmap), taken
    // again after releasing it: as it entered.
    if (HELD.has(l.state) && l.acquiredHere && !entered && !oneOf && !l.releasedUnowned) {
      const taken = l.origin ? ` (taken at line ${l.origin.line})` : '';
      message = `${exit.returnNode ? 'returns' : 'falls off the end'} with the ${describe(l.state, what, l.display)} held${taken}, but ${known.says}: nothing releases it after`;
    } else if (entered && (l.state === 'none' || (entered.state === 'write' && l.state === 'read'))) {
      message = `${exit.returnNode ? 'returns' : 'falls off the end'} ${l.state === 'none' ? 'without' : 'with only the read lock of'} the ${describe(entered.state, what, entered.display)} it was called with, but ${known.says}`;
    } else if (oneOf && l.state === 'none' && !l.acquiredHere && l.releasedUnowned) {
      const returned = constantReturn(exit);
      if (returned === null || known.releaseResults.some((r) => new RegExp(`\\b${r}\\b`).test(returned))) continue;
      message = `returns ${returned} after releasing the ${what} lock of \`${l.display}\` it was called with, but ${known.says}`;
    }
    if (!message) continue;
    const trace = exit.state.trace([key]);
    reportAtExit(context, ev, exit, message, [...(trace.some((t) => t.kind === 'entry' && t.message === known.step.message) ? [] : [known.step]), ...trace], 'leaves the function here');
  }
}

/** Reports at an exit: its `return` statement, or the function's closing brace when it falls off the end. */
function reportAtExit(context: RuleContext, ev: ExitEvent, exit: ExitPath, message: string, trace: TraceStep[], note: string): void {
  const at = exit.returnNode;
  const last = at ? ev.step(at, note) : ev.endStep(note);
  const node = at && at.type !== 'return_statement' && at.parent?.type === 'return_statement' ? at.parent : at;
  const body = ev.fn.node.child('body') ?? ev.fn.node;
  context.report({ node: node ?? body.children[body.children.length - 1] ?? body, function: ev.fn.name, message, trace: [...trace, last] });
}

export function lockBalanceVisitor(context: RuleContext, lockClass: 'mmap' | 'vma'): RuleVisitor {
  const what = lockClass === 'mmap' ? 'mmap' : 'VMA';
  // Locks of the current function already reported as taken twice: their exits are a consequence.
  const takenTwice = new Set<LockKey>();
  return {
    lockOp(ev) {
      if (ev.lock !== lockClass) return;
      const taken = !ev.beforeOrigin ? '' : ev.beforeOrigin.kind === 'entry' ? ' (held on entry)' : ` (taken at line ${ev.beforeOrigin.line})`;
      const report = (message: string, note: string): void =>
        context.report({
          node: ev.node,
          function: ev.fn.name,
          message,
          trace: [...ev.state.trace([ev.key]), ev.step(ev.node, note)],
        });
      if (ev.op === 'acquire') {
        if (HELD.has(ev.before) && !ev.trylock) {
          takenTwice.add(ev.key);
          if (ev.annotation) {
            // lockdep's might_lock*(): the code says it may take the lock here; lockdep reports the recursion.
            report(`${ev.callee}() says the ${describe(ev.mode ?? ev.before, what, ev.display)} may be taken here, but it is held${taken}: self-deadlock (lockdep reports recursive locking)`, `may be taken again here`);
          } else if (ev.mode && (ev.before === 'read' || ev.before === 'write') && ev.mode !== ev.before) {
            report(`${ev.callee}() takes the ${describe(ev.mode, what, ev.display)} while it is held for ${ev.before}${taken}: self-deadlock`, `taken again here`);
          } else report(`${ev.callee}() takes the ${describe(ev.before, what, ev.display)} again while it is held${taken}: self-deadlock`, `taken again here`);
        }
        return;
      }
      if (ev.before === 'none') {
        report(`${ev.callee}() releases the ${what} lock of \`${ev.display}\`, which is not held on this path`, `released here without being held`);
        return;
      }
      if (ev.op === 'release' && ev.mode && (ev.before === 'read' || ev.before === 'write') && ev.before !== ev.mode) {
        report(`${ev.callee}() releases a ${ev.mode} lock, but the ${what} lock of \`${ev.display}\` is held for ${ev.before}${taken}`, `wrong kind of unlock here`);
        return;
      }
      if (ev.op === 'downgrade' && ev.before === 'read') {
        report(`${ev.callee}() downgrades the ${what} lock of \`${ev.display}\`, which is held for read only${taken}`, `downgraded here`);
      }
    },
    functionExit(ev) {
      const keys = new Set<LockKey>();
      for (const exit of ev.exits) {
        for (const k of exit.locks.keys()) if (isLockOf(k, lockClass) && !isForgottenKey(k)) keys.add(k);
      }
      const forgotten = forgottenKey(lockClass);
      const doubled = new Set(takenTwice);
      takenTwice.clear();
      const known = ev.fn.entryContext;
      if (known && !ev.fn.handsLocksTo) {
        for (const key of keys) if (!doubled.has(key)) judgeInContext(context, ev, known, key, what);
        return;
      }
      for (const key of keys) {
        if (doubled.has(key)) continue;
        // When some path drops a lock it did not take (or lets a callee drop it), the function is
        // called with the lock held: a path that never touches it returns it still held.
        const heldAtEntry = ev.exits.some((e) => e.locks.get(key)?.releasedUnowned || e.locks.has(forgotten));
        const held: ExitPath[] = [];
        const free: ExitPath[] = [];
        for (const exit of ev.exits) {
          const l = exit.locks.get(key);
          if (!l) {
            if (!heldAtEntry) free.push(exit);
          } else if (l.state === 'none') free.push(exit);
          // The lock of `vma` handed over as `state->vma` is judged under that name.
          else if (HELD.has(l.state) && l.acquiredHere && !(l.aliasOf && handedOver(l.aliasOf, ev.fn.params))) held.push(exit);
        }
        if (held.length === 0 || free.length === 0) continue;
        // seq_file's .start: its .stop releases what it returns with, whatever it returned.
        if (ev.fn.handsLocksTo) continue;
        // A VMA stored in a structure the caller passed (`state->vma = vma`): the structure hands
        // its lock to the caller, whose put helper releases it by the field.
        if (handedOver(key, ev.fn.params)) continue;
        // A held exit is fine when every releasing exit can be told from it: by the return value
        // (held <=> success) or by an out-parameter flag (`*mmap_locked = true`). A held exit
        // whose return value is not known is not judged (unknown never makes a finding).
        const kind = ev.fn.returnKind;
        const told = (h: ExitPath, f: ExitPath): boolean =>
          // Exits of different configurations: a caller compiled with one never meets the other.
          otherBuild(h, f, key) ||
          (!sameConstant(h, f) && !sameReturnFacts(h, f) && (returnSaysHeld(h.returned, f.returned, kind) || constantsDiffer(h, f))) ||
          [...h.outFlags].some(([k, bits]) => f.outFlags.has(k) && (f.outFlags.get(k)! & bits) === 0) ||
          // The lock mode recorded where the caller sees it (`s->lock_mode = MODE_READ`).
          outConstantsDiffer(h.outConstants, f.outConstants) ||
          // A lock-mode return: the other exit holds another lock instead, and the return value
          // says which (true with the VMA lock, false with the mmap lock).
          (holdsAnotherLock(f, h, key) && returnDiffers(h.returned, f.returned)) ||
          // An exit that never touched the lock but reports it held, as the holding exits do
          // (`if (ctx->mmap_locked) return ...`): it returns the lock its caller holds. Or one that
          // touched neither the lock nor the flag the holding exit set: it returns both as they were.
          (!f.locks.has(key) && (reportsHeldAlike(h, f) || leavesFlagAlone(h, f)));
        // A held exit whose value is known: by its bits, or as the same constant another exit returns without the lock.
        const breaking = held.filter((h) => free.some((f) => !told(h, f) && (kind === 'void' || h.returned !== V_ANY || sameConstant(h, f) || sameReturnFacts(h, f) || bothAnyValue(h, f))));
        for (const exit of breaking) {
          const l = exit.locks.get(key)!;
          const taken = l.origin ? ` (taken at line ${l.origin.line})` : '';
          // Other paths either took the lock and released it, or never got it (a failed trylock).
          const released = free.some((f) => f.locks.get(key)?.acquiredHere);
          const others = released ? 'release it' : 'return without it';
          // The same constant returned with the lock and without it: say so, it is why the caller cannot tell.
          const alike = exit.returnNode && free.some((f) => sameConstant(exit, f) || sameReturnFacts(exit, f)) ? `, returning the same value (\`${exit.returnNode.text.replace(/^return\s+|;$/g, '')}\`${exit.returnedConstant === undefined && exit.returnedFacts ? `: ${exit.returnedFacts.replace(/!=(\w+)/g, 'not $1').replace(/==(\w+)/g, '$1').replace(/ /g, ', ')}` : ''})` : '';
          const message = `${exit.returnNode ? 'returns' : 'falls off the end'} with the ${describe(l.state, what, l.display)} held${taken}, while other paths out of ${ev.fn.name}() ${others}${alike}`;
          reportAtExit(context, ev, exit, message, exit.state.trace([key]), 'leaves the function with the lock held');
        }
      }
    },
  };
}
