// The abstract state the dataflow keeps on each path: lock states per normalised lock key,
// abstract values of pure expressions (for branch correlation), facts about pointers returned
// by VMA lookups, pagefault_disable() depth, the returned value, and the trace of the path.
// States are copy-on-write: transfer functions clone before they change anything.

import type { TraceStep } from '../types.js';
import type { KernelLockKind } from '../kb/kernel-locks.js';
import { isForgottenKey, lockClassOf, lockInstanceOf, type LockKey } from './lock-keys.js';
import { ENTRY_SNAPSHOT, V_ANY, V_ZERO, type LockStateName, type Nullness, type PointerFact } from './events.js';
import { isPossibleBitsKey } from './bit-tests.js';
import { forgetCollectionHash, identityHash } from './state-identity.js';
import { isWordChar } from './c-names.js';

export type { PointerFact } from './events.js';

export interface LockFact {
  state: Exclude<LockStateName, 'unknown'> | 'unknown';
  /** Taken by this function on this path (not known from entry or an assertion). */
  acquiredHere: boolean;
  /**
   * On this path the function released (or handed to a callee that may release) this lock while
   * it did not know it held it: evidence that its callers hold the lock at entry.
   */
  releasedUnowned?: boolean;
  /**
   * The first thing this path did with the lock was to assert it or release it: the function
   * needs it held on entry ('held' = either mode), shown at `requiredAt`.
   */
  required?: 'read' | 'write' | 'held';
  requiredAt?: TraceStep | null;
  /**
   * Taken by this function, then handed to a callee that may release it (a lock flag, a summary
   * that forgets): its state is unknown, but it is the function's own lock, not one its callers
   * hold (they cannot: the function takes it), so it is no effect of the function on them.
   */
  forgottenOwn?: boolean;
  origin: TraceStep | null;
  display: string;
}

/** One step of a path's trace, shared between states (a persistent list). */
export interface TraceLink {
  step: TraceStep;
  keys: readonly string[];
  prev: TraceLink | null;
  length: number;
}

const PF_MAX = 4;
const NO_ENTRIES: ReadonlyMap<number, number> = new Map();
const NO_FIELD_ENTRIES: ReadonlyMap<string, number> = new Map();
const NO_PARAMS: ReadonlySet<number> = new Set();
const NO_LOCKS: ReadonlySet<LockKey> = new Set();
const MAX_VALS = 128;

/** A kernel lock (kb/kernel-locks.ts) held on a path: its class, kind, mode and where it was taken. */
export interface KernelLockFact {
  /** Its lockdep-style class; null when it cannot be named (it adds no order). */
  cls: string | null;
  kind: KernelLockKind;
  mode: 'read' | 'write';
  /** Taken by a trylock (held, but no order from taking it). */
  trylock: boolean;
  /** Taken with a nesting annotation (mutex_lock_nested). */
  nested: boolean;
  origin: TraceStep;
  display: string;
}

const NO_KERNEL_LOCKS: ReadonlyMap<string, KernelLockFact> = new Map();
const NO_SECTIONS: readonly TraceStep[] = [];
const NO_CLASSES: ReadonlySet<string> = new Set();

/** The maps of a state, shared between copies until one of them writes (copy on write). */
interface StateMaps {
  locks: Map<LockKey, LockFact>;
  values: Map<string, number>;
  ptrs: Map<string, PointerFact>;
  /** Flags defined by a pure condition (`bool need = cmd != A && cmd != B;`), by variable. */
  defs: Map<string, { text: string; node: unknown }>;
  /**
   * Variables, and fields of structures the caller passed, last assigned a constant, a literal or
   * a variable (`op = TASK_FIRST;`, `s->mode = mode;`), with its text.
   */
  consts: Map<string, string>;
  /**
   * Lock keys that name a lock tracked under another key: after `*vmap = vma;` with vma locked,
   * the lock is tracked under `*vmap` and the key of `vma` leads there.
   */
  lockAliases: Map<LockKey, LockKey>;
}

type MapName = keyof StateMaps;

