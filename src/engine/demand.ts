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
// read, by each engine model (`MODEL_DEMANDS`) and by each rule whose check reads a table no model
// owns (RuleMeta.demand, src/rules/rule.ts); `relevantNames()` only combines them with the entries.
// Calls resolve as the linker would, approximately: to the caller file's own static definition,
// else to every non-static definition of the name in the caller's program (the architectures' too;
// not a definition under tools/ for kernel code: src/engine/link-domain.ts).

import type { FilePrescan, PrescanFunction } from './prescan.js';
import type { LinkDomains } from './link-domain.js';
import type { ApiEntry } from '../kb/lock-api.js';
import { lockDemand } from './models/locks.js';
import { pointerDemand } from './models/pointers.js';
import { vmaModificationDemand } from './models/summary-facts.js';
import { kernelLockDemand } from './models/kernel-locks.js';
import { MMAP_LOCK } from '../kb/lock-classes.js';

/**
 * What a call of a function with this entry brings to its caller's checks: a change of the
 * caller's lock or VMA state, or a requirement on it ('state'); something that matters only when
 * the caller holds a lock: a fault on user memory, taking the mmap lock inside ('inside'); or
 * nothing the checks look at. A raw rwsem operation (down_read()) is about the mmap lock only
 * when its argument is the mm's rwsem, which the caller then names (`mmap_lock`).
 */
export function entryRelevance(e: ApiEntry): 'state' | 'inside' | null {
  if (e.lock?.some((l) => !l.rawRwsem) || e.requires?.length || e.returnsVma || e.modifiesVma?.length || (e.rangeCheck && e.source?.kind !== 'summary') || e.freshVma) return 'state';
  if (e.lastUser !== undefined) return 'state';
  // Page faults disabled or enabled matter where a lock is held or a call may fault: like a fault.
  if (e.mayFault || e.takesMmapLock?.length || e.pagefault) return 'inside';
  return null;
}

/**
 * What makes a function worth analysing for one engine model or one rule: names the prescan
 * finds in its text (src/engine/prescan.ts).
 */
export interface DemandNames {
  /**
   * Identifiers that make a function worth analysing by themselves: a field (`mmap_lock`), a
   * macro, a constant; a write to a field as the prescan records it (`fieldWrite('vm_start')`:
   * `vm_start=`). Also looked for in file-scope initializers (`.walk_lock = PGWALK_WRLOCK`): a
   * file whose initializers name one is parsed whole.
   */
  names?: readonly string[];
  /** Identifiers of a function that takes a VMA (`vm_area_struct`): its callers read which VMA arguments it dereferences. */
  vmaNames?: readonly string[];
  /**
   * Calls that take a kernel lock (a mutex, a spinlock: models/kernel-locks.ts) or enter an atomic
   * section: a function that makes one matters where it may also fault or take the mmap lock (it
   * holds the lock across), and as a callback the kernel calls with the mmap lock held (what it
   * takes is ordered below mmap_lock), with its callees that take one.
   */
  kernelLockNames?: readonly string[];
  /** Of kernelLockNames, those that make the context atomic (a spinlock, preempt_disable()). */
  atomicLockNames?: readonly string[];
  /** Of kernelLockNames, those that take a class the documented mm lock order ranks below mmap_lock (folio_lock()). */
  orderedLockNames?: readonly string[];
  /** Calls that release a kernel lock: a helper that makes one may release its caller's. */
  kernelReleaseNames?: readonly string[];
  /** Calls that enter or leave an atomic section (preempt_disable(), local_irq_enable()): a header's wrapper of one is summarised. */
  atomicSectionNames?: readonly string[];
}

/**
 * A model's declaration: its names, given which calls change their caller's lock or VMA state
 * (the run's knowledge-base and configuration entries: a guard class matters when its entry call does).
 */
export type ModelDemand = (changesState: (call: string) => boolean) => DemandNames;

