// `vmalint lsp`, driven over stdio as an editor drives it (vscode-jsonrpc's client side): the
// findings of an opened document arrive as diagnostics with the trace as related information,
// from the editor's text, not the file on disk; a change that fixes the code clears them, and so
// does closing the document.
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { test } from 'node:test';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { createMessageConnection, StreamMessageReader, StreamMessageWriter } from 'vscode-jsonrpc/node';

const BIN = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..', 'bin', 'vmalint');

const LEAK = `struct mm_struct;

int leak(struct mm_struct *mm, int bad)
{
	mmap_read_lock(mm);
	if (bad)
		return -EINVAL;
	mmap_read_unlock(mm);
	return 0;
}
`;
const FIXED = LEAK.replace('\tif (bad)\n\t\treturn -EINVAL;\n', '\tif (bad) {\n\t\tmmap_read_unlock(mm);\n\t\treturn -EINVAL;\n\t}\n');

interface Published {
  uri: string;
  version?: number;
  diagnostics: { range: { start: { line: number; character: number } }; severity: number; code: string; source: string; message: string; relatedInformation: { location: { uri: string }; message: string }[] }[];
}

/** A server over stdio and what it published, in order; `next(n)` waits for the n-th publication. */
function startServer(dir: string, env: Record<string, string> = {}) {
  const server = spawn(process.execPath, [BIN, 'lsp', '--stdio'], { stdio: ['pipe', 'pipe', 'inherit'], env: { ...process.env, VMALINT_CACHE_DIR: mkdtempSync(path.join(tmpdir(), 'vmalint-lsp-cache-')), ...env } });
  const connection = createMessageConnection(new StreamMessageReader(server.stdout), new StreamMessageWriter(server.stdin));
  const published: Published[] = [];
  const waiters: (() => void)[] = [];
  connection.onNotification('textDocument/publishDiagnostics', (p: Published) => {
    published.push(p);
    waiters.splice(0).forEach((w) => w());
  });
  connection.listen();
  const next = async (count: number): Promise<Published> => {
    while (published.length < count) await new Promise<void>((resolve) => waiters.push(resolve));
    return published[count - 1]!;
  };
  const initialize = async () => {
    const init = (await connection.sendRequest('initialize', { processId: process.pid, rootUri: pathToFileURL(dir).href, capabilities: {} })) as { capabilities: { textDocumentSync: { openClose: boolean } }; serverInfo: { name: string } };
    await connection.sendNotification('initialized', {});
    return init;
  };
  return { server, connection, published, next, initialize };
}

test('lsp: diagnostics on open from the editor\'s text, cleared by a fix and on close', { timeout: 60_000 }, async () => {
  const dir = mkdtempSync(path.join(tmpdir(), 'vmalint-lsp-'));
  const file = path.join(dir, 'leak.c');
  // On disk the file is fixed: what the server reports comes from the editor's buffer.
  writeFileSync(file, FIXED);
  const uri = pathToFileURL(file).href;
  const { server, connection, next, initialize } = startServer(dir);
  try {
    const init = await initialize();
    assert.equal(init.serverInfo.name, 'vmalint');
    assert.equal(init.capabilities.textDocumentSync.openClose, true);

    await connection.sendNotification('textDocument/didOpen', { textDocument: { uri, languageId: 'c', version: 1, text: LEAK } });
    const opened = await next(1);
    assert.equal(opened.uri, uri);
    assert.equal(opened.diagnostics.length, 1, JSON.stringify(opened));
    const d = opened.diagnostics[0]!;
    assert.deepEqual([d.source, d.code, d.severity, d.range.start], ['vmalint', 'mmap-lock-imbalance', 1, { line: 6, character: 2 }]);
    assert.match(d.message, /mmap read lock of `mm` held/);
    assert.ok(d.relatedInformation.some((r) => r.location.uri === uri && /taken here/.test(r.message)), JSON.stringify(d.relatedInformation));

    // Two quick edits: the fix is analysed once typing pauses.
    await connection.sendNotification('textDocument/didChange', { textDocument: { uri, version: 2 }, contentChanges: [{ text: LEAK.replace('bad', 'fail') }] });
    await connection.sendNotification('textDocument/didChange', { textDocument: { uri, version: 3 }, contentChanges: [{ text: FIXED }] });
    const fixed = await next(2);
    assert.deepEqual([fixed.version, fixed.diagnostics], [3, []]);

    await connection.sendNotification('textDocument/didChange', { textDocument: { uri, version: 4 }, contentChanges: [{ text: LEAK }] });
    assert.equal((await next(3)).diagnostics.length, 1);
    await connection.sendNotification('textDocument/didClose', { textDocument: { uri } });
    assert.deepEqual((await next(4)).diagnostics, []);

    await connection.sendRequest('shutdown');
    const exited = new Promise<number | null>((resolve) => server.on('exit', resolve));
    await connection.sendNotification('exit');
    assert.equal(await exited, 0);
  } finally {
    connection.dispose();
    server.kill();
  }
});

