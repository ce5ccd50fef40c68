// Each rule's visitor runs guarded, as ESLint runs its rules: a rule that throws is that rule's
// error, reported once per function, and the other rules go on with the same events (before, the
// exception ended the function's analysis for every rule). The time each rule's handlers take is
// estimated for --stats from one call in TIMED_ONE_IN (each of its handlers' first call, then every
// TIMED_ONE_IN-th): reading the clock around every call cost about as much as the rules' work (a
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
    let calls = 0;
    (guarded as Record<string, (event: unknown) => void>)[name] = (event: unknown): void => {
      const t0 = (calls++ & (TIMED_ONE_IN - 1)) === 0 ? performance.now() : -1;
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
