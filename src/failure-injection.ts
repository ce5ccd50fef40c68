// Failure injection, for the tests that show what vmalint does when it fails itself (an exception
// in an analysis, a parser or WebAssembly error, an analysis worker that dies): such a failure is
// retried once with a fresh parser, reported if it fails again, and never cached.
//
// VMALINT_INJECT_FAILURE=MODE:TEXT makes the analysis of every file whose path contains TEXT fail:
//   throw       every attempt throws (the file is reported as not analysed)
//   throw-once  the first attempt in each thread throws (the retry succeeds)
//   exit        the analysis worker analysing it exits (with -j 2 or more; the main thread analyses it)
//   exit-reading  the worker reading it (the first pass over the files, src/parallel/worker.ts) exits
// Unset, it costs one environment lookup per file.

import { isMainThread } from 'node:worker_threads';

const VARIABLE = 'VMALINT_INJECT_FAILURE';
const thrownOnce = new Set<string>();

/** The injected failure's mode when it names this file (null: none). */
function injectedMode(file: string): string | null {
  const setting = process.env[VARIABLE];
  if (!setting) return null;
  const colon = setting.indexOf(':');
  const text = setting.slice(colon + 1);
  return colon < 0 || !text || !file.includes(text) ? null : setting.slice(0, colon);
}

/** Ends this worker when the environment asks for it while it reads this file. */
export function injectedReadingFailure(file: string): void {
  if (injectedMode(file) === 'exit-reading' && !isMainThread) process.exit(70);
}

/** Throws (or ends this worker) when the environment asks for a failure of this file's analysis. */
export function injectedFailure(file: string): void {
  const mode = injectedMode(file);
  if (mode === null || mode === 'exit-reading') return;
  const setting = process.env[VARIABLE];
  if (mode === 'exit') {
    if (!isMainThread) process.exit(70);
    return;
  }
  if (mode === 'throw-once') {
    if (thrownOnce.has(file)) return;
    thrownOnce.add(file);
  }
  throw new Error(`injected failure (${VARIABLE}=${setting})`);
}
