// A directory the walk cannot list is never passed over in silence (glob, before the walk of
// src/discover.ts, did): cFilesIn() returns it with the reason, and a run reports it in every
// format as an error notification, its other files analysed. root lists a mode-0 directory
// anyway, so the run's test needs another user; the walk's test gives it a directory that throws.
import assert from 'node:assert/strict';
import { chmod, mkdir, mkdtemp, writeFile } from 'node:fs/promises';
import { readdirSync, type Dirent } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { test } from 'node:test';
import { cFilesIn } from '../src/discover.js';
import { runCli } from './support/run-cli.js';

async function tree(): Promise<string> {
  const root = await mkdtemp(path.join(tmpdir(), 'vmalint-unreadable-'));
  await mkdir(path.join(root, 'mm', 'secret'), { recursive: true });
  await writeFile(path.join(root, 'mm', 'a.c'), 'int a(void) { return 0; }\n');
  await writeFile(path.join(root, 'mm', 'secret', 'b.c'), 'int b(void) { return 0; }\n');
  return root;
}

test('discover: a directory that cannot be listed is returned with the reason; one gone meanwhile is not', async () => {
  const root = await tree();
  const denied = (directory: string): Dirent[] => {
    if (directory.endsWith(`${path.sep}secret`)) throw Object.assign(new Error('EACCES: permission denied'), { code: 'EACCES' });
    return readdirSync(directory, { withFileTypes: true });
  };
  const walked = cFilesIn(root, denied);
  assert.deepEqual(walked.files.map((f) => f.relative), [path.join('mm', 'a.c')]);
  assert.deepEqual(walked.unreadable, [{ relative: path.join('mm', 'secret'), reason: 'permission denied' }]);
  const gone = (directory: string): Dirent[] => {
    if (directory.endsWith(`${path.sep}secret`)) throw Object.assign(new Error('ENOENT'), { code: 'ENOENT' });
    return readdirSync(directory, { withFileTypes: true });
  };
  assert.deepEqual(cFilesIn(root, gone).unreadable, []);
});

test('cli: a directory that cannot be listed is an error notification in the report, the other files analysed', { skip: process.getuid?.() === 0 && 'root lists a mode-0 directory' }, async () => {
  const root = await tree();
  await chmod(path.join(root, 'mm', 'secret'), 0o000);
  try {
    const json = await runCli(['--no-cache', '--format', 'json', root], { cwd: root });
    const doc = JSON.parse(json.stdout) as { notifications: { file: string; level: string; message: string }[]; stats: { files: number } };
    assert.deepEqual(doc.notifications, [{ file: path.join('mm', 'secret'), level: 'error', message: 'directory could not be listed (permission denied): the C files in it were not analysed' }]);
    assert.equal(doc.stats.files, 1);
    const text = await runCli(['--no-cache', root], { cwd: root });
    assert.match(text.stderr, /secret: error: directory could not be listed \(permission denied\)/);
  } finally {
    await chmod(path.join(root, 'mm', 'secret'), 0o755);
  }
});
