// What a call of a known function does to a path: the effects of its knowledge-base entry or
// summary (ApiEntry), applied in the order CALL_EFFECTS lists. That order is the semantics: each
// step sees what the steps before it did, and a step that decides the call's result ends it.
// The models (src/engine/models/) implement the steps; this file only orders them.

import { addressOperand, dereferencedThrough, stripParens, type AstNode } from '../parse/ast.js';
import type { ApiEntry, LockEffect } from '../kb/lock-api.js';
import { keyOf } from './keys.js';
import { lockKeyFor } from './lock-keys.js';
import type { State } from './state.js';
import { V_POS, V_ZERO } from './events.js';
import type { FunctionContext } from './context.js';
import type { CallRequirement } from './events.js';
import { fieldFlagSplit, flagKey, flagKnownClear, flagRefined, leaveFieldFlags } from './flags.js';
import { ANY, type Branches, type Evaluated } from './values.js';
import { applyLockEffects, applyRequirement, forgetRepointed, markLastUser, resolveRequirements, type CallVariant } from './models/locks.js';
import { applyPagefault } from './models/faults.js';
import { applyRcuRead } from './models/rcu.js';
import { failureVariants, returnedBits } from './models/failures.js';
import { returnedPointer } from './models/pointers.js';
import { noteCallFacts, noteDeref, noteVmaWriteNeeded } from './models/summary-facts.js';

/** What the call effects need of the expression evaluator. */
export interface CallEvaluator {
  readonly context: FunctionContext;
  /** The check macro whose condition is being evaluated (see ApiEntry.check), null outside one. */
  readonly check: string | null;
  expr(n: AstNode, state: State): Evaluated[];
  cond(n: AstNode, state: State): Branches;
  /** The whole call again, on another state (a step that splits the path re-runs the call on each part). */
  applyCall(name: string, api: ApiEntry, n: AstNode, args: AstNode[], state: State): Evaluated[];
}

/** One call in progress through CALL_EFFECTS. */
export interface CallInProgress {
  name: string;
  api: ApiEntry;
  node: AstNode;
  args: AstNode[];
  /** The state the call is made in (arguments evaluated); never changed. */
  readonly before: State;
  /** The path's state as the single-path steps leave it: `before` until one changes it (copy()). */
  state: State;
  /** What the callee needs held on entry, in this caller's lock keys. */
  requires: CallRequirement[];
  /** Lock effects for a set flag (LockEffect.ifFlagSet) whose flag the caller knows clear. */
  flagClear: Set<LockEffect>;
  /** The ways the call may go, once the failure step has split it. */
  variants: CallVariant[];
  /** Set by a step that decides the call's result: no later step runs. */
  result?: Evaluated[];
}

export interface CallEffect {
  name: string;
  run(evaluator: CallEvaluator, call: CallInProgress): void;
}

/** A private copy of the call's single state, made on the first change. */
function copy(call: CallInProgress): State {
  if (call.state === call.before) call.state = call.before.clone();
  return call.state;
}

/**
 * The effects of a call, in the order they apply. Each comment says why the step comes where it
 * does. The steps up to `assertion` may end the call; from `failure variants` on, the call is a
 * list of ways it may go (CallVariant), one per failure or lock outcome.
 */