const MAP_BIT: Record<MapName, number> = { locks: 1, values: 2, ptrs: 4, defs: 8, consts: 16, lockAliases: 32 };

export class State {
  // The maps (StateMaps), each a field: a copy of the state copies six references, not an object.
  private lockMap: StateMaps['locks'];
  private valueMap: StateMaps['values'];
  private ptrMap: StateMaps['ptrs'];
  private defMap: StateMaps['defs'];
  private constMap: StateMaps['consts'];
  private aliasMap: StateMaps['lockAliases'];
  /** The maps this state alone holds (MAP_BIT): the others are shared and copied before a write. */
  private owned = 0;
  /**
   * Maps this state holds alone whose hash (and, for the locks, signature text) may be kept
   * (identity(), lockSignature()): a write forgets those, and only those. A map it holds alone no
   * other state has seen since it was copied, so no other state can have hashed it.
   */
  private hashed = 0;
  /**
   * What the path knew of parameter i's value when the function first assigned the parameter
   * (V_* bits with ENTRY_SNAPSHOT, so that "nothing known" is still a snapshot), by index; of what
   * parameter i points to (`*locked`) when first written; of a field of a structure a parameter
   * points to (`priv->ctx.locked`, canonical key) when first written. Never pruned or forgotten.
   * These and the two sets below are shared between copies and replaced, not changed, on a write.
   */
  paramEntry: ReadonlyMap<number, number>;
  pointeeEntry: ReadonlyMap<number, number>;
  fieldEntry: ReadonlyMap<string, number>;
  /** Parameters whose VMA the path modified without knowing its mmap lock (SummaryFacts.modifiesAt). */
  modified: ReadonlySet<number>;
  /** mmap locks of mms without users but this path (ApiEntry.lastUser): dropping one leaves the VMAs valid. */
  soleUser: ReadonlySet<LockKey>;
  /** pagefault_disable() depth relative to entry; negative after enabling what a caller disabled. */
  pf: number;
  /** Abstract value of the return statement that ended the path (-1 before any). */
  ret: number;
  retNode: unknown;
  /** Facts about the pointer returned (a VMA from a lookup), for the function's summary. */
  retPtr: PointerFact | undefined;
  /** Key of the returned expression when it is a plain path (`vma`), for locks it carries. */
  retKey: string | null;
  trace: TraceLink | null;
  /** The function's parameters by name (their index): the first assignment of one keeps what was known of it. */
  params: ReadonlyMap<string, number>;
  /** Kernel locks held (models/kernel-locks.ts), by lock object key; replaced, never changed in place. */
  kernelLocks: ReadonlyMap<string, KernelLockFact>;
  /** Atomic sections entered and not left (preempt_disable, local_irq_save), innermost last. */
  atomicSections: readonly TraceStep[];
  /**
   * Lock classes of which the function's callers hold no lock at all (a system call, a
   * file_operations handler: src/engine/entry-context.ts); the same on every path of the function.
   */
  noneAtEntry: ReadonlySet<string>;
  /** What says so (the entry context's step, for traces). */
  noneAtEntryStep: TraceStep | null;
  /** RCU read-side sections entered and not left (rcu_read_lock()), innermost last (models/rcu.ts). */
  rcuSections: readonly TraceStep[];
  private identityCache: number | null = null;
  private groupCache: string | null = null;

