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

test('lsp: diagnostics on open from the editor\'s text, cleared by a fix and on close', { timeout: 60_000 }, async () => {
  const dir = mkdtempSync(path.join(tmpdir(), 'vmalint-lsp-'));
  const file = path.join(dir, 'leak.c');
  // On disk the file is fixed: what the server reports comes from the editor's buffer.
  writeFileSync(file, FIXED);
  const uri = pathToFileURL(file).href;
  const server = spawn(process.execPath, [BIN, 'lsp', '--stdio'], { stdio: ['pipe', 'pipe', 'inherit'], env: { ...process.env, VMALINT_CACHE_DIR: mkdtempSync(path.join(tmpdir(), 'vmalint-lsp-cache-')) } });
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
  try {
    const init = (await connection.sendRequest('initialize', { processId: process.pid, rootUri: pathToFileURL(dir).href, capabilities: {} })) as { capabilities: { textDocumentSync: { openClose: boolean } }; serverInfo: { name: string } };
    assert.equal(init.serverInfo.name, 'vmalint');
    assert.equal(init.capabilities.textDocumentSync.openClose, true);
    await connection.sendNotification('initialized', {});

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
