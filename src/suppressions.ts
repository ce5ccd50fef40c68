// Inline suppressions, in kernel comment style, on the finding's line or on the line above it:
//
//   mmap_read_lock(mm);   /* vmalint: ignore fault-under-mmap-lock -- pages are pinned above */
//   /* vmalint: ignore unchecked-vma-lookup, find-vma-range -- addr was validated by the caller */
//
// They are read from every file's text before the analysis (src/parallel/file-facts.ts) and
// applied to the run's findings at its end. A suppression of a rule that ran and that suppressed
// nothing is reported itself, as an `unused-suppression` finding (src/rules/unused-suppression.ts).

import type { Finding } from './types.js';
import { unusedSuppressionFinding, UNUSED_SUPPRESSION } from './rules/unused-suppression.js';

export interface Suppression {
  /** Where the comment starts (1-based). */
  line: number;
  column: number;
  /** The line it covers besides its own (its last line, and the line after it). */
  lastLine: number;
  rules: string[];
  reason: string;
  /** The comment, whitespace collapsed. */
  text: string;
}

const SUPPRESSION = /\/\*\s*vmalint:\s*ignore\b([\s\S]*?)\*\/|\/\/[ \t]*vmalint:[ \t]*ignore\b([^\n]*)/g;

/** The suppressions a C text holds. */
export function parseSuppressions(text: string): Suppression[] {
  if (!text.includes('vmalint:')) return [];
  const out: Suppression[] = [];
  for (const m of text.matchAll(SUPPRESSION)) {
    const body = (m[1] ?? m[2] ?? '').trim();
    const [list, ...reason] = body.split(/\s--\s?|^--\s?/);
    const rules = (list ?? '').split(/[\s,]+/).filter(Boolean);
    const before = text.slice(0, m.index);
    const line = before.split('\n').length;
    const column = m.index - before.lastIndexOf('\n');
    out.push({ line, column, lastLine: line + m[0].split('\n').length - 1, rules, reason: reason.join(' -- ').replace(/\s+/g, ' ').trim(), text: m[0].replace(/\s+/g, ' ') });
  }
  return out;
}

/**
 * The findings no suppression covers, and a finding for each suppression with a rule that
 * suppressed nothing (when `unused-suppression` itself ran): a rule that does not exist, no rule at
 * all, or a rule that ran and reported nothing there, even beside a rule of the same comment that
 * did suppress a finding. A rule this run did not run says nothing about this run.
 */
export function applySuppressions(
  findings: readonly Finding[],
  suppressions: ReadonlyMap<string, readonly Suppression[]>,
  rulesRun: ReadonlySet<string>,
  knownRules: ReadonlySet<string>,
): Finding[] {
  /** The rules of each suppression that suppressed a finding. */
  const used = new Map<Suppression, Set<string>>();
  const kept = findings.filter((f) => {
    for (const s of suppressions.get(f.file) ?? []) {
      const covers = f.line === s.line || f.line === s.lastLine || f.line === s.lastLine + 1;
      if (covers && s.rules.includes(f.ruleId)) {
        used.set(s, (used.get(s) ?? new Set()).add(f.ruleId));
        return false;
      }
    }
    return true;
  });
  if (!rulesRun.has(UNUSED_SUPPRESSION)) return kept;
  for (const [file, list] of suppressions) {
    for (const s of list) {
      const usedRules = [...(used.get(s) ?? [])];
      const unknown = s.rules.filter((r) => !knownRules.has(r));
      const idle = s.rules.filter((r) => knownRules.has(r) && rulesRun.has(r) && !usedRules.includes(r));
      if (s.rules.length && !unknown.length && !idle.length) continue;
      kept.push(unusedSuppressionFinding(file, s, unknown, idle, usedRules));
    }
  }
  return kept;
}
