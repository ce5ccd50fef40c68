// Shared data types of vmalint: what a finding is, what a run produces.
// Everything here is plain data so that reporters, the JSON schema and tests agree.

export type Severity = 'error' | 'warning' | 'note';

/** A position in a source file. Lines and columns are 1-based; columns count characters (a tab is one). */
export interface Position {
  line: number;
  column: number;
}

/** One step of the explanation of a finding: where the lock was taken, the branch taken, the call. */
/**
 * What a trace step is: a branch taken, a lock operation, a call, an assignment... Internal: the
 * reports show the message (JSON and SARIF copy the location and message only).
 */
export const TRACE_KINDS = ['branch', 'acquire', 'release', 'downgrade', 'assert', 'requirement', 'forget', 'failure', 'assign', 'lookup', 'call', 'fault', 'modify', 'return', 'entry'] as const;
export type TraceKind = (typeof TRACE_KINDS)[number];

export interface TraceStep {
  file: string;
  line: number;
  column: number;
  message: string;
  /** What the step is (absent: a rule's own note, or a step from before kinds). */
  kind?: TraceKind;
}

/**
 * A lock-order fact, as lockdep's dependency graph has them: lock class `to` is taken while `from`
 * is held (`mmap_lock` -> `struct snd_pcm_runtime::buffer_mutex`), with where that is seen: the
 * kernel's documented order, or the code of the run.
 */
export interface LockOrderEdge {
  from: string;
  to: string;
  /** One line for a message: where the order comes from. */
  reason: string;
  /** The steps that show it (the acquisition under the other lock, the callback that brings it there). */
  evidence: TraceStep[];
}

export interface Finding {
  ruleId: string;
  severity: Severity;
  /** Path of the file as it was given on the command line (or found under a given directory). */
  file: string;
  line: number;
  column: number;
  endLine: number;
  endColumn: number;
  /** Name of the enclosing function, or null for a finding outside any function. */
  function: string | null;
  message: string;
  /** Steps that make the finding true, in path order; the last one is usually the finding itself. */
  trace: TraceStep[];
  /** Text of the primary line with white space folded, used for stable fingerprints. */
  lineText: string;
  /**
   * A finding that holds only if the run knows the lock order `from` -> `to` (the other half of an
   * ABBA deadlock, FindingInput.ifOrder): judged when the run knows every file's order facts.
   */
  ifOrder?: { from: string; to: string };
}

/** A file that could not be analysed (fully or at all). */
export interface FileNotification {
  file: string;
  level: 'error' | 'warning' | 'note';
  message: string;
}

export interface RunStats {
  files: number;
  filesFailed: number;
  /** Files read for the summaries of callees only (changed-lines mode), not counted in `files`. */
  contextFiles: number;
  bytes: number;
  functions: number;
  /** Functions whose control-flow graph could not be built (the builder gave up). */
  cfgGiveUps: number;
  /** Times a rule threw while handling an event (its findings there are missing; the other rules' are kept). */
  ruleErrors: number;
  /** Time each rule's handlers took in the analyses reported, by rule id. */
  ruleMs: Record<string, number>;
  /** Functions that contain tree-sitter ERROR nodes the builder had to step over. */
  functionsWithParseErrors: number;
  /** Functions whose state budget was exceeded (analysed with merged, less precise states). */
  functionsWidened: number;
  /** Rounds of the cross-file summary fixed point, and file analyses beyond the first per file. */
  summaryRounds: number;
  fileReanalyses: number;
  /** Summaries that kept changing across rounds and were joined with what was published before (src/engine/summary-widening.ts). */
  summariesJoined: number;
  /** Functions analysed with the locks their callers hold at entry. */
  functionsWithCallerEntry: number;
  /** Header functions summarised from the kernel tree's include/linux. */
  headerSummaries: number;
  /**
   * Knowledge-base entries the tree declares otherwise than the entry assumes (read from the
   * source instead), and entries whose parameters the tree has elsewhere (moved there).
   */
  kbEntriesNotMatching: number;
  kbEntriesMoved: number;
  /** Functions the prescan found in the run's files, and files parsed (the others had nothing to check). */
  functionsInRun: number;
  filesParsed: number;
  /** Parses of a file analysed again with the same functions given again instead of made (src/file-analysis/kept-parses.ts). */
  parsesReused: number;
  /** Worker results kept (analysed ahead with what the run knew at the file's turn), and discarded. */
  filesAnalyzedAhead: number;
  filesAnalyzedAgain: number;
  /** Function analyses taken from the memo (a later pass or round over a file; nothing they used had changed). */
  functionsReused: number;
  /** File analyses taken from the cache (src/cache.ts). */
  filesFromCache: number;
  /** Of those, analyses that held but for where other files' functions stand, moved there (src/run/foreign-places.ts). */
  filesMoved: number;
  /** Files whose prescan facts came from the cache, unread (their stat unchanged: src/run/facts-cache.ts). */
  factsFromCache: number;
  parseMs: number;
  analyzeMs: number;
  totalMs: number;
  findingsByRule: Record<string, number>;
}

