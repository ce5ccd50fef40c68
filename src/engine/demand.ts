// Which functions of the run can matter to a check. Most kernel functions never touch an mm lock:
// analysing them costs time and finds nothing. From the prescan (src/engine/prescan.ts), before
// anything is parsed, a function is analysed when
// - it mentions a name of `lockNames`: a call whose knowledge-base entry changes its caller's lock
//   or VMA state (the lock API, the VMA lookups, a function whose known summary does), or a name
//   an engine model or a rule declares (`DemandNames`: a lock's rwsem field, a VMA iterator, a
//   write to a VMA field that needs a lock, a page walk);
// - a rule's text trigger matches it (a "cannot fail" comment); then everything it calls too;
// - an analysed function calls it, and its summary can matter there: it may fault or take the
//   mmap lock (it mentions such a name, or calls a function that does: the caller may hold a
//   lock), it is a static function of the same file (it is analysed again with the locks its
//   callers hold), or it takes a VMA (its summary says which VMA arguments it dereferences);
// and, while the run goes, when the summary computed for a function changes its callers' lock or
// VMA state (it returns with a lock held, needs one, returns a VMA), its callers are analysed too
// (`activate()`).
// This file knows no table of the knowledge base: the names are declared where the knowledge is
// read, by each engine model and by each rule whose check reads a table no model owns
// (RuleMeta.demand, src/rules/rule.ts); src/engine/demand-names.ts combines them with the entries.
// Calls resolve as the linker would, approximately: to the caller file's own static definition,
// else to every non-static definition of the name in the caller's program (the architectures' too;
// not a definition under tools/ for kernel code: src/engine/link-domain.ts).

import type { FilePrescan, PrescanFunction } from './prescan.js';
import type { LinkDomains } from './link-domain.js';
import { createHash } from 'node:crypto';
import type { RelevantNames } from './demand-names.js';

/**
 * The callers of every function of a run, packed: those of `d` are list[start[d] .. start[d + 1]);
 * with what each function mentions (MENTIONS_* bits) for the names digested in `names`.
 */
export interface CallGraph {
  start: Int32Array;
  list: Int32Array;
  mentions?: Uint8Array;
  names?: string;
}

export interface DemandFile {
  path: string;
  scan: FilePrescan;
  /** Read for its functions' summaries only: needed only where a needed function reaches it. */
  context?: boolean;
}

/** A digest of the names mentionBits() reads (what a function's mentions depend on besides its identifiers). */
function mentionNames(names: RelevantNames): string {
  const digest = createHash('sha1');
  for (const set of [names.insideNames, names.kernelLockNames, names.faultNames, names.lockNames, names.vmaNames]) digest.update([...set].sort().join(',')).update('\0');
  return digest.digest('base64');
}

/** Each name's MENTIONS_* bits. */
function mentionBits(names: RelevantNames): Map<string, number> {
  const bits = new Map<string, number>();
  const add = (set: ReadonlySet<string>, bit: number): void => {
    for (const name of set) bits.set(name, (bits.get(name) ?? 0) | bit);
  };
  add(names.insideNames, MENTIONS_INSIDE);
  add(names.kernelLockNames, MENTIONS_KERNEL_LOCK);
  add(names.faultNames, MENTIONS_FAULT);
  add(names.lockNames, MENTIONS_LOCK);
  add(names.vmaNames, MENTIONS_VMA);
  return bits;
}


/**
 * How far down a triggered function's calls are analysed: what it calls, and what those call (a
 * failure returned from two calls down is still found; deeper, the summary does not know).
 */
const TRIGGER_DEPTH = 2;

const NONE: readonly number[] = [];

/** What a function mentions, as bits (one pass over its identifiers, shared by every marking). */
const MENTIONS_INSIDE = 1;
const MENTIONS_KERNEL_LOCK = 2;
const MENTIONS_FAULT = 4;
const MENTIONS_LOCK = 8;
const MENTIONS_VMA = 16;

