// A worker's task carries the fingerprints of the summaries it carries (src/run/round-scheduler.ts
// dispatch(), src/parallel/file-task.ts): the worker takes them for its copies instead of making
// them again. That holds because a copy's fingerprint is the original's, for every summary the
// fixtures give (structured clone, as postMessage makes it).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { analyzeSources } from '../src/analyze.js';
import { exactFingerprint } from '../src/cross-file-view.js';
import { fixtureTexts } from './support/fixture-texts.js';

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
