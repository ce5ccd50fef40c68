// The progress line of a long run on a terminal's stderr:
//
//     vmalint: 1234/59932 files, 310 files/s, 3m12s left
//
// one line that rewrites itself (`\r` + erase to the end of the line), fed by the analysis's
// onProgress callback (AnalyzeOptions). Nothing is shown during the first second (short runs
// print nothing), the line is redrawn at most five times a second, and finish() erases it so that
// the report and any message that follows start on a clean line. Off when stderr is not a
// terminal, with --quiet, and on a TERM=dumb terminal (which cannot erase a line).

/** Where the line is drawn: the CLI's stderr. */
export interface ProgressStream {
  write(text: string): unknown;
  isTTY?: boolean;
}

export interface ProgressCount {
  /** Files analysed so far (a file analysed again counts again). */
  done: number;
  /** Files to analyse; may grow while the run goes on (files analysed again). */
  total: number;
}

export interface ProgressLineOptions {
  /** Draw at all; the CLI passes false for --quiet and TERM=dumb. Default true. */
  enabled?: boolean;
  /** Milliseconds since some fixed point (default performance.now). */
  now?: () => number;
  /** Nothing is shown before this many milliseconds have passed since the line was created. */
  delayMs?: number;
  /** At least this many milliseconds between two redraws. */
  intervalMs?: number;
}

export const PROGRESS_DELAY_MS = 1000;
export const PROGRESS_INTERVAL_MS = 200;
/**
 * Replaces PROGRESS_DELAY_MS (milliseconds) when set: for the tests that run vmalint on a
 * pseudo-terminal (test/progress.test.ts), whose runs are shorter than the first second.
 */
export const PROGRESS_DELAY_VARIABLE = 'VMALINT_PROGRESS_DELAY_MS';

/** Carriage return, then ANSI "erase from the cursor to the end of the line". */
const RETURN_AND_ERASE = '\r\u001b[K';

export class ProgressLine {
  private readonly stream: ProgressStream;
  private readonly active: boolean;
  private readonly now: () => number;
  private readonly delayMs: number;
  private readonly intervalMs: number;
  private readonly startedAt: number;
  /** When the line was last drawn, or undefined while nothing is on the screen. */
  private drawnAt: number | undefined;
  /** After finish(), late updates draw nothing (the report may be on the screen by then). */
  private finished = false;

  constructor(stream: ProgressStream, options: ProgressLineOptions = {}) {
    this.stream = stream;
    this.active = (options.enabled ?? true) && stream.isTTY === true;
    this.now = options.now ?? (() => performance.now());
    this.delayMs = options.delayMs ?? PROGRESS_DELAY_MS;
    this.intervalMs = options.intervalMs ?? PROGRESS_INTERVAL_MS;
    this.startedAt = this.now();
  }

  /** Takes the latest count; redraws the line when it is due. */
  update(count: ProgressCount): void {
    if (!this.active || this.finished) return;
    const now = this.now();
    const elapsedMs = now - this.startedAt;
    if (elapsedMs < this.delayMs) return;
    if (this.drawnAt !== undefined && now - this.drawnAt < this.intervalMs) return;
    this.stream.write(`${RETURN_AND_ERASE}${formatProgress(count, elapsedMs)}`);
    this.drawnAt = now;
  }

  /** Erases the line if it was drawn; call it before anything else is written. */
  finish(): void {
    this.finished = true;
    if (this.drawnAt === undefined) return;
    this.stream.write(RETURN_AND_ERASE);
    this.drawnAt = undefined;
  }
}

/**
 * `vmalint: DONE/TOTAL files, RATE files/s, TIME left`, the rate being the average since the run
 * started; rate and time are left out until a file is done.
 */
export function formatProgress(count: ProgressCount, elapsedMs: number): string {
  const total = Math.max(count.total, count.done);
  const parts = [`vmalint: ${count.done}/${total} files`];
  const filesPerSecond = elapsedMs > 0 ? (count.done * 1000) / elapsedMs : 0;
  if (filesPerSecond > 0) {
    parts.push(`${formatRate(filesPerSecond)} files/s`);
    parts.push(`${formatDuration((total - count.done) / filesPerSecond)} left`);
  }
  return parts.join(', ');
}

/** One decimal under 10 files/s (`0.4`, `7.5`), whole numbers above (`310`). */
function formatRate(filesPerSecond: number): string {
  return filesPerSecond < 10 ? filesPerSecond.toFixed(1) : String(Math.round(filesPerSecond));
}

/** `42s`, `3m12s`, `1h05m` (seconds rounded up: "0s left" only when nothing is left). */
export function formatDuration(seconds: number): string {
  const whole = Math.ceil(seconds);
  if (whole < 60) return `${whole}s`;
  const minutes = Math.floor(whole / 60);
  if (minutes < 60) return `${minutes}m${String(whole % 60).padStart(2, '0')}s`;
  return `${Math.floor(minutes / 60)}h${String(minutes % 60).padStart(2, '0')}m`;
}

/**
 * Runs `work` with the CLI's progress line on `stream`, fed by the callback `work` is given and
 * erased before it returns or throws. Off with --quiet (`quiet`) and on a TERM=dumb terminal.
 */
export async function withProgressLine<T>(
  stream: ProgressStream,
  env: Readonly<Record<string, string | undefined>>,
  quiet: boolean,
  work: (onProgress: (count: ProgressCount) => void) => Promise<T>,
): Promise<T> {
  const delay = Number(env[PROGRESS_DELAY_VARIABLE] || Number.NaN);
  const progress = new ProgressLine(stream, { enabled: !quiet && env['TERM'] !== 'dumb', ...(delay >= 0 ? { delayMs: delay } : {}) });
  try {
    return await work((count) => progress.update(count));
  } finally {
    progress.finish();
  }
}
