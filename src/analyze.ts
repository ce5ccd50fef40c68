// Entry point of the analysis: files in, findings, notifications and stats out.
// Per-file isolation: a file that cannot be read, parsed or analysed yields a notification and
// the run goes on with the others.

import { existsSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import type { AnalyzeOptions, FileNotification, Finding, RunResult, RunStats, TraceStep } from './types.js';
import { emptyStats } from './stats.js';
import { compareFindingOrder } from './report/order.js';
import { initParser, parseC, query } from './parse/parser.js';
import { AstNode, toAst, type SourceFile } from './parse/ast.js';
import { analyzeFunction, functionInfo, stepAt, type CallSite, type EntryLock, type FunctionAnalysis } from './engine/function.js';
import { bottomUp, calledNames, entryFromCallers } from './engine/callgraph.js';
import { RunKnowledge, mergeEntry, type FileKnowledge } from './engine/knowledge.js';
import { CONDITIONAL_DIRECTIVES, PreprocessorEvaluator, type PreprocessorChoices } from './engine/preprocessor.js';
import { allApis, DEFAULT_DEFINES, LOCK_HANDOFF_CALLBACKS, lookupApi, type ApiEntry } from './kb/lock-api.js';
import { noreturnDeclarations, type NoreturnIndex } from './engine/noreturn.js';
import { summaryFingerprint } from './engine/summary.js';
import { declaredName } from './engine/transfer.js';
import { keepOnly, prescan, type FilePrescan } from './engine/prescan.js';
import { addEntry, Demand, entryRelevance, markTriggered, relevantNames } from './engine/demand.js';
import type { Node } from 'web-tree-sitter';
import type { CommentInfo, FunctionInfo, FunctionResult, FindingInput } from './engine/events.js';
import { allRules } from './rules/index.js';
import type { Rule, RuleVisitor } from './rules/rule.js';

/** A source given in memory (tests, editor buffers). */
export interface SourceInput {
  path: string;
  text: string;
}

function selectRules(options: AnalyzeOptions): Rule[] {
  const rules = allRules();
  if (!options.rules) return [...rules];
  const wanted = new Set(options.rules);
  return rules.filter((r) => wanted.has(r.meta.id));
}

/** Decodes file bytes: UTF-8, or Latin-1 when they are not valid UTF-8. Null for binary files. */
export function decodeSource(bytes: Buffer): string | null {
  if (bytes.includes(0)) return null;
  try {
    return new TextDecoder('utf-8', { fatal: true }).decode(bytes);
  } catch {
    return bytes.toString('latin1');
  }
}

/** A conditional directive with just what deciding it needs (its name or condition), not its body. */
function shallowDirective(p: Node, file: SourceFile): AstNode {
  const node = new AstNode(file, p.type, true, null, false, p.startIndex, p.endIndex, p.startPosition.row, p.startPosition.column, p.endPosition.row, p.endPosition.column);
  const first = p.child(0);
  if (first) {
    node.children.push(new AstNode(file, first.type, false, null, false, first.startIndex, first.endIndex, 0, 0, 0, 0));
  }
  for (const field of ['name', 'condition']) {
    const c = p.childForFieldName(field);
    if (!c) continue;
    const copy = toAst(c, file);
    const withField = new AstNode(file, copy.type, copy.named, field, false, copy.start, copy.end, copy.row, copy.col, copy.endRow, copy.endCol);
    withField.children.push(...copy.children);
    node.children.push(withField);
  }
  return node;
}

/** Is a top-level node inside #if regions that -D/-U (and the default defines) leave enabled? */
function inEnabledRegion(node: Node, pre: PreprocessorEvaluator, file: SourceFile): boolean {
  let child: Node = node;
  let p = node.parent;
  while (p) {
    if (CONDITIONAL_DIRECTIVES.has(p.type)) {
      const verdict = pre.decide(shallowDirective(p, file));
      const alt = p.childForFieldName('alternative');
      if (alt && alt.id === child.id) {
        if (verdict === true) return false;
      } else if (verdict === false) {
        return false;
      }
    }
    child = p;
    p = p.parent;
  }
  return true;
}

/** Effective macros: the knowledge base's defaults, then -D, then -U. */
function preprocessorChoices(options: AnalyzeOptions): PreprocessorChoices {
  const defines = new Map(DEFAULT_DEFINES);
  for (const [k, v] of options.defines ?? []) defines.set(k, v);
  const undefines = new Set(options.undefines ?? []);
  for (const u of undefines) defines.delete(u);
  return { defines, undefines };
}

/** A C file of the run, read when it is analysed (again, when a later round needs it). */
interface RunSource {
  path: string;
  read(): Promise<{ text: string } | { error: string }>;
}

/** What the analysis of one file produced (replaced when the file is analysed again). */
interface FileOutcome {
  findings: Finding[];
  notifications: FileNotification[];
  functions: number;
  cfgGiveUps: number;
  functionsWithParseErrors: number;
  functionsWidened: number;
  functionsWithCallerEntry: number;
  failed: boolean;
  bytes: number;
}

/** `.field = value` pairs of a brace initializer. */
function initializerFields(list: AstNode): Map<string, string> {
  const out = new Map<string, string>();
  for (const pair of list.namedChildren) {
    if (pair.type !== 'initializer_pair') continue;
    const designator = pair.namedChildren.find((c) => c.type === 'field_designator');
    const value = pair.child('value');
    const field = designator?.namedChildren[0]?.text;
    if (field && value) out.set(field, value.text.replace(/\s+/g, ' ').trim());
  }
  return out;
}

const MAX_SCC_ITERATIONS = 4;
/** Rounds of the cross-file fixed point: a file is analysed again when a summary it used changed. */
const MAX_ROUNDS = 8;
/** Summaries are computed for the kernel headers that wrap the lock API. */
const KERNEL_HEADERS = ['include/linux/mmap_lock.h', 'include/linux/mm.h', 'include/linux/pagewalk.h', 'include/linux/uaccess.h'];

class FileAnalyzer {
  /** Prescans of the run's files (for the ranges of the functions the demand keeps). */
  readonly prescans = new Map<string, FilePrescan>();
  private readonly keepStatics: boolean;
  /** Knowledge-base entries from the configuration. */
  private readonly config: ReadonlyMap<string, ApiEntry>;
  private readonly useSummaries: boolean;
  private readonly pp: PreprocessorChoices;
  private readonly pre: PreprocessorEvaluator;

  constructor(
    private readonly rules: Rule[],
    options: AnalyzeOptions,
    private readonly stats: RunStats,
    private readonly knowledge: RunKnowledge,
  ) {
    this.keepStatics = !!options.staticSummaries;
    this.config = new Map((options.config ?? []).map((e) => [e.name, e]));
    this.useSummaries = options.summaries !== false;
    this.pp = preprocessorChoices(options);
    this.pre = new PreprocessorEvaluator(this.pp);
  }

  /** The text ranges of the functions ending at `ends` (with the comments above them), and the file-scope initializers. */
  private keptRanges(file: SourceFile, ends: ReadonlySet<number>): { start: number; end: number }[] {
    const scan = this.prescans.get(file.path);
    if (!scan) return [];
    return [...scan.functions.filter((f) => ends.has(f.end)), ...scan.initializers].sort((a, b) => a.start - b.start);
  }

  /**
   * Analyses one file: its functions callees first (so that a chain of helpers is summarised at
   * any depth; recursive groups are iterated), then each static function again with the locks
   * every caller holds at entry, then the file-level checks.
   */
  analyze(file: SourceFile, out: FileOutcome, opts: { report: boolean; exportAll?: boolean; only?: ReadonlySet<number> | null; onSummary?: (name: string, entry: ApiEntry) => void }): FileKnowledge {
    const t0 = performance.now();
    // Only some functions analysed (the demand): the parser sees them alone, the rest blanked.
    const only = opts.only ?? null;
    this.stats.filesParsed++;
    let tree = parseC(only ? keepOnly(file.text, this.keptRanges(file, only)) : file.text);
    let analysed = (end: number): boolean => !only || only.has(end);
    if (only) {
      // The prescan delimited a function otherwise than the parser (a brace an #ifdef left
      // unbalanced): the whole file is parsed, and what the prescan did not see is analysed.
      const ends = query('functions').captures(tree.rootNode).map((c) => c.node.endIndex);
      if (ends.some((e) => !only.has(e)) || new Set(ends).size < only.size) {
        tree.delete();
        this.stats.filesParsed++;
        tree = parseC(file.text);
        const known = new Set(this.prescans.get(file.path)?.functions.map((f) => f.end));
        analysed = (end) => only.has(end) || !known.has(end);
      }
    }
    let functionNodes: AstNode[];
    let comments: CommentInfo[];
    const fileInitializers = new Map<string, { fields: Map<string, string>; isStatic: boolean; type: string }>();
    try {
      functionNodes = query('functions')
        .captures(tree.rootNode)
        .filter((c) => analysed(c.node.endIndex))
        .filter((c) => inEnabledRegion(c.node, this.pre, file))
        .map((c) => toAst(c.node, file));
      comments = opts.report
        ? query('comments')
            .captures(tree.rootNode)
            .map((c) => {
              const n = c.node;
              const node = new AstNode(file, 'comment', true, null, false, n.startIndex, n.endIndex, n.startPosition.row, n.startPosition.column, n.endPosition.row, n.endPosition.column);
              return { node, text: node.text };
            })
        : [];
      for (const c of query('initializers').captures(tree.rootNode)) {
        let p = c.node.parent;
        while (p && p.type !== 'function_definition') p = p.parent;
        if (p) continue;
        const decl = toAst(c.node, file);
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
    const visitors: RuleVisitor[] = opts.report
      ? this.rules.map((rule) =>
          rule.create({
            report: (f: FindingInput) => {
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
            },
          }),
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
    for (const [name, v] of fileInitializers) if (!v.isStatic) knowledge.initializers.set(name, v.fields);
    const run = this.knowledge;
    const useSummaries = this.useSummaries;
    const table = this.config;
    const declaredNoreturn = noreturnDeclarations(file.text);
    const known = (name: string): ApiEntry | undefined => {
      const kb = table.get(name) ?? lookupApi(name);
      if (!useSummaries) return byName.has(name) ? mergeEntry(undefined, kb, true) : kb;
      if (byName.has(name)) return mergeEntry(localSummaries.get(name), kb, true);
      knowledge.lookedUp.add(name);
      return mergeEntry(run.summaryOf(name, file.path), kb, false);
    };
    // Declared `__noreturn` here or in a header or file of the run that this file sees.
    const resolve = (name: string): ApiEntry | undefined => {
      const entry = known(name);
      if (entry?.noreturn || !(declaredNoreturn.has(name) || run.noreturn.holds(name, file.path))) return entry;
      return { ...(entry ?? { name }), noreturn: true };
    };
    const initializer = (variable: string): ReadonlyMap<string, string> | undefined => fileInitializers.get(variable)?.fields ?? run.initializers.get(variable);
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
    const analyzeOne = (fn: AstNode, withVisitors: boolean, entry?: EntryLock[]): FunctionAnalysis | null => {
      if (failed.has(fn)) return null;
      try {
        currentFunction = infos.get(fn)!.name;
        return analyzeFunction(fn, file.path, this.pp, withVisitors ? visitors : [], { resolve, initializer, summarize: true, statics, entry, handsLocksTo: handoffs.get(infos.get(fn)!.name) });
      } catch (err) {
        failed.add(fn);
        out.cfgGiveUps++;
        out.notifications.push({
          file: file.path,
          level: 'warning',
          message: `could not analyse the function at line ${fn.row + 1}: ${err instanceof Error ? err.message : String(err)}`,
        });
        return null;
      }
    };
    const record = (fn: AstNode, a: FunctionAnalysis): void => {
      const name = a.info.name;
      if (a.summary && byName.get(name) === fn) {
        opts.onSummary?.(name, a.summary);
        localSummaries.set(name, a.summary);
        if (!a.info.isStatic || opts.exportAll) knowledge.exported.set(name, a.summary);
        else if (this.keepStatics) knowledge.statics.set(name, a.summary);
      }
      setCallSites(fn, a.callSites);
    };

    // Callees first. Each name is one node of the graph (its first definition; #ifdef twins follow it).
    const edges = new Map<string, Set<string>>();
    for (const [name, fn] of byName) edges.set(name, new Set([...calledNames(fn)].filter((c) => byName.has(c))));
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
    return knowledge;
  }
}

function emptyOutcome(): FileOutcome {
  return { findings: [], notifications: [], functions: 0, cfgGiveUps: 0, functionsWithParseErrors: 0, functionsWidened: 0, functionsWithCallerEntry: 0, failed: false, bytes: 0 };
}

/** The kernel tree a path lies in (a directory with include/linux/mm.h), or null. */
function findKernelRoot(paths: readonly string[]): string | null {
  for (const p of paths) {
    let dir = path.resolve(p);
    for (let i = 0; i < 64; i++) {
      if (existsSync(path.join(dir, 'include/linux/mm.h'))) return dir;
      const up = path.dirname(dir);
      if (up === dir) break;
      dir = up;
    }
  }
  return null;
}

/**
 * The run's files in an order where a file comes after the files defining what it calls (as far
 * as cycles allow), from a quick parse of each: fewer files need a second analysis.
 */
async function calleesFirst(
  sources: readonly RunSource[],
  stats: RunStats,
  localHeaders: Set<string>,
  knowledge: RunKnowledge,
  root: string | null,
  scan: { wanted: ReadonlySet<string>; triggers: readonly RegExp[]; out: Map<string, FilePrescan> } | null,
): Promise<RunSource[]> {
  const t0 = performance.now();
  const definedIn = new Map<string, string>();
  const calls = new Map<string, Set<string>>();
  for (const src of sources) {
    const got = await src.read();
    if ('error' in got) continue;
    if (scan) {
      const p = prescan(got.text, scan.wanted);
      markTriggered(p, got.text, scan.triggers);
      scan.out.set(src.path, p);
    }
    knowledge.noreturn.add(src.path, got.text, root);
    knowledge.addArchHeader(src.path, got.text);
    // `#include "internal.h"`: the file's own headers, whose inline helpers are summarised too.
    for (const m of got.text.matchAll(/^[ \t]*#[ \t]*include[ \t]+"([^"]+\.h)"/gm)) {
      const h = path.resolve(path.dirname(src.path), m[1]);
      if (existsSync(h)) localHeaders.add(h);
    }
    if (sources.length < 3) continue;
    // A textual scan is enough to order files (the fixed point makes the result exact): names
    // followed by `(` are calls, and a line at column 0 that starts a non-static declaration and
    // does not end in `;` defines the name before its `(`.
    const called = new Set<string>();
    for (const m of got.text.matchAll(/\b([A-Za-z_]\w*)\s*\(/g)) called.add(m[1]);
    for (const m of got.text.matchAll(/^(?!static\b|typedef\b|extern\b|#)[A-Za-z_][^;{}()=\n]*?\b([A-Za-z_]\w*)\([^;\n]*$/gm)) {
      if (!definedIn.has(m[1])) definedIn.set(m[1], src.path);
    }
    calls.set(src.path, called);
  }
  if (sources.length < 3) return [...sources];
  const edges = new Map<string, Set<string>>();
  for (const src of sources) {
    const deps = new Set<string>();
    for (const name of calls.get(src.path) ?? []) {
      const f = definedIn.get(name);
      if (f && f !== src.path) deps.add(f);
    }
    edges.set(src.path, deps);
  }
  const byPath = new Map(sources.map((s) => [s.path, s]));
  const ordered = bottomUp(sources.map((s) => s.path), edges).flat().map((p) => byPath.get(p)!);
  stats.parseMs += performance.now() - t0;
  return ordered;
}

async function run(sources: readonly RunSource[], options: AnalyzeOptions): Promise<RunResult> {
  const start = performance.now();
  await initParser();
  const stats = emptyStats();
  const root = options.kernelRoot === false ? null : options.kernelRoot ?? findKernelRoot(sources.map((s) => s.path));
  const knowledge = new RunKnowledge(root);
  for (const [name, entry] of Object.entries(options.summariesIn ?? {})) knowledge.imported.set(name, { ...entry, name });
  const rules = selectRules(options);
  const analyzer = new FileAnalyzer(rules, options, stats, knowledge);
  // What makes a function worth analysing (src/engine/demand.ts): the lock API of the knowledge
  // base and the configuration, the summaries of earlier runs and of the headers (added below).
  const useDemand = options.demand !== false;
  const names = relevantNames([...allApis(), ...(options.config ?? [])]);
  for (const entry of knowledge.imported.values()) addEntry(names, entry);
  const triggers = rules.flatMap((r) => (r.meta.textTrigger ? [r.meta.textTrigger] : []));

  // Headers first: the kernel's wrappers of the lock API (static inlines in the mm headers, twice
  // so that helpers calling helpers settle) and the run's own headers (`#include "internal.h"`).
  const localHeaders = new Set<string>();
  const scan = useDemand ? { wanted: new Set([...names.lockNames, ...names.insideNames, ...names.vmaNames]), triggers, out: analyzer.prescans } : null;
  const ordered = await calleesFirst(sources, stats, localHeaders, knowledge, root, scan);
  const headerFiles = [...(root ? KERNEL_HEADERS.map((rel) => path.join(root, rel)) : []), ...[...localHeaders].sort()];
  if (headerFiles.length && options.summaries !== false) {
    const kernelHeaders = new Set(root ? KERNEL_HEADERS.map((rel) => path.join(root, rel)) : []);
    for (let round = 0; round < 2; round++) {
      // The kernel headers call each other's helpers; a run's own header rarely calls another's.
      for (const file of round === 0 ? headerFiles : headerFiles.filter((f) => kernelHeaders.has(f))) {
        let text: string | null;
        try {
          text = decodeSource(await readFile(file));
        } catch {
          continue;
        }
        if (text === null) continue;
        let k: FileKnowledge;
        try {
          k = analyzer.analyze({ path: file, text }, emptyOutcome(), { report: false, exportAll: true });
        } catch {
          continue;
        }
        for (const [name, entry] of k.exported) {
          // `extern f();` in one #ifdef branch, a static inline stub in the other: which one the
          // build uses depends on the architecture, so the stub says nothing.
          if (new RegExp(`\\bextern\\b[^;{}]*\\b${name}\\s*\\(`).test(text)) continue;
          if (!kernelHeaders.has(file)) knowledge.addLocalHeader(name, entry, file);
          else if (!knowledge.headers.has(name) || round > 0) knowledge.headers.set(name, entry);
        }
      }
    }
    stats.headerSummaries = knowledge.headers.size + knowledge.localHeaders.size;
  }

  // The demand, once the headers' summaries are known.
  let demand: Demand | null = null;
  if (useDemand) {
    for (const entry of knowledge.headers.values()) addEntry(names, entry);
    for (const list of knowledge.localHeaders.values()) for (const h of list) addEntry(names, h.entry);
    demand = new Demand(
      sources.filter((src) => analyzer.prescans.has(src.path)).map((src) => ({ path: src.path, scan: analyzer.prescans.get(src.path)! })),
      names,
      !!options.exportSummaries,
    );
    demand.takeActivated();
    stats.functionsInRun = demand.functions;
  }
  /** Files whose needed functions grew since their last analysis (a summary found later asks for their callers). */
  const activated = new Set<string>();

  const outcomes = new Map<string, FileOutcome>();
  const analyzedAt = new Map<string, number>();
  const lookedUp = new Map<string, FileKnowledge>();
  const analyzeSource = async (src: RunSource): Promise<void> => {
    const out = emptyOutcome();
    outcomes.set(src.path, out);
    analyzedAt.set(src.path, knowledge.generation);
    activated.delete(src.path);
    const got = await src.read();
    if ('error' in got) {
      out.failed = true;
      out.notifications.push({ file: src.path, level: 'error', message: got.error });
      return;
    }
    out.bytes = Buffer.byteLength(got.text);
    try {
      // A summary that changes its callers' state makes them needed; callers in this file are
      // analysed at once (the file again), the others when the loop reaches them.
      const onSummary = demand
        ? (name: string, entry: ApiEntry): void => {
            if (entryRelevance(entry) === 'state') demand!.activate(src.path, name);
          }
        : undefined;
      let k: FileKnowledge;
      for (let pass = 0; ; pass++) {
        const needed = demand?.neededIn(src.path);
        const only = needed ? new Set(needed.map((f) => f.end)) : null;
        k = analyzer.analyze({ path: src.path, text: got.text }, out, { report: true, only, onSummary });
        const more = demand?.takeActivated() ?? new Set<string>();
        for (const p of more) if (p !== src.path) activated.add(p);
        if (!more.has(src.path) || pass >= 3) break;
        Object.assign(out, { ...emptyOutcome(), bytes: out.bytes });
      }
      lookedUp.set(src.path, k);
      knowledge.generation++;
      knowledge.publish(src.path, k);
    } catch (err) {
      out.findings.length = 0;
      out.failed = true;
      out.notifications.push({ file: src.path, level: 'error', message: `could not be analysed: ${err instanceof Error ? err.message : String(err)}` });
    }
  };
  const skipped = (src: RunSource): void => {
    const out = emptyOutcome();
    outcomes.set(src.path, out);
    out.bytes = analyzer.prescans.get(src.path)?.bytes ?? 0;
  };
  // Progress: files done of files to do (each round adds the files it analyses again).
  const progress = { done: 0, total: ordered.length };
  const fileDone = (): void => {
    progress.done++;
    options.onProgress?.({ ...progress });
  };
  for (const src of ordered) {
    if (!demand || demand.fileNeeded(src.path)) await analyzeSource(src);
    else skipped(src);
    fileDone();
  }
  stats.summaryRounds = 1;
  for (let round = 1; round < MAX_ROUNDS; round++) {
    const dirty = ordered.filter((src) => {
      if (activated.has(src.path)) return true;
      const at = analyzedAt.get(src.path) ?? 0;
      const k = lookedUp.get(src.path);
      if (!k) return false;
      for (const name of k.lookedUp) if ((knowledge.changedAt.get(name) ?? -1) >= at) return true;
      for (const name of k.lookedUpWhole) if ((knowledge.wholeChangedAt.get(name) ?? -1) >= at) return true;
      return false;
    });
    if (!dirty.length) break;
    stats.summaryRounds++;
    stats.fileReanalyses += dirty.length;
    progress.total += dirty.length;
    for (const src of dirty) {
      await analyzeSource(src);
      fileDone();
    }
  }

  const findings: Finding[] = [];
  const notifications: FileNotification[] = [];
  for (const src of sources) {
    const o = outcomes.get(src.path)!;
    stats.files++;
    if (o.failed) stats.filesFailed++;
    stats.bytes += o.bytes;
    stats.functions += o.functions;
    stats.cfgGiveUps += o.cfgGiveUps;
    stats.functionsWithParseErrors += o.functionsWithParseErrors;
    stats.functionsWidened += o.functionsWidened;
    stats.functionsWithCallerEntry += o.functionsWithCallerEntry;
    findings.push(...o.findings);
    notifications.push(...o.notifications);
  }
  findings.sort(compareFindingOrder);
  for (const f of findings) stats.findingsByRule[f.ruleId] = (stats.findingsByRule[f.ruleId] ?? 0) + 1;
  stats.totalMs = performance.now() - start;
  const summaries: Record<string, ApiEntry> = {};
  for (const name of [...knowledge.run.keys()].sort()) {
    // Generic code's definition when there is one, else the first architecture's.
    const defs = knowledge.run.get(name)!;
    summaries[name] = (defs.find((d) => d.arch === null) ?? defs[0]).entry;
  }
  for (const name of [...knowledge.statics.keys()].sort()) summaries[name] = knowledge.statics.get(name)!;
  return { findings, notifications, stats, summaries };
}

/** Analyses files read from disk. Findings are sorted by file, line, column, rule. */
export async function analyzeFiles(paths: string[], options: AnalyzeOptions = {}): Promise<RunResult> {
  return run(
    paths.map((p) => ({
      path: p,
      async read() {
        let bytes: Buffer;
        try {
          bytes = await readFile(p);
        } catch (err) {
          const code = (err as NodeJS.ErrnoException).code;
          return { error: `cannot read: ${code === 'EACCES' ? 'permission denied' : code === 'ENOENT' ? 'no such file' : code ?? String(err)}` };
        }
        const text = decodeSource(bytes);
        return text === null ? { error: 'binary file, not C source: skipped' } : { text };
      },
    })),
    options,
  );
}

/** Analyses sources held in memory. */
export async function analyzeSources(sources: SourceInput[], options: AnalyzeOptions = {}): Promise<RunResult> {
  return run(
    sources.map((s) => ({ path: s.path, read: async () => ({ text: s.text }) })),
    { kernelRoot: false, ...options },
  );
}