/** Each engine model's declaration: what it reads beyond the knowledge base's entries. */
const MODEL_DEMANDS: readonly ModelDemand[] = [lockDemand, pointerDemand, vmaModificationDemand, kernelLockDemand];

export interface RelevantNames {
  /** Identifiers that make a function worth analysing by themselves. */
  lockNames: Set<string>;
  /** Calls that matter only under a lock (they fault, or take the mmap lock inside). */
  insideNames: Set<string>;
  /** Identifiers of a function that takes a VMA. */
  vmaNames: Set<string>;
  /** Calls that take a kernel lock or enter an atomic section (DemandNames.kernelLockNames). */
  kernelLockNames: Set<string>;
  /** Of those, the ones that make the context atomic (DemandNames.atomicLockNames). */
  atomicLockNames: Set<string>;
  /** Of those, the ones of a class the kernel's documented order ranks below mmap_lock (DemandNames.orderedLockNames). */
  orderedLockNames: Set<string>;
  /** Calls that release a kernel lock (DemandNames.kernelReleaseNames). */
  kernelReleaseNames: Set<string>;
  /** Calls that enter or leave an atomic section (DemandNames.atomicSectionNames). */
  atomicSectionNames: Set<string>;
  /**
   * Locks (as prescan.lockedName() records them: `&buffer_mutex`) that earlier runs saw taken
   * under mmap_lock (--summaries-in's lock order): a function holding one may invert.
   */
  lockedUnderMmap: Set<string>;
  /** Calls that may fault on user memory, and the mmap lock's blocking acquisitions: what takes mmap_lock. */
  faultNames: Set<string>;
}

/**
 * The identifiers the demand looks for, given the entries the run knows (knowledge base,
 * configuration) and the rules' declarations (RuleMeta.demand): those of the entries, of the
 * engine models, and of the rules.
 */
export function relevantNames(entries: Iterable<ApiEntry>, ruleDemands: readonly DemandNames[]): RelevantNames {
  const names: RelevantNames = { lockNames: new Set(), insideNames: new Set(), vmaNames: new Set(), kernelLockNames: new Set(), atomicLockNames: new Set(), orderedLockNames: new Set(), kernelReleaseNames: new Set(), atomicSectionNames: new Set(), lockedUnderMmap: new Set(), faultNames: new Set() };
  const byName = new Map<string, ApiEntry>();
  for (const e of entries) {
    byName.set(e.name, e);
    addEntry(names, e);
  }
  const changesState = (call: string): boolean => {
    const e = byName.get(call);
    return !!e && entryRelevance(e) === 'state';
  };
  // What takes mmap_lock, near a kernel lock: a fault, or an acquisition of the mmap lock itself.
  for (const mode of MMAP_LOCK.modes) for (const name of [...(MMAP_LOCK.acquire?.[mode] ?? []), ...(MMAP_LOCK.killable?.[mode] ?? [])]) names.faultNames.add(name);
  for (const declared of [...MODEL_DEMANDS.map((model) => model(changesState)), ...ruleDemands]) {
    for (const name of declared.names ?? []) names.lockNames.add(name);
    for (const name of declared.vmaNames ?? []) names.vmaNames.add(name);
    for (const name of declared.kernelLockNames ?? []) names.kernelLockNames.add(name);
    for (const name of declared.atomicLockNames ?? []) names.atomicLockNames.add(name);
    for (const name of declared.orderedLockNames ?? []) names.orderedLockNames.add(name);
    for (const name of declared.kernelReleaseNames ?? []) names.kernelReleaseNames.add(name);
    for (const name of declared.atomicSectionNames ?? []) names.atomicSectionNames.add(name);
  }
  return names;
}

/** Adds a known function (a header's summary, an imported one) to the names. */
export function addEntry(names: RelevantNames, e: ApiEntry): void {
  const r = entryRelevance(e);
  if (r === 'state') names.lockNames.add(e.name);
  else if (r === 'inside') names.insideNames.add(e.name);
  if (e.mayFault) names.faultNames.add(e.name);
  // A wrapper that takes a kernel lock for its caller (a header's foo_lock()).
  if (e.kernelLocks?.some((k) => k.op === 'acquire')) names.kernelLockNames.add(e.name);
  if (e.kernelLocks?.some((k) => k.op === 'acquire' && (k.kind === 'spinlock' || k.kind === 'rwlock'))) names.atomicLockNames.add(e.name);
}

