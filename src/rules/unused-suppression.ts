// unused-suppression: an inline `vmalint: ignore` comment that suppresses nothing. Its check is the
// suppression stage's (src/suppressions.ts), which sees every finding of the run; it has no
// handler on the engine's events.
import type { Finding } from '../types.js';
import type { Rule } from './rule.js';
import type { Suppression } from '../suppressions.js';

export const UNUSED_SUPPRESSION = 'unused-suppression';

export const unusedSuppression: Rule = {
  meta: {
    id: UNUSED_SUPPRESSION,
    severity: 'warning',
    shortDescription: 'A `vmalint: ignore` comment suppresses no finding.',
    fullDescription:
      'Reports a `/* vmalint: ignore RULE -- reason */` (or `// vmalint: ignore ...`) comment when a rule it names ' +
      'reports nothing on its line or on the line after it (in a comment naming two rules, the one that suppresses ' +
      'nothing is named), or when it names no rule vmalint has. A rule the run did not run (--rule, --disable) is not ' +
      'reported.',
    docs: {
      what: 'A suppression comment left behind after the code it excused was fixed or moved, or one that misspells the rule.',
      why:
        'A suppression that suppresses nothing still reads as "this code breaks a lock rule on purpose" to the next reader, ' +
        'and hides the next real finding on that line. A misspelled rule id suppresses nothing at all.',
      wrong: [
        'mmap_read_lock(mm);',
        '/* vmalint: ignore fault-under-mmap-lock -- pinned above */',
        'vma = vma_lookup(mm, addr);   /* no user copy here any more */',
        'mmap_read_unlock(mm);',
      ].join('\n'),
      right: ['mmap_read_lock(mm);', 'vma = vma_lookup(mm, addr);', 'mmap_read_unlock(mm);'].join('\n'),
    },
  },
  create() {
    return {};
  },
};

/**
 * The finding for a suppression with a rule that suppressed nothing: `unknown` are the ids it names
 * that no rule has, `idle` the rules that ran and reported nothing there, `used` those that
 * suppressed a finding (the comment stays for them).
 */
export function unusedSuppressionFinding(file: string, s: Suppression, unknown: readonly string[], idle: readonly string[], used: readonly string[]): Finding {
  const one = idle.length === 1;
  const message = !s.rules.length
    ? 'this vmalint: ignore comment names no rule (vmalint: ignore RULE -- reason)'
    : unknown.length
      ? `this vmalint: ignore comment names ${unknown.map((r) => `'${r}'`).join(', ')}, which no rule is called (see vmalint --list-rules)`
      : idle.length === s.rules.length
        ? `nothing to suppress: ${s.rules.join(', ')} reports nothing on this line or the next (remove the comment)`
        : `nothing to suppress for ${idle.join(', ')}: ${one ? 'it reports' : 'they report'} nothing on this line or the next (remove ${one ? 'it' : 'them'} from the comment${used.length ? `, which ${used.join(', ')} still ${used.length === 1 ? 'needs' : 'need'}` : ''})`;
  return {
    ruleId: UNUSED_SUPPRESSION,
    severity: unusedSuppression.meta.severity,
    file,
    line: s.line,
    column: s.column,
    endLine: s.lastLine,
    endColumn: s.column,
    function: null,
    message,
    trace: [],
    lineText: s.text,
  };
}
