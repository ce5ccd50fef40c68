// The analysis of one file, in steps (src/file-analysis/): parse (the functions the demand keeps)
// and copy the syntax tree, resolve what the file calls, analyse each function callees first with
// the rules' visitors, then each static function again with the locks its callers hold (each from
// the memo when it holds), collect the findings, then the file-level checks. What the file needs from the rest of the run
// (summaries of functions defined elsewhere, `__noreturn` declarations, initializers of other
// files) comes through a CrossFileView, and every answer it used is recorded (FileInputs), so that
// an analysis done ahead of time, in a worker, can be checked against what the run knows when its
// turn comes (src/run/round-scheduler.ts).

import { performance } from 'node:perf_hooks';
import type { AnalyzeOptions, FileNotification, Finding, RunStats } from './types.js';
import type { SourceFile } from './parse/ast.js';
import { stepAt } from './engine/function.js';
import type { FileContribution } from './engine/cross-file-facts.js';
import { PreprocessorEvaluator, type PreprocessorChoices } from './engine/preprocessor.js';
import { CROSS_FILE_INITIALIZER_TYPES, DEFAULT_DEFINES, type ApiEntry } from './kb/lock-api.js';
import { allRules } from './rules/index.js';
import { DEFAULT_TREE_FACTS, type TreeFacts } from './tree-facts.js';
import { vmaFieldsOf, vmaLockedFieldsOf } from './kb/vma-fields.js';
import type { Rule } from './rules/rule.js';
import { FunctionMemo, type MemoEntry } from './function-memo.js';
import type { FileInputs, CrossFileView } from './cross-file-view.js';
import { FileParser, type FileInitializer, type OnlyFunctions } from './file-analysis/parse-file.js';
import { FileFunctions } from './file-analysis/file-functions.js';
import { FileResolver } from './file-analysis/file-resolver.js';
import { FileMemo } from './file-analysis/file-memo.js';
import { FindingCollector } from './file-analysis/finding-collector.js';
import { FunctionRunner } from './file-analysis/function-runner.js';
import { FileSchedule } from './file-analysis/file-schedule.js';
import { callbackOrderEdges } from './engine/lock-order.js';

export { exactFingerprint, sameInputs, type FileInputs, type CrossFileView } from './cross-file-view.js';

/** How one file is analysed. */
export interface AnalyzeFileOptions {
  /** Report findings (false: only summarise, as for headers). */
  report: boolean;
  /** Export static functions' summaries too (headers' static inlines). */
  exportAll?: boolean;
  /** Only these functions (the demand). Null or absent: the whole file. */
  only?: OnlyFunctions | null;
  /** Analyses of this file's functions from an earlier run (the cache), used when they still hold. */
  functions?: readonly MemoEntry[];
}

export function selectRules(options: Pick<AnalyzeOptions, 'rules' | 'treeFacts'>): Rule[] {
  const wanted = options.rules ? new Set(options.rules) : null;
  // A rule about a kernel feature the tree does not have (per-VMA locks on 6.1) is not run.
  return allRules().filter((r) => (!wanted || wanted.has(r.meta.id)) && !(r.meta.treeFeature && options.treeFacts?.[r.meta.treeFeature] === false));
}

/** Effective macros: the knowledge base's defaults (not with a build's complete configuration), then -D, then -U. */
function preprocessorChoices(options: AnalyzeOptions): PreprocessorChoices {
  const defines = new Map(options.completeConfig ? [] : DEFAULT_DEFINES);
  for (const [k, v] of options.defines ?? []) defines.set(k, v);
  const undefines = new Set(options.undefines ?? []);
  for (const u of undefines) defines.delete(u);
  return { defines, undefines, ...(options.completeConfig ? { closedPrefix: 'CONFIG_' } : {}) };
}

/** What the analysis of one file produced (replaced when the file is analysed again). */
export interface FileOutcome {
  findings: Finding[];
  notifications: FileNotification[];
  functions: number;
  cfgGiveUps: number;
  /** Times a rule threw (src/rules/guarded-visitor.ts): its findings are missing, so the file is not cached. */
  ruleErrors: number;
  /** Time each rule's handlers took, by rule id. */
  ruleMs: Record<string, number>;
  functionsWithParseErrors: number;
  functionsWidened: number;
  functionsWithCallerEntry: number;
  /**
   * Why the file has no analysis: `input`, the file itself (unreadable, binary); `internal`,
   * vmalint failed (an exception, a parser or WebAssembly error, a worker that died), which is
   * never cached.
   */
  failed: false | 'input' | 'internal';
  bytes: number;
}

/** What the analysis of one file gives. */
export interface FileAnalysis {
  outcome: FileOutcome;
  /** What the file publishes to the rest of the run, and what it looked up there. */
  contribution: FileContribution;
  /** Every answer of the CrossFileView the analysis used. */
  inputs: FileInputs;
  /** Functions whose summary changes their callers' state (src/engine/demand.ts). */
  stateSummaries: string[];
  /** The memo entries of the file's functions (what the cache keeps of them). */
  functions: MemoEntry[];
}

export class FileAnalyzer {
  /** Function analyses by file, mode and text (src/function-memo.ts). */
  private readonly memo = new FunctionMemo();
  /** The rules' text triggers: a file none of them matches has no comment a rule reads. */
  private readonly textTriggers: RegExp[];
  private readonly keepStatics: boolean;
  /** Knowledge-base entries from the configuration. */
  private readonly config: ReadonlyMap<string, ApiEntry>;
  private readonly useSummaries: boolean;
  private readonly pp: PreprocessorChoices;
  /** This analyzer's own parser: no two analyzers share one. */
  private readonly parser: FileParser;
  private readonly tree: Readonly<TreeFacts>;
  /** VMA fields whose writers need the mmap write lock, in this tree. */
  private readonly vmaWriteFields: readonly string[];
  private readonly vmaLockedFields: readonly string[];
  /** Named constants of the tree's mm headers (src/engine/named-constants.ts). */
  private readonly treeConstants: ReadonlyMap<string, string>;