export class Demand {
  /**
   * The run's functions, numbered file by file in text order: function `id` is fnOf[id], of file
   * fileOf[id]; those of file f are ids fileFirst[f] .. fileFirst[f + 1].
   */
  private readonly fnOf: PrescanFunction[] = [];
  private readonly fileOf: Int32Array;
  private readonly fileFirst: Int32Array;
  /** What each function mentions (MENTIONS_*), for the names digested in `mentionsOf`. */
  private readonly mentions: Uint8Array;
  private readonly mentionsOf: string;
  /** The mentions were the earlier run's (callGraph()): its files, calls and names were these. */
  readonly mentionsKnown: boolean;
  private readonly fileIndex = new Map<string, number>();
  private readonly globalDefs = new Map<string, number[]>();
  /** The program of each file (LinkDomains' numbers; all 0 without domains). */
  private readonly programs: Int32Array;
  /** Names defined non-static in more than one program, with the definitions each program reaches. */
  private readonly mixed = new Map<string, Map<number, number[]>>();
  private readonly staticDefs: Map<string, number[]>[] = [];
  private readonly callerStart: Int32Array;
  private readonly callerList: Int32Array;
  private readonly needed: Uint8Array;
  private readonly triggered: Uint8Array;
  /** Needed for the lock checks (not only as a triggered function's callee): its callees were taken. */
  private readonly expanded: Uint8Array;
  private readonly inside: Uint8Array;
  private readonly takesVma: Uint8Array;
  /** Takes a kernel lock somewhere down its calls. */
  private readonly kernelLocking: Uint8Array;
  /** May fault on user memory itself or in a function it calls (one level: see nearby()). */
  private readonly faulting: Uint8Array;
  /** Mentions a call that may fault on user memory. */
  private faultsItself = new Uint8Array(0);
  /** Needed as a callback the kernel calls with the mmap lock held, or a kernel-locking callee of one of its file (takeLockingHelpers()). */
  private readonly lockDown: Uint8Array;
  private readonly activated = new Set<number>();
  private readonly neededInFile: number[];
  /** Files whose file-scope initializers name the lock API (`.walk_lock = PGWALK_WRLOCK`). */
  private readonly fileScopeRelevant: Uint8Array;
  neededFunctions = 0;

