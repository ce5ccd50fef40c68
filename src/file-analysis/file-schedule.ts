// The schedule step of a file's analysis: its functions callees first (so that a chain of helpers
// is summarised at any depth; recursive groups are iterated), then, callers first, each static
// function again with the locks every caller holds at entry.

import { orderKey } from '../engine/lock-order.js';
import type { LockOrderEdge } from '../types.js';
import type { AstNode } from '../parse/ast.js';
import type { ApiEntry } from '../kb/lock-api.js';
import type { CallSite, FunctionAnalysis } from '../engine/function.js';
import type { FunctionResult } from '../engine/events.js';
import { bottomUp, entryFromCallers, noneFromCallers } from '../engine/callgraph.js';
import { entryRelevance } from '../engine/demand-names.js';
import { summaryFingerprint } from '../engine/summary.js';
import type { FileFunctions } from './file-functions.js';
import type { FileResolver } from './file-resolver.js';
import type { FunctionRunner } from './function-runner.js';
import type { FindingCollector } from './finding-collector.js';

const MAX_SCC_ITERATIONS = 4;

/** What the schedule counts of the file's functions (FileOutcome's counters). */
export interface FunctionCounts {
  functions: number;
  functionsWithParseErrors: number;
  functionsWidened: number;
  functionsWithCallerEntry: number;
}

/** Which summaries the file publishes. */
export interface SummaryExport {
  /** Static functions' summaries are exported too (headers' static inlines). */
  all: boolean;
  /** Static functions' summaries are kept apart (AnalyzeOptions.staticSummaries). */
  statics: boolean;
}

export class FileSchedule {
  readonly counts: FunctionCounts = { functions: 0, functionsWithParseErrors: 0, functionsWidened: 0, functionsWithCallerEntry: 0 };
  /** Non-static functions' summaries (all of them with SummaryExport.all). */
  readonly exported = new Map<string, ApiEntry>();
  /** Static functions' summaries, with SummaryExport.statics. */
  readonly statics = new Map<string, ApiEntry>();
  /** Functions whose summary changes their callers' state (src/engine/demand.ts). */
  readonly stateSummaries: string[] = [];
  /** The lock order the file's functions' paths show (src/engine/lock-order.ts), first seen first. */
  readonly orderEdges = new Map<string, LockOrderEdge>();
  /** Function results by name (the first definition of a name). */
  readonly results = new Map<string, FunctionResult>();
  /** Function results by definition. */
  private readonly definitions = new Map<AstNode, FunctionResult>();
  /** Calls of this file's static functions, by callee, then by calling function. */
  private readonly callSitesOf = new Map<string, Map<AstNode, CallSite[]>>();
  /** The static functions each function's recorded call sites call. */
  private readonly calleesOf = new Map<AstNode, Set<string>>();
  /** The file's functions grouped callees first (strongly connected components of the call graph). */
  private readonly order: string[][];
  private readonly edges: Map<string, Set<string>>;

  constructor(
    private readonly functions: FileFunctions,
    private readonly runner: FunctionRunner,
    private readonly resolver: FileResolver,
    private readonly collector: FindingCollector,
    private readonly summaryExport: SummaryExport,
    /** Say which functions exceed the path budget. */
    private readonly noteBudget: boolean,
  ) {
    this.edges = functions.callGraph();
    this.order = bottomUp([...functions.byName.keys()], this.edges);
  }

  /** Every definition's result, in source order. */
  orderedResults(): FunctionResult[] {
    return this.functions.nodes.map((fn) => this.definitions.get(fn)).filter((d): d is FunctionResult => !!d);
  }

  /** Callees first; each name is one node of the graph (its first definition; #ifdef twins follow it). */
  calleesFirst(): void {
    for (const scc of this.order) {
      const recursive = scc.length > 1 || this.edges.get(scc[0])!.has(scc[0]);
      if (recursive) this.iterate(scc);
      for (const name of scc) for (const fn of this.functions.twins.get(name)!) this.analyzeWithRules(fn);
    }
  }

