// The rule registry: every rule module, in a stable order (SARIF ruleIndex follows it).
import type { Rule } from './rule.js';

const rules: Rule[] = [];

export function allRules(): readonly Rule[] {
  return rules;
}

export function findRule(id: string): Rule | undefined {
  return rules.find((r) => r.meta.id === id);
}