  constructor(from?: State) {
    if (from) {
      // Both share the maps from here: the first of them to write one copies it.
      this.lockMap = from.lockMap;
      this.valueMap = from.valueMap;
      this.ptrMap = from.ptrMap;
      this.defMap = from.defMap;
      this.constMap = from.constMap;
      this.aliasMap = from.aliasMap;
      from.owned = 0;
      from.hashed = 0;
      this.paramEntry = from.paramEntry;
      this.pointeeEntry = from.pointeeEntry;
      this.fieldEntry = from.fieldEntry;
      this.modified = from.modified;
      this.soleUser = from.soleUser;
      this.pf = from.pf;
      this.ret = from.ret;
      this.retNode = from.retNode;
      this.retPtr = from.retPtr;
      this.retKey = from.retKey;
      this.trace = from.trace;
      this.params = from.params;
      this.kernelLocks = from.kernelLocks;
      this.atomicSections = from.atomicSections;
      this.noneAtEntry = from.noneAtEntry;
      this.noneAtEntryStep = from.noneAtEntryStep;
      this.rcuSections = from.rcuSections;
    } else {
      this.lockMap = new Map();
      this.valueMap = new Map();
      this.ptrMap = new Map();
      this.defMap = new Map();
      this.constMap = new Map();
      this.aliasMap = new Map();
      this.owned = 63;
      this.paramEntry = NO_ENTRIES;
      this.pointeeEntry = NO_ENTRIES;
      this.fieldEntry = NO_FIELD_ENTRIES;
      this.modified = NO_PARAMS;
      this.soleUser = NO_LOCKS;
      this.pf = 0;
      this.ret = -1;
      this.retNode = null;
      this.retPtr = undefined;
      this.retKey = null;
      this.trace = null;
      this.params = new Map();
      this.kernelLocks = NO_KERNEL_LOCKS;
      this.atomicSections = NO_SECTIONS;
      this.noneAtEntry = NO_CLASSES;
      this.noneAtEntryStep = null;
      this.rcuSections = NO_SECTIONS;
    }
  }

  get locks(): ReadonlyMap<LockKey, LockFact> {
    return this.lockMap;
  }

  get values(): ReadonlyMap<string, number> {
    return this.valueMap;
  }

  get ptrs(): ReadonlyMap<string, PointerFact> {
    return this.ptrMap;
  }

  get defs(): ReadonlyMap<string, { text: string; node: unknown }> {
    return this.defMap;
  }

  get consts(): ReadonlyMap<string, string> {
    return this.constMap;
  }

  get lockAliases(): ReadonlyMap<LockKey, LockKey> {
    return this.aliasMap;
  }

  /** One of the maps, to write: this state's own copy (made now if it shared it), its hash forgotten. */
  edit<K extends MapName>(name: K): StateMaps[K] {
    const bit = MAP_BIT[name];
    if (!(this.owned & bit)) {
      this.setMap(name, new Map(this.mapOf(name) as Map<unknown, unknown>) as unknown as StateMaps[K]);
      this.owned |= bit;
    } else if (this.hashed & bit) {
      const map = this.mapOf(name);
      forgetCollectionHash(map);
      if (name === 'locks') locksTexts.delete(this.lockMap);
      this.hashed &= ~bit;
    }
    this.forgetIdentity();
    return this.mapOf(name);
  }

  private mapOf<K extends MapName>(name: K): StateMaps[K] {
    switch (name) {
      case 'locks': return this.lockMap as StateMaps[K];
      case 'values': return this.valueMap as StateMaps[K];
      case 'ptrs': return this.ptrMap as StateMaps[K];
      case 'defs': return this.defMap as StateMaps[K];
      case 'consts': return this.constMap as StateMaps[K];
      default: return this.aliasMap as StateMaps[K];
    }
  }

  private setMap<K extends MapName>(name: K, map: StateMaps[K]): void {
    switch (name) {
      case 'locks': this.lockMap = map as StateMaps['locks']; break;
      case 'values': this.valueMap = map as StateMaps['values']; break;
      case 'ptrs': this.ptrMap = map as StateMaps['ptrs']; break;
      case 'defs': this.defMap = map as StateMaps['defs']; break;
      case 'consts': this.constMap = map as StateMaps['consts']; break;
      default: this.aliasMap = map as StateMaps['lockAliases'];
    }
  }

  setKernelLock(key: string, fact: KernelLockFact | undefined): void {
    if (!fact && !this.kernelLocks.has(key)) return;
    const next = new Map(this.kernelLocks);
    if (fact) next.set(key, fact);
    else next.delete(key);
    this.kernelLocks = next;
    this.forgetIdentity();
  }

  setAtomicSections(sections: readonly TraceStep[]): void {
    this.atomicSections = sections;
    this.forgetIdentity();
  }

  setRcuSections(sections: readonly TraceStep[]): void {
    this.rcuSections = sections;
    this.forgetIdentity();
  }

