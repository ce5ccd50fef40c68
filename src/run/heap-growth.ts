// V8's heap growth in a long run. By default V8 lets the heap grow to several times its live size
// between full collections (up to four times on a fast collector): a whole-tree run analysing its
// files went to 3.3 GB of RSS for well under 1 GB of live data; growing by 20% at most keeps it at
// 1.2 to 1.4 GB, for about 15% more time. Unlike a hard cap (--max-old-space-size), it never ends
// the run: the heap still grows when the data does. A run that takes its files' facts and
// analyses from the cache holds as much data (the facts of every file) but makes little garbage,
// and there the bound only costs collections: the whole 6.12 tree after a one-line edit took
// 8.9-9.0 s bounded, 7.3 s and 1.10-1.16 GB of RSS (1.05 GB) unbounded. So the bound is taken when
// the run has many files to read or to analyse itself, not for the run's size.

import v8 from 'node:v8';

/** Files read or analysed (not from the cache) from which a run bounds its heap's growth. */
export const BOUNDED_HEAP_FROM_FILES = 1000;
const HEAP_GROWING_PERCENT = 20;

let allowed = false;
let bounded = false;

/**
 * The process may bound its heap's growth (the command line owns it, and the user gave no heap
 * setting of their own); `now`: at once (a language server, whose runs are not known in advance).
 */
export function allowHeapBound(now = false): void {
  allowed = true;
  if (now) boundHeapGrowth();
}

/** Called with how many files the run reads, or has analysed, itself: bounds the heap's growth from BOUNDED_HEAP_FROM_FILES. */
export function heapWork(files: number): void {
  if (files >= BOUNDED_HEAP_FROM_FILES) boundHeapGrowth();
}

function boundHeapGrowth(): void {
  if (!allowed || bounded) return;
  bounded = true;
  v8.setFlagsFromString(`--heap-growing-percent=${HEAP_GROWING_PERCENT}`);
}
