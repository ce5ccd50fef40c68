// --format checkpatch: one line per finding, as `checkpatch.pl --terse --showfile --show-types`
// writes them and as `b4 prep --check` and the scripts around checkpatch read them:
//   mm/mremap.c:869: ERROR:UNCHECKED_VMA_LOOKUP: `vma` from vma_prev() (line 868) may be NULL ...
// The type is the rule id in checkpatch's spelling; the level follows the rule's severity
// (error: ERROR, warning: WARNING, note: CHECK). The trace is left out (the text format has it).
import type { Finding, Severity } from '../types.js';

const LEVEL: Record<Severity, string> = { error: 'ERROR', warning: 'WARNING', note: 'CHECK' };

export function formatCheckpatch(result: { findings: readonly Finding[] }): string {
  return result.findings.map((f) => `${f.file}:${f.line}: ${LEVEL[f.severity]}:${f.ruleId.toUpperCase().replace(/-/g, '_')}: ${f.message}\n`).join('');
}
