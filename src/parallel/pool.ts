// Where file tasks run: a pool of worker threads (-j N), or the main thread (-j 1). Both take the
// same tasks and give the same results; the run decides which results to keep (src/run/round-scheduler.ts).

import os from 'node:os';
import { Worker } from 'node:worker_threads';
import { failedOutcome, FileTaskRunner, type FileTask, type FileTaskResult, type RunnerOptions } from './file-task.js';
import type { FactsConfig, FileFacts } from './file-facts.js';

/** A task without the initializers: the executor adds those its runner has not seen. */
export type TaskRequest = Omit<FileTask, 'initializers'>;

export interface TaskExecutor {
  /** How many tasks it runs at once. */
  readonly width: number;
  /**
   * Queues a task. `rank` orders the queue (lowest first): the run ranks a file by its turn, so
   * that the file it waits for never waits behind files analysed ahead of their turn.
   */
  submit(task: TaskRequest, rank?: number): Promise<FileTaskResult>;
  /** An initializer the run published (every runner sees them in this order). */
  publishInitializer(name: string, fields: ReadonlyMap<string, string>): void;
  close(): Promise<void>;
}

/** The default -j: the cores this process may use. */
export function defaultJobs(): number {
  return Math.max(1, typeof os.availableParallelism === 'function' ? os.availableParallelism() : os.cpus().length);
}

/** Runs tasks in the main thread, one at a time. */
export class InlineExecutor implements TaskExecutor {
  readonly width = 1;
  private readonly runner: FileTaskRunner;
  private readonly log: [string, [string, string][]][] = [];
  private seen = 0;
  constructor(options: RunnerOptions) {
    this.runner = new FileTaskRunner(options);
  }
  submit(task: TaskRequest): Promise<FileTaskResult> {
    const initializers = this.log.slice(this.seen);
    this.seen = this.log.length;
    return this.runner.run({ ...task, initializers });
  }
  publishInitializer(name: string, fields: ReadonlyMap<string, string>): void {
    this.log.push([name, [...fields]]);
  }
  async close(): Promise<void> {}
}

/** A job for a worker: the message to send (given what the worker has seen), and where its answer goes. */
interface Job {
  /** Queue order: the lowest rank runs first, equal ranks in submission order. */
  rank: number;
  /** A batch of files to read: a worker may have READ_AHEAD of them at once. */
  readAhead?: boolean;
  message(slot: Slot): Record<string, unknown>;
  resolve(result: unknown): void;
  /** The answer when the worker fails. */
  failure(why: string): unknown;
}

interface Slot {
  worker: Worker;
  /** Initializers of the log this worker has been sent. */
  seen: number;
  /** Its jobs sent and not answered, by id: one, or two read-ahead ones (Job.readAhead). */
  running: Map<number, Job>;
  /** Its heap grew past HEAP_LIMIT with a job still running: replaced once that is answered, sent nothing more. */
  retiring: boolean;
}

/** A worker whose heap grows past this is replaced after its task (WASM and V8 heaps only grow). */
const HEAP_LIMIT = 512 * 1024 * 1024;
/** Files per facts job (the first pass over every file). */
const FACTS_BATCH = 64;
/** Facts jobs a worker may have at once (the one it reads, the next). */
const READ_AHEAD = 2;

/** Runs tasks in worker threads, each worker one task at a time. */
export class WorkerPool implements TaskExecutor {
  private readonly slots: Slot[] = [];
  private readonly queue: Job[] = [];
  private readonly log: [string, [string, string][]][] = [];
  private nextId = 0;
  private closed = false;
  /** Workers replaced because their heap grew (for the statistics). */
  recycled = 0;
  /** Why each worker that stopped on its own stopped (the run says so: its tasks were done again). */
  readonly stopped: string[] = [];

  constructor(
    readonly width: number,
    private readonly options: RunnerOptions,
  ) {
    for (let i = 0; i < width; i++) this.slots.push(this.spawn());
  }

