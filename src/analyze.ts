// Entry point of the analysis: files in, findings, notifications and stats out.
// Per-file isolation: a file that cannot be read, parsed or analysed yields a notification and
// the run goes on with the others.

import { readFile } from 'node:fs/promises';
import { performance } from 'node:perf_hooks';
import type { AnalyzeOptions, FileNotification, Finding, RunResult, RunStats } from './types.js';
import { initParser, parseC, query } from './parse/parser.js';
import { AstNode, toAst, type SourceFile } from './parse/ast.js';
import { analyzeFunction, functionInfo, stepAt } from './engine/function.js';
import { CONDITIONAL_DIRECTIVES, PreprocessorEvaluator, type PreprocessorChoices } from './engine/preprocessor.js';
import { DEFAULT_DEFINES } from './kb/lock-api.js';
import type { Node } from 'web-tree-sitter';
import type { CommentInfo, FunctionResult, FindingInput } from './engine/events.js';
import { allRules } from './rules/index.js';
import type { Rule, RuleVisitor } from './rules/rule.js';

/** A source given in memory (tests, editor buffers). */
export interface SourceInput {
  path: string;
  text: string;
}

function emptyStats(): RunStats {
  return {
    files: 0,
    filesFailed: 0,
    bytes: 0,
    functions: 0,
    cfgGiveUps: 0,
    functionsWithParseErrors: 0,
    functionsWidened: 0,
    parseMs: 0,
    analyzeMs: 0,
    totalMs: 0,
    findingsByRule: {},
  };
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

function compareFindings(a: Finding, b: Finding): number {
  if (a.file !== b.file) return a.file < b.file ? -1 : 1;
  if (a.line !== b.line) return a.line - b.line;
  if (a.column !== b.column) return a.column - b.column;
  if (a.ruleId !== b.ruleId) return a.ruleId < b.ruleId ? -1 : 1;
  return a.message < b.message ? -1 : a.message > b.message ? 1 : 0;
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

class FileAnalyzer {
  private readonly pp: PreprocessorChoices;
  private readonly pre: PreprocessorEvaluator;

  constructor(
    private readonly rules: Rule[],
    options: AnalyzeOptions,
    private readonly stats: RunStats,
  ) {
    this.pp = preprocessorChoices(options);
    this.pre = new PreprocessorEvaluator(this.pp);
  }

  analyze(file: SourceFile, findings: Finding[], notifications: FileNotification[]): void {
    const t0 = performance.now();
    const tree = parseC(file.text);
    let functionNodes: AstNode[];
    let comments: CommentInfo[];
    try {
      functionNodes = query('functions')
        .captures(tree.rootNode)
        .filter((c) => inEnabledRegion(c.node, this.pre, file))
        .map((c) => toAst(c.node, file));
      comments = query('comments')
        .captures(tree.rootNode)
        .map((c) => {
          const n = c.node;
          const node = new AstNode(file, 'comment', true, null, false, n.startIndex, n.endIndex, n.startPosition.row, n.startPosition.column, n.endPosition.row, n.endPosition.column);
          return { node, text: node.text };
        });
    } finally {
      tree.delete();
    }
    const t1 = performance.now();
    this.stats.parseMs += t1 - t0;

    const lines = file.text.split('\n');
    const seen = new Set<string>();
    let currentFunction: string | null = null;
    const visitors: RuleVisitor[] = this.rules.map((rule) =>
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
          const key = `${finding.ruleId}|${finding.line}|${finding.column}|${finding.message}`;
          if (seen.has(key)) return;
          seen.add(key);
          findings.push(finding);
        },
      }),
    );

    const pp = this.pp;
    const localDefinitions = new Set(functionNodes.map((fn) => functionInfo(fn).name));
    const results = new Map<string, FunctionResult>();
    const definitions: FunctionResult[] = [];
    for (const fn of functionNodes) {
      this.stats.functions++;
      try {
        currentFunction = null;
        const a = analyzeFunction(fn, file.path, pp, visitors, localDefinitions);
        currentFunction = a.info.name;
        if (!results.has(a.info.name)) results.set(a.info.name, a.result);
        definitions.push(a.result);
        if (a.parseErrors) this.stats.functionsWithParseErrors++;
        if (a.widened) this.stats.functionsWidened++;
        if (a.budgetExceeded) {
          notifications.push({ file: file.path, level: 'note', message: `function ${a.info.name} (line ${fn.row + 1}) was not fully analysed: it exceeds the path budget` });
        }
      } catch (err) {
        this.stats.cfgGiveUps++;
        notifications.push({
          file: file.path,
          level: 'warning',
          message: `could not analyse the function at line ${fn.row + 1}: ${err instanceof Error ? err.message : String(err)}`,
        });
      }
    }
    currentFunction = null;
    for (const v of visitors) {
      v.file?.({
        file: file.path,
        comments,
        functions: results,
        definitions,
        step: (node, message) => stepAt(file.path, node, message),
      });
    }
    this.stats.analyzeMs += performance.now() - t1;
  }
}

async function run(load: () => AsyncIterable<{ path: string; text: string | null; error?: string }>, options: AnalyzeOptions): Promise<RunResult> {
  const start = performance.now();
  await initParser();
  const stats = emptyStats();
  const findings: Finding[] = [];
  const notifications: FileNotification[] = [];
  const analyzer = new FileAnalyzer(selectRules(options), options, stats);
  for await (const src of load()) {
    stats.files++;
    if (src.text === null) {
      stats.filesFailed++;
      notifications.push({ file: src.path, level: 'error', message: src.error ?? 'could not be read' });
      continue;
    }
    stats.bytes += Buffer.byteLength(src.text);
    const before = findings.length;
    try {
      analyzer.analyze({ path: src.path, text: src.text }, findings, notifications);
    } catch (err) {
      findings.length = before;
      stats.filesFailed++;
      notifications.push({ file: src.path, level: 'error', message: `could not be analysed: ${err instanceof Error ? err.message : String(err)}` });
    }
  }
  findings.sort(compareFindings);
  for (const f of findings) stats.findingsByRule[f.ruleId] = (stats.findingsByRule[f.ruleId] ?? 0) + 1;
  stats.totalMs = performance.now() - start;
  return { findings, notifications, stats };
}

/** Analyses files read from disk. Findings are sorted by file, line, column, rule. */
export async function analyzeFiles(paths: string[], options: AnalyzeOptions = {}): Promise<RunResult> {
  return run(async function* () {
    for (const path of paths) {
      let bytes: Buffer;
      try {
        bytes = await readFile(path);
      } catch (err) {
        const code = (err as NodeJS.ErrnoException).code;
        yield { path, text: null, error: `cannot read: ${code === 'EACCES' ? 'permission denied' : code === 'ENOENT' ? 'no such file' : code ?? String(err)}` };
        continue;
      }
      const text = decodeSource(bytes);
      yield text === null ? { path, text: null, error: 'binary file, not C source: skipped' } : { path, text };
    }
  }, options);
}

/** Analyses sources held in memory. */
export async function analyzeSources(sources: SourceInput[], options: AnalyzeOptions = {}): Promise<RunResult> {
  return run(async function* () {
    for (const s of sources) yield { path: s.path, text: s.text };
  }, options);
}
