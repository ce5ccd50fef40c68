// A worker thread of the pool (src/parallel/pool.ts): runs the tasks it is sent, one at a time:
// a file's analysis, or the facts of files read before any analysis.
import { parentPort, workerData } from 'node:worker_threads';
import { FileTaskRunner, type FileTask, type RunnerOptions } from './file-task.js';
import { readSourceAhead } from '../read-source.js';
import { withoutInterning } from '../engine/prescan.js';
import { fileFacts, type FactsConfig } from './file-facts.js';

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

/**
 * How many files of a batch are read ahead of the one whose facts are being made. The whole 6.12
 * tree with the page cache dropped: reading and prescanning 21.0-22.0 s with none, 17.1-18.1 s
 * with 8, 19.0 s with 16; no change with the tree in the page cache.
 */
const READ_AHEAD = 8;

async function facts(msg: { paths: string[]; config?: FactsConfig }): Promise<unknown[]> {
  if (msg.config) factsConfig = msg.config;
  const { paths } = msg;
  // The next files are read while this one is prescanned: a tree not in the page cache is read
  // from the disk meanwhile, instead of between the prescans.
  const reads: Promise<{ text: string } | { error: string }>[] = [];
  const readAhead = (k: number): void => {
    if (k < paths.length) reads[k] = readSourceAhead(paths[k]!);
  };
  for (let k = 0; k < READ_AHEAD; k++) readAhead(k);
  const out: unknown[] = [];
  for (let k = 0; k < paths.length; k++) {
    const p = paths[k]!;
    const got = await reads[k]!;
    readAhead(k + READ_AHEAD);
    // The facts go to the main thread as copies, which it interns: no table of names here.
    out.push('error' in got ? { path: p, error: got.error } : withoutInterning(() => fileFacts(p, got.text, factsConfig!)));
  }
  return out;
}
