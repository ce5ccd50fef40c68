// The JSON report: a stable, versioned document (see docs/json-format.md). Keys are written in a
// fixed order and every field is copied explicitly, so the output changes only when the schema
// version does.
import { compareCodeUnits } from '../discover.js';
import type { FileNotification, Finding, RunResult, RunStats, TraceStep } from '../types.js';
import type { ToolInfo } from './tool-info.js';

/** Bumped on any incompatible change of the document's shape. */
export const JSON_FORMAT_VERSION = 1;

export interface JsonReport {
  version: number;
  tool: { name: string; version: string };
  findings: Finding[];
  notifications: FileNotification[];
  stats: JsonStats;
}

export function buildJsonReport(result: RunResult, tool: Pick<ToolInfo, 'name' | 'version'>): JsonReport {
  return {
    version: JSON_FORMAT_VERSION,
    tool: { name: tool.name, version: tool.version },
    findings: result.findings.map(copyFinding),
    notifications: result.notifications.map(copyNotification),
    stats: copyStats(result.stats),
  };
}

export function formatJson(result: RunResult, tool: Pick<ToolInfo, 'name' | 'version'>): string {
  return `${JSON.stringify(buildJsonReport(result, tool), null, 2)}\n`;
}

function copyFinding(finding: Finding): Finding {
  return {
    ruleId: finding.ruleId,
    severity: finding.severity,
    file: finding.file,
    line: finding.line,
    column: finding.column,
    endLine: finding.endLine,
    endColumn: finding.endColumn,
    function: finding.function,
    message: finding.message,
    trace: finding.trace.map(copyTraceStep),
    lineText: finding.lineText,
  };
}

function copyTraceStep(step: TraceStep): TraceStep {
  return { file: step.file, line: step.line, column: step.column, message: step.message };
}

function copyNotification(notification: FileNotification): FileNotification {
  return { file: notification.file, level: notification.level, message: notification.message };
}

/**
 * The statistics as the JSON format names them: the format's keys are stable, so two keys keep the
 * spelling they were published with (`filesAnalysedAhead`, `filesAnalysedAgain`).
 */
export type JsonStats = Omit<RunStats, 'filesAnalyzedAhead' | 'filesAnalyzedAgain'> & { filesAnalysedAhead: number; filesAnalysedAgain: number };

function copyStats(stats: RunStats): JsonStats {
  const findingsByRule: Record<string, number> = {};
  for (const ruleId of Object.keys(stats.findingsByRule).sort(compareCodeUnits)) {
    findingsByRule[ruleId] = stats.findingsByRule[ruleId] ?? 0;
  }
  return {
    files: stats.files,
    filesFailed: stats.filesFailed,
    contextFiles: stats.contextFiles,
    bytes: stats.bytes,
    functions: stats.functions,
    cfgGiveUps: stats.cfgGiveUps,
    ruleErrors: stats.ruleErrors,
    ruleMs: Object.fromEntries(Object.keys(stats.ruleMs).sort(compareCodeUnits).map((id) => [id, Math.round(stats.ruleMs[id]!)])),
    functionsWithParseErrors: stats.functionsWithParseErrors,
    functionsWidened: stats.functionsWidened,
    summaryRounds: stats.summaryRounds,
    fileReanalyses: stats.fileReanalyses,
    summariesJoined: stats.summariesJoined,
    functionsWithCallerEntry: stats.functionsWithCallerEntry,
    headerSummaries: stats.headerSummaries,
    kbEntriesNotMatching: stats.kbEntriesNotMatching,
    kbEntriesMoved: stats.kbEntriesMoved,
    functionsInRun: stats.functionsInRun,
    filesParsed: stats.filesParsed,
    parsesReused: stats.parsesReused,
    filesAnalysedAhead: stats.filesAnalyzedAhead,
    filesAnalysedAgain: stats.filesAnalyzedAgain,
    functionsReused: stats.functionsReused,
    filesFromCache: stats.filesFromCache,
    filesMoved: stats.filesMoved,
    factsFromCache: stats.factsFromCache,
    parseMs: stats.parseMs,
    analyzeMs: stats.analyzeMs,
    totalMs: stats.totalMs,
    findingsByRule,
  };
}