  private spawn(): Slot {
    const worker = new Worker(new URL('./worker.js', import.meta.url), { workerData: this.options });
    const slot: Slot = { worker, seen: 0, running: new Map(), retiring: false };
    worker.on('message', (msg: { id: number; result?: unknown; error?: string }) => {
      const job = slot.running.get(msg.id);
      if (!job) return;
      slot.running.delete(msg.id);
      job.resolve(msg.error === undefined ? msg.result : job.failure(msg.error));
      const heap = (msg.result as { heapUsed?: number } | undefined)?.heapUsed ?? 0;
      if ((heap > HEAP_LIMIT || slot.retiring) && !this.closed) {
        if (slot.running.size) slot.retiring = true;
        else this.replace(slot);
      }
      this.pump();
    });
    const died = (why: string): void => {
      this.stopped.push(why);
      const jobs = [...slot.running.values()];
      slot.running.clear();
      for (const job of jobs) job.resolve(job.failure(why));
      if (!this.closed) this.replace(slot);
      this.pump();
    };
    worker.on('error', (err) => died(err.message));
    worker.on('exit', (code) => {
      if (!this.closed && this.slots.includes(slot)) died(`the analysis worker stopped (exit code ${code})`);
    });
    return slot;
  }

  private replace(slot: Slot): void {
    const at = this.slots.indexOf(slot);
    if (at < 0) return;
    this.slots[at] = this.spawn();
    this.recycled++;
    void slot.worker.terminate();
  }

  private pump(): void {
    // Every free worker a job first; then, reading, the next batch beside the one each reads: a
    // worker starts it at once, not when this thread, busy merging, gets to its answer.
    for (const limit of [1, READ_AHEAD]) {
      for (const slot of this.slots) {
        while (this.queue.length && slot.running.size < limit && !slot.retiring) {
          let at = 0;
          for (let i = 1; i < this.queue.length; i++) if (this.queue[i].rank < this.queue[at].rank) at = i;
          if (slot.running.size && !(this.queue[at].readAhead && [...slot.running.values()].every((j) => j.readAhead))) break;
          const job = this.queue.splice(at, 1)[0];
          const id = this.nextId++;
          slot.running.set(id, job);
          slot.worker.postMessage({ ...job.message(slot), id });
        }
      }
    }
  }

  private run<T>(job: Omit<Job, 'resolve'>): Promise<T> {
    return new Promise((resolve) => {
      this.queue.push({ ...job, resolve: resolve as (r: unknown) => void });
      this.pump();
    });
  }

  /**
   * A file goes to whichever worker is free first, analysed again or not: its task carries the
   * memo entries of its last analysis (RoundScheduler's packed memos), which is all a worker's own
   * memo would have of it. Waiting for the worker that analysed it before left the other idle: on
   * the whole 6.12 tree, rounds 2 and 3 took 11.8-12.5 s that way, 11.0-11.1 s without; the same
   * analyses reused within 0.5%, the same findings.
   */
  submit(task: TaskRequest, rank = 0): Promise<FileTaskResult> {
    return this.run<FileTaskResult>({
      rank,
      message: (slot) => {
        const initializers = this.log.slice(slot.seen);
        slot.seen = this.log.length;
        return { kind: 'analyse', ...task, initializers };
      },
      failure: (why) => failed(task, `could not be analysed: ${why}`),
    });
  }

  /** The facts of files (src/parallel/file-facts.ts), in batches, in the order given. */
  facts(paths: readonly string[], config: FactsConfig): Promise<(FileFacts | { path: string; error: string })[]>[] {
    const batches: Promise<(FileFacts | { path: string; error: string })[]>[] = [];
    for (let i = 0; i < paths.length; i += FACTS_BATCH) {
      const batch = paths.slice(i, i + FACTS_BATCH);
      batches.push(
        this.run({
          rank: 0,
          readAhead: true,
          message: () => ({ kind: 'facts', paths: batch, config }),
          failure: (why) => batch.map((p) => ({ path: p, error: `could not be read: ${why}` })),
        }),
      );
    }
    return batches;
  }

  publishInitializer(name: string, fields: ReadonlyMap<string, string>): void {
    this.log.push([name, [...fields]]);
  }

  async close(): Promise<void> {
    this.closed = true;
    await Promise.all(this.slots.map((s) => s.worker.terminate()));
  }
}

function failed(task: TaskRequest, message: string): FileTaskResult {
  return { path: task.path, ...failedOutcome(task.path, message, true), retry: true, stats: { parseMs: 0, analyzeMs: 0, filesParsed: 0, functionsReused: 0 }, heapUsed: 0 };
}
