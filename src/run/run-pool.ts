// The run's worker pool (src/parallel/pool.ts), started when a first task needs it: a run whose
// files all come from the cache (a hook's run after the first) starts no worker, and by default a
// run reads and analyses in workers only when it has enough files to gain from them. The run's
// file-scope initializers are published to it as the files publish them.

import type { AnalyzeOptions } from '../types.js';
import type { CrossFileFacts } from '../engine/cross-file-facts.js';
import { WorkerPool } from '../parallel/pool.js';
import { runnerOptions } from '../parallel/file-task.js';

/**
 * By default, a run with fewer files to analyse than this analyses them in this thread. Its files
 * wait for each other's summaries, and each thread analysing keeps its isolate's own threads busy
 * (compilation, garbage collection: 6.12 mm/ -j 1 takes 7.6-8.0 s of CPU in 5.6-5.9 s), so workers
 * win only where many files are independent. Measured on two cores (files to analyse when the demand
 * is known): 6.12 mm/ (76) 5.8 s in this thread, 6.2 s in two workers (10.9 and 11.9 s before
 * issue 22's passes); earlier, fs/ (230) 6.0 and 6.1 s
 * of analysis; drivers/gpu/ (174) 3.7 and 3.9 s; the whole 6.12 tree (2,528) 115 s in this
 * thread, 97 s in two workers.
 */
const ANALYSE_IN_WORKERS_FROM = 1000;

/**
 * By default, a run with fewer files to read than this reads them in this thread: starting the
 * workers costs more than they save (6.12 mm/, 137 files and its headers: 0.25 s in this thread,
 * 0.46-0.48 s in two workers; drivers/gpu/, 6,797 files: 5.6 s in this thread, 3.6 s in two workers).
 */
const READ_IN_WORKERS_FROM = 1000;

export class RunPool {
  private pool: WorkerPool | null = null;
  /** Initializers sent to the pool. */
  private readonly published = new Set<string>();
  /** Why each worker that stopped on its own stopped, over the pools of the run. */
  readonly workersStopped: string[] = [];

  constructor(
    /** Threads (-j). */
    readonly jobs: number,
    /** Was -j given (else it is the default)? */
    private readonly jobsGiven: boolean,
    /** May the run use workers (more than one thread, the demand, more than one file); after analyseInWorkers(), to analyse? */
    public wanted: boolean,
    private readonly options: AnalyzeOptions,
    private readonly crossFile: CrossFileFacts,
  ) {}

  /** The pool, started at its first use with the initializers published so far. */
  get(): WorkerPool {
    if (!this.pool) {
      this.pool = new WorkerPool(this.jobs, runnerOptions(this.options));
      this.publishInitializers();
    }
    return this.pool;
  }

  /** Sends a started pool the initializers the run published since. */
  publishInitializers(): void {
    if (!this.pool) return;
    for (const [name, fields] of this.crossFile.initializers) {
      if (this.published.has(name)) continue;
      this.published.add(name);
      this.pool.publishInitializer(name, fields);
    }
  }

  /** The pool to read `filesToRead` files with: with -j given, always; by default, from READ_IN_WORKERS_FROM files on. */
  forReading(filesToRead: number): WorkerPool | null {
    return this.jobsGiven || filesToRead >= READ_IN_WORKERS_FROM ? this.get() : null;
  }

  /**
   * Do workers analyse the run's files (else this thread does, one at a time)? With -j given, when
   * it is more than 1; by default, when the run has ANALYSE_IN_WORKERS_FROM files to analyse or more.
   */
  analyseInWorkers(filesToAnalyse: number): boolean {
    if (!this.jobsGiven && filesToAnalyse < ANALYSE_IN_WORKERS_FROM) this.wanted = false;
    return this.wanted;
  }

  /** Stops the workers (a pool used again starts new ones). */
  async close(): Promise<void> {
    const pool = this.pool;
    this.pool = null;
    this.published.clear();
    if (pool) this.workersStopped.push(...pool.stopped);
    await pool?.close();
  }
}
