// The order reports list findings in: by file, line, column, rule id, then message, comparing
// strings by UTF-16 code units (independent of the locale). The analysis sorts a run's findings
// this way (src/run/collect-findings.ts: a Finding satisfies FindingOrderKey structurally); merging
// shard logs (sarif-merge.ts) sorts the merged results the same way so that they come out as one
// run would have listed them.

/** What the order of findings depends on. */
export interface FindingOrderKey {
  file: string;
  line: number;
  column: number;
  ruleId: string;
  message: string;
}

export function compareFindingOrder(a: FindingOrderKey, b: FindingOrderKey): number {
  return (
    compareStrings(a.file, b.file) ||
    a.line - b.line ||
    a.column - b.column ||
    compareStrings(a.ruleId, b.ruleId) ||
    compareStrings(a.message, b.message)
  );
}

function compareStrings(a: string, b: string): number {
  if (a < b) return -1;
  if (a > b) return 1;
  return 0;
}
