// Reading a C file of the run: its bytes decoded as UTF-8, or Latin-1 when they are not valid
// UTF-8; a binary file or one that cannot be read is an error message. Kept apart from the
// analysis so that what only reads files (the CLI, the callee index) does not load the engine.

import { closeSync, openSync, readSync } from 'node:fs';
import { isAscii } from 'node:buffer';

/** Decodes file bytes: UTF-8, or Latin-1 when they are not valid UTF-8. Null for binary files. */
export function decodeSource(bytes: Buffer): string | null {
  if (bytes.includes(0)) return null;
  // ASCII (most of a kernel tree) is the same text either way: taken as Latin-1 without the UTF-8
  // decoder's checks (6.12's 1.3 GB: 0.2 s less on one thread).
  if (isAscii(bytes)) return bytes.toString('latin1');
  try {
    return new TextDecoder('utf-8', { fatal: true }).decode(bytes);
  } catch {
    return bytes.toString('latin1');
  }
}

/**
 * The thread's buffer that files are read into: a new buffer per file (readFileSync) is memory
 * the kernel hands over and zero-fills page by page, for each of tens of thousands of files. It
 * grows to the largest file read up to READ_BUFFER_KEPT; a larger file (the tree's register
 * headers, up to 16 MB) is read into a buffer of its own, not kept by the thread.
 */
const READ_BUFFER_KEPT = 4 << 20;
let readBuffer = Buffer.allocUnsafe(1 << 20);

/** A file's bytes, in the thread's read buffer when they fit it: valid until the thread's next read. */
function readBytes(file: string): Buffer {
  const fd = openSync(file, 'r');
  try {
    let buffer = readBuffer;
    let length = 0;
    for (;;) {
      if (length === buffer.length) {
        const larger = Buffer.allocUnsafe(buffer.length * 2);
        buffer.copy(larger, 0, 0, length);
        buffer = larger;
        if (larger.length <= READ_BUFFER_KEPT) readBuffer = larger;
      }
      const n = readSync(fd, buffer, length, buffer.length - length, null);
      if (n === 0) return buffer.subarray(0, length);
      length += n;
    }
  } finally {
    closeSync(fd);
  }
}

/**
 * Reads a C file of the run (an error message when it cannot be), with its bytes (in the thread's
 * read buffer: valid until its next read), blocking: the thread has nothing else to do meanwhile (a worker reading
 * its batch, the run's main thread), and tens of thousands of small files read one after the
 * other cost about four thread-pool round trips each when read asynchronously, more than the
 * reading itself (the whole tree's first phase: 37 s before).
 */
export function readSource(file: string): { text: string; bytes: Buffer } | { error: string } {
  let bytes: Buffer;
  try {
    bytes = readBytes(file);
  } catch (err) {
    return readError(err);
  }
  const text = decodeSource(bytes);
  return text === null ? { error: 'binary file, not C source: skipped' } : { text, bytes };
}

function readError(err: unknown): { error: string } {
  const code = (err as NodeJS.ErrnoException).code;
  return { error: `cannot read: ${code === 'EACCES' ? 'permission denied' : code === 'ENOENT' ? 'no such file' : code ?? String(err)}` };
}

