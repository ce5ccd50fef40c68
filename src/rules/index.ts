// The rule registry: every rule module, in a stable order (SARIF ruleIndex follows it), and the
// names every rule declares for the demand (RuleMeta.demand).
import type { Rule } from './rule.js';
import type { DemandNames } from '../engine/demand-names.js';
import { faultUnderMmapLock } from './fault-under-mmap-lock.js';
import { uncheckedVmaLookup } from './unchecked-vma-lookup.js';
import { findVmaRange } from './find-vma-range.js';
import { mmapLockImbalance } from './mmap-lock-imbalance.js';
import { vmaLockImbalance } from './vma-lock-imbalance.js';
import { staleCannotFail } from './stale-cannot-fail.js';
import { vmaWriteWithoutMmapWrite } from './vma-write-without-mmap-write.js';
import { vmaWriteWithoutVmaLock } from './vma-write-without-vma-lock.js';
import { mmapLockUnderVmaLock } from './mmap-lock-under-vma-lock.js';
import { vmaUseAfterUnlock } from './vma-use-after-unlock.js';
import { walkLockMismatch } from './walk-lock-mismatch.js';
import { lockRequirement } from './lock-requirement.js';
import { rawMmapRwsem } from './raw-mmap-rwsem.js';
import { unusedSuppression } from './unused-suppression.js';
import { mmapLockInversion } from './mmap-lock-inversion.js';
import { userAccessInAtomic } from './user-access-in-atomic.js';
import { vmaUseWithoutLock } from './vma-use-without-lock.js';

const rules: Rule[] = [
  faultUnderMmapLock,
  uncheckedVmaLookup,
  findVmaRange,
  mmapLockImbalance,
  vmaLockImbalance,
  staleCannotFail,
  vmaWriteWithoutMmapWrite,
  vmaWriteWithoutVmaLock,
  mmapLockUnderVmaLock,
  vmaUseAfterUnlock,
  walkLockMismatch,
  lockRequirement,
  rawMmapRwsem,
  unusedSuppression,
  mmapLockInversion,
  userAccessInAtomic,
  vmaUseWithoutLock,
];

export function allRules(): readonly Rule[] {
  return rules;
}

export function findRule(id: string): Rule | undefined {
  return rules.find((r) => r.meta.id === id);
}

/**
 * What makes a function worth analysing for the rules (RuleMeta.demand): every rule's, not only
 * the selected ones', so that the demand, and what a run finds, does not depend on --rule or on
 * the rules a tree does not run.
 */
export function everyRuleDemand(): DemandNames[] {
  return rules.flatMap((r) => (r.meta.demand ? [r.meta.demand] : []));
}
