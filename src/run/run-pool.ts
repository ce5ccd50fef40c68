// The run's worker pool (src/parallel/pool.ts), started when a first task needs it: a run whose
// files all come from the cache (a hook's run after the first) starts no worker. The run's
// file-scope initializers are published to it as the files publish them.

import type { AnalyzeOptions } from '../types.js';
import type { CrossFileFacts } from '../engine/cross-file-facts.js';
import { WorkerPool } from '../parallel/pool.js';
import { runnerOptions } from '../parallel/file-task.js';

export class RunPool {
  private pool: WorkerPool | null = null;
  /** Initializers sent to the pool. */
  private readonly published = new Set<string>();

  constructor(
    /** Threads (-j). */
    readonly jobs: number,
    /** May the run use workers at all (more than one thread, the demand, more than one file)? */
    readonly wanted: boolean,
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

  async close(): Promise<void> {
    await this.pool?.close();
  }
}
