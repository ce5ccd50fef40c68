// Changed-lines mode (--diff REV, --staged): whole functions are analysed, since a lock taken ten
// lines above a change matters, but only the findings that touch the change are reported: their
// line, or a line of their trace, was added or changed. A deletion touches the lines on either
// side of it (a removed unlock leaves its neighbours in the lock's trace).

import path from 'node:path';
import type { Finding, RunResult } from './types.js';
import { withFindings } from './report/outcome.js';
import { shownPath } from './discover.js';

/** Lines added or changed, by absolute file path (1-based). */
export type ChangedLines = Map<string, Set<number>>;

/** A path of a `+++ b/...` line: C-quoted by git when it holds unusual characters. */
function diffPath(raw: string): string {
  if (!raw.startsWith('"')) return raw;
  const escapes: Record<string, string> = { n: '\n', t: '\t', '"': '"', '\\': '\\' };
  const bytes: number[] = [];
  const inner = raw.slice(1, -1);
  for (let i = 0; i < inner.length; i++) {
    const ch = inner[i]!;
    if (ch !== '\\') {
      bytes.push(...Buffer.from(ch, 'utf8'));
      continue;
    }
    const next = inner[i + 1]!;
    if (/[0-7]/.test(next)) {
      bytes.push(parseInt(inner.slice(i + 1, i + 4), 8));
      i += 3;
    } else {
      bytes.push(...Buffer.from(escapes[next] ?? next, 'utf8'));
      i += 1;
    }
  }
  return Buffer.from(bytes).toString('utf8');
}

/**
 * The new side's changed lines of a `git diff --unified=0` with the `b/` destination prefix, by
 * path relative to the repository's top (`root`), made absolute.
 */
export function parseChangedLines(diff: string, root: string): ChangedLines {
  const out: ChangedLines = new Map();
  let current: Set<number> | null = null;
  for (const line of diff.split('\n')) {
    if (line.startsWith('+++ ')) {
      const target = line.slice(4).replace(/\t$/, '');
      if (target === '/dev/null') {
        current = null;
        continue;
      }
      const relative = diffPath(target).replace(/^b\//, '');
      const file = path.resolve(root, relative);
      current = out.get(file) ?? new Set();
      out.set(file, current);
      continue;
    }
    const hunk = /^@@ -\d+(?:,\d+)? \+(\d+)(?:,(\d+))? @@/.exec(line);
    if (!hunk || !current) continue;
    const start = Number(hunk[1]);
    const count = hunk[2] === undefined ? 1 : Number(hunk[2]);
    if (count === 0) {
      // Lines removed after line `start`: the lines around the removal.
      current.add(start);
      current.add(start + 1);
    } else for (let l = start; l < start + count; l++) current.add(l);
  }
  return out;
}

/** Does the finding lie on a changed line, or does its trace pass through one? */
function touchesChange(finding: Finding, changed: ChangedLines, cwd: string): boolean {
  const on = (file: string, line: number): boolean => changed.get(path.resolve(cwd, file))?.has(line) ?? false;
  return on(finding.file, finding.line) || finding.trace.some((step) => on(step.file, step.line));
}

/** The run's result with only the findings that touch the change (paths resolved against `cwd`). */
export function onlyChangedLines(result: RunResult, changed: ChangedLines, cwd: string): RunResult {
  return withFindings(result, result.findings.filter((f) => touchesChange(f, changed, cwd)));
}

/**
 * The result with every absolute path written relative to `cwd` (shownPath(): `..` outside it),
 * in the locations and in the messages that name them (`at /abs/include/linux/mm.h:13`).
 */
export function relativeToWorkingDirectory(result: RunResult, cwd: string): RunResult {
  const renamed = new Map<string, string>();
  const shown = (file: string): string => (path.isAbsolute(file) ? renamed.set(file, shownPath(cwd, file)).get(file)! : file);
  const findings = result.findings.map((f) => ({ ...f, file: shown(f.file), trace: f.trace.map((step) => ({ ...step, file: shown(step.file) })) }));
  const notifications = result.notifications.map((n) => ({ ...n, file: shown(n.file) }));
  const longestFirst = [...renamed].sort(([a], [b]) => b.length - a.length);
  const text = (message: string): string => longestFirst.reduce((m, [from, to]) => m.replaceAll(from, to), message);
  return {
    ...result,
    findings: findings.map((f) => ({ ...f, message: text(f.message), trace: f.trace.map((step) => ({ ...step, message: text(step.message) })) })),
    notifications: notifications.map((n) => ({ ...n, message: text(n.message) })),
  };
}
