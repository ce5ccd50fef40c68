// Snapshots of what vmalint reports on each fixture run: every finding with its rule, place,
// function, message and trace, and every notification, as text under test/snapshots/. The
// fixture annotations pin (line, rule); a snapshot pins the rest, so a change that alters a
// message or a trace shows in the test as a diff. `npm run snapshots` (VMALINT_UPDATE_SNAPSHOTS=1)
// writes them again after a change whose new output has been read and is right.

import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import type { FileNotification, Finding } from '../../src/types.js';

/** Write the snapshots instead of comparing with them. */
export const UPDATE_SNAPSHOTS = process.env['VMALINT_UPDATE_SNAPSHOTS'] === '1';

/** The text a run's report is pinned as; paths under `root` (a run's kernel headers) relative to it, as in any checkout. */
export function snapshotText(root: string, findings: readonly Finding[], notifications: readonly FileNotification[]): string {
  const lines: string[] = [];
  for (const f of findings) {
    lines.push(`${f.file}:${f.line}:${f.column}-${f.endLine}:${f.endColumn} [${f.ruleId}] ${f.severity}${f.function ? ` in ${f.function}()` : ''}: ${f.message}`);
    for (const s of f.trace) lines.push(`    ${s.file}:${s.line}:${s.column}: ${s.message}`);
  }
  for (const n of notifications) lines.push(`${n.level}: ${n.file}: ${n.message}`);
  const text = lines.length ? `${lines.join('\n')}\n` : '(nothing reported)\n';
  return text.split(`${root}${path.sep}`).join('');
}

/** The snapshot file of a fixture run (`fixtures/shapes/a.c` -> test/snapshots/shapes--a.c.snap). */
export function snapshotFile(root: string, run: string): string {
  return path.join(root, 'test', 'snapshots', `${run.replace(/^fixtures\//, '').replace(/\//g, '--')}.snap`);
}

/**
 * Compares a run's report with its snapshot (or writes it, when updating): null when they agree,
 * else what differs, line by line.
 */
export function checkSnapshot(file: string, actual: string): string | null {
  if (UPDATE_SNAPSHOTS) {
    mkdirSync(path.dirname(file), { recursive: true });
    writeFileSync(file, actual);
    return null;
  }
  if (!existsSync(file)) return `no snapshot ${path.basename(file)} (npm run snapshots writes it)`;
  const expected = readFileSync(file, 'utf8');
  if (expected === actual) return null;
  const want = expected.split('\n');
  const got = actual.split('\n');
  const diff: string[] = [];
  for (const l of want) if (!got.includes(l)) diff.push(`- ${l}`);
  for (const l of got) if (!want.includes(l)) diff.push(`+ ${l}`);
  if (!diff.length) diff.push('(the same lines in another order)');
  return `the report differs from ${path.basename(file)} (npm run snapshots writes it again once the new report is right):\n    ${diff.slice(0, 40).join('\n    ')}`;
}