  constructor(
    private readonly rules: Rule[],
    options: AnalyzeOptions,
    private readonly stats: RunStats,
    private readonly view: CrossFileView,
  ) {
    this.textTriggers = rules.flatMap((r) => (r.meta.textTrigger ? [r.meta.textTrigger] : []));
    this.keepStatics = !!options.staticSummaries;
    this.config = new Map((options.config ?? []).map((e) => [e.name, e]));
    this.useSummaries = options.summaries !== false;
    this.pp = preprocessorChoices(options);
    this.parser = new FileParser(new PreprocessorEvaluator(this.pp), stats);
    this.tree = options.treeFacts ?? DEFAULT_TREE_FACTS;
    this.vmaWriteFields = vmaFieldsOf(this.tree).mmapWrite;
    this.vmaLockedFields = vmaLockedFieldsOf(this.tree);
    this.treeConstants = new Map(Object.entries(options.treeConstants ?? {}));
  }

  /**
   * Keeps this analyzer's parses for a file analysed again with the same functions (a later
   * round, the kernel headers' second pass), up to `bytes` of source
   * (src/file-analysis/kept-parses.ts); 0: no more.
   */
  keepParses(bytes: number): void {
    this.parser.keepParses(bytes);
  }

  /** A new parser for the next file (after a failure, whatever state the old one was left in). */
  resetParser(): void {
    this.parser.reset();
  }

  /**
   * Analyses one file: parse, resolve through the run's knowledge, its functions callees first
   * then the static ones with their callers' locks (each from the memo when it holds), and the
   * rules' file-level checks.
   */
  analyze(file: SourceFile, opts: AnalyzeFileOptions): FileAnalysis {
    const t0 = performance.now();
    this.memo.seed(opts.functions);
    // Comments are read by the rules that declare a text trigger, and only when it matches.
    const readComments = opts.report && this.textTriggers.some((t) => t.test(file.text));
    const parsed = this.parser.parse(file, opts.only, readComments, opts.report);
    const t1 = performance.now();
    this.stats.parseMs += t1 - t0;

    const collector = new FindingCollector(file, this.rules);
    for (const message of parsed.unparsed) collector.note('note', message);
    const visitors = opts.report ? collector.ruleVisitors(this.tree) : [];
    const functions = new FileFunctions(parsed.functions, file, parsed.initializers, opts.report);
    const resolver = new FileResolver(file, this.view, this.config, this.useSummaries, functions.byName, parsed.initializers, this.treeConstants);
    const memo = new FileMemo(this.memo, file.path, functions, resolver);
    const runner = new FunctionRunner(file.path, functions, resolver, memo, collector, { pp: this.pp, visitors, vmaWriteFields: this.vmaWriteFields, vmaLockedFields: this.vmaLockedFields }, this.stats);
    const schedule = new FileSchedule(functions, runner, resolver, collector, { all: !!opts.exportAll, statics: this.keepStatics }, opts.report);
    schedule.calleesFirst();
    if (opts.report && this.useSummaries) schedule.callersFirst();
    const definitions = schedule.orderedResults();
    for (const v of visitors) {
      v.file?.({
        file: file.path,
        comments: parsed.comments,
        functions: schedule.results,
        definitions,
        resolve: resolver.resolveWhole,
        step: (node, message) => stepAt(file.path, node, message),
      });
    }
    this.stats.analyzeMs += performance.now() - t1;

    const counts = schedule.counts;
    const outcome: FileOutcome = {
      findings: collector.findings,
      notifications: collector.notifications,
      functions: counts.functions,
      cfgGiveUps: runner.giveUps,
      ruleErrors: collector.ruleErrors,
      ruleMs: collector.ruleMs,
      functionsWithParseErrors: parsed.unparsed.length + counts.functionsWithParseErrors,
      functionsWidened: counts.functionsWidened,
      functionsWithCallerEntry: counts.functionsWithCallerEntry,
      failed: false,
      bytes: 0,
    };
    const contribution: FileContribution = {
      exported: schedule.exported,
      statics: schedule.statics,
      initializers: crossFileInitializers(parsed.initializers),
      lookedUp: resolver.lookedUp,
      lookedUpWhole: resolver.lookedUpWhole,
      lockOrder: [
        ...schedule.orderEdges.values(),
        ...callbackOrderEdges(file.path, [...parsed.initializers].map(([variable, v]) => ({ variable, ...v })), resolver.resolveWhole),
      ],
    };
    return { outcome, contribution, inputs: resolver.inputs, stateSummaries: schedule.stateSummaries, functions: [...memo.used.values()] };
  }
}

/** The file-scope initializers other files may read (non-static, of a type a callback table has). */
function crossFileInitializers(initializers: ReadonlyMap<string, FileInitializer>): Map<string, Map<string, string>> {
  const shared = new Map<string, Map<string, string>>();
  for (const [name, v] of initializers) if (!v.isStatic && CROSS_FILE_INITIALIZER_TYPES.has(v.type)) shared.set(name, v.fields);
  return shared;
}

export function emptyOutcome(): FileOutcome {
  return { findings: [], notifications: [], functions: 0, cfgGiveUps: 0, ruleErrors: 0, ruleMs: {}, functionsWithParseErrors: 0, functionsWidened: 0, functionsWithCallerEntry: 0, failed: false, bytes: 0 };
}