  clone(): State {
    return new State(this);
  }

  /** What identity() and groupSignature() were made of changed. */
  private forgetIdentity(): void {
    this.identityCache = null;
    this.groupCache = null;
  }

  /** Identity of the state for the worklist (src/engine/state-identity.ts): equal for states sameIdentity() deems one. */
  identity(): number {
    if (this.identityCache === null) {
      this.identityCache = identityHash(this);
      this.hashed = this.owned;
    }
    return this.identityCache;
  }

  /**
   * Coarse identity used once a node has too many states: what the function's callers and the
   * rules see of a path (its locks, pagefault depth, the value it returned and where); the values
   * kept for branch correlation are joined. Each return stays apart so that a failure return is
   * never merged into a success or into another failure's conditions (its summary, "can fail
   * unless...", reads them).
   */
  lockSignature(): string {
    const rest = `pf${this.pf}|r${this.ret}@${(this.retNode as { start?: number } | null)?.start ?? ''}`;
    if (!this.lockMap.size) return rest;
    this.hashed |= this.owned & MAP_BIT.locks;
    return `${locksText(this.lockMap)}|${rest}`;
  }

  /**
   * What a node keeps apart once it has too many states: the lock signature, and whether each
   * looked-up pointer that may be NULL is known NULL or known non-NULL on the path. Joining a
   * path where a lookup returned NULL with one where it did not loses what else each knew with
   * it (`if (!vma && !prev) goto bad;` leaves prev non-NULL where vma is NULL), so that a later
   * test of the pointer would pick its NULL together with the other path's facts.
   */
  groupSignature(): string {
    return (this.groupCache ??= this.groupText());
  }

  private groupText(): string {
    const known: string[] = [];
    for (const [k, p] of this.ptrs) {
      if (!p.nullable) continue;
      const bits = this.getVal(k);
      if (bits === V_ZERO) known.push(`${k}=0`);
      else if (!(bits & V_ZERO)) known.push(`${k}=1`);
    }
    // What a state variable was last assigned (`op = OP_FIRST;`), which a later switch or test
    // on it decides: joined, a path takes the other assignment's case too.
    for (const [k, text] of this.consts) if (!isPossibleBitsKey(k)) known.push(`${k}:=${text}`);
    return known.length ? `${this.lockSignature()}|${known.sort().join('|')}` : this.lockSignature();
  }

  addStep(step: TraceStep, keys: readonly string[]): void {
    const length = (this.trace?.length ?? 0) + 1;
    this.trace = { step, keys, prev: this.trace, length };
  }

  setLock(key: LockKey, fact: LockFact): void {
    this.edit('locks').set(key, fact);
  }

  deleteLock(key: LockKey): void {
    if (this.lockMap.has(key)) this.edit('locks').delete(key);
  }

  lockState(key: LockKey): LockStateName {
    const own = this.lockKeyOf(key);
    return this.locks.get(own)?.state ?? (this.notHeldSinceEntry(own) ? 'none' : 'unknown');
  }

  /**
   * A lock the path knows nothing of, of a class its callers hold none of (noneAtEntry), while the
   * path holds (or may hold) no lock of that class either: it is not held. Once the path holds one,
   * another name may be the same lock (`vma->vm_mm` and `mm`), so a name it does not know is unknown.
   */
  notHeldSinceEntry(key: LockKey): boolean {
    if (!this.noneAtEntry.size || isForgottenKey(key)) return false;
    const cls = lockClassOf(key);
    if (!this.noneAtEntry.has(cls)) return false;
    for (const [k, l] of this.locks) if (l.state !== 'none' && lockClassOf(k) === cls) return false;
    return true;
  }

  /** The key a lock is tracked under (following lockAliases). */
  lockKeyOf(key: LockKey): LockKey {
    return this.lockAliases.get(key) ?? key;
  }

  setLockAlias(from: LockKey, to: LockKey): void {
    const aliases = this.edit('lockAliases');
    for (const [k, v] of aliases) if (v === from) aliases.set(k, to);
    aliases.set(from, to);
  }

