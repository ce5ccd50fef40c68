// The workers read the run's files in batches (src/parallel/worker.ts): a run whose files the
// workers read (-j 2) reports what one thread's run reports, a file that cannot be read, a binary
// file and the files after them in the batch included.
import assert from 'node:assert/strict';
import { mkdtemp, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { test } from 'node:test';
import { analyzeFiles } from '../src/analyze.js';
import { CALLER, HELPER } from './support/helper-and-caller.js';

test('workers reading: the same findings and notifications as one thread, unreadable and binary files included', { timeout: 60_000 }, async () => {
  const dir = await mkdtemp(path.join(tmpdir(), 'vmalint-read-ahead-'));
  const files: string[] = [];
  // The unreadable ones among the first and the last of the batch.
  for (let i = 0; i < 20; i++) {
    const file = path.join(dir, `f${String(i).padStart(2, '0')}.c`);
    if (i === 3 || i === 19) await symlink(path.join(dir, 'gone'), file);
    else if (i === 4) await writeFile(file, Buffer.from([0x7f, 0x45, 0x4c, 0x46, 0, 0]));
    else await writeFile(file, i === 0 ? HELPER : CALLER.replace('int use(', `int use${i}(`));
    files.push(file);
  }
  const one = await analyzeFiles(files, { jobs: 1, kernelRoot: false });
  const two = await analyzeFiles(files, { jobs: 2, kernelRoot: false });
  assert.ok(one.findings.length >= 16, `${one.findings.length} findings`);
  assert.deepEqual(two.findings, one.findings);
  assert.deepEqual(two.notifications, one.notifications);
  assert.deepEqual(two.notifications.map((n) => path.basename(n.file)).sort(), ['f03.c', 'f04.c', 'f19.c']);
});
