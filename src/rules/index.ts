// The rule registry: every rule module, in a stable order (SARIF ruleIndex follows it).
import type { Rule } from './rule.js';
import { faultUnderMmapLock } from './fault-under-mmap-lock.js';
import { uncheckedVmaLookup } from './unchecked-vma-lookup.js';
import { findVmaRange } from './find-vma-range.js';
import { mmapLockImbalance } from './mmap-lock-imbalance.js';
import { vmaLockImbalance } from './vma-lock-imbalance.js';
import { staleCannotFail } from './stale-cannot-fail.js';

const rules: Rule[] = [faultUnderMmapLock, uncheckedVmaLookup, findVmaRange, mmapLockImbalance, vmaLockImbalance, staleCannotFail];

export function allRules(): readonly Rule[] {
  return rules;
}

export function findRule(id: string): Rule | undefined {
  return rules.find((r) => r.meta.id === id);
}
