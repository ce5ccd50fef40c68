// A worker thread of the pool (src/parallel/pool.ts): runs the tasks it is sent, one at a time:
// a file's analysis, or the facts of files read before any analysis.
import { parentPort, workerData } from 'node:worker_threads';
import { FileTaskRunner, type FileTask, type RunnerOptions } from './file-task.js';
import { readSource } from '../read-source.js';
import { withoutInterning } from '../engine/prescan.js';
import { fileFacts, type FactsConfig } from './file-facts.js';
import { injectedReadingFailure } from '../failure-injection.js';

const runner = new FileTaskRunner(workerData as RunnerOptions);
let factsConfig: FactsConfig | null = null;

type Message = ({ kind: 'analyse' } & FileTask) | { kind: 'facts'; paths: string[]; config?: FactsConfig };

parentPort!.on('message', (msg: Message & { id: number }) => {
  const work = msg.kind === 'facts' ? facts(msg) : runner.run(msg);
  work.then(
    (result) => parentPort!.postMessage({ id: msg.id, result }),
    (err: unknown) => parentPort!.postMessage({ id: msg.id, error: err instanceof Error ? err.message : String(err) }),
  );
});

async function facts(msg: { paths: string[]; config?: FactsConfig }): Promise<unknown[]> {
  if (msg.config) factsConfig = msg.config;
  // The facts go to the main thread as copies, which it interns: no table of names here.
  return withoutInterning(() =>
    msg.paths.map((p) => {
      injectedReadingFailure(p);
      const got = readSource(p);
      return 'error' in got ? { path: p, error: got.error } : fileFacts(p, got.text, factsConfig!, got.bytes);
    }),
  );
}
