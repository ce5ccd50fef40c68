// A C file of a run, as the run's steps see it.

/** A C file of the run, read when it is analysed (again, when a later round needs it). */
export interface RunSource {
  path: string;
  /** For sources held in memory. */
  text?: string;
  /** Read for the summaries of its functions the run's files call (AnalyzeOptions.contextFiles). */
  context?: boolean;
  /** Its text (with its bytes when read from disk: valid until the thread's next read, src/read-source.ts). */
  read(): { text: string; bytes?: Buffer } | { error: string };
}

/** Are some of the sources held in memory (the workers, which read from disk, cannot read them)? */
export function someInMemory(sources: readonly RunSource[]): boolean {
  return sources.some((s) => s.text !== undefined);
}
