// Baselines, for adopting vmalint on a tree that already has findings: `--write-baseline FILE`
// records the run's findings, `--baseline FILE` reports only the findings it does not hold and
// lists its entries that no longer match anything. An entry is keyed by rule, file (relative to
// the working directory), function and a hash of the statement the finding is on, not its line:
// code added above it does not make it new. Two findings with the same key are counted.

import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import type { FileNotification, Finding, RunResult } from './types.js';
import { UsageError } from './usage-error.js';
import { withFindings } from './report/outcome.js';
import { shownPath } from './discover.js';

export const BASELINE_VERSION = 1;

export interface BaselineEntry {
  rule: string;
  file: string;
  function: string | null;
  /** A hash of the statement's text, whitespace collapsed. */
  statement: string;
  /** Where it was and what it said when recorded: for the reader, not for matching. */
  line: number;
  message: string;
}

export interface Baseline {
  version: number;
  tool: string;
  findings: BaselineEntry[];
}

/** A finding's file as the baseline writes it: relative to the working directory (shownPath()), with `/`. */
function baselinePath(file: string, cwd: string): string {
  return shownPath(cwd, file).split(path.sep).join('/');
}

function entryOf(finding: Finding, cwd: string): BaselineEntry {
  return {
    rule: finding.ruleId,
    file: baselinePath(finding.file, cwd),
    function: finding.function,
    statement: createHash('sha1').update(finding.lineText.replace(/\s+/g, ' ').trim()).digest('hex').slice(0, 16),
    line: finding.line,
    message: finding.message,
  };
}

const keyOf = (e: BaselineEntry): string => JSON.stringify([e.rule, e.file, e.function, e.statement]);

export function formatBaseline(findings: readonly Finding[], cwd: string, tool: string): string {
  const baseline: Baseline = { version: BASELINE_VERSION, tool, findings: findings.map((f) => entryOf(f, cwd)) };
  return `${JSON.stringify(baseline, null, 2)}\n`;
}

/** Reads a baseline file; a file that is not one is a usage error naming it (as `shown`). */
export function loadBaseline(file: string, shown = file): Baseline {
  let data: unknown;
  try {
    data = JSON.parse(readFileSync(file, 'utf8'));
  } catch (err) {
    const e = err as NodeJS.ErrnoException;
    throw new UsageError(`--baseline: ${shown}: ${e.code === 'ENOENT' ? 'no such file' : e instanceof SyntaxError ? `not JSON (${e.message})` : (e.code ?? e.message)}`);
  }
  const b = data as Partial<Baseline>;
  if (!b || typeof b !== 'object' || b.version !== BASELINE_VERSION || !Array.isArray(b.findings)) {
    throw new UsageError(`--baseline: ${shown}: not a vmalint baseline of version ${BASELINE_VERSION} (write one with --write-baseline)`);
  }
  b.findings.forEach((e, i) => {
    const ok = e && typeof e.rule === 'string' && typeof e.file === 'string' && (e.function === null || typeof e.function === 'string') && typeof e.statement === 'string';
    if (!ok) throw new UsageError(`--baseline: ${shown}: findings[${i}]: expected rule, file, function and statement`);
  });
  return b as Baseline;
}

/**
 * The result without the findings the baseline holds, and a note for each baseline entry that
 * matched no finding (fixed, or changed beyond recognition).
 */
export function applyBaseline(result: RunResult, baseline: Baseline, cwd: string): RunResult {
  const remaining = new Map<string, BaselineEntry[]>();
  for (const e of baseline.findings) {
    const list = remaining.get(keyOf(e)) ?? [];
    list.push(e);
    remaining.set(keyOf(e), list);
  }
  const findings = result.findings.filter((f) => {
    const list = remaining.get(keyOf(entryOf(f, cwd)));
    if (!list?.length) return true;
    list.shift();
    return false;
  });
  const stale: FileNotification[] = [...remaining.values()].flat().map((e) => ({
    file: e.file,
    level: 'note',
    message: `baseline entry no longer matches a finding (fixed, or its statement changed): ${e.rule}${e.function ? ` in ${e.function}()` : ''}, was line ${e.line}: ${e.message}`,
  }));
  return { ...withFindings(result, findings), notifications: [...result.notifications, ...stale] };
}