/**
 * The functions of one header worth summarising for its includers: those that mention a name of
 * `names` (a lock, a fault, a VMA) or call such a function of the header, those a triggered
 * function of the run calls (`triggeredCalls`: a "cannot fail" claim needs the callee's failure
 * returns), and the header's functions they call. The others' summaries could only tell their
 * callers what they return.
 */
export function headerFunctionsWorthSummarising(scan: FilePrescan, names: RelevantNames, triggeredCalls: ReadonlySet<string>): PrescanFunction[] {
  const byName = new Map<string, PrescanFunction[]>();
  for (const fn of scan.functions) byName.set(fn.name, [...(byName.get(fn.name) ?? []), fn]);
  // An atomic-section wrapper (local_irq_enable_exit_to_user()) too: its callers' paths need what it does.
  const relevant = (id: string): boolean => names.lockNames.has(id) || names.insideNames.has(id) || names.vmaNames.has(id) || names.atomicSectionNames.has(id);
  const marked = new Set(scan.functions.filter((fn) => fn.ids.some(relevant) || triggeredCalls.has(fn.name)));
  // Up: the header's functions calling a marked one.
  for (let changed = true; changed; ) {
    changed = false;
    for (const fn of scan.functions) {
      if (marked.has(fn) || !fn.ids.some((id) => byName.get(id)?.some((d) => marked.has(d)))) continue;
      marked.add(fn);
      changed = true;
    }
  }
  // Down: what the marked ones call in the header.
  const work = [...marked];
  while (work.length) {
    for (const id of work.pop()!.ids) {
      for (const d of byName.get(id) ?? []) {
        if (marked.has(d)) continue;
        marked.add(d);
        work.push(d);
      }
    }
  }
  return scan.functions.filter((fn) => marked.has(fn));
}

/** The callers of every function of a run, packed: those of `d` are list[start[d] .. start[d + 1]). */
export interface CallGraph {
  start: Int32Array;
  list: Int32Array;
}

export interface DemandFile {
  path: string;
  scan: FilePrescan;
  /** Read for its functions' summaries only: needed only where a needed function reaches it. */
  context?: boolean;
}

/** Marks the functions of a prescanned file that a rule's text trigger matches. */
export function markTriggered(scan: FilePrescan, text: string, triggers: readonly RegExp[]): void {
  if (!triggers.some((t) => t.test(text))) return;
  for (const fn of scan.functions) {
    const body = text.slice(fn.start, fn.end);
    if (triggers.some((t) => t.test(body))) fn.triggered = true;
  }
}

/**
 * How far down a triggered function's calls are analysed: what it calls, and what those call (a
 * failure returned from two calls down is still found; deeper, the summary does not know).
 */
const TRIGGER_DEPTH = 2;

const NONE: readonly number[] = [];

interface Definition {
  file: number;
  fn: PrescanFunction;
}