  dropLockAlias(from: LockKey): void {
    if (this.aliasMap.has(from)) this.edit('lockAliases').delete(from);
  }

  getVal(key: string): number {
    return this.values.get(key) ?? V_ANY;
  }

  setVal(key: string, bits: number): void {
    if (bits === V_ANY) {
      if (this.valueMap.has(key)) this.edit('values').delete(key);
      return;
    }
    const values = this.edit('values');
    values.delete(key);
    values.set(key, bits);
    // Remembered values are a precision aid: past MAX_VALS the oldest are forgotten, so that a
    // function of thousands of tests does not make every state thousands of facts long.
    if (values.size > MAX_VALS) {
      for (const k of values.keys()) {
        values.delete(k);
        break;
      }
    }
  }

  setPtr(key: string, fact: PointerFact | undefined): void {
    if (fact) this.edit('ptrs').set(key, fact);
    else if (this.ptrMap.has(key)) this.edit('ptrs').delete(key);
  }

  setPf(depth: number): void {
    // Below 0: page faults enabled that a caller had disabled (__kunmap_atomic()).
    this.pf = Math.max(-PF_MAX, Math.min(PF_MAX, depth));
    this.forgetIdentity();
  }

  setRet(bits: number, node: unknown, ptr?: PointerFact, key: string | null = null): void {
    this.ret = bits;
    this.retNode = node;
    this.retPtr = ptr;
    this.retKey = key;
    this.forgetIdentity();
  }

  /** Forgets every fact about `key` and about expressions built on it (after an assignment). */
  kill(key: string): void {
    const param = this.params.get(key);
    if (param !== undefined) {
      if (!this.paramEntry.has(param)) this.paramEntry = new Map(this.paramEntry).set(param, this.getVal(key) | ENTRY_SNAPSHOT);
      // The parameter points elsewhere from here: what it pointed to on entry is what was known.
      this.snapshotPointee(param, `*${key}`);
    }
    const pointer = key.startsWith('*') ? this.params.get(key.slice(1)) : undefined;
    if (pointer !== undefined) this.snapshotPointee(pointer, key);
    for (const k of this.valueMap.keys()) if (mentions(k, key, true)) this.edit('values').delete(k);
    // The mm the name held has users or not: the name says nothing of another mm.
    for (const k of this.soleUser) {
      if (!mentions(lockInstanceOf(k), key, true)) continue;
      const rest = new Set(this.soleUser);
      rest.delete(k);
      this.soleUser = rest;
    }
    for (const [k, p] of this.ptrMap) {
      if (mentions(k, key, true)) this.edit('ptrs').delete(k);
      else if (p.startBounds?.includes(key)) this.edit('ptrs').set(k, { ...p, startBounds: p.startBounds.filter((b) => b !== key) });
    }
    for (const [k, d] of this.defMap) if (mentions(k, key, true) || mentions(d.text, key, true)) this.edit('defs').delete(k);
    // `s->mode = mode;` keeps `mode` as the field's value: it goes when either changes.
    for (const [k, v] of this.constMap) if (mentions(k, key, true) || v === key) this.edit('consts').delete(k);
    this.forgetIdentity();
  }

  /** Keeps what the path knows of `of` as what parameter `param` pointed to on entry, unless it has it already. */
  private snapshotPointee(param: number, of: string): void {
    if (!this.pointeeEntry.has(param)) this.pointeeEntry = new Map(this.pointeeEntry).set(param, this.getVal(of) | ENTRY_SNAPSHOT);
  }

  /** What parameter `param` points to is no longer known as passed (a callee was given it). */
  forgetPointeeEntry(param: number): void {
    if (!this.pointeeEntry.has(param)) return;
    const rest = new Map(this.pointeeEntry);
    rest.delete(param);
    this.pointeeEntry = rest;
    this.forgetIdentity();
  }

  /** Keeps what the path knew of a field of a parameter's structure (canonical key) before writing it: `bits`. */
  setFieldEntry(key: string, bits: number): void {
    this.fieldEntry = new Map(this.fieldEntry).set(key, bits);
    this.forgetIdentity();
  }

