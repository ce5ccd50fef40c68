// The memo step of a file's analysis (src/function-memo.ts): a function whose callees' summaries
// are what they were when it was last analysed (a later pass or round over the file, or an earlier
// run through the cache) is not analysed again; what it reported is reported again, and its
// result (what the rules' file checks read) is given again. A function analysed anew is recorded:
// the answers it got, the initializers it read, what the rules reported.

import type { AstNode } from '../parse/ast.js';
import type { ApiEntry } from '../kb/lock-api.js';
import type { FindingInput } from '../engine/events.js';
import type { FunctionAnalysis } from '../engine/function.js';
import { atOrigin, memoDigest, memoKey, moved, positionOf, type FunctionMemo, type FunctionPlace, type MemoEntry } from '../function-memo.js';
import { exactFingerprint } from '../cross-file-view.js';
import { placeOf, type FileFunctions } from './file-functions.js';
import type { FileResolver } from './file-resolver.js';
import type { CallerEntry } from './function-runner.js';

/** Place-free fingerprints of a summary of the file, by where its function stood (summaries are not changed once made). */
const placeFree = new WeakMap<ApiEntry, Map<string, string>>();

/** A memo entry's input naming a constant's value (beside the initializers it read): `#define NAME`. */
const CONSTANT_INPUT = '#define ';

/** The memo as one file's analysis uses it. */
export class FileMemo {
  /** The memo entries of this analysis (what the cache keeps of the file's functions). */
  readonly used = new Map<string, MemoEntry>();

  constructor(
    private readonly memo: FunctionMemo,
    private readonly file: string,
    private readonly functions: FileFunctions,
    private readonly resolver: FileResolver,
  ) {}

  /** The key of a function's analysis without callers' locks at entry (with them, it is not memoised). */
  keyOf(fn: AstNode, withVisitors: boolean): string {
    const name = this.functions.infos.get(fn)!.name;
    return memoKey(this.file, withVisitors, this.functions.staticsCalled(fn), this.functions.handoffs.get(name), this.functions.contexts.get(name)?.how, fn.text);
  }

  /**
   * The key of a function's analysis with its callers' locks at entry: keyOf()'s, and the entry
   * (the locks, what says so, the first call, how many calls) with every place in the file told
   * from the start of the function it lies in, so that it holds when functions move. Null when a
   * place of the entry lies outside the file's functions (that analysis is not memoised).
   */
  callersKeyOf(fn: AstNode, callers: CallerEntry): { key: string; places: Map<string, FunctionPlace> } | null {
    const entry = { locks: callers.locks, none: callers.none ?? null, site: callers.relocation.site.step, calls: callers.relocation.callers };
    const places = new Map<string, FunctionPlace>();
    for (const line of linesIn(entry, this.file)) {
      const at = this.functions.nodes.find((f) => line >= f.row + 1 && line <= f.endRow + 1);
      const name = at && this.functions.infos.get(at)?.name;
      if (!at || !name || this.functions.byName.get(name) !== at) return null;
      places.set(name, placeOf(at));
    }
    const toOrigin = [...places.values()].map((p) => ({ from: p, to: atOrigin(p) }));
    const placeFree = moved(entry, this.file, toOrigin);
    if (!placeFree) return null;
    return { key: memoDigest(`${this.keyOf(fn, true)}\0callers\0${JSON.stringify(placeFree)}`), places };
  }

  /** The memo's entry for `key`, moved to where the file's functions stand now, when its answers hold. */
  recall(key: string, fn: AstNode): MemoEntry | null {
    const stored = this.memo.get(key);
    if (!stored?.analysis || !this.answersHold(stored)) return null;
    const here = placeOf(fn);
    // A function of the entry's places no longer defined: the key (naming it) does not match anyway.
    if ([...stored.places.keys()].some((name) => !this.functions.byName.has(name))) return null;
    const moves = [{ from: stored.at, to: here }, ...[...stored.places].map(([name, from]) => ({ from, to: placeOf(this.functions.byName.get(name)!) }))];
    const hit = moved(stored, this.file, moves);
    if (!hit) return null;
    hit.at = here;
    this.used.set(hit.key, hit);
    return hit;
  }

  /** Starts recording the analysis of `fn` under `key` (`places`: of the file's functions its entry names). */
  record(key: string, fn: AstNode, places?: ReadonlyMap<string, FunctionPlace>): MemoRecording {
    return new MemoRecording(
      { key, at: placeOf(fn), deps: new Map(), places: new Map(places ?? []), initializers: new Map(), reports: [], analysis: null, failureReturns: [] },
      this.resolver,
      (name, entry) => this.dependency(name, entry),
    );
  }