export class Demand {
  private readonly nodes: Definition[] = [];
  private readonly fileIndex = new Map<string, number>();
  private readonly globalDefs = new Map<string, number[]>();
  /** The program of each file (LinkDomains' numbers; all 0 without domains). */
  private readonly programs: Int32Array;
  /** Names defined non-static in more than one program, with the definitions each program reaches. */
  private readonly mixed = new Map<string, Map<number, number[]>>();
  private readonly staticDefs: Map<string, number[]>[] = [];
  private readonly callerStart: Int32Array;
  private readonly callerList: Int32Array;
  private readonly byFile: Map<number, number>[] = [];
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
    files.forEach((f, fileIndex) => {
      this.fileIndex.set(f.path, fileIndex);
      const statics = new Map<string, number[]>();
      const ends = new Map<number, number>();
      this.staticDefs.push(statics);
      this.byFile.push(ends);
      for (const fn of f.scan.functions) {
        const id = this.nodes.length;
        this.nodes.push({ file: fileIndex, fn });
        ends.set(fn.end, id);
        const table = fn.isStatic ? statics : this.globalDefs;
        const list = table.get(fn.name);
        if (list) {
          list.push(id);
          if (!fn.isStatic && this.programs[this.nodes[list[0]].file] !== this.programs[fileIndex]) this.mixed.set(fn.name, new Map());
        } else table.set(fn.name, [id]);
      }
    });
    const count = this.nodes.length;
    // Callers of each definition, packed (a whole tree has millions of call edges): the callers
    // of `d` are callerList[callerStart[d] .. callerStart[d + 1]).
    const fits = known && known.start.length === count + 1 && known.list.length === known.start[count];
    [this.callerStart, this.callerList] = fits ? [known.start, known.list] : this.resolveCalls(count);
    // Functions that may fault or take the mmap lock somewhere down their calls.
    this.inside = this.upward(new Set([...names.insideNames, ...names.lockNames]));
    this.takesVma = new Uint8Array(count);
    this.kernelLocking = this.upward(names.kernelLockNames);
    this.faulting = this.nearby(names.faultNames);
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
    this.nodes.forEach((node, id) => {
      if (files[node.file].context) {
        for (const name of node.fn.ids) if (names.vmaNames.has(name)) this.takesVma[id] = 1;
        return;
      }
      let seed = false;
      for (const name of node.fn.ids) {
        if (names.lockNames.has(name)) seed = true;
        if (names.vmaNames.has(name)) this.takesVma[id] = 1;
      }
      if (node.fn.triggered) {
        // `triggered` counts the levels still to take below a function, itself included: a
        // claim's function is level 0, its callees 1, theirs TRIGGER_DEPTH.
        this.triggered[id] = TRIGGER_DEPTH + 1;
        triggerSeeds.push(id);
      }
      if (seed) lockSeeds.push(id);
      else if (this.faulting[id] && node.fn.ids.some((name) => names.kernelLockNames.has(name))) kernelSeeds.push(id);
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
    if (exportSummaries) this.nodes.forEach((node, id) => !files[node.file].context && !node.fn.isStatic && (this.inside[id] || this.takesVma[id]) && lockSeeds.push(id));
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
    const releases = (id: number): boolean => this.nodes[id].fn.ids.some((name) => names.kernelReleaseNames.has(name));
    this.takeWithFaultingHelpers(kernelSeeds.filter((id) => this.nodes[id].fn.ids.some(worthIt)), releases);
    this.takeLockingHelpers(callbackSeeds);
    this.take(triggerSeeds, false);
  }

  /** Every call resolved once: the edges in caller order, then bucketed by definition. */
  private resolveCalls(count: number): [Int32Array, Int32Array] {
    const counts = new Int32Array(count + 1);
    const edgeCallers: number[] = [];
    const edgeDefs: number[] = [];
    this.nodes.forEach((node, id) => {
      for (const name of node.fn.ids) {
        for (const def of this.resolve(node.file, name)) {
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
    return { start: this.callerStart, list: this.callerList };
  }

  /** The definitions a call of `name` from a file reaches. */
  private resolve(file: number, name: string): readonly number[] {
    const local = this.staticDefs[file].get(name);
    if (local) return local;
    const defs = this.globalDefs.get(name);
    if (!defs) return NONE;
    const program = this.programs[file];
    const byProgram = this.mixed.get(name);
    if (!byProgram) return program === this.programs[this.nodes[defs[0]].file] || this.domains!.idLinks(program, this.programs[this.nodes[defs[0]].file]) ? defs : NONE;
    let reached = byProgram.get(program);
    if (!reached) byProgram.set(program, (reached = defs.filter((d) => this.domains!.idLinks(program, this.programs[this.nodes[d].file]))));
    return reached;
  }

  /**
   * Marks the functions that mention one of `base` or call a function that does: where a lock
   * the function takes may be held across a user access (the access itself, or a helper of it).
   * Deeper chains are left out: nearly every function of a whole tree reaches a user copy
   * somewhere down, and nearly every one takes some lock.
   */
  private nearby(base: ReadonlySet<string>): Uint8Array {
    const direct = new Uint8Array(this.nodes.length);
    this.nodes.forEach((node, id) => {
      if (node.fn.ids.some((name) => base.has(name))) direct[id] = 1;
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
  private upward(base: ReadonlySet<string>): Uint8Array {
    const marked = new Uint8Array(this.nodes.length);
    const work: number[] = [];
    this.nodes.forEach((node, id) => {
      for (const name of node.fn.ids) {
        if (base.has(name)) {
          marked[id] = 1;
          work.push(id);
          break;
        }
      }
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
      for (const name of this.nodes[id].fn.ids) if (name.charCodeAt(0) === 38 /* & */) out.add(name);
    };
    for (const id of ids) {
      add(id);
      const node = this.nodes[id];
      for (const name of node.fn.ids) for (const def of this.resolve(node.file, name)) if (this.nodes[def].file === node.file) add(def);
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
      const node = this.nodes[id];
      for (const name of node.fn.ids) for (const def of this.resolve(node.file, name)) if (this.faultsItself[def] || releases(def)) this.markNeeded(def);
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
      const node = this.nodes[id];
      for (const name of node.fn.ids) {
        for (const def of this.resolve(node.file, name)) {
          if (this.lockDown[def] || !this.kernelLocking[def] || this.nodes[def].file !== node.file) continue;
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
    this.neededInFile[this.nodes[id].file]++;
    this.activated.add(this.nodes[id].file);
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
        this.neededInFile[this.nodes[id].file]++;
        this.activated.add(this.nodes[id].file);
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
      const node = this.nodes[id];
      for (const name of node.fn.ids) {
        for (const def of this.resolve(node.file, name)) {
          const depth = this.triggered[id] - 1;
          if (depth > this.triggered[def]) {
            this.triggered[def] = depth;
            // Deeper than before: its callees are taken again.
            if (this.needed[def]) work.push(def);
          }
          if (depth > 0) mark(def, false);
          if (!this.expanded[id]) continue;
          const sameFileStatic = this.nodes[def].fn.isStatic && this.nodes[def].file === node.file;
          if (this.inside[def] || this.takesVma[def] || sameFileStatic) mark(def, true);
        }
      }
    }
  }

  get functions(): number {
    return this.nodes.length;
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
    return [...this.byFile[f].values()].filter((id) => this.needed[id]).map((id) => this.nodes[id].fn);
  }

  /**
   * Is the function that ends at `end` (a string index) of the file analysed? True for what the
   * prescan did not see (a file that was not prescanned, a function it delimited otherwise).
   */
  isNeeded(path: string, end: number): boolean {
    const f = this.fileIndex.get(path);
    if (f === undefined) return true;
    const id = this.byFile[f].get(end);
    return id === undefined || this.needed[id] === 1;
  }

  /**
   * The summary of `name`, defined in `path`, changes its callers' state: they are analysed too.
   * Returns whether any function was newly marked.
   */
  activate(path: string, name: string): boolean {
    const f = this.fileIndex.get(path);
    if (f === undefined) return false;
    const defs = (this.staticDefs[f].get(name) ?? []).concat((this.globalDefs.get(name) ?? []).filter((d) => this.nodes[d].file === f));
    const callers: number[] = [];
    for (const def of defs) {
      for (let c = this.callerStart[def]; c < this.callerStart[def + 1]; c++) {
        const caller = this.callerList[c];
        // A context file's function matters only as a callee of the run's own.
        if (!this.expanded[caller] && (!this.files[this.nodes[caller].file].context || this.needed[caller])) callers.push(caller);
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
