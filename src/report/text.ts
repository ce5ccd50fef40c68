// The default report: gcc-style diagnostics that editors' problem matchers understand.
//   path:line:col: warning: message [rule-id]
//   path:line:col: note: trace step
// Colour (ANSI escapes) only when the caller says so: the CLI enables it for a terminal without
// NO_COLOR, never for --output files.
import { compareCodeUnits } from '../discover.js';
import type { FileNotification, Finding, RunStats, Severity } from '../types.js';

export interface TextReportOptions {
  color: boolean;
}

const ANSI = {
  reset: '\u001b[0m',
  bold: '\u001b[1m',
  red: '\u001b[31m',
  magenta: '\u001b[35m',
  cyan: '\u001b[36m',
} as const;

const SEVERITY_COLOR: Record<Severity, string> = {
  error: ANSI.red,
  warning: ANSI.magenta,
  note: ANSI.cyan,
};

type Paint = (text: string, ...styles: string[]) => string;

function painter(color: boolean): Paint {
  if (!color) return (text) => text;
  return (text, ...styles) => `${styles.join('')}${text}${ANSI.reset}`;
}

/** Findings, each followed by its trace as notes (the report, for standard output). */
export function formatText(result: { findings: readonly Finding[] }, options: TextReportOptions): string {
  const paint = painter(options.color);
  const lines: string[] = [];
  for (const finding of result.findings) lines.push(...findingLines(finding, paint));
  return lines.length === 0 ? '' : `${lines.join('\n')}\n`;
}

/**
 * What could not be analysed, a line each (`file: warning: message`), for standard error: in the
 * text format they are not findings and stay out of the report a script reads.
 */
export function formatNotificationsText(notifications: readonly FileNotification[], options: TextReportOptions): string {
  const paint = painter(options.color);
  return notifications.map((n) => `${notificationLine(n, paint)}\n`).join('');
}

function findingLines(finding: Finding, paint: Paint): string[] {
  const head =
    `${paint(`${finding.file}:${finding.line}:${finding.column}:`, ANSI.bold)} ` +
    `${paint(`${finding.severity}:`, ANSI.bold, SEVERITY_COLOR[finding.severity])} ` +
    `${finding.message} [${paint(finding.ruleId, ANSI.bold)}]`;
  const notes = finding.trace.map(
    (step) =>
      `${paint(`${step.file}:${step.line}:${step.column}:`, ANSI.bold)} ` +
      `${paint('note:', ANSI.bold, SEVERITY_COLOR.note)} ${step.message}`,
  );
  return [head, ...notes];
}

function notificationLine(notification: FileNotification, paint: Paint): string {
  return (
    `${paint(`${notification.file}:`, ANSI.bold)} ` +
    `${paint(`${notification.level}:`, ANSI.bold, SEVERITY_COLOR[notification.level])} ` +
    notification.message
  );
}

/** The --stats table: one `name  value` row per statistic, then findings per rule. */
export function formatStatsTable(stats: RunStats): string {
  const rows: [string, string][] = [
    ['files', String(stats.files)],
    ['files failed', String(stats.filesFailed)],
    ['files read for their callees\' summaries', String(stats.contextFiles)],
    ['bytes', String(stats.bytes)],
    ['functions', String(stats.functions)],
    ['functions found by the prescan', String(stats.functionsInRun)],
    ['files parsed', String(stats.filesParsed)],
    ['parses reused (a file analysed again)', String(stats.parsesReused)],
    ['files analysed ahead by workers (kept / done again)', `${stats.filesAnalyzedAhead} / ${stats.filesAnalyzedAgain}`],
    ['function analyses reused', String(stats.functionsReused)],
    ['file analyses from the cache', String(stats.filesFromCache)],
    ['of those, moved with other files\' functions', String(stats.filesMoved)],
    ['files unread (their facts from the cache)', String(stats.factsFromCache)],
    ['CFG give-ups', String(stats.cfgGiveUps)],
    ['rule errors', String(stats.ruleErrors)],
    ['functions with parse errors', String(stats.functionsWithParseErrors)],
    ['functions widened', String(stats.functionsWidened)],
    ['summary rounds', String(stats.summaryRounds)],
    ['files analysed again', String(stats.fileReanalyses)],
    ['summaries joined with their earlier ones (kept changing)', String(stats.summariesJoined)],
    ['functions with callers\' locks at entry', String(stats.functionsWithCallerEntry)],
    ['header summaries', String(stats.headerSummaries)],
    ['knowledge-base entries not matching the tree (read from the source)', String(stats.kbEntriesNotMatching)],
    ['knowledge-base entries moved to the tree\'s parameters', String(stats.kbEntriesMoved)],
    ['parse time', formatMilliseconds(stats.parseMs)],
    ['analysis time', formatMilliseconds(stats.analyzeMs)],
    ['total time', formatMilliseconds(stats.totalMs)],
  ];
  for (const [ruleId, count] of Object.entries(stats.findingsByRule).sort(([a], [b]) => compareCodeUnits(a, b))) {
    rows.push([`findings: ${ruleId}`, String(count)]);
  }
  for (const [ruleId, ms] of Object.entries(stats.ruleMs).sort(([a], [b]) => compareCodeUnits(a, b))) {
    rows.push([`rule time (estimated): ${ruleId}`, formatMilliseconds(ms)]);
  }
  const nameWidth = Math.max(...rows.map(([name]) => name.length));
  const valueWidth = Math.max(...rows.map(([, value]) => value.length));
  return rows.map(([name, value]) => `${name.padEnd(nameWidth)}  ${value.padStart(valueWidth)}`).join('\n') + '\n';
}

function formatMilliseconds(milliseconds: number): string {
  return `${Math.round(milliseconds)} ms`;
}