  /** The path modified the VMA of parameter `param` without knowing its mmap lock. */
  setModified(param: number): void {
    if (this.modified.has(param)) return;
    this.modified = new Set(this.modified).add(param);
    this.forgetIdentity();
  }

  /** The mm whose mmap lock is `key` has no users but this path. */
  setSoleUser(key: LockKey): void {
    if (this.soleUser.has(key)) return;
    this.soleUser = new Set(this.soleUser).add(key);
    this.forgetIdentity();
  }

  /**
   * The path knows some value or pointer fact (a declaration of a name kills what was known of it
   * only then; the entry snapshots and marks count, as when they were values).
   */
  hasValueFacts(): boolean {
    return this.values.size > 0 || this.ptrs.size > 0 || this.paramEntry.size > 0 || this.pointeeEntry.size > 0 || this.fieldEntry.size > 0 || this.modified.size > 0 || this.soleUser.size > 0;
  }

  setConst(key: string, text: string): void {
    this.edit('consts').set(key, text);
  }

  deleteConst(key: string): void {
    if (this.constMap.has(key)) this.edit('consts').delete(key);
  }

  setDef(key: string, text: string, node: unknown): void {
    this.edit('defs').set(key, { text, node });
  }

  /**
   * The state without the values, constants and flag definitions whose key `dead` selects (this
   * state itself when there are none): what no later code of the function can read.
   */
  withoutFacts(dead: (key: string) => boolean): State {
    let out: State | null = null;
    for (const map of ['values', 'consts', 'defs'] as const) {
      for (const k of this[map].keys()) {
        if (!dead(k)) continue;
        out ??= this.clone();
        out.edit(map).delete(k);
      }
    }
    return out ?? this;
  }

  /** Marks pointers obtained under `lockKey` as stale from `step` on. */
  markStale(lockKey: LockKey, step: TraceStep): void {
    const held = (k: LockKey): boolean => {
      const s = this.locks.get(k)?.state;
      return s === 'read' || s === 'write' || s === 'held';
    };
    for (const [k, p] of this.ptrs) {
      // Still kept alive by another lock it was obtained or locked under (its own VMA lock).
      if (p.lockedBy.includes(lockKey) && !p.staleSince && !p.lockedBy.some((o) => o !== lockKey && held(o))) {
        this.edit('ptrs').set(k, { ...p, staleSince: step });
      }
    }
  }

  /** Pointer nullness from the value bits. */
  nullness(key: string): Nullness {
    const bits = this.getVal(key);
    if (bits === V_ZERO) return 'null';
    if (bits & V_ZERO && this.ptrs.get(key)?.nullnessMerged) return 'unknown';
    return bits & V_ZERO ? 'maybe-null' : 'nonnull';
  }
}

/** The locks' part of lockSignature(), by locks map: kept while nothing writes the map (State.edit() forgets it). */
const locksTexts = new WeakMap<ReadonlyMap<LockKey, LockFact>, string>();

function locksText(locks: ReadonlyMap<LockKey, LockFact>): string {
  let text = locksTexts.get(locks);
  if (text === undefined) {
    const parts: string[] = [];
    for (const k of [...locks.keys()].sort()) parts.push(`${k}=${locks.get(k)!.state}`);
    locksTexts.set(locks, (text = parts.join('|')));
  }
  return text;
}

/**
 * Does the expression key `k` mention the path `key` (as itself or as a prefix of a field path)?
 * With `byValue`, only mentions whose value depends on `key`: `&key` (or `&key.f`) is an address,
 * which no assignment to key changes.
 */
export function mentions(k: string, key: string, byValue = false): boolean {
  if (k === key) return true;
  let from = 0;
  for (;;) {
    const i = k.indexOf(key, from);
    if (i < 0) return false;
    if (!isWordChar(k.charCodeAt(i - 1)) && !isWordChar(k.charCodeAt(i + key.length))) {
      const addressOnly = byValue && k[i - 1] === '&' && !key.startsWith('*') && k.slice(i + key.length, i + key.length + 2) !== '->';
      if (!addressOnly) return true;
    }
    from = i + 1;
  }
}