  /**
   * Callers first: a static function every one of whose calls holds a lock starts with it held; one
   * none of whose calls holds any lock of a class, by the callers' entry context, starts without.
   */
  callersFirst(): void {
    for (const scc of [...this.order].reverse()) {
      for (const name of scc) {
        if (!this.functions.statics.has(name)) continue;
        const fn = this.functions.byName.get(name)!;
        if (this.functions.twins.get(name)!.length > 1) continue;
        const sites: CallSite[] = [];
        for (const [caller, list] of this.callSitesOf.get(name) ?? []) if (caller !== fn) sites.push(...list);
        const locks = entryFromCallers(sites, name);
        // Or no lock of a class at all, in the callers' entry context (the helpers of an ioctl).
        const none = noneFromCallers(sites, name);
        if (!locks.length && !none) continue;
        const relocation = { site: sites[0], entrySteps: new Set(locks.map((e) => e.step)), noneStep: none?.step, callee: name, callers: sites.length };
        const analysis = this.runner.analyze(fn, true, { locks, none, relocation });
        if (analysis) {
          this.counts.functionsWithCallerEntry++;
          this.setCallSites(fn, analysis.callSites);
        }
      }
    }
  }

  /** A recursive group analysed without the rules until its summaries settle. */
  private iterate(scc: readonly string[]): void {
    for (let i = 0; i < MAX_SCC_ITERATIONS; i++) {
      let changed = false;
      for (const name of scc) {
        const fn = this.functions.byName.get(name)!;
        const before = summaryFingerprint(this.resolver.localSummary(name));
        const analysis = this.runner.analyze(fn, false);
        if (analysis) this.record(fn, analysis);
        if (summaryFingerprint(this.resolver.localSummary(name)) !== before) changed = true;
      }
      if (!changed) break;
    }
  }

  private analyzeWithRules(fn: AstNode): void {
    this.counts.functions++;
    const analysis = this.runner.analyze(fn, true);
    if (!analysis) return;
    this.record(fn, analysis);
    if (!this.results.has(analysis.info.name)) this.results.set(analysis.info.name, analysis.result);
    this.definitions.set(fn, analysis.result);
    if (analysis.parseErrors) this.counts.functionsWithParseErrors++;
    if (analysis.widened) this.counts.functionsWidened++;
    if (analysis.budgetExceeded && this.noteBudget) this.collector.note('note', `function ${analysis.info.name} (line ${fn.row + 1}) was not fully analysed: it exceeds the path budget`);
  }

  /** A function's summary (for the first definition of its name) and its call sites. */
  private record(fn: AstNode, analysis: FunctionAnalysis): void {
    const name = analysis.info.name;
    for (const e of analysis.orderEdges) if (!this.orderEdges.has(orderKey(e.from, e.to))) this.orderEdges.set(orderKey(e.from, e.to), e);
    if (analysis.summary && this.functions.byName.get(name) === fn) {
      if (entryRelevance(analysis.summary) === 'state') this.stateSummaries.push(name);
      this.resolver.setLocalSummary(name, analysis.summary);
      if (!analysis.info.isStatic || this.summaryExport.all) this.exported.set(name, analysis.summary);
      else if (this.summaryExport.statics) this.statics.set(name, analysis.summary);
    }
    this.setCallSites(fn, analysis.callSites);
  }

  private setCallSites(caller: AstNode, sites: readonly CallSite[]): void {
    for (const callee of this.calleesOf.get(caller) ?? []) this.callSitesOf.get(callee)?.delete(caller);
    this.calleesOf.set(caller, new Set(sites.map((site) => site.callee)));
    for (const site of sites) {
      let byCaller = this.callSitesOf.get(site.callee);
      if (!byCaller) this.callSitesOf.set(site.callee, (byCaller = new Map()));
      let list = byCaller.get(caller);
      if (!list) byCaller.set(caller, (list = []));
      list.push(site);
    }
  }
}
