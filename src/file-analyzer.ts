// The analysis of one file: parse (the functions the demand keeps), copy the syntax tree, analyse
// each function callees first with the rules' visitors, then each static function again with the
// locks its callers hold, then the file-level checks. What the file needs from the rest of the run
// (summaries of functions defined elsewhere, `__noreturn` declarations, initializers of other
// files) comes through a KnowledgeView, and every answer it used is recorded (FileInputs), so that
// an analysis done ahead of time, in a worker, can be checked against what the run knows when its
// turn comes (src/analyze.ts).

import { performance } from 'node:perf_hooks';
import type { AnalyzeOptions, FileNotification, Finding, RunStats, TraceStep } from './types.js';
import { CParser, query } from './parse/parser.js';
import { AstNode, lineAt, toAst, type SourceFile } from './parse/ast.js';
import { analyzeFunction, functionInfo, stepAt, type CallSite, type EntryLock, type FunctionAnalysis } from './engine/function.js';
import { bottomUp, calledNames, entryFromCallers } from './engine/callgraph.js';
import { mergeEntry, type FileKnowledge } from './engine/knowledge.js';
import { unparsedEnds } from './parse/unparsed-functions.js';
import { PreprocessorEvaluator, type PreprocessorChoices } from './engine/preprocessor.js';
import { CROSS_FILE_INITIALIZER_TYPES, DEFAULT_DEFINES, LOCK_HANDOFF_CALLBACKS, lookupApi, type ApiEntry } from './kb/lock-api.js';
import { noreturnDeclarations } from './engine/noreturn.js';
import { summaryFingerprint } from './engine/summary.js';
import { declaredName } from './engine/transfer.js';
import { keepOnly } from './engine/prescan.js';
import { entryRelevance } from './engine/demand.js';
import { initializerFields, inEnabledRegion, topLevelItems } from './parse/top-level.js';
import type { CommentInfo, FunctionInfo, FunctionResult, FindingInput } from './engine/events.js';
import { allRules } from './rules/index.js';
import { DEFAULT_TREE_FACTS, type TreeFacts } from './tree-facts.js';
import { vmaFieldsOf } from './kb/vma-fields.js';
import type { Rule, RuleVisitor } from './rules/rule.js';
import { guardVisitor, type RuleRunRecord } from './rules/guarded-visitor.js';
import { atOrigin, memoKey, moved, type FunctionPlace, type MemoEntry } from './function-memo.js';
import { exactFingerprint, treeApi, type FileInputs, type KnowledgeView } from './knowledge-view.js';

export { exactFingerprint, sameInputs, type FileInputs, type KnowledgeView } from './knowledge-view.js';

/** How one file is analysed. */
export interface AnalyzeFileOptions {
  /** Report findings (false: only summarise, as for headers). */
  report: boolean;
  /** Export static functions' summaries too (headers' static inlines). */
  exportAll?: boolean;
  /**
   * Only these functions (the demand): their end offsets, the text ranges the parser is given
   * (the functions with the comments above them, and the file-scope initializers), and the end
   * offsets of every function the prescan delimited. Null or absent: the whole file.
   */
  only?: { ends: number[]; ranges: { start: number; end: number }[]; prescanned: number[] } | null;
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

const MAX_SCC_ITERATIONS = 4;

/** Functions the memo keeps (the oldest go first). */
const MEMO_LIMIT = 5_000;

/** A node reduced to what a report reads of it: where it is. */
function positionOf(node: AstNode): AstNode {
  return { row: node.row, col: node.col, endRow: node.endRow, endCol: node.endCol, start: node.start, end: node.end } as AstNode;
}

export class FileAnalyzer {
  /** Function analyses by file, position and mode (see analyzeOne). */
  private readonly memo = new Map<string, MemoEntry>();
  /** The rules' text triggers: a file none of them matches has no comment a rule reads. */
  private readonly textTriggers: RegExp[];
  private readonly keepStatics: boolean;
  /** Knowledge-base entries from the configuration. */
  private readonly config: ReadonlyMap<string, ApiEntry>;
  private readonly useSummaries: boolean;
  private readonly pp: PreprocessorChoices;
  private readonly pre: PreprocessorEvaluator;
  /** This analyzer's own parser: no two analyzers share one. */
  private readonly parser = new CParser();
  private readonly tree: Readonly<TreeFacts>;
  /** VMA fields whose writers need the mmap write lock, in this tree. */
  private readonly vmaWriteFields: readonly string[];

