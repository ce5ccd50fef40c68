// Each rule's visitor runs guarded, as ESLint runs its rules: a rule that throws is that rule's
// error, reported once per function, and the other rules go on with the same events (before, the
// exception ended the function's analysis for every rule). The time each rule's handlers take is
// estimated for --stats from one call in TIMED_ONE_IN of each of its handlers (the thread's first,
// then every TIMED_ONE_IN-th, over the thread's files): reading the clock around every call cost about as much as the rules' work (a
// whole mm/ has 940,000 handler calls; 0.18 s of its 7 s went to the clock).

import type { RuleVisitor } from './rule.js';

/** What the guard tells about the rule it runs. */
export interface RuleRunRecord {
  /** The rule threw while handling `event` (an event of the engine: it names the function). */
  failed(error: unknown, event: unknown): void;
  /** The rule's handlers took `ms` more. */
  spent(ms: number): void;
}

const HANDLERS = ['call', 'deref', 'lockOp', 'kernelLock', 'write', 'functionExit', 'file'] as const;

/** One call of a handler in this many is timed, and counts for them all (a power of two). */
const TIMED_ONE_IN = 16;

/**
 * Calls of each rule's handler in this thread, over its files: a file's visitors go on counting
 * where the last file's stopped (counting per file, every file's first call would count for 16).
 */
const handlerCalls = new Map<string, { n: number }>();

function callsOf(ruleId: string, handler: string): { n: number } {
  const key = `${ruleId}\0${handler}`;
  let calls = handlerCalls.get(key);
  if (!calls) handlerCalls.set(key, (calls = { n: 0 }));
  return calls;
}

/**
 * VMALINT_INJECT_RULE_FAILURE=RULE makes that rule's handlers throw, for the test of the guard.
 * Unset, one environment lookup per visitor made.
 */
function injectedRuleFailure(ruleId: string): boolean {
  return process.env['VMALINT_INJECT_RULE_FAILURE'] === ruleId;
}

export function guardVisitor(ruleId: string, visitor: RuleVisitor, record: RuleRunRecord): RuleVisitor {
  const guarded: RuleVisitor = {};
  const inject = injectedRuleFailure(ruleId);
  for (const name of HANDLERS) {
    const handler = visitor[name] as ((event: unknown) => void) | undefined;
    if (!handler) continue;
    const calls = callsOf(ruleId, name);
    (guarded as Record<string, (event: unknown) => void>)[name] = (event: unknown): void => {
      const t0 = (calls.n++ & (TIMED_ONE_IN - 1)) === 0 ? performance.now() : -1;
      try {
        if (inject) throw new Error(`injected failure of rule ${ruleId}`);
        handler.call(visitor, event);
      } catch (err) {
        record.failed(err, event);
      } finally {
        if (t0 >= 0) record.spent((performance.now() - t0) * TIMED_ONE_IN);
      }
    };
  }
  return guarded;
}
