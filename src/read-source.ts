// Reading a C file of the run: its bytes decoded as UTF-8, or Latin-1 when they are not valid
// UTF-8; a binary file or one that cannot be read is an error message. Kept apart from the
// analysis so that what only reads files (the CLI, the callee index) does not load the engine.

import { readFileSync } from 'node:fs';

/** Decodes file bytes: UTF-8, or Latin-1 when they are not valid UTF-8. Null for binary files. */
export function decodeSource(bytes: Buffer): string | null {
  if (bytes.includes(0)) return null;
  try {
    return new TextDecoder('utf-8', { fatal: true }).decode(bytes);
  } catch {
    return bytes.toString('latin1');
  }
}

/**
 * Reads a C file of the run (an error message when it cannot be), blocking: the thread has nothing else to do meanwhile (a worker reading
 * its batch, the run's main thread), and tens of thousands of small files read one after the
 * other cost about four thread-pool round trips each when read asynchronously, more than the
 * reading itself (the whole tree's first phase: 37 s before).
 */
export function readSource(file: string): { text: string } | { error: string } {
  let bytes: Buffer;
  try {
    bytes = readFileSync(file);
  } catch (err) {
    return readError(err);
  }
  return sourceText(bytes);
}

function readError(err: unknown): { error: string } {
  const code = (err as NodeJS.ErrnoException).code;
  return { error: `cannot read: ${code === 'EACCES' ? 'permission denied' : code === 'ENOENT' ? 'no such file' : code ?? String(err)}` };
}

function sourceText(bytes: Buffer): { text: string } | { error: string } {
  const text = decodeSource(bytes);
  return text === null ? { error: 'binary file, not C source: skipped' } : { text };
}
