// A worker thread of the pool (src/parallel/pool.ts): runs the file tasks it is sent, one at a time.
import { parentPort, workerData } from 'node:worker_threads';
import { FileTaskRunner, type FileTask, type RunnerOptions } from './file-task.js';

const runner = new FileTaskRunner(workerData as RunnerOptions);
parentPort!.on('message', (task: FileTask & { id: number }) => {
  runner.run(task).then(
    (result) => parentPort!.postMessage({ id: task.id, result }),
    (err: unknown) => parentPort!.postMessage({ id: task.id, error: err instanceof Error ? err.message : String(err) }),
  );
});
