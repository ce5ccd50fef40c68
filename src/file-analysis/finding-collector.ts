// The collect-findings step of a file's analysis: the rules' visitors, guarded (a rule that throws
// is that rule's error, said once per function), and the findings they report, one per rule and
// place. What a rule reports goes to the sink of the analysis under way: a function's, or, for a
// static function analysed with its callers' locks, one that reports it at the call instead.

import type { FileNotification, Finding, TraceStep } from '../types.js';
import type { SourceFile } from '../parse/ast.js';
import type { CallSite } from '../engine/function.js';
import type { FindingInput } from '../engine/events.js';
import type { TreeFacts } from '../tree-facts.js';
import type { Rule, RuleVisitor } from '../rules/rule.js';
import { guardVisitor, type RuleRunRecord } from '../rules/guarded-visitor.js';

/** Where the reports of rule `ruleIndex` go. */
export type ReportSink = (ruleIndex: number, finding: FindingInput) => void;

/** A static function analysed with its callers' locks: what it finds is reported at the call. */
export interface Relocation {
  /** The first call. */
  site: CallSite;
  /**
   * The steps of the entry locks (the calls): a finding whose trace has none is not the callers'.
   * Compared by value (stepKey): a finding recalled from the memo holds copies of them.
   */
  entrySteps: Set<TraceStep>;
  /** The step that says no caller holds a lock of some classes (CallerEntry.none). */
  noneStep?: TraceStep;
  callee: string;
  /** How many calls in the file. */
  callers: number;
}

export class FindingCollector {
  readonly findings: Finding[] = [];
  readonly notifications: FileNotification[] = [];
  /** Times a rule threw. */
  ruleErrors = 0;
  /** Time each rule's handlers took, by rule id. */
  readonly ruleMs: Record<string, number> = {};
  /** One finding per rule and place (its index): the same bad call reached from two lock sites is one problem. */
  private readonly seen = new Map<string, number>();
  /** Rules that failed, by rule and function: one notification each. */
  private readonly ruleFailures = new Set<string>();
  private readonly lines: string[];
  /** The analysis the rules' reports and failures belong to now (see `during`); outside any, the file's checks. */
  private current: { functionName: string | null; sink: ReportSink };

  constructor(
    private readonly file: SourceFile,
    private readonly rules: readonly Rule[],
  ) {
    this.lines = file.text.split('\n');
    this.current = { functionName: null, sink: this.sinkFor(null, null) };
  }

  note(level: FileNotification['level'], message: string): void {
    this.notifications.push({ file: this.file.path, level, message });
  }

  /** The rules' visitors for this file, guarded; they report to the sink of the analysis under way. */
  ruleVisitors(tree: Readonly<TreeFacts>): RuleVisitor[] {
    return this.rules.map((rule, ruleIndex) =>
      guardVisitor(rule.meta.id, rule.create({ tree, report: (f: FindingInput) => this.current.sink(ruleIndex, f) }), this.ruleRunRecord(rule)),
    );
  }

  /** Runs the analysis of function `functionName`, the rules reporting to `sink`. */
  during<T>(functionName: string, sink: ReportSink, analysis: () => T): T {
    const outside = this.current;
    this.current = { functionName, sink };
    try {
      return analysis();
    } finally {
      this.current = outside;
    }
  }

  /** The sink of the reports made while `functionName` is analysed (`relocation`: with its callers' locks). */
  sinkFor(functionName: string | null, relocation: Relocation | null): ReportSink {
    return (ruleIndex, f) => {
      const rule = this.rules[ruleIndex]!;
      const finding: Finding = {
        ruleId: rule.meta.id,
        severity: rule.meta.severity,
        file: this.file.path,
        line: f.node.row + 1,
        column: f.node.col + 1,
        endLine: f.node.endRow + 1,
        endColumn: f.node.endCol + 1,
        function: f.function ?? functionName,
        message: f.message,
        trace: f.trace,
        lineText: this.lineText(f.node.row),
        ...(f.ifOrder ? { ifOrder: f.ifOrder } : {}),
      };
      if (relocation) this.relocate(finding, f, relocation);
      else this.add(finding);
    };
  }

  /** A finding made only because the callers hold a lock: reported at the call, where the lock is held. */
  private relocate(finding: Finding, f: FindingInput, r: Relocation): void {
    const entryKeys = new Set([...r.entrySteps].map(stepKey));
    const isEntry = (s: TraceStep): boolean => entryKeys.has(stepKey(s));
    const noneKey = r.noneStep && stepKey(r.noneStep);
    const isNone = (s: TraceStep): boolean => !!noneKey && stepKey(s) === noneKey;
    const held = f.trace.some(isEntry);
    const free = f.trace.some(isNone);
    if (!held && !free) return;
    const call = r.site.step;
    // The caller's own analysis may have reported it at the call already, through the callee's summary.
    if (this.findings.some((o) => o.ruleId === finding.ruleId && o.file === call.file && o.line === call.line)) return;
    const others = r.callers > 1 ? ` (and ${r.callers - 1} other call${r.callers > 2 ? 's' : ''} in this file)` : '';
    this.add({
      ...finding,
      line: call.line,
      column: call.column,
      endLine: call.line,
      endColumn: call.column,
      function: r.site.step.message.replace(/\(\) calls .*$/, ''),
      message: `in ${r.callee}() (line ${finding.line}), called here ${held ? 'with the lock held' : 'without the lock'}${others}: ${finding.message}`,
      trace: f.trace.map((s) => (isEntry(s) ? call : isNone(s) ? { ...call, message: s.message } : s)),
      lineText: this.lineText(call.line - 1),
    });
  }

  private add(finding: Finding): void {
    // A finding waiting for a lock order is one per order: the run keeps those it knows (lock-order.ts).
    const key = `${finding.ruleId}|${finding.file}|${finding.line}|${finding.column}${finding.ifOrder ? `|${finding.ifOrder.from}>${finding.ifOrder.to}` : ''}`;
    const at = this.seen.get(key);
    if (at === undefined) {
      this.seen.set(key, this.findings.length);
      this.findings.push(finding);
    } else if (finding.trace.length < this.findings[at]!.trace.length) {
      // The shorter path explains it best.
      this.findings[at] = finding;
    }
  }

  private lineText(row: number): string {
    return (this.lines[row] ?? '').replace(/\s+/g, ' ').trim();
  }

  /** What the guard of `rule`'s visitor tells: a failure (one notification per rule and function), the time spent. */
  private ruleRunRecord(rule: Rule): RuleRunRecord {
    return {
      failed: (err, event) => {
        this.ruleErrors++;
        const fn = (event as { fn?: { name?: string } }).fn?.name ?? this.current.functionName;
        const where = fn ? ` in ${fn}()` : '';
        if (this.ruleFailures.has(`${rule.meta.id}${where}`)) return;
        this.ruleFailures.add(`${rule.meta.id}${where}`);
        const why = err instanceof Error ? err.message : String(err);
        this.note('warning', `rule ${rule.meta.id} failed${where}: ${why} (its findings there are missing; the other rules' are kept)`);
      },
      spent: (ms) => {
        this.ruleMs[rule.meta.id] = (this.ruleMs[rule.meta.id] ?? 0) + ms;
      },
    };
  }
}

/** A trace step by value: where, and what it says. */
function stepKey(s: TraceStep): string {
  return `${s.file}\0${s.line}\0${s.column}\0${s.message}`;
}