  constructor(
    private readonly files: readonly DemandFile[],
    names: RelevantNames,
    /** Also every non-static function whose summary can matter to a caller (for --summaries-out). */
    exportSummaries = false,
    /** The programs of the tree: a call resolves only within its own. */
    private readonly domains: LinkDomains | null = null,
    /** The callers of every definition as an earlier run with the same files and calls found them (callGraph()). */
    known: CallGraph | null = null,
  ) {
    this.programs = new Int32Array(files.length);
    if (domains?.root) files.forEach((f, i) => (this.programs[i] = domains.programId(f.path)));
    let count = 0;
    for (const f of files) count += f.scan.functions.length;
    this.fileOf = new Int32Array(count);
    this.fileFirst = new Int32Array(files.length + 1);
    // What each function mentions: the earlier run's, when its files, calls and names were these.
    this.mentionsOf = mentionNames(names);
    const fits = known && known.start.length === count + 1 && known.list.length === known.start[count];
    this.mentionsKnown = !!(fits && known.mentions?.length === count && known.names === this.mentionsOf);
    this.mentions = this.mentionsKnown ? known!.mentions! : new Uint8Array(count);
    const bits = this.mentionsKnown ? null : mentionBits(names);
    files.forEach((f, fileIndex) => {
      this.fileIndex.set(f.path, fileIndex);
      const statics = new Map<string, number[]>();
      this.staticDefs.push(statics);
      this.fileFirst[fileIndex] = this.fnOf.length;
      for (const fn of f.scan.functions) {
        const id = this.fnOf.length;
        this.fnOf.push(fn);
        this.fileOf[id] = fileIndex;
        if (bits) {
          let mentions = 0;
          for (const name of fn.ids) mentions |= bits.get(name) ?? 0;
          this.mentions[id] = mentions;
        }
        const table = fn.isStatic ? statics : this.globalDefs;
        const list = table.get(fn.name);
        if (list) {
          list.push(id);
          if (!fn.isStatic && this.programs[this.fileOf[list[0]]] !== this.programs[fileIndex]) this.mixed.set(fn.name, new Map());
        } else table.set(fn.name, [id]);
      }
    });
    this.fileFirst[files.length] = count;
    // Callers of each definition, packed (a whole tree has millions of call edges): the callers
    // of `d` are callerList[callerStart[d] .. callerStart[d + 1]).
    [this.callerStart, this.callerList] = fits ? [known.start, known.list] : this.resolveCalls(count);
    // Functions that may fault or take the mmap lock somewhere down their calls.
    this.inside = this.upward(MENTIONS_INSIDE | MENTIONS_LOCK);
    this.takesVma = new Uint8Array(count);
    this.kernelLocking = this.upward(MENTIONS_KERNEL_LOCK);
    this.faulting = this.nearby(MENTIONS_FAULT);
    this.lockDown = new Uint8Array(count);
    this.needed = new Uint8Array(count);
    this.triggered = new Uint8Array(count);
    this.expanded = new Uint8Array(count);
    this.neededInFile = new Array<number>(files.length).fill(0);
    this.fileScopeRelevant = new Uint8Array(files.length);
    files.forEach((f, i) => {
      if (f.context) return;
      for (const id of f.scan.fileScopeIds) if (names.lockNames.has(id)) this.fileScopeRelevant[i] = 1;
    });
    const lockSeeds: number[] = [];
    const kernelSeeds: number[] = [];
    const triggerSeeds: number[] = [];
    this.fnOf.forEach((fn, id) => {
      const mentions = this.mentions[id];
      if (mentions & MENTIONS_VMA) this.takesVma[id] = 1;
      if (files[this.fileOf[id]].context) return;
      const seed = (mentions & MENTIONS_LOCK) !== 0;
      if (fn.triggered) {
        // `triggered` counts the levels still to take below a function, itself included: a
        // claim's function is level 0, its callees 1, theirs TRIGGER_DEPTH.
        this.triggered[id] = TRIGGER_DEPTH + 1;
        triggerSeeds.push(id);
      }
      if (seed) lockSeeds.push(id);
      else if (this.faulting[id] && mentions & MENTIONS_KERNEL_LOCK) kernelSeeds.push(id);
    });
    // Callbacks the kernel calls with the mmap lock held: what they take is ordered below it.
    const callbackSeeds: number[] = [];
    files.forEach((f, fileIndex) => {
      if (f.context) return;
      for (const name of f.scan.mmapCallbacks ?? []) {
        for (const def of this.resolve(fileIndex, name)) {
          if (!this.kernelLocking[def] || this.lockDown[def]) continue;
          this.lockDown[def] = 1;
          callbackSeeds.push(def);
        }
      }
    });
    if (exportSummaries) this.fnOf.forEach((fn, id) => !files[this.fileOf[id]].context && !fn.isStatic && (this.inside[id] || this.takesVma[id]) && lockSeeds.push(id));
    // Takes a kernel lock and may fault (itself or in a helper it calls): it may hold the lock
    // across the fault. Worth it where that can be a finding: an atomic lock or section, a lock the
    // kernel's documented order ranks below mmap_lock, or a lock (by its name) that a function of
    // the run takes where it may hold the mmap lock (one that names the mm lock API, a callback
    // the kernel calls with it, their helpers of the same file). Analysed with the helpers that
    // fault, not expanded further down.
    const underMmap = this.lockedNamesOf([...lockSeeds, ...callbackSeeds]);
    for (const name of names.lockedUnderMmap) underMmap.add(name);
    const worthIt = (name: string): boolean => names.atomicLockNames.has(name) || names.orderedLockNames.has(name) || underMmap.has(name);
    this.take(lockSeeds, true);
    const releases = (id: number): boolean => this.fnOf[id].ids.some((name) => names.kernelReleaseNames.has(name));
    this.takeWithFaultingHelpers(kernelSeeds.filter((id) => this.fnOf[id].ids.some(worthIt)), releases);
    this.takeLockingHelpers(callbackSeeds);
    this.take(triggerSeeds, false);
  }

  /** Every call resolved once: the edges in caller order, then bucketed by definition. */
  private resolveCalls(count: number): [Int32Array, Int32Array] {
    const counts = new Int32Array(count + 1);
    const edgeCallers: number[] = [];
    const edgeDefs: number[] = [];
    this.fnOf.forEach((fn, id) => {
      for (const name of fn.ids) {
        for (const def of this.resolve(this.fileOf[id], name)) {
          if (def === id) continue;
          edgeCallers.push(id), edgeDefs.push(def), counts[def + 1]++;
        }
      }
    });
    for (let i = 0; i < count; i++) counts[i + 1] += counts[i];
    const list = new Int32Array(counts[count]);
    const fillAt = counts.slice(0, count);
    for (let e = 0; e < edgeDefs.length; e++) list[fillAt[edgeDefs[e]]++] = edgeCallers[e];
    return [counts, list];
  }

  /** The callers of every definition (to give a later run with the same files and calls). */
  callGraph(): CallGraph {
    return { start: this.callerStart, list: this.callerList, mentions: this.mentions, names: this.mentionsOf };
  }