export interface RunResult {
  findings: Finding[];
  notifications: FileNotification[];
  stats: RunStats;
  /** Summaries of the run's non-static functions (for --summaries-out), by name. */
  summaries: Record<string, SummaryRecord>;
  /** The lock order the run's code shows (for --summaries-out: another run judges its findings with it). */
  lockOrder?: LockOrderEdge[];
}

/**
 * A function summary as plain data: the same fields as a knowledge-base entry
 * (src/kb/lock-api.ts ApiEntry), computed from the function's body.
 */
export type SummaryRecord = import('./kb/lock-api.js').ApiEntry;

export interface AnalyzeOptions {
  /** Rule ids to run; all rules when undefined. */
  rules?: string[];
  /** Macros defined (-D NAME or -D NAME=VALUE) for #if/#ifdef inside functions. */
  defines?: Map<string, string>;
  /** Macros undefined (-U NAME). */
  undefines?: Set<string>;
  /**
   * The defines hold every CONFIG_ option of the build (a configured kernel's autoconf.h, --kbuild):
   * a CONFIG_ name they do not define is not set, instead of undecided.
   */
  completeConfig?: boolean;
  /** Knowledge-base entries from a config file (they add to or replace the built-in ones). */
  config?: import('./kb/lock-api.js').ApiEntry[];
  /** Summaries learnt by an earlier run (--summaries-in), used for functions this run does not define. */
  summariesIn?: Record<string, SummaryRecord>;
  /** The lock order earlier runs showed (--summaries-in), for the findings that wait for one. */
  lockOrderIn?: LockOrderEdge[];
  /**
   * Root of a kernel tree whose include/linux headers are summarised (mm.h, mmap_lock.h,
   * pagewalk.h, uaccess.h, highmem.h, highmem-internal.h) and whose features are read
   * (src/tree-facts.ts); undefined = found upward from the analysed files; false = none.
   */
  kernelRoot?: string | false;
  /**
   * The kernel features of the tree (src/tree-facts.ts); undefined: read from the kernel root's
   * include/linux/mm_types.h by the run (an unknown tree's without one).
   */
  treeFacts?: import('./tree-facts.js').TreeFacts;
  /**
   * Named integer constants of the tree's mm headers (src/engine/named-constants.ts), name ->
   * definition text; undefined: read with the tree facts by the run.
   */
  treeConstants?: Record<string, string>;
  /**
   * false: calls are known only from the knowledge base (and config), as in a purely
   * intra-procedural analysis; for measuring what summaries change.
   */
  summaries?: boolean;
  /**
   * false: analyse every function, not only those the prescan finds can matter to a check
   * (src/engine/demand.ts); for measuring that the demand changes nothing.
   */
  demand?: boolean;
  /** Directory of the cache of file analyses (src/cache.ts); none when absent. */
  cacheDir?: string;
  /** Worker threads reading files and analysing them ahead of their turn (-j); 1: none; default: the cores available for a run of 1,000 files or more to read or to analyse (src/run/run-pool.ts), else none. */
  jobs?: number;
  /**
   * The run's summaries are wanted (--summaries-out): every non-static function whose summary can
   * matter to a caller is analysed, not only those this run's checks need.
   */
  exportSummaries?: boolean;
  /** Also return the summaries of static functions, as `file#name` (for inspecting the analysis). */
  staticSummaries?: boolean;
  /**
   * Called after each file is analysed (also each time a file is analysed again), with the files
   * done so far and the files to analyse; `total` may grow between calls (files analysed again in
   * a later summary round), `done` never exceeds it. Called from the main thread only, never
   * after analyzeFiles() has settled. The CLI draws its progress line from it
   * (src/report/progress.ts); it must be cheap and must not throw.
   */
  onProgress?: (progress: { done: number; total: number }) => void;
  /**
   * Files read only for the summaries of the functions the run's files call (changed-lines mode:
   * the callees in unchanged files, src/callee-files.ts). None of their functions is analysed for
   * its own sake, only those the run's functions reach; they report no findings, and a failure of
   * theirs is a warning.
   */
  contextFiles?: string[];
}
