// Failure injection, for the tests that show what vmalint does when it fails itself (an exception
// in an analysis, a parser or WebAssembly error, an analysis worker that dies): such a failure is
// retried once with a fresh parser, reported if it fails again, and never cached.
//
// VMALINT_INJECT_FAILURE=MODE:TEXT makes the analysis of every file whose path contains TEXT fail:
//   throw       every attempt throws (the file is reported as not analysed)
//   throw-once  the first attempt in each thread throws (the retry succeeds)
//   exit        the analysis worker analysing it exits (with -j 2 or more; the main thread analyses it)
// Unset, it costs one environment lookup per file.

import { isMainThread } from 'node:worker_threads';

const VARIABLE = 'VMALINT_INJECT_FAILURE';
const thrownOnce = new Set<string>();

/** Throws (or ends this worker) when the environment asks for a failure of this file's analysis. */
export function injectedFailure(file: string): void {
  const setting = process.env[VARIABLE];
  if (!setting) return;
  const colon = setting.indexOf(':');
  const mode = setting.slice(0, colon);
  const text = setting.slice(colon + 1);
  if (colon < 0 || !text || !file.includes(text)) return;
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
