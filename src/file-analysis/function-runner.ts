// One function of a file analysed: from the memo when the answers its entry used still hold,
// else by the engine (src/engine/function.ts), recorded for the memo. A function whose analysis
// throws is said once (a warning) and not tried again in the file.

import type { RunStats } from '../types.js';
import type { AstNode } from '../parse/ast.js';
import type { PreprocessorChoices } from '../engine/preprocessor.js';
import { analyzeFunction, type EntryLock, type EntryNone, type FunctionAnalysis } from '../engine/function.js';
import type { RuleVisitor } from '../rules/rule.js';
import type { FileFunctions } from './file-functions.js';
import type { FileResolver } from './file-resolver.js';
import type { FileMemo } from './file-memo.js';
import type { FindingCollector, Relocation, ReportSink } from './finding-collector.js';

/** The locks every caller of a static function holds at entry, and where its findings are reported. */
export interface CallerEntry {
  locks: EntryLock[];
  /** Lock classes no caller holds any lock of. */
  none?: EntryNone;
  relocation: Relocation;
}

/** What a function's analysis runs with, besides the file's own steps. */
export interface FunctionRunnerSettings {
  pp: PreprocessorChoices;
  /** The rules' visitors (none when the file's findings are not reported). */
  visitors: RuleVisitor[];
  vmaWriteFields: readonly string[];
  vmaLockedFields: readonly string[];
}

export class FunctionRunner {
  /** Functions whose analysis threw: not tried again in the file. */
  private readonly failed = new Set<AstNode>();
  /** How many functions' analyses threw. */
  giveUps = 0;

  constructor(
    private readonly file: string,
    private readonly functions: FileFunctions,
    private readonly resolver: FileResolver,
    private readonly memo: FileMemo,
    private readonly collector: FindingCollector,
    private readonly settings: FunctionRunnerSettings,
    private readonly stats: RunStats,
  ) {}

  /**
   * Analyses `fn` (`withVisitors`: the rules watch; `callers`: with the locks its callers hold at
   * entry, the rules watching). Null when its analysis threw, now or before.
   */
  analyze(fn: AstNode, withVisitors: boolean, callers?: CallerEntry): FunctionAnalysis | null {
    if (this.failed.has(fn)) return null;
    const info = this.functions.infos.get(fn)!;
    const sink = this.collector.sinkFor(info.name, callers?.relocation ?? null);
    const withCallers = callers ? this.memo.callersKeyOf(fn, callers) : null;
    const key = callers ? (withCallers?.key ?? null) : this.memo.keyOf(fn, withVisitors);
    const hit = key ? this.memo.recall(key, fn) : null;
    if (hit) {
      for (const [ruleIndex, f] of hit.reports) sink(ruleIndex, f);
      this.stats.functionsReused++;
      return { ...hit.analysis!, info, result: { info, failureReturns: hit.failureReturns } };
    }
    const recording = key ? this.memo.record(key, fn, withCallers?.places) : null;
    const recordingSink: ReportSink = recording
      ? (ruleIndex, f) => {
          recording.report(ruleIndex, f);
          sink(ruleIndex, f);
        }
      : sink;
    try {
      const analysis = this.collector.during(info.name, recordingSink, () =>
        analyzeFunction(fn, this.file, this.settings.pp, withVisitors ? this.settings.visitors : [], {
          resolve: recording?.resolve ?? this.resolver.resolve,
          initializer: recording?.initializer ?? this.resolver.initializer,
          summarize: true,
          statics: this.functions.statics,
          entry: callers?.locks,
          entryNone: callers?.none,
          handsLocksTo: this.functions.handoffs.get(info.name),
          calledAs: this.functions.contexts.get(info.name),
          vmaWriteFields: this.settings.vmaWriteFields,
          vmaLockedFields: this.settings.vmaLockedFields,
          constantValue: recording?.constantValue ?? this.resolver.constantValue,
        }),
      );
      if (recording) this.memo.keep(recording, analysis);
      return analysis;
    } catch (err) {
      this.failed.add(fn);
      this.giveUps++;
      this.collector.note('warning', `could not analyse the function at line ${fn.row + 1}: ${err instanceof Error ? err.message : String(err)}`);
      return null;
    }
  }
}