  constructor(
    private readonly rules: Rule[],
    options: AnalyzeOptions,
    private readonly stats: RunStats,
    private readonly view: KnowledgeView,
  ) {
    this.textTriggers = rules.flatMap((r) => (r.meta.textTrigger ? [r.meta.textTrigger] : []));
    this.keepStatics = !!options.staticSummaries;
    this.config = new Map((options.config ?? []).map((e) => [e.name, e]));
    this.useSummaries = options.summaries !== false;
    this.pp = preprocessorChoices(options);
    this.pre = new PreprocessorEvaluator(this.pp);
    this.tree = options.treeFacts ?? DEFAULT_TREE_FACTS;
    this.vmaWriteFields = vmaFieldsOf(this.tree).mmapWrite;
  }

  /** A new parser for the next file (after a failure, whatever state the old one was left in). */
  resetParser(): void {
    this.parser.reset();
  }

  /**
   * Analyses one file: its functions callees first (so that a chain of helpers is summarised at
   * any depth; recursive groups are iterated), then each static function again with the locks
   * every caller holds at entry, then the file-level checks.
   */
  analyze(file: SourceFile, out: FileOutcome, opts: AnalyzeFileOptions): { knowledge: FileKnowledge; inputs: FileInputs; stateSummaries: string[]; functions: MemoEntry[] } {
    const t0 = performance.now();
    for (const e of opts.functions ?? []) if (!this.memo.has(e.key)) this.memo.set(e.key, e);
    // Only some functions analysed (the demand): the parser sees them alone, the rest blanked.
    const only = opts.only ? new Set(opts.only.ends) : null;
    this.stats.filesParsed++;
    let tree = this.parser.parse(opts.only ? keepOnly(file.text, opts.only.ranges) : file.text);
    let analysed = (end: number): boolean => !only || only.has(end);
    let items = topLevelItems(tree.rootNode);
    if (only) {
      // The prescan delimited a function otherwise than the parser (a brace an #ifdef left
      // unbalanced): the whole file is parsed, and what the prescan did not see is analysed.
      const ends = items.definitions.map((n) => n.endIndex);
      if (ends.some((e) => !only.has(e)) || new Set(ends).size < only.size) {
        tree.delete();
        this.stats.filesParsed++;
        tree = this.parser.parse(file.text);
        items = topLevelItems(tree.rootNode);
        const known = new Set(opts.only!.prescanned);
        analysed = (end) => only.has(end) || !known.has(end);
      }
    }
    let functionNodes: AstNode[];
    let comments: CommentInfo[];
    const fileInitializers = new Map<string, { fields: Map<string, string>; isStatic: boolean; type: string }>();
    // A needed function no parsed definition holds (src/parse/unparsed-functions.ts): said.
    if (only && opts.report) {
      for (const end of unparsedEnds(opts.only!.ends, items.definitions)) {
        const message = `the function ending at line ${lineAt(file, end)} was not analysed: the parser could not read it as a function`;
        if (out.notifications.some((n) => n.message === message)) continue;
        out.functionsWithParseErrors++;
        out.notifications.push({ file: file.path, level: 'note', message });
      }
    }
    try {
      functionNodes = items.definitions
        .filter((n) => analysed(n.endIndex))
        .filter((n) => inEnabledRegion(n, this.pre, file))
        .map((n) => toAst(n, file));
      // Comments are read by the rules that declare a text trigger, and only when it matches.
      comments = opts.report && this.textTriggers.some((t) => t.test(file.text))
        ? query('comments')
            .captures(tree.rootNode)
            .map((c) => {
              const n = c.node;
              const node = new AstNode(file, 'comment', true, null, false, n.startIndex, n.endIndex);
              return { node, text: node.text };
            })
        : [];
      for (const declaration of items.initialized) {
        const decl = toAst(declaration, file);
        const init = decl.child('declarator');
        const name = declaredName(init?.child('declarator') ?? null);
        const value = init?.child('value');
        if (!name || !value) continue;
        const isStatic = decl.namedChildren.some((x) => x.type === 'storage_class_specifier' && x.text === 'static');
        const type = decl.child('type')?.text.replace(/\s+/g, ' ') ?? '';
        if (!fileInitializers.has(name)) fileInitializers.set(name, { fields: initializerFields(value), isStatic, type });
      }
    } finally {
      tree.delete();
    }
    const t1 = performance.now();
    this.stats.parseMs += t1 - t0;

    const lines = file.text.split('\n');
    /** One finding per rule and place: the same bad call reached from two lock sites is one problem. */
    const seen = new Map<string, number>();
    let currentFunction: string | null = null;
    /** While a static function is analysed with its callers' locks: report at the call instead. */
    let relocation: { site: CallSite; entrySteps: Set<TraceStep>; callee: string; callers: number } | null = null;
    const push = (finding: Finding): void => {
      const key = `${finding.ruleId}|${finding.file}|${finding.line}|${finding.column}`;
      const at = seen.get(key);
      if (at === undefined) {
        seen.set(key, out.findings.length);
        out.findings.push(finding);
      } else if (finding.trace.length < out.findings[at]!.trace.length) {
        // The shorter path explains it best.
        out.findings[at] = finding;
      }
    };
    /** While a function's analysis is recorded for the memo: what it asked and reported. */
    let recording: MemoEntry | null = null;
    const reporters: ((f: FindingInput) => void)[] = [];
    /** Rules that failed, by rule and function: one notification each. */
    const ruleFailures = new Set<string>();
    const guard = (rule: Rule): RuleRunRecord => ({
      failed: (err, event) => {
        out.ruleErrors++;
        const fn = (event as { fn?: { name?: string } }).fn?.name ?? currentFunction;
        const where = fn ? ` in ${fn}()` : '';
        if (ruleFailures.has(`${rule.meta.id}${where}`)) return;
        ruleFailures.add(`${rule.meta.id}${where}`);
        const why = err instanceof Error ? err.message : String(err);
        out.notifications.push({ file: file.path, level: 'warning', message: `rule ${rule.meta.id} failed${where}: ${why} (its findings there are missing; the other rules' are kept)` });
      },
      spent: (ms) => {
        out.ruleMs[rule.meta.id] = (out.ruleMs[rule.meta.id] ?? 0) + ms;
      },
    });
    const visitors: RuleVisitor[] = opts.report
      ? this.rules.map((rule, ruleIndex) => guardVisitor(rule.meta.id, rule.create({
            tree: this.tree,
            report: (reporters[ruleIndex] = (f: FindingInput) => {
              if (recording) recording.reports.push([ruleIndex, { ...f, node: positionOf(f.node) }]);
              const finding: Finding = {
                ruleId: rule.meta.id,
                severity: rule.meta.severity,
                file: file.path,
                line: f.node.row + 1,
                column: f.node.col + 1,
                endLine: f.node.endRow + 1,
                endColumn: f.node.endCol + 1,
                function: f.function ?? currentFunction,
                message: f.message,
                trace: f.trace,
                lineText: (lines[f.node.row] ?? '').replace(/\s+/g, ' ').trim(),
              };
              if (!relocation) {
                push(finding);
                return;
              }
              // Found only because the callers hold a lock: report it at the call, where the lock is held.
              const r = relocation;
              if (!f.trace.some((s) => r.entrySteps.has(s))) return;
              const call = r.site.step;
              // The caller's own analysis may have reported it at the call already, through the callee's summary.
              if (out.findings.some((o) => o.ruleId === finding.ruleId && o.file === call.file && o.line === call.line)) return;
              const others = r.callers > 1 ? ` (and ${r.callers - 1} other call${r.callers > 2 ? 's' : ''} in this file)` : '';
              push({
                ...finding,
                line: call.line,
                column: call.column,
                endLine: call.line,
                endColumn: call.column,
                function: r.site.step.message.replace(/\(\) calls .*$/, ''),
                message: `in ${r.callee}() (line ${finding.line}), called here with the lock held${others}: ${finding.message}`,
                trace: f.trace.map((s) => (r.entrySteps.has(s) ? call : s)),
                lineText: (lines[call.line - 1] ?? '').replace(/\s+/g, ' ').trim(),
              });
            }),
          }), guard(rule)),
        )
      : [];

    // Callbacks that hand their locks to another callback of the same table (seq_file .start/.stop).
    const handoffs = new Map<string, string>();
    for (const { fields, type } of fileInitializers.values()) {
      const struct = /^struct (\w+)$/.exec(type)?.[1];
      for (const h of (struct && LOCK_HANDOFF_CALLBACKS[struct]) || []) {
        const from = fields.get(h.keeps);
        if (from && /^\w+$/.test(from) && fields.has(h.releases)) handoffs.set(from, `struct ${struct}.${h.releases}`);
      }
    }
    const infos = new Map<AstNode, FunctionInfo>();
    const byName = new Map<string, AstNode>();
    for (const fn of functionNodes) {
      const info = functionInfo(fn);
      infos.set(fn, info);
      if (!byName.has(info.name)) byName.set(info.name, fn);
    }
    const localSummaries = new Map<string, ApiEntry>();
    const knowledge: FileKnowledge = { exported: new Map(), statics: new Map(), initializers: new Map(), lookedUp: new Set(), lookedUpWhole: new Set() };
    for (const [name, v] of fileInitializers) if (!v.isStatic && CROSS_FILE_INITIALIZER_TYPES.has(v.type)) knowledge.initializers.set(name, v.fields);
    const view = this.view;
    const inputs: FileInputs = { summaries: new Map(), noreturn: new Map(), initializers: new Map(), apis: new Map() };
    const stateSummaries: string[] = [];
    const useSummaries = this.useSummaries;
    const table = this.config;
    const declaredNoreturn = noreturnDeclarations(file.text);
    /** The table's entry as the tree declares the function (a configuration's entry is the user's word). */
    const kbEntry = (name: string): ApiEntry | undefined => {
      const configured = table.get(name);
      if (configured || !lookupApi(name)) return configured;
      const entry = treeApi(view, name, file.path);
      if (!inputs.apis.has(name)) inputs.apis.set(name, exactFingerprint(entry));
      return entry;
    };
    const known = (name: string): ApiEntry | undefined => {
      const kb = kbEntry(name);
      if (!useSummaries) return byName.has(name) ? mergeEntry(undefined, kb, true) : kb;
      if (byName.has(name)) return mergeEntry(localSummaries.get(name), kb, true);
      knowledge.lookedUp.add(name);
      const summary = view.summaryOf(name, file.path);
      if (!inputs.summaries.has(name)) inputs.summaries.set(name, exactFingerprint(summary));
      return mergeEntry(summary, kb, false);
    };
    // Declared `__noreturn` here or in a header or file of the run that this file sees.
    const resolve = (name: string): ApiEntry | undefined => {
      const entry = known(name);
      if (entry?.noreturn) return entry;
      let noreturn = declaredNoreturn.has(name);
      if (!noreturn) {
        noreturn = view.noreturn(name, file.path);
        inputs.noreturn.set(name, noreturn);
      }
      return noreturn ? { ...(entry ?? { name }), noreturn: true } : entry;
    };
    const initializer = (variable: string): ReadonlyMap<string, string> | undefined => {
      const local = fileInitializers.get(variable)?.fields;
      if (local) return local;
      const other = view.initializer(variable);
      inputs.initializers.set(variable, exactFingerprint(other));
      return other;
    };
    // Static functions called only by name in this file (not stored as callbacks): their callers are all here.
    const statics = new Set<string>();
    if (opts.report && [...infos.values()].some((i) => i.isStatic)) {
      const uses = new Map<string, number>();
      for (const m of file.text.matchAll(/\b([A-Za-z_]\w*)\b(\s*\()?/g)) {
        // Count a use as +1000 when not a call: a name used as a value (a callback) is taken.
        uses.set(m[1], (uses.get(m[1]) ?? 0) + (m[2] ? 1 : 1000));
      }
      for (const [name, fn] of byName) if (infos.get(fn)!.isStatic && (uses.get(name) ?? 0) < 1000) statics.add(name);
    }

    const results = new Map<string, FunctionResult>();
    const definitions = new Map<AstNode, FunctionResult>();
    /** Calls of this file's static functions, by callee, then by calling function. */
    const callSitesOf = new Map<string, Map<AstNode, CallSite[]>>();
    const calleesOf = new Map<AstNode, Set<string>>();
    const setCallSites = (caller: AstNode, sites: readonly CallSite[]): void => {
      for (const callee of calleesOf.get(caller) ?? []) callSitesOf.get(callee)?.delete(caller);
      calleesOf.set(caller, new Set(sites.map((site) => site.callee)));
      for (const site of sites) {
        let byCaller = callSitesOf.get(site.callee);
        if (!byCaller) callSitesOf.set(site.callee, (byCaller = new Map()));
        let list = byCaller.get(caller);
        if (!list) byCaller.set(caller, (list = []));
        list.push(site);
      }
    };
    const failed = new Set<AstNode>();
    /** The names each function calls (one walk of its tree, for the call graph and the memo key). */
    const calls = new Map<AstNode, Set<string>>();
    const callsOf = (fn: AstNode): Set<string> => {
      let names = calls.get(fn);
      if (!names) calls.set(fn, (names = calledNames(fn)));
      return names;
    };
    // The memo: a function whose callees' summaries are what they were when it was last analysed
    // (a later pass or round over the file) is not analysed again; what it reported is reported
    // again, and its result (what the rules' file checks read) is given again. Not with callers'
    // locks at entry.
    // What `statics` changes in a function's analysis: the call sites it records, of the statics it calls.
    const staticsCalledBy = new Map<AstNode, string>();
    const staticsCalled = (fn: AstNode): string => {
      let called = staticsCalledBy.get(fn);
      if (called === undefined) staticsCalledBy.set(fn, (called = [...callsOf(fn)].filter((name) => statics.has(name)).sort().join(',')));
      return called;
    };
    const placeOf = (fn: AstNode): FunctionPlace => ({ row: fn.row, col: fn.col, endRow: fn.endRow, start: fn.start, end: fn.end });
    /** The fingerprint of what a function of this file says, wherever it stands (as if at the top of the file). */
    const placeFreeFingerprint = (entry: ApiEntry | undefined, place: FunctionPlace): string => exactFingerprint(moved(entry, file.path, [{ from: place, to: atOrigin(place) }]) ?? entry);
    const recordingResolve = (name: string): ApiEntry | undefined => {
      const entry = resolve(name);
      if (recording && !recording.deps.has(name)) {
        const definition = byName.get(name);
        if (definition) {
          const place = placeOf(definition);
          recording.places.set(name, place);
          recording.deps.set(name, placeFreeFingerprint(entry, place));
        } else recording.deps.set(name, exactFingerprint(entry));
      }
      return entry;
    };
    /** Do the answers an entry used hold now? Its callees in this file may have moved. */
    const answersHold = (e: MemoEntry): boolean => {
      for (const [name, fp] of e.deps) {
        const was = e.places.get(name);
        const definition = byName.get(name);
        if (!was) {
          if (exactFingerprint(resolve(name)) !== fp) return false;
        } else if (!definition || placeFreeFingerprint(resolve(name), placeOf(definition)) !== fp) return false;
      }
      for (const [variable, fp] of e.initializers) if (exactFingerprint(initializer(variable)) !== fp) return false;
      return true;
    };
    const recordingInitializer = (variable: string): ReadonlyMap<string, string> | undefined => {
      const fields = initializer(variable);
      if (recording && !recording.initializers.has(variable)) recording.initializers.set(variable, exactFingerprint(fields));
      return fields;
    };
    /** The memo entries of this analysis (what the cache keeps of the file's functions). */
    const used = new Map<string, MemoEntry>();
    const analyzeOne = (fn: AstNode, withVisitors: boolean, entry?: EntryLock[]): FunctionAnalysis | null => {
      if (failed.has(fn)) return null;
      const info = infos.get(fn)!;
      currentFunction = info.name;
      const key = !entry ? memoKey(file.path, withVisitors, staticsCalled(fn), handoffs.get(info.name), fn.text) : null;
      const stored = key ? this.memo.get(key) : undefined;
      if (stored?.analysis && answersHold(stored)) {
        const here = placeOf(fn);
        const moves = [{ from: stored.at, to: here }, ...[...stored.places].map(([name, from]) => ({ from, to: placeOf(byName.get(name)!) }))];
        const hit = moved(stored, file.path, moves);
        if (hit) {
          hit.at = here;
          for (const [ruleIndex, f] of hit.reports) reporters[ruleIndex](f);
          this.stats.functionsReused++;
          used.set(hit.key, hit);
          return { ...hit.analysis!, info, result: { info, failureReturns: hit.failureReturns } };
        }
      }
      try {
        recording = key ? { key, at: placeOf(fn), deps: new Map(), places: new Map(), initializers: new Map(), reports: [], analysis: null, failureReturns: [] } : null;
        const a = analyzeFunction(fn, file.path, this.pp, withVisitors ? visitors : [], {
          resolve: recordingResolve,
          initializer: recordingInitializer,
          summarize: true,
          statics,
          entry,
          handsLocksTo: handoffs.get(info.name),
          vmaWriteFields: this.vmaWriteFields,
        });
        if (key && recording) {
          const { summary, callSites, parseErrors, widened, budgetExceeded } = a;
          recording.analysis = { summary, callSites, parseErrors, widened, budgetExceeded };
          recording.failureReturns = a.result.failureReturns.map((f) => ({ ...f, node: f.node && positionOf(f.node) }));
          this.memo.delete(key);
          this.memo.set(key, recording);
          used.set(key, recording);
          if (this.memo.size > MEMO_LIMIT) this.memo.delete(this.memo.keys().next().value!);
        }
        return a;
      } catch (err) {
        failed.add(fn);
        out.cfgGiveUps++;
        out.notifications.push({
          file: file.path,
          level: 'warning',
          message: `could not analyse the function at line ${fn.row + 1}: ${err instanceof Error ? err.message : String(err)}`,
        });
        return null;
      } finally {
        recording = null;
      }
    };
    const record = (fn: AstNode, a: FunctionAnalysis): void => {
      const name = a.info.name;
      if (a.summary && byName.get(name) === fn) {
        if (entryRelevance(a.summary) === 'state') stateSummaries.push(name);
        localSummaries.set(name, a.summary);
        if (!a.info.isStatic || opts.exportAll) knowledge.exported.set(name, a.summary);
        else if (this.keepStatics) knowledge.statics.set(name, a.summary);
      }
      setCallSites(fn, a.callSites);
    };

    // Callees first. Each name is one node of the graph (its first definition; #ifdef twins follow it).
    const edges = new Map<string, Set<string>>();
    for (const [name, fn] of byName) edges.set(name, new Set([...callsOf(fn)].filter((c) => byName.has(c))));
    const order = bottomUp([...byName.keys()], edges);
    const twins = new Map<string, AstNode[]>();
    for (const fn of functionNodes) {
      const name = infos.get(fn)!.name;
      const list = twins.get(name) ?? [];
      list.push(fn);
      twins.set(name, list);
    }
    for (const scc of order) {
      const recursive = scc.length > 1 || edges.get(scc[0])!.has(scc[0]);
      if (recursive) {
        for (let i = 0; i < MAX_SCC_ITERATIONS; i++) {
          let changed = false;
          for (const name of scc) {
            const fn = byName.get(name)!;
            const before = summaryFingerprint(localSummaries.get(name));
            const a = analyzeOne(fn, false);
            if (a) record(fn, a);
            if (summaryFingerprint(localSummaries.get(name)) !== before) changed = true;
          }
          if (!changed) break;
        }
      }
      for (const name of scc) {
        for (const fn of twins.get(name)!) {
          out.functions++;
          const a = analyzeOne(fn, true);
          if (!a) continue;
          record(fn, a);
          if (!results.has(a.info.name)) results.set(a.info.name, a.result);
          definitions.set(fn, a.result);
          if (a.parseErrors) out.functionsWithParseErrors++;
          if (a.widened) out.functionsWidened++;
          if (a.budgetExceeded && opts.report) {
            out.notifications.push({ file: file.path, level: 'note', message: `function ${a.info.name} (line ${fn.row + 1}) was not fully analysed: it exceeds the path budget` });
          }
        }
      }
    }

    // Callers first: a static function every one of whose calls holds a lock starts with it held.
    if (opts.report && this.useSummaries) {
      for (const scc of [...order].reverse()) {
        for (const name of scc) {
          if (!statics.has(name)) continue;
          const fn = byName.get(name)!;
          if (twins.get(name)!.length > 1) continue;
          const sites: CallSite[] = [];
          for (const [caller, list] of callSitesOf.get(name) ?? []) if (caller !== fn) sites.push(...list);
          const entry = entryFromCallers(sites, name);
          if (!entry.length) continue;
          relocation = { site: sites[0], entrySteps: new Set(entry.map((e) => e.step)), callee: name, callers: sites.length };
          try {
            const a = analyzeOne(fn, true, entry);
            if (a) {
              out.functionsWithCallerEntry++;
              setCallSites(fn, a.callSites);
            }
          } finally {
            relocation = null;
          }
        }
      }
    }
    currentFunction = null;
    const ordered = functionNodes.map((fn) => definitions.get(fn)).filter((d): d is FunctionResult => !!d);
    for (const v of visitors) {
      v.file?.({
        file: file.path,
        comments,
        functions: results,
        definitions: ordered,
        resolve: (name) => {
          if (!byName.has(name)) knowledge.lookedUpWhole.add(name);
          return resolve(name);
        },
        step: (node, message) => stepAt(file.path, node, message),
      });
    }
    this.stats.analyzeMs += performance.now() - t1;
    return { knowledge, inputs, stateSummaries, functions: [...used.values()] };
  }
}

export function emptyOutcome(): FileOutcome {
  return { findings: [], notifications: [], functions: 0, cfgGiveUps: 0, ruleErrors: 0, ruleMs: {}, functionsWithParseErrors: 0, functionsWidened: 0, functionsWithCallerEntry: 0, failed: false, bytes: 0 };
}

