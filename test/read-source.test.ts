import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, writeFileSync, mkdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { readSource } from '../src/read-source.js';
import { fileFacts, type FactsConfig } from '../src/parallel/file-facts.js';

const dir = mkdtempSync(path.join(tmpdir(), 'vmalint-read-'));
const file = (name: string, bytes: Buffer | string): string => {
  const p = path.join(dir, name);
  writeFileSync(p, bytes);
  return p;
};
const textOf = (p: string): string => {
  const got = readSource(p);
  assert.ok(!('error' in got), `${p} read`);
  return got.text;
};

test('read source: ASCII, UTF-8 and Latin-1 texts, binary files and directories', () => {
  assert.equal(textOf(file('ascii.c', 'int x;\n')), 'int x;\n');
  assert.equal(textOf(file('utf8.c', '/* caf\u00e9 \u2019 */\n')), '/* caf\u00e9 \u2019 */\n');
  // Not valid UTF-8: each byte a character.
  assert.equal(textOf(file('latin1.c', Buffer.from([0x2f, 0x2a, 0xe9, 0x2a, 0x2f]))), '/*\u00e9*/');
  assert.deepEqual(readSource(file('binary.c', Buffer.from([0x69, 0x00, 0x6e]))), { error: 'binary file, not C source: skipped' });
  mkdirSync(path.join(dir, 'sub.c'));
  assert.match((readSource(path.join(dir, 'sub.c')) as { error: string }).error, /^cannot read: /);
  assert.deepEqual(readSource(path.join(dir, 'missing.c')), { error: 'cannot read: no such file' });
});

test('read source: files larger than the read buffer, and a small one after them, read whole and alone', () => {
  // The thread's buffer starts at 1 MiB and grows: a 3 MiB file, then a short one (nothing of the
  // large file's bytes after its end).
  const large = `${'x'.repeat(3 * 1024 * 1024 - 2)}\n;`;
  assert.equal(textOf(file('large.c', large)), large);
  assert.equal(textOf(file('short.c', 'int y;\n')), 'int y;\n');
  // Past what the thread keeps (4 MiB): read into a buffer of its own, then the kept one again.
  const larger = `${'y'.repeat(9 * 1024 * 1024 - 2)}\n;`;
  assert.equal(textOf(file('larger.c', larger)), larger);
  assert.equal(textOf(path.join(dir, 'short.c')), 'int y;\n');
  assert.equal(textOf(path.join(dir, 'large.c')), large);
  const got = readSource(path.join(dir, 'short.c'));
  assert.ok(!('error' in got) && got.bytes.length === 7);
});

test('read source: a file\'s facts from its bytes are those from its text, whatever its encoding', () => {
  const config: FactsConfig = { wanted: ['mmap_read_lock'], triggers: [['cannot fail', 'i']], root: null, hash: true };
  const source = [
    '/* the caf\u00e9 \u2019s lock: cannot fail */',
    '#include "local.h"',
    'void __noreturn die(void);',
    'int f(void) { mmap_read_lock(mm); return 0; }',
    '',
  ].join('\n');
  for (const [name, bytes] of [
    ['ascii.c', Buffer.from(source.replace(/[^\x00-\x7f]/g, 'e'), 'latin1')],
    ['utf8.c', Buffer.from(source, 'utf8')],
    ['latin1.c', Buffer.from(source.replace(/\u2019/g, "'"), 'latin1')],
  ] as const) {
    const p = file(name, bytes);
    writeFileSync(path.join(dir, 'local.h'), '');
    const got = readSource(p);
    assert.ok(!('error' in got));
    const fromText = fileFacts(p, got.text, config);
    const fromBytes = fileFacts(p, got.text, config, got.bytes);
    assert.deepEqual(fromBytes, fromText, name);
    assert.deepEqual(fromBytes.noreturn, ['die'], name);
    assert.deepEqual(fromBytes.includes, [path.join(dir, 'local.h')], name);
  }
});