export const CALL_EFFECTS: readonly CallEffect[] = [
  {
    // First: every later step must know which way a lock flag the effects depend on is. A flag this
    // path does not know (GUP's `int *locked`, `lock_ctx->mmap_locked`) makes the call two paths,
    // one each way, and the whole call runs again on each. A flag known clear is noted now, before
    // the call's writes through its pointer arguments make it unknown.
    name: 'flag protocol',
    run(evaluator, call) {
      const { api, args, before } = call;
      for (const effect of api.lock ?? []) {
        const flag = effect.ifFlagSet !== undefined ? args[effect.ifFlagSet] : undefined;
        if (!flag) continue;
        const set = flagRefined(flag, before, true);
        const clear = flagRefined(flag, before, false);
        if (set && clear) {
          call.result = [...evaluator.applyCall(call.name, api, call.node, args, set), ...evaluator.applyCall(call.name, api, call.node, args, clear)];
          return;
        }
      }
      const context = evaluator.context;
      for (const effect of api.lock ?? []) {
        const both = fieldFlagSplit(effect, args, before, (k) => ['read', 'held'].includes(before.lockState(lockKeyFor('vma', context.canonical(k)))));
        if (both) {
          call.result = both.flatMap((s) => evaluator.applyCall(call.name, api, call.node, args, s));
          return;
        }
      }
      for (const e of api.lock ?? []) if (e.ifFlagSet !== undefined && args[e.ifFlagSet] && flagKnownClear(args[e.ifFlagSet], before)) call.flagClear.add(e);
    },
  },
  {
    // The rules see the call with the state before any of its effects, and with its requirements
    // in this caller's terms (lock-requirement compares them with what the path holds).
    name: 'call event',
    run(evaluator, call) {
      call.requires = resolveRequirements(evaluator.context, call.api, call.args, call.before);
      evaluator.context.sink?.call(call.node, call.name, call.api, call.args, call.before, call.requires);
      // A parameter the callee dereferences (passed on, or as the address of a field) is this
      // function's dereference too: its callers must pass it valid.
      for (const i of call.api.derefsArgs ?? []) {
        const arg = call.args[i];
        const k = arg ? keyOf(dereferencedThrough(arg)) : null;
        if (k) noteDeref(evaluator.context, k, call.before);
      }
    },
  },
  {
    // A call that does not return ends the path, after the rules saw it.
    name: 'noreturn',
    run(_evaluator, call) {
      if (call.api.noreturn) call.result = [];
    },
  },
  {
    // likely(), WARN_ON(): the value of the argument, evaluated like any expression.
    name: 'transparent',
    run(evaluator, call) {
      if (!call.api.transparent) return;
      call.result = call.args[0] ? evaluator.expr(call.args[0], call.before) : [{ state: call.before, value: ANY }];
    },
  },
  {
    // IS_ERR(), IS_ERR_OR_NULL(): a condition on the argument; its value is the test's outcome.
    name: 'error test',
    run(evaluator, call) {
      if (!call.api.errorTest) return;
      // IS_ERR() without an argument (broken code): nothing to test.
      if (!call.args[0]) {
        call.result = [{ state: call.before, value: ANY }];
        return;
      }
      const r = evaluator.cond(call.node, call.before);
      call.result = [...r.t.map((s) => ({ state: s, value: { bits: V_POS, key: null } })), ...r.f.map((s) => ({ state: s, value: { bits: V_ZERO, key: null } }))];
    },
  },
  {
    // BUG_ON(c): evaluated as a check (see Evaluator.inCheck()), the path goes on where c is false.
    name: 'assertion',
    run(evaluator, call) {
      if (call.api.assertsFalseArg === undefined) return;
      const condition = call.args[call.api.assertsFalseArg];
      call.result = condition ? evaluator.cond(condition, call.before).f.map((s) => ({ state: s, value: ANY })) : [{ state: call.before, value: ANY }];
    },
  },
  {
    // Before the lock effects: releasing the lock of an mm without users leaves its VMAs valid.
    name: 'last user',
    run(evaluator, call) {
      markLastUser(evaluator.context, call.api, call.args, () => copy(call));
    },
  },
  {
    // pagefault_disable()/enable(): the depth the fault summary below reads on later calls.
    name: 'pagefault',
    run(_evaluator, call) {
      if (call.api.pagefault) applyPagefault(call.api, copy(call));
    },
  },
  {
    // rcu_read_lock()/rcu_read_unlock(): the sections the pointer model reads at a lookup below.
    name: 'rcu read section',
    run(evaluator, call) {
      if (call.api.rcuRead) applyRcuRead(evaluator.context, call.name, call.api, call.node, copy(call));
    },
  },
  {
    // The summary facts read the locks as the call finds them (faulting under the caller's mmap
    // lock, taking the mmap lock under the caller's VMA lock): before requirements and effects.
    name: 'summary facts',
    run(evaluator, call) {
      if (!evaluator.context.facts) return;
      const modified = noteCallFacts(evaluator.context, call.name, call.api, call.node, call.args, call.before);
      if (modified.length) for (const i of modified) copy(call).setModified(i);
    },
  },
  {
    // The callee needs a lock held: from here the path holds it, as after an assertion; before
    // the lock effects, so that a callee that needs and releases a lock releases a held one.
    name: 'requirements',
    run(evaluator, call) {
      for (const r of call.requires) applyRequirement(evaluator.context, copy(call), r, call.name, call.node);
      // A callee's write that needs the VMA write lock of a VMA this function was given: its own
      // caller's to take, when this function knows nothing of it (with the locks the callee needs held).
      for (const r of call.requires) {
        const arg = r.because === 'write' && !r.path ? call.args[r.target] : undefined;
        const k = arg ? keyOf(stripParens(arg)) : null;
        const at = r.at;
        if (k && at) noteVmaWriteNeeded(evaluator.context, k, call.state, call.before, () => ({ at, via: [evaluator.context.step(call.node, `${call.name}() called here with \`${k}\``, 'call'), ...(r.via ?? [])].slice(0, 8) }));
      }
    },
  },
  {
    // A function the run defines may write through its pointer arguments, like any other callee
    // (except a flag it leaves clear when it was clear): before the effects, which may set them.
    // So may a known function that may drop a lock: it says so through `*locked`, `*unlocked`
    // (faultin_page_range(), fixup_user_fault()), which the caller tests after it.
    name: 'writes through arguments',
    run(evaluator, call) {
      if (call.api.source?.kind !== 'summary' && !call.api.lock?.some((e) => e.op === 'forget')) return;
      for (const a of call.args) {
        const arg = stripParens(a);
        const addressed = addressOperand(arg);
        const k = keyOf(addressed ?? arg);
        if (!k || (!addressed && !/^\w+$/.test(k))) continue;
        const next = copy(call);
        if (addressed) next.kill(k);
        else next.kill(`*${k}`);
        forgetRepointed(evaluator.context, next, addressed ? k : `*${k}`);
      }
      for (const i of call.api.flagStaysClear ?? []) {
        const k = call.args[i] && flagKnownClear(call.args[i], call.before) ? flagKey(call.args[i]) : null;
        if (k) copy(call).setVal(k, V_ZERO);
      }
    },
  },
  {
    // From here the call is several ways it may go: success, and a failure per argument condition.
    name: 'failure variants',
    run(_evaluator, call) {
      call.variants = failureVariants(call.api, call.args, call.state, returnedBits(call.api));
    },
  },
  {
    // Each lock effect splits the ways further where it depends on the returned value.
    name: 'lock effects',
    run(evaluator, call) {
      call.variants = applyLockEffects(evaluator.context, { ...call, check: evaluator.check }, call.variants);
    },
  },
  {
    // Flags the callee leaves in its caller's structures, on every way out.
    name: 'flags left',
    run(evaluator, call) {
      const api = call.api;
      if (api.leavesFlags) call.variants = call.variants.map((v) => ({ ...v, state: leaveFieldFlags(api, call.args, v.state, evaluator.context.canonical, evaluator.context.params) }));
    },
  },
  {
    // Last: the returned VMA is protected by the locks held before the call's own lock effects
    // (those it takes on the pointer itself come with the assignment, Value.lockOnRet).
    name: 'returned pointer',
    run(evaluator, call) {
      const ptr = returnedPointer(evaluator.context, call.name, call.api, call.node, call.args, call.state);
      call.result = call.variants.map((v) => ({ state: v.state, value: { bits: v.bits, key: null, ptr, lockOnRet: v.lockOnRet, ...(v.bitFacts ? { bitFacts: v.bitFacts } : {}) } }));
    },
  },
];

/** Applies a knowledge-base entry (or summary) to a call whose arguments were evaluated. */
export function applyCallEffects(evaluator: CallEvaluator, name: string, api: ApiEntry, node: AstNode, args: AstNode[], before: State): Evaluated[] {
  const call: CallInProgress = { name, api, node, args, before, state: before, requires: [], flagClear: new Set(), variants: [] };
  for (const effect of CALL_EFFECTS) {
    effect.run(evaluator, call);
    if (call.result) return call.result;
  }
  return [];
}
