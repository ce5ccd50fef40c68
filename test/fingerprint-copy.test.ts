// A worker's task carries the fingerprints of the summaries it carries (src/run/round-scheduler.ts
// dispatch(), src/parallel/file-task.ts): the worker takes them for its copies instead of making
// them again. That holds because a copy's fingerprint is the original's, for every summary the
// fixtures give (structured clone, as postMessage makes it); and each copy takes the fingerprint
// beside it in the task (the file's inputs record the one given for each name).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { analyzeSources } from '../src/analyze.js';
import { exactFingerprint } from '../src/cross-file-view.js';
import { fixtureTexts } from './support/fixture-texts.js';
import { FileTaskRunner } from '../src/parallel/file-task.js';

test("a summary's copy has the original's fingerprint, for every summary of the fixtures", async () => {
  const sources = fixtureTexts();
  const r = await analyzeSources(sources, { exportSummaries: true });
  const entries = Object.values(r.summaries ?? {});
  assert.ok(entries.length > 50, `summaries: ${entries.length}`);
  const distinct = new Set<string>();
  for (const entry of entries) {
    const fp = exactFingerprint(entry);
    assert.equal(exactFingerprint(structuredClone(entry)), fp);
    distinct.add(fp);
  }
  // The fingerprints tell summaries apart (a constant would pass the comparison above).
  assert.ok(distinct.size > entries.length / 2, `distinct: ${distinct.size} of ${entries.length}`);
});

test("a worker's task gives each summary the fingerprint beside it: the file's inputs record that one", async () => {
  const helpers = 'int take(struct mm_struct *mm)\n{\n\tmmap_read_lock(mm);\n\treturn 0;\n}\n\nvoid drop(struct mm_struct *mm)\n{\n\tmmap_read_unlock(mm);\n}\n';
  const made = await analyzeSources([{ path: 'helpers.c', text: helpers }], { exportSummaries: true });
  const take = made.summaries?.['take'];
  const drop = made.summaries?.['drop'];
  assert.ok(take && drop, 'both helpers summarised');
  const caller = 'int caller(struct mm_struct *mm)\n{\n\tif (take(mm))\n\t\treturn -1;\n\tdrop(mm);\n\treturn 0;\n}\n';
  const runner = new FileTaskRunner({});
  const task = (prints?: string[]) => ({
    path: 'caller.c',
    text: caller,
    only: null,
    // Copies, as a worker receives them.
    summaries: [['take', structuredClone(take)], ['drop', structuredClone(drop)]] as [string, typeof take][],
    summaryPrints: prints,
    noreturn: [],
    initializers: [],
  });
  const given = await runner.run(task(['print-of-take', 'print-of-drop']));
  assert.equal(given.inputs?.summaries.get('take'), 'print-of-take');
  assert.equal(given.inputs?.summaries.get('drop'), 'print-of-drop');
  // Without them, the copies' own fingerprints: the originals'.
  const made2 = await runner.run(task());
  assert.equal(made2.inputs?.summaries.get('take'), exactFingerprint(take));
  assert.equal(made2.inputs?.summaries.get('drop'), exactFingerprint(drop));
});
