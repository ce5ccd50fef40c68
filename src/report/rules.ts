// The rules' own documentation: `vmalint --list-rules` (one line a rule, or JSON) and `vmalint
// explain RULE` (what, why, a wrong and a right example). Both print text or JSON; the report
// formats SARIF and checkpatch describe findings, not rules, and are refused.
import { requireKnownRule, ruleMetadata } from '../project-options.js';
import type { RuleMeta } from '../rules/rule.js';
import { UsageError } from '../usage-error.js';

/** The formats --list-rules and explain print. */
export const RULE_DOC_FORMATS = ['text', 'json'] as const;

export function formatRuleList(rules: readonly RuleMeta[], format: string): string {
  if (!(RULE_DOC_FORMATS as readonly string[]).includes(format)) {
    throw new UsageError(`--list-rules prints ${RULE_DOC_FORMATS.join(' or ')}, not ${format}`);
  }
  if (format === 'json') {
    const listed = rules.map((rule) => ({
      id: rule.id,
      severity: rule.severity,
      shortDescription: rule.shortDescription,
      fullDescription: rule.fullDescription,
    }));
    return `${JSON.stringify(listed, null, 2)}\n`;
  }
  if (rules.length === 0) return '';
  const idWidth = Math.max(...rules.map((rule) => rule.id.length));
  const severityWidth = Math.max(...rules.map((rule) => rule.severity.length));
  return rules
    .map((rule) => `${rule.id.padEnd(idWidth)}  ${rule.severity.padEnd(severityWidth)}  ${rule.shortDescription}\n`)
    .join('');
}

/** `vmalint explain RULE` (the command line limits --format to RULE_DOC_FORMATS). */
export function explainRule(ruleId: string, format: string): string {
  const rule = requireKnownRule(ruleId, ruleMetadata());
  if (format === 'json') return `${JSON.stringify(rule, null, 2)}\n`;
  return formatRuleExplanation(rule);
}

export function formatRuleExplanation(rule: RuleMeta): string {
  return [
    `${rule.id} (${rule.severity})`,
    rule.shortDescription,
    '',
    rule.fullDescription,
    '',
    'What it reports:',
    indent(rule.docs.what),
    '',
    'Why it is a bug:',
    indent(rule.docs.why),
    '',
    'Wrong:',
    indent(rule.docs.wrong),
    '',
    'Right:',
    indent(rule.docs.right),
    '',
  ].join('\n');
}

function indent(text: string): string {
  return text
    .trimEnd()
    .split('\n')
    .map((line) => (line.length > 0 ? `    ${line}` : ''))
    .join('\n');
}

