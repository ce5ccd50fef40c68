// The names that make a function of the run worth analysing (src/engine/demand.ts): what each
// engine model and rule declares it reads, combined with the knowledge base's entries and the
// summaries the run knows; a header's functions worth summarising; the functions a rule's text
// trigger matches.

import { withLocalCallees, type FilePrescan, type PrescanFunction } from './prescan.js';
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
  const taken = new Set(withLocalCallees(scan, [...marked]));
  return scan.functions.filter((fn) => taken.has(fn));
}

/** Each trigger with the global flag, to search from an index (made once per trigger). */
const searching = new WeakMap<RegExp, RegExp>();

/**
 * Marks the functions of a prescanned file (its header comment included) that a rule's text
 * trigger matches: one search of the text per trigger, from function to function, instead of a
 * test of the whole text and then one of each function's text (twice the text, and a copy of
 * each function: 0.8 s of a worker's 13 s of reading the whole 6.12 tree). A function's text
 * starts after a non-word character (`}`, `;`, a line's end) or at 0, so `\b` reads the same there
 * as at the start of its copy; a match that runs past its end is tested on the copy.
 */
export function markTriggered(scan: FilePrescan, text: string, triggers: readonly RegExp[]): void {
  const fns = scan.functions;
  for (const trigger of triggers) {
    let re = searching.get(trigger);
    if (!re) searching.set(trigger, (re = new RegExp(trigger.source, trigger.flags.includes('g') ? trigger.flags : `${trigger.flags}g`)));
    // The first match at or after the current function's start (null: none left).
    let match: RegExpExecArray | null = null;
    for (const fn of fns) {
      if (fn.triggered) continue;
      if (!match || match.index < fn.start) {
        re.lastIndex = fn.start;
        match = re.exec(text);
        if (!match) break;
      }
      if (match.index >= fn.end) continue;
      if (match.index + match[0].length <= fn.end || trigger.test(text.slice(fn.start, fn.end))) fn.triggered = true;
    }
  }
}