test('lsp: documents opened at the same instant and edited in quick succession each get their diagnostics', { timeout: 120_000 }, async () => {
  // An editor restoring a session opens its documents at once: the analyses start together, in a
  // server that has not loaded its parser yet. Each round is a new server.
  const DOCUMENTS = 4;
  for (let round = 0; round < 4; round++) {
    const dir = mkdtempSync(path.join(tmpdir(), 'vmalint-lsp-many-'));
    const uris = Array.from({ length: DOCUMENTS }, (_, i) => {
      const file = path.join(dir, `leak${i}.c`);
      writeFileSync(file, FIXED);
      return pathToFileURL(file).href;
    });
    const { server, connection, published, initialize } = startServer(dir);
    /** The newest publication of each document, once every document has one for `version`. */
    const settled = async (version: number): Promise<Map<string, Published>> => {
      for (;;) {
        const last = new Map<string, Published>();
        for (const p of published) last.set(p.uri, p);
        if (uris.every((u) => last.get(u)?.version === version)) return last;
        await new Promise((resolve) => setTimeout(resolve, 20));
      }
    };
    try {
      await initialize();
      await Promise.all(uris.map((uri) => connection.sendNotification('textDocument/didOpen', { textDocument: { uri, languageId: 'c', version: 1, text: LEAK } })));
      for (const [uri, p] of await settled(1)) assert.deepEqual(p.diagnostics.map((d) => d.code), ['mmap-lock-imbalance'], `round ${round}, ${uri}: ${JSON.stringify(p.diagnostics)}`);
      // Quick edits of every document, the last one of each a fix of one and a leak of the others.
      for (let version = 2; version <= 4; version++) {
        await Promise.all(uris.map((uri, i) => connection.sendNotification('textDocument/didChange', { textDocument: { uri, version }, contentChanges: [{ text: version === 4 && i === 0 ? FIXED : LEAK.replace('bad', `bad${version}`) }] })));
      }
      for (const [uri, p] of await settled(4)) {
        assert.deepEqual(p.diagnostics.map((d) => d.code), uri === uris[0] ? [] : ['mmap-lock-imbalance'], `round ${round}, ${uri}: ${JSON.stringify(p.diagnostics)}`);
      }
      await connection.sendRequest('shutdown');
      await connection.sendNotification('exit');
    } finally {
      connection.dispose();
      server.kill();
    }
  }
});

test('lsp: a document vmalint could not analyse gets a diagnostic that says so, never an empty list', { timeout: 60_000 }, async () => {
  const dir = mkdtempSync(path.join(tmpdir(), 'vmalint-lsp-broken-'));
  const file = path.join(dir, 'broken.c');
  writeFileSync(file, LEAK);
  const uri = pathToFileURL(file).href;
  const { server, connection, next, initialize } = startServer(dir, { VMALINT_INJECT_FAILURE: 'throw:broken.c' });
  try {
    await initialize();
    await connection.sendNotification('textDocument/didOpen', { textDocument: { uri, languageId: 'c', version: 1, text: LEAK } });
    const p = await next(1);
    assert.equal(p.diagnostics.length, 1, JSON.stringify(p));
    assert.match(p.diagnostics[0]!.message, /^vmalint could not analyse this file: .*injected failure/);
    assert.deepEqual([p.diagnostics[0]!.source, p.diagnostics[0]!.range.start], ['vmalint', { line: 0, character: 0 }]);
    // A broken configuration is no excuse for silence either.
    writeFileSync(path.join(dir, '.vmalint.json'), '{ "rules": ');
    await connection.sendNotification('textDocument/didChange', { textDocument: { uri, version: 2 }, contentChanges: [{ text: FIXED }] });
    const config = await next(2);
    assert.equal(config.diagnostics.length, 1, JSON.stringify(config));
    assert.match(config.diagnostics[0]!.message, /^vmalint could not analyse this file: .*\.vmalint\.json/);
  } finally {
    connection.dispose();
    server.kill();
  }
});

test('lsp: a rule that failed on the document is said in an information diagnostic; the other rules\' findings stay', { timeout: 60_000 }, async () => {
  const dir = mkdtempSync(path.join(tmpdir(), 'vmalint-lsp-rule-'));
  const file = path.join(dir, 'partial.c');
  const text = LEAK.replace('\tif (bad)', '\tif (copy_to_user(ubuf, mm, 8))\n\t\tbad = 1;\n\tif (bad)').replace('int bad)', 'int bad, void *ubuf)');
  writeFileSync(file, text);
  const uri = pathToFileURL(file).href;
  const { server, connection, next, initialize } = startServer(dir, { VMALINT_INJECT_RULE_FAILURE: 'fault-under-mmap-lock' });
  try {
    await initialize();
    await connection.sendNotification('textDocument/didOpen', { textDocument: { uri, languageId: 'c', version: 1, text } });
    const p = await next(1);
    const messages = p.diagnostics.map((d) => `${d.code}: ${d.message}`);
    assert.ok(messages.some((m) => /^not-fully-analysed: vmalint did not fully analyse this file: rule fault-under-mmap-lock failed in leak\(\)/.test(m)), JSON.stringify(messages));
    assert.ok(messages.some((m) => m.startsWith('mmap-lock-imbalance')), JSON.stringify(messages));
    assert.ok(!messages.some((m) => m.startsWith('fault-under-mmap-lock')), JSON.stringify(messages));
  } finally {
    connection.dispose();
    server.kill();
  }
});
