// What a file's analysis asks of the rest of the run (summaries of functions defined elsewhere,
// `__noreturn` declarations, initializers of other files, the knowledge base as the tree declares
// it), and the fingerprints of those answers, by which a result is known to still hold.

import { createHash } from 'node:crypto';
import { lookupApi, type ApiEntry } from './kb/lock-api.js';

/** What a file's analysis may ask of the rest of the run. */
export interface CrossFileView {
  /** The summary of a function defined outside the file, as a call from `file` reaches it. */
  summaryOf(name: string, file: string): ApiEntry | undefined;
  /** Is `name` declared `__noreturn` where `file` sees it? */
  noreturn(name: string, file: string): boolean;
  /** Fields of a non-static variable's brace initializer in another file. */
  initializer(variable: string): ReadonlyMap<string, string> | undefined;
  /**
   * The knowledge-base entry for a call of `name` from `file`, as it holds for the tree (see
   * src/engine/tree-apis.ts): undefined when the tree's declaration does not fit it. Absent: the
   * built-in table as it is.
   */
  api?(name: string, file: string): ApiEntry | undefined;
}

/** Every answer of the CrossFileView a file's analysis used, as fingerprints. */
export interface FileInputs {
  summaries: Map<string, string>;
  noreturn: Map<string, boolean>;
  initializers: Map<string, string>;
  /** The knowledge-base entries used, as the tree's declarations made them. */
  apis: Map<string, string>;
}

/**
 * Fingerprints by object: a summary, a knowledge-base entry or an initializer is not changed once
 * made (a changed one is a new object), and the same one is answered to many functions and files.
 */
const fingerprints = new WeakMap<object, string>();

/** A fingerprint of everything in a summary (traces included): equal means the analysis saw the same. */
export function exactFingerprint(e: ApiEntry | ReadonlyMap<string, string> | undefined): string {
  if (!e) return '';
  let fp = fingerprints.get(e);
  if (fp === undefined) {
    // A digest: a file's inputs name hundreds of summaries, kept until the file's turn and cached.
    fp = createHash('sha1')
      .update(e instanceof Map ? JSON.stringify([...e]) : JSON.stringify(e))
      .digest('base64');
    fingerprints.set(e, fp);
  }
  return fp;
}

/** The fingerprint of a copy of an object whose fingerprint was made (a summary sent to a worker). */
export function knownFingerprint(e: object, fp: string): void {
  fingerprints.set(e, fp);
}

/** Do the answers `view` gives now equal those an analysis used? */
export function sameInputs(inputs: FileInputs, view: CrossFileView, file: string): boolean {
  for (const [name, fp] of inputs.summaries) if (exactFingerprint(view.summaryOf(name, file)) !== fp) return false;
  for (const [name, held] of inputs.noreturn) if (view.noreturn(name, file) !== held) return false;
  for (const [variable, fp] of inputs.initializers) if (exactFingerprint(view.initializer(variable)) !== fp) return false;
  for (const [name, fp] of inputs.apis ?? []) if (exactFingerprint(treeApi(view, name, file)) !== fp) return false;
  return true;
}

/** The knowledge-base entry a call of `name` from `file` gets (see CrossFileView.api). */
export function treeApi(view: CrossFileView, name: string, file: string): ApiEntry | undefined {
  return view.api ? view.api(name, file) : lookupApi(name);
}