  /** Keeps a recorded analysis. */
  keep(recording: MemoRecording, analysis: FunctionAnalysis): void {
    const entry = recording.entry;
    const { summary, callSites, parseErrors, widened, budgetExceeded, orderEdges } = analysis;
    entry.analysis = { summary, callSites, parseErrors, widened, budgetExceeded, orderEdges };
    entry.failureReturns = analysis.result.failureReturns.map((f) => ({ ...f, node: f.node && positionOf(f.node) }));
    this.memo.store(entry);
    this.used.set(entry.key, entry);
  }

  /** Do the answers an entry used hold now? Its callees in this file may have moved. */
  private answersHold(e: MemoEntry): boolean {
    for (const [name, fp] of e.deps) {
      const was = e.places.get(name);
      const definition = this.functions.byName.get(name);
      if (!was) {
        if (exactFingerprint(this.resolver.resolve(name)) !== fp) return false;
      } else if (!definition || this.placeFreeFingerprint(this.resolver.resolve(name), placeOf(definition)) !== fp) return false;
    }
    for (const [variable, fp] of e.initializers) {
      const now = variable.startsWith(CONSTANT_INPUT) ? String(this.resolver.constantValue(variable.slice(CONSTANT_INPUT.length))) : exactFingerprint(this.resolver.initializer(variable));
      if (now !== fp) return false;
    }
    return true;
  }

  /** How an entry records the answer for `name`: for a function of this file, where it stands and what it says wherever it stands. */
  private dependency(name: string, entry: ApiEntry | undefined): { fingerprint: string; place?: FunctionPlace } {
    const definition = this.functions.byName.get(name);
    if (!definition) return { fingerprint: exactFingerprint(entry) };
    const place = placeOf(definition);
    return { fingerprint: this.placeFreeFingerprint(entry, place), place };
  }

  /** The fingerprint of what a function of this file says, wherever it stands (as if at the top of the file). */
  private placeFreeFingerprint(entry: ApiEntry | undefined, place: FunctionPlace): string {
    if (!entry) return '';
    const at = `${place.row}:${place.col}:${place.endRow}:${place.start}:${place.end}`;
    let byPlace = placeFree.get(entry);
    if (!byPlace) placeFree.set(entry, (byPlace = new Map()));
    let fp = byPlace.get(at);
    if (fp === undefined) byPlace.set(at, (fp = exactFingerprint(moved(entry, this.file, [{ from: place, to: atOrigin(place) }]) ?? entry)));
    return fp;
  }
}

/** One function's analysis being recorded: the resolver it asks through, and the reports of the rules. */
export class MemoRecording {
  constructor(
    readonly entry: MemoEntry,
    private readonly resolver: FileResolver,
    private readonly dependency: (name: string, entry: ApiEntry | undefined) => { fingerprint: string; place?: FunctionPlace },
  ) {}

  readonly resolve = (name: string): ApiEntry | undefined => {
    const answer = this.resolver.resolve(name);
    if (!this.entry.deps.has(name)) {
      const { fingerprint, place } = this.dependency(name, answer);
      if (place) this.entry.places.set(name, place);
      this.entry.deps.set(name, fingerprint);
    }
    return answer;
  };

  readonly initializer = (variable: string): ReadonlyMap<string, string> | undefined => {
    const fields = this.resolver.initializer(variable);
    if (!this.entry.initializers.has(variable)) this.entry.initializers.set(variable, exactFingerprint(fields));
    return fields;
  };

  /** The value of a named constant, recorded as an input of the entry. */
  readonly constantValue = (name: string): bigint | undefined => {
    const v = this.resolver.constantValue(name);
    this.entry.initializers.set(`${CONSTANT_INPUT}${name}`, String(v));
    return v;
  };

  /** A report of rule `ruleIndex`, kept to be given again when the entry is reused. */
  report(ruleIndex: number, finding: FindingInput): void {
    this.entry.reports.push([ruleIndex, { ...finding, node: positionOf(finding.node) }]);
  }
}

/** The lines of `file` that places in `value` name ({ file, line } objects: trace steps). */
function linesIn(value: unknown, file: string): Set<number> {
  const lines = new Set<number>();
  const seen = new Set<object>();
  const walk = (item: unknown): void => {
    if (!item || typeof item !== 'object' || seen.has(item)) return;
    seen.add(item);
    if (Array.isArray(item)) {
      for (const x of item) walk(x);
      return;
    }
    const o = item as Record<string, unknown>;
    if (o['file'] === file && typeof o['line'] === 'number') lines.add(o['line']);
    for (const k of Object.keys(o)) walk(o[k]);
  };
  walk(value);
  return lines;
}