  /** The definitions a call of `name` from a file reaches. */
  private resolve(file: number, name: string): readonly number[] {
    const local = this.staticDefs[file].get(name);
    if (local) return local;
    const defs = this.globalDefs.get(name);
    if (!defs) return NONE;
    const program = this.programs[file];
    const byProgram = this.mixed.get(name);
    if (!byProgram) return program === this.programs[this.fileOf[defs[0]]] || this.domains!.idLinks(program, this.programs[this.fileOf[defs[0]]]) ? defs : NONE;
    let reached = byProgram.get(program);
    if (!reached) byProgram.set(program, (reached = defs.filter((d) => this.domains!.idLinks(program, this.programs[this.fileOf[d]]))));
    return reached;
  }

  /**
   * Marks the functions that mention one of `base` or call a function that does: where a lock
   * the function takes may be held across a user access (the access itself, or a helper of it).
   * Deeper chains are left out: nearly every function of a whole tree reaches a user copy
   * somewhere down, and nearly every one takes some lock.
   */
  private nearby(base: number): Uint8Array {
    const direct = new Uint8Array(this.fnOf.length);
    this.mentions.forEach((mentions, id) => {
      if (mentions & base) direct[id] = 1;
    });
    this.faultsItself = direct;
    const marked = direct.slice();
    direct.forEach((d, id) => {
      if (!d) return;
      for (let c = this.callerStart[id]; c < this.callerStart[id + 1]; c++) marked[this.callerList[c]] = 1;
    });
    return marked;
  }

  /** Marks every function calling one of `base` (directly or not). */
  private upward(base: number): Uint8Array {
    const marked = new Uint8Array(this.fnOf.length);
    const work: number[] = [];
    this.mentions.forEach((mentions, id) => {
      if (!(mentions & base)) return;
      marked[id] = 1;
      work.push(id);
    });
    while (work.length) {
      const id = work.pop()!;
      for (let c = this.callerStart[id]; c < this.callerStart[id + 1]; c++) {
        const caller = this.callerList[c];
        if (marked[caller]) continue;
        marked[caller] = 1;
        work.push(caller);
      }
    }
    return marked;
  }

  /** The locks (`&name`, prescan.lockedName()) the functions take, or their callees of the same file. */
  private lockedNamesOf(ids: readonly number[]): Set<string> {
    const out = new Set<string>();
    const add = (id: number): void => {
      for (const name of this.fnOf[id].ids) if (name.charCodeAt(0) === 38 /* & */) out.add(name);
    };
    for (const id of ids) {
      add(id);
      const file = this.fileOf[id];
      for (const name of this.fnOf[id].ids) for (const def of this.resolve(file, name)) if (this.fileOf[def] === file) add(def);
    }
    return out;
  }

  /**
   * Marks functions needed with the callees that fault themselves (their summaries say so) or
   * release a kernel lock (maybe the caller's: wq_sleep() drops its caller's spinlock), nothing
   * further down.
   */
  private takeWithFaultingHelpers(ids: readonly number[], releases: (id: number) => boolean): void {
    for (const id of ids) {
      this.markNeeded(id);
      for (const name of this.fnOf[id].ids) for (const def of this.resolve(this.fileOf[id], name)) if (this.faultsItself[def] || releases(def)) this.markNeeded(def);
    }
  }

  /**
   * Marks callbacks the kernel calls with the mmap lock held needed, with their callees of the same
   * file that take a kernel lock (down their calls), for what they take: nothing else below.
   */
  private takeLockingHelpers(ids: readonly number[]): void {
    const work = [...ids];
    while (work.length) {
      const id = work.pop()!;
      this.markNeeded(id);
      const file = this.fileOf[id];
      for (const name of this.fnOf[id].ids) {
        for (const def of this.resolve(file, name)) {
          if (this.lockDown[def] || !this.kernelLocking[def] || this.fileOf[def] !== file) continue;
          this.lockDown[def] = 1;
          work.push(def);
        }
      }
    }
  }

  /** Marks one function needed (nothing below it). */
  private markNeeded(id: number): void {
    if (this.needed[id]) return;
    this.needed[id] = 1;
    this.neededFunctions++;
    this.neededInFile[this.fileOf[id]]++;
    this.activated.add(this.fileOf[id]);
  }

