// The resolve step of a file's analysis: what a name called in the file does (the file's own
// summaries, the run's through the CrossFileView, the knowledge base as the tree declares it, the
// configuration), whether it is `__noreturn`, and the fields of an initializer. Every answer the
// view gave is recorded (FileInputs), with the names looked up outside the file.

import type { SourceFile } from '../parse/ast.js';
import type { ApiEntry } from '../kb/lock-api.js';
import { lookupApi } from '../kb/lock-api.js';
import { mergeEntry } from '../engine/cross-file-facts.js';
import { noreturnDeclarations } from '../engine/noreturn.js';
import { exactFingerprint, treeApi, type FileInputs, type CrossFileView } from '../cross-file-view.js';
import type { FileInitializer } from './parse-file.js';
import { NamedConstants, readConstantDefinitions } from '../engine/named-constants.js';

export class FileResolver {
  /** Every answer of the view this file's analysis used. */
  readonly inputs: FileInputs = { summaries: new Map(), noreturn: new Map(), initializers: new Map(), apis: new Map() };
  /** Names of functions defined elsewhere that the flow analysis asked about. */
  readonly lookedUp = new Set<string>();
  /** Names the file-level checks asked about (they read the whole summary). */
  readonly lookedUpWhole = new Set<string>();
  /** The summaries of the file's own functions computed so far. */
  private readonly localSummaries = new Map<string, ApiEntry>();
  /** Names declared `__noreturn` in the file itself. */
  private readonly declaredNoreturn: ReadonlySet<string>;

  constructor(
    private readonly file: SourceFile,
    private readonly view: CrossFileView,
    /** Knowledge-base entries from the configuration. */
    private readonly config: ReadonlyMap<string, ApiEntry>,
    private readonly useSummaries: boolean,
    /** The file's functions, by name. */
    private readonly definedHere: { has(name: string): boolean },
    private readonly initializers: ReadonlyMap<string, FileInitializer>,
    /** Named constants of the tree's mm headers, name -> definition. */
    private readonly treeConstants: ReadonlyMap<string, string> = new Map(),
  ) {
    this.declaredNoreturn = noreturnDeclarations(file.text);
  }

  /** The summary of a function of the file, once computed. */
  localSummary(name: string): ApiEntry | undefined {
    return this.localSummaries.get(name);
  }

  setLocalSummary(name: string, summary: ApiEntry): void {
    this.localSummaries.set(name, summary);
  }

  /** What a call of `name` does; declared `__noreturn` here or in a header or file of the run that this file sees. */
  readonly resolve = (name: string): ApiEntry | undefined => {
    const entry = this.known(name);
    if (entry?.noreturn) return entry;
    let noreturn = this.declaredNoreturn.has(name);
    if (!noreturn) {
      noreturn = this.view.noreturn(name, this.file.path);
      this.inputs.noreturn.set(name, noreturn);
    }
    return noreturn ? { ...(entry ?? { name }), noreturn: true } : entry;
  };

  /** `resolve` for the file-level checks, which read the whole summary of a function defined elsewhere. */
  readonly resolveWhole = (name: string): ApiEntry | undefined => {
    if (!this.definedHere.has(name)) this.lookedUpWhole.add(name);
    return this.resolve(name);
  };

  /** The fields of a file-scope initializer: this file's first, then the run's. */
  readonly initializer = (variable: string): ReadonlyMap<string, string> | undefined => {
    const local = this.initializers.get(variable)?.fields;
    if (local) return local;
    const other = this.view.initializer(variable);
    this.inputs.initializers.set(variable, exactFingerprint(other));
    return other;
  };

  private constants: NamedConstants | null = null;

  /**
   * The value of a named constant (src/engine/named-constants.ts): the file's own definitions
   * first, then the tree's mm headers; read when a function first asks.
   */
  readonly constantValue = (name: string): bigint | undefined => {
    this.constants ??= new NamedConstants([readConstantDefinitions(this.file.text), this.treeConstants]);
    return this.constants.value(name);
  };

  private known(name: string): ApiEntry | undefined {
    const kb = this.kbEntry(name);
    if (!this.useSummaries) return this.definedHere.has(name) ? mergeEntry(undefined, kb, true) : kb;
    if (this.definedHere.has(name)) return mergeEntry(this.localSummaries.get(name), kb, true);
    this.lookedUp.add(name);
    const summary = this.view.summaryOf(name, this.file.path);
    if (!this.inputs.summaries.has(name)) this.inputs.summaries.set(name, exactFingerprint(summary));
    return mergeEntry(summary, kb, false);
  }

  /** The table's entry as the tree declares the function (a configuration's entry is the user's word). */
  private kbEntry(name: string): ApiEntry | undefined {
    const configured = this.config.get(name);
    if (configured || !lookupApi(name)) return configured;
    const entry = treeApi(this.view, name, this.file.path);
    if (!this.inputs.apis.has(name)) this.inputs.apis.set(name, exactFingerprint(entry));
    return entry;
  }
}
