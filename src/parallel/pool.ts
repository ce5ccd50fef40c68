// Where file tasks run: a pool of worker threads (-j N), or the main thread (-j 1). Both take the
// same tasks and give the same results; the run decides which results to keep (src/analyze.ts).

import os from 'node:os';
import { Worker } from 'node:worker_threads';
import { FileTaskRunner, type FileTask, type FileTaskResult, type RunnerOptions } from './file-task.js';
import { emptyOutcome } from '../file-analyzer.js';

/** A task without the initializers: the executor adds those its runner has not seen. */
export type TaskRequest = Omit<FileTask, 'initializers'>;

export interface TaskExecutor {
  /** How many tasks it runs at once. */
  readonly width: number;
  submit(task: TaskRequest): Promise<FileTaskResult>;
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

interface Slot {
  worker: Worker;
  /** Initializers of the log this worker has been sent. */
  seen: number;
  busy: { id: number; task: TaskRequest; resolve: (r: FileTaskResult) => void } | null;
}

/** A worker whose heap grows past this is replaced after its task (WASM and V8 heaps only grow). */
const HEAP_LIMIT = 768 * 1024 * 1024;

/** Runs tasks in worker threads, each worker one task at a time. */
export class WorkerPool implements TaskExecutor {
  private readonly slots: Slot[] = [];
  private readonly queue: { task: TaskRequest; resolve: (r: FileTaskResult) => void }[] = [];
  private readonly log: [string, [string, string][]][] = [];
  private nextId = 0;
  private closed = false;
  /** Workers replaced because their heap grew (for the statistics). */
  recycled = 0;

  constructor(
    readonly width: number,
    private readonly options: RunnerOptions,
  ) {
    for (let i = 0; i < width; i++) this.slots.push(this.spawn());
  }

  private spawn(): Slot {
    const worker = new Worker(new URL('./worker.js', import.meta.url), { workerData: this.options });
    const slot: Slot = { worker, seen: 0, busy: null };
    worker.on('message', (msg: { id: number; result?: FileTaskResult; error?: string }) => {
      const job = slot.busy;
      if (!job || job.id !== msg.id) return;
      slot.busy = null;
      job.resolve(msg.result ?? failed(job.task, `could not be analysed: ${msg.error ?? 'worker error'}`));
      if (msg.result && msg.result.heapUsed > HEAP_LIMIT && !this.closed) this.replace(slot);
      this.pump();
    });
    const died = (why: string): void => {
      const job = slot.busy;
      slot.busy = null;
      if (job) job.resolve(failed(job.task, `could not be analysed: ${why}`));
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
    for (const slot of this.slots) {
      if (slot.busy || !this.queue.length) continue;
      const { task, resolve } = this.queue.shift()!;
      const id = this.nextId++;
      slot.busy = { id, task, resolve };
      const initializers = this.log.slice(slot.seen);
      slot.seen = this.log.length;
      slot.worker.postMessage({ ...task, initializers, id });
    }
  }

  submit(task: TaskRequest): Promise<FileTaskResult> {
    return new Promise((resolve) => {
      this.queue.push({ task, resolve });
      this.pump();
    });
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
  const outcome = emptyOutcome();
  outcome.failed = true;
  outcome.notifications.push({ file: task.path, level: 'error', message });
  return { path: task.path, outcome, knowledge: null, inputs: null, stateSummaries: [], stats: { parseMs: 0, analyzeMs: 0, filesParsed: 0 }, heapUsed: 0 };
}