  /**
   * Marks functions needed, and down from them the callees whose summaries they read. A function
   * needed for the lock checks (`expand`) brings the callees that may fault or take the mmap lock
   * inside, its file's static callees and the callees that take a VMA; a triggered one brings what
   * it calls, TRIGGER_DEPTH levels down.
   */
  private take(ids: readonly number[], expand: boolean): void {
    const work: number[] = [];
    const mark = (id: number, expanding: boolean): void => {
      if (!this.needed[id]) {
        this.needed[id] = 1;
        this.neededFunctions++;
        this.neededInFile[this.fileOf[id]]++;
        this.activated.add(this.fileOf[id]);
        work.push(id);
      }
      if (expanding && !this.expanded[id]) {
        this.expanded[id] = 1;
        work.push(id);
      }
    };
    for (const id of ids) mark(id, expand);
    while (work.length) {
      const id = work.pop()!;
      const file = this.fileOf[id];
      for (const name of this.fnOf[id].ids) {
        for (const def of this.resolve(file, name)) {
          const depth = this.triggered[id] - 1;
          if (depth > this.triggered[def]) {
            this.triggered[def] = depth;
            // Deeper than before: its callees are taken again.
            if (this.needed[def]) work.push(def);
          }
          if (depth > 0) mark(def, false);
          if (!this.expanded[id]) continue;
          const sameFileStatic = this.fnOf[def].isStatic && this.fileOf[def] === file;
          if (this.inside[def] || this.takesVma[def] || sameFileStatic) mark(def, true);
        }
      }
    }
  }

  get functions(): number {
    return this.fnOf.length;
  }

  /** Does the file have something to analyse: a needed function, or a lock-relevant file-scope initializer? */
  fileNeeded(path: string): boolean {
    const f = this.fileIndex.get(path);
    return f === undefined || this.neededInFile[f] > 0 || this.fileScopeRelevant[f] === 1;
  }

  /**
   * The needed functions of a file, in file order; null when the whole file is to be parsed (it
   * was not prescanned, or a file-scope initializer of it matters).
   */
  neededIn(path: string): PrescanFunction[] | null {
    const f = this.fileIndex.get(path);
    if (f === undefined || this.fileScopeRelevant[f]) return null;
    const out: PrescanFunction[] = [];
    for (let id = this.fileFirst[f]; id < this.fileFirst[f + 1]; id++) if (this.needed[id]) out.push(this.fnOf[id]);
    return out;
  }

  /**
   * Is the function that ends at `end` (a string index) of the file analysed? True for what the
   * prescan did not see (a file that was not prescanned, a function it delimited otherwise).
   */
  isNeeded(path: string, end: number): boolean {
    const f = this.fileIndex.get(path);
    if (f === undefined) return true;
    const id = this.definitionEndingAt(f, end);
    return id < 0 || this.needed[id] === 1;
  }

  /** The function of file `f` whose body ends at `end` (-1: none); the prescan lists them in text order. */
  private definitionEndingAt(f: number, end: number): number {
    let lo = this.fileFirst[f];
    let hi = this.fileFirst[f + 1];
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if (this.fnOf[mid].end < end) lo = mid + 1;
      else hi = mid;
    }
    if (lo < this.fileFirst[f + 1] && this.fnOf[lo].end === end) return lo;
    for (let id = this.fileFirst[f]; id < this.fileFirst[f + 1]; id++) if (this.fnOf[id].end === end) return id;
    return -1;
  }

  /**
   * The summary of `name`, defined in `path`, changes its callers' state: they are analysed too.
   * Returns whether any function was newly marked.
   */
  activate(path: string, name: string): boolean {
    const f = this.fileIndex.get(path);
    if (f === undefined) return false;
    const defs = (this.staticDefs[f].get(name) ?? []).concat((this.globalDefs.get(name) ?? []).filter((d) => this.fileOf[d] === f));
    const callers: number[] = [];
    for (const def of defs) {
      for (let c = this.callerStart[def]; c < this.callerStart[def + 1]; c++) {
        const caller = this.callerList[c];
        // A context file's function matters only as a callee of the run's own.
        if (!this.expanded[caller] && (!this.files[this.fileOf[caller]].context || this.needed[caller])) callers.push(caller);
      }
    }
    if (!callers.length) return false;
    this.take(callers, true);
    return true;
  }

  /** Files that gained needed functions since the last call (their earlier analysis skipped them). */
  takeActivated(): Set<string> {
    const out = new Set([...this.activated].map((f) => this.files[f].path));
    this.activated.clear();
    return out;
  }
}
