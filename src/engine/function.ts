// Analysis of one function: CFG, entry state, then the fixpoint, during which the rules' visitors
// receive the events of every state a node is evaluated on (there is no second, reporting pass:
// below the path bound every state is a real path's), then the exits, the rules' end of the
// function (always, complete or not) and the summary.

import { AstNode, stripParens } from '../parse/ast.js';
import type { LockOrderEdge, TraceKind, TraceStep } from '../types.js';
import { isAtomicKind } from '../kb/kernel-locks.js';
import { ATOMIC_TRACE_KEY, kernelLockSummary, kernelLockTraceKey, kernelLocksDroppedBy } from './models/kernel-locks.js';
import type { RuleVisitor } from '../rules/rule.js';
import { buildCfg, type Cfg, type PreprocessorChoices } from './cfg.js';
import { runDataflow } from './dataflow.js';
import { deadFactPruner } from './liveness.js';
import { State, type LockFact } from './state.js';
import { outConstants, outFields, outFlagValues } from './out-values.js';
import { configMacros, pathConfig } from './config-paths.js';
import { canonicalizer, collectAliases, collectLockFlags, collectPointerParams, collectSharedThroughStruct, collectTypes, takesMmOrVmaLock } from './function-text.js';
import { bitsKnownClearOn, entryConditions } from './arg-conditions.js';
import { Transfer, keyOf, declaredName, rwsemOwner, type EventSink, type FunctionContext, type SummaryFacts } from './transfer.js';
import { emptySummaryFacts } from './models/summary-facts.js';
import { calledWithPagefaultsDisabled } from './models/faults.js';
import { forgottenKey, isLockOf, lockClassOf, lockInstanceOf, lockKeyFor, type LockKey } from './lock-keys.js';
import { returnedConstant, returnedFacts } from './bit-tests.js';
import { mayRangeCheckParameter } from './models/range-checks.js';
import { summarize } from './summary.js';
import type { State as StateT } from './state.js';
import {
  V_ANY,
  V_ERR,
  V_NEG,
  V_ZERO,
  type ExitLockFact,
  type ExitPath,
  type FunctionInfo,
  type FunctionResult,
  type HeldLock,
  type HeldKernelLock,
  type PathPointer,
  type ReturnKind,
  type StateView,
} from './events.js';
import { VMA_LOCKED_FIELDS, VMA_MMAP_WRITE_FIELDS, type ApiEntry, type LockClass } from '../kb/lock-api.js';
import { DEFINITION_MACRO, definitionMacroName, isAttributeMacro } from './c-names.js';
import { documentedNoFailure } from './doc-claims.js';
import { fitContext, freeClasses, syscallContext, type CalledAs, type EntryNone } from './entry-context.js';
import { entryState, type EntryLock } from './entry-state.js';

export type { EntryLock } from './entry-state.js';
export type { EntryNone } from './entry-context.js';

export interface FunctionAnalysis {
  info: FunctionInfo;
  result: FunctionResult;
  /** What a call of this function does (null when not asked for). */
  summary: ApiEntry | null;
  /** Calls this function makes to the file's static functions, with the locks held at each. */
  callSites: CallSite[];
  parseErrors: number;
  widened: boolean;
  budgetExceeded: boolean;
  /** The lock-order facts its paths show (mmap_lock -> a class taken under it). */
  orderEdges: LockOrderEdge[];
}

/** A lock held at a call, expressed on the callee's parameters. */
export interface HeldAtCall {
  lock: LockClass;
  /** Callee parameter index and path from it (`$->vm_mm`); 'current': the current task, the same object in the callee. */
  target: number | 'current';
  path?: string;
  state: 'read' | 'write' | 'held';
  origin: TraceStep | null;
  display: string;
}

export interface CallSite {
  callee: string;
  step: TraceStep;
  /** For each distinct state that reaches the call: the locks held on the callee's parameters. */
  held: HeldAtCall[][];
  /** Canonical keys of the arguments. */
  argKeys: (string | null)[];
  seen: Set<string>;
  /**
   * Lock classes of which no lock is held on any state that reaches the call, known from the
   * caller's entry context (State.noneAtEntry), and what says so; null when none is.
   */
  free: { classes: LockClass[]; why: TraceStep } | null;
}


/** What the analysis of a function needs from around it. */
export interface FunctionEnv {
  /** What a callee does: summary, config or knowledge base. */
  resolve(name: string): ApiEntry | undefined;
  /** A field of a file-scope initializer (same file first, then the run). */
  initializer(variable: string): ReadonlyMap<string, string> | undefined;
  /** Compute the summary. */
  summarize: boolean;
  /** Static functions of the file whose call sites are recorded (for entry states from callers). */
  statics: ReadonlySet<string>;
  /** Locks held at entry, from the callers. */
  entry?: readonly EntryLock[];
  /** Lock classes none of which the callers hold (they run in a context that says so). */
  entryNone?: EntryNone;
  /** The callback that releases the locks this function may return with (FunctionInfo.handsLocksTo). */
  handsLocksTo?: string;
  /** The context the kernel calls it in, from a registration of the file (a system call is found from its definition). */
  calledAs?: CalledAs;
  /** VMA fields whose writers need the mmap write lock in this tree (default: the knowledge base's). */
  vmaWriteFields?: readonly string[];
  /** VMA fields per-VMA-lock readers read, in this tree (default: the knowledge base's). */
  vmaLockedFields?: readonly string[];
  /** The value of a named integer constant of the file or the tree, when known. */
  constantValue?(name: string): bigint | undefined;
}

const MAX_TRACE = 10;

export function stepAt(file: string, node: AstNode, message: string, kind?: TraceKind): TraceStep {
  return kind === undefined ? { file, line: node.row + 1, column: node.col + 1, message } : { file, line: node.row + 1, column: node.col + 1, message, kind };
}

/** Name, return kind and declarator of a function definition. */
export function functionInfo(fn: AstNode): FunctionInfo {
  let d = fn.child('declarator');
  let pointer = false;
  while (d && d.type !== 'function_declarator') {
    if (d.type === 'pointer_declarator') pointer = true;
    d = d.child('declarator');
  }
  let name = '<anonymous>';
  const id = d?.child('declarator');
  if (id) name = id.text;
  // SYSCALL_DEFINEn(name, ...), BPF_CALL_n(name, ...): name the function. With parameters, the
  // parser saw `long name(...)` (src/parse/definition-macros.ts); SYSCALL_DEFINE0(name) reads as
  // a definition of SYSCALL_DEFINE0 whose first "parameter" is the name.
  let declared = d?.child('parameters')?.namedChildren ?? [];
  const macro = /^\w+(?=\()/.exec(fn.text)?.[0];
  const rewritten = macro !== undefined && macro !== name && DEFINITION_MACRO.test(macro) ? macro : undefined;
  // SYSCALL_DEFINE0(name) reads as `SYSCALL_DEFINE0 (name)`: a parenthesized declarator, no parameters.
  const only = rewritten && !id ? /^\w+\s*\(\s*(\w+)\s*\)/.exec(fn.text)?.[1] : undefined;
  const defined = rewritten ? definitionMacroName(rewritten, only ?? name) : definitionMacroName(name, declared[0]?.text);
  if (defined) {
    name = defined;
    if (!rewritten) declared = declared.slice(1);
  }
  let type = rewritten ? 'long' : (fn.child('type')?.text ?? '');
  // `asmlinkage void f(...)`: the grammar reads the attribute macro as the type and the type as an error.
  if (isAttributeMacro(type)) type = fn.namedChildren.find((c) => c.type === 'ERROR')?.text.trim() ?? type;
  const isStatic = fn.namedChildren.some((c) => c.type === 'storage_class_specifier' && c.text === 'static');
  const params: string[] = [];
  for (const p of declared) {
    if (p.type !== 'parameter_declaration') continue;
    params.push(declaredName(p.child('declarator')) ?? '');
  }
  let returnKind: ReturnKind = 'other';
  if (pointer) returnKind = 'pointer';
  else if (type === 'bool' || type === '_Bool') returnKind = 'bool';
  else if (type === 'void') returnKind = 'void';
  else if (/^(unsigned |signed |long |short )*(int|long|char|short|ssize_t|size_t|vm_fault_t|s32|s64|u32|u64|loff_t|__poll_t)$/.test(type) || type === 'unsigned') {
    returnKind = 'int';
  }
  return { name, node: fn, returnKind, isStatic, params };
}

/** No kernel lock keys (a callee that drops none). */
const NO_KEYS: ReadonlySet<string> = new Set();

class View implements StateView {
  constructor(
    private readonly pathState: State,
    private readonly transfer?: Transfer,
  ) {}

  mmapLockOfVma(vmaKey: string) {
    const found = this.transfer?.mmapLockOfVma(vmaKey, this.pathState);
    if (!found) return null;
    const l = this.pathState.locks.get(found.key);
    return { key: found.key, state: found.state, origin: l?.origin ?? null, display: l?.display ?? lockInstanceOf(found.key), acquiredHere: !!l?.acquiredHere };
  }

  vmaWriteLock(vmaKey: string) {
    if (this.pathState.locks.has(forgottenKey('vma-write'))) return 'unknown' as const;
    const key = lockKeyFor('vma-write', this.transfer ? this.transfer.canonicalKey(vmaKey) : vmaKey);
    const l = this.pathState.locks.get(this.pathState.lockKeyOf(key));
    if (l) return l.state;
    // While this function holds the mmap write lock it took, no VMA is write-locked until it says so.
    const mm = this.transfer?.mmapLockOfVma(vmaKey, this.pathState);
    const f = mm ? this.pathState.locks.get(mm.key) : undefined;
    return f && f.state === 'write' && f.acquiredHere ? ('none' as const) : ('unknown' as const);
  }

  bitsKnownClear(variable: string, atoms: readonly string[]): boolean {
    return bitsKnownClearOn(this.pathState)(variable, atoms);
  }

  private held(lock: LockClass): HeldLock[] {
    const out: HeldLock[] = [];
    for (const [key, l] of this.pathState.locks) {
      if (!isLockOf(key, lock)) continue;
      if (l.state === 'read' || l.state === 'write' || l.state === 'held') {
        out.push({ key, instance: lockInstanceOf(key), display: l.display, state: l.state, origin: l.origin });
      }
    }
    return out;
  }

  heldMmapLocks(): HeldLock[] {
    return this.held('mmap');
  }

  heldVmaLocks(): HeldLock[] {
    return this.held('vma');
  }

  lockState(key: LockKey) {
    return this.pathState.lockState(key);
  }

  pagefaultDisabled(): boolean {
    return this.pathState.pf > 0;
  }

  heldKernelLocks(): HeldKernelLock[] {
    return [...this.pathState.kernelLocks].map(([key, f]) => ({ key, traceKey: kernelLockTraceKey(key), ...f }));
  }

  atomicContext(except?: ReadonlySet<string>): { what: string; origin: TraceStep; traceKey: string } | null {
    for (const [key, f] of this.pathState.kernelLocks) if (isAtomicKind(f.kind) && !except?.has(key)) return { what: `the ${f.kind} \`${f.display}\` is held`, origin: f.origin, traceKey: kernelLockTraceKey(key) };
    const sections = this.pathState.atomicSections;
    return sections.length && !except?.has(ATOMIC_TRACE_KEY) ? { what: sections[0].message.replace(/ here \(.*$/, ''), origin: sections[0], traceKey: ATOMIC_TRACE_KEY } : null;
  }

  pointer(key: string): PathPointer | undefined {
    const p = this.pathState.ptrs.get(key);
    return p ? { ...p, nullness: this.pathState.nullness(key) } : undefined;
  }

  trace(keys: string[]): TraceStep[] {
    const wanted = new Set(keys);
    const chain: { step: TraceStep; relevant: boolean; branch: boolean }[] = [];
    for (let t = this.pathState.trace; t; t = t.prev) {
      const relevant = t.keys.some((k) => wanted.has(k));
      chain.push({ step: t.step, relevant, branch: t.step.kind === 'branch' });
    }
    chain.reverse();
    // A lock the path never touched, known not held from how the kernel calls the function: that says why.
    const entry = this.pathState.noneAtEntryStep;
    if (entry && keys.some((k) => !this.pathState.locks.has(this.pathState.lockKeyOf(k as LockKey)) && this.pathState.notHeldSinceEntry(this.pathState.lockKeyOf(k as LockKey)))) {
      chain.unshift({ step: entry, relevant: true, branch: false });
    }
    const firstRelevant = chain.findIndex((c) => c.relevant);
    if (firstRelevant < 0) return [];
    const picked = chain.filter((c, i) => c.relevant || (c.branch && i > firstRelevant)).map((c) => c.step);
    if (picked.length <= MAX_TRACE) return picked;
    return [picked[0], ...picked.slice(picked.length - (MAX_TRACE - 1))];
  }
}

export function viewOf(pathState: State, transfer?: Transfer): StateView {
  return new View(pathState, transfer);
}

function returnPlace(pathState: StateT): number {
  return (pathState.retNode as AstNode | null)?.start ?? Number.MAX_SAFE_INTEGER;
}

function isFailure(bits: number, kind: ReturnKind): boolean {
  if (bits === 0 || bits === V_ANY) return false;
  switch (kind) {
    case 'pointer':
      return (bits & ~(V_ZERO | V_ERR)) === 0;
    case 'bool':
      return bits === V_ZERO;
    case 'int':
      return (bits & ~V_NEG) === 0;
    default:
      return false;
  }
}

/** A held lock of the caller, expressed on the callee's parameters (null when no argument reaches it). */
function heldOnParams(lockKey: LockKey, argKeys: readonly (string | null)[]): { target: number | 'current'; path?: string } | null {
  const expr = lockInstanceOf(lockKey);
  for (let i = 0; i < argKeys.length; i++) {
    const a = argKeys[i];
    if (!a) continue;
    if (expr === a) return { target: i };
    if (expr.startsWith(`${a}->`)) return { target: i, path: `$${expr.slice(a.length)}` };
    if (a.startsWith('&')) {
      const inner = a.slice(1);
      if (expr === inner) return { target: i, path: '*$' };
      if (expr.startsWith(`${inner}.`)) return { target: i, path: `$->${expr.slice(inner.length + 1)}` };
    }
  }
  // The current task's mm (`current->mm`, also through a local `mm = current->mm`) is the callee's too.
  if (expr.startsWith('current->')) return { target: 'current', path: `$${expr.slice('current'.length)}` };
  return null;
}

/**
 * Syntax nesting the recursive parts of the analysis (the CFG builder, expression evaluation) accept:
 * far beyond real code, well within the JS stack. Deeper input is reported, not analysed.
 */
const MAX_NESTING = 400;

/** The depth of the deepest node (iterative: the nodes to visit and their depths side by side, no pair allocated per node). */
function nestingDepth(root: AstNode): number {
  let max = 0;
  const nodes: AstNode[] = [root];
  const depths: number[] = [1];
  while (nodes.length) {
    const n = nodes.pop()!;
    const d = depths.pop()!;
    if (d > max) max = d;
    for (const c of n.children) {
      nodes.push(c);
      depths.push(d + 1);
    }
  }
  return max;
}

/** What the analysis of one function shares between its parts: names, keys, steps, the transfer. */
interface Analysis {
  fn: AstNode;
  file: string;
  info: FunctionInfo;
  canonical: (key: string) => string;
  step: (node: AstNode, message: string, kind?: TraceKind) => TraceStep;
  types: Map<string, string>;
  context: FunctionContext;
  transfer: Transfer;
  env: FunctionEnv;
}

export function analyzeFunction(fn: AstNode, file: string, pp: PreprocessorChoices, visitors: RuleVisitor[], env: FunctionEnv): FunctionAnalysis {
  const depth = nestingDepth(fn);
  if (depth > MAX_NESTING) throw new Error(`its syntax is nested ${depth} levels deep (the analysis stops at ${MAX_NESTING})`);
  const info = functionInfo(fn);
  if (env.handsLocksTo) info.handsLocksTo = env.handsLocksTo;
  const byCaller = calledWithPagefaultsDisabled(info.name, fn.file);
  if (byCaller) info.pagefaultsDisabledByCaller = byCaller;
  const cfg: Cfg = buildCfg(fn, pp);
  const aliases = collectAliases(fn);
  const canonical = canonicalizer(aliases);
  const step = (node: AstNode, message: string, kind?: TraceKind): TraceStep => stepAt(file, node, message, kind);
  const facts: SummaryFacts | null = env.summarize ? emptySummaryFacts() : null;
  const types = collectTypes(fn);
  let takesLocks: boolean | undefined;
  // A name's answer holds for the whole analysis (summaries are published between analyses): asked
  // once, it is not merged again at each visit of each call of it.
  const answers = new Map<string, ApiEntry | undefined>();
  const resolve = (name: string): ApiEntry | undefined => {
    if (answers.has(name)) return answers.get(name);
    const answer = env.resolve(name);
    answers.set(name, answer);
    return answer;
  };
  const context: FunctionContext = {
    file,
    canonical,
    step,
    sink: null,
    lockFlags: collectLockFlags(fn, resolve),
    pointerParams: collectPointerParams(fn),
    typeOf: (name) => types.get(name),
    vmaWriteFields: env.vmaWriteFields ?? VMA_MMAP_WRITE_FIELDS,
    vmaLockedFields: env.vmaLockedFields ?? VMA_LOCKED_FIELDS,
    takesMmOrVmaLock: () => (takesLocks ??= takesMmOrVmaLock(fn, info.name, resolve)),
    constantValue: env.constantValue,
    resolve,
    params: info.params,
    facts,
    source: fn.file,
    orderEdges: new Map(),
  };
  const transfer = new Transfer(context);
  const analysis: Analysis = { fn, file, info, canonical, step, types, context, transfer, env };
  const called = env.calledAs ?? syscallContext(fn);
  const entryContext = called && fitContext(called, info.name, info.params, canonical, { file, line: fn.row + 1, column: fn.col + 1 });
  if (entryContext) info.entryContext = entryContext;
  const entry = entryState(fn, canonical, file, info.params, env.entry, entryContext, env.entryNone);
  const callSites = new Map<AstNode, CallSite>();
  // Rules see each state as the fixpoint computes it: every state a node receives is a real path
  // state (joins only happen past the path bound), and findings are de-duplicated downstream.
  if (visitors.length || env.statics.size) context.sink = eventSink(analysis, visitors, callSites);
  // A local pointer into a structure its caller passed (`ctx = &priv->lock_ctx`, `priv = m->private`)
  // names the caller's fields: what the path learns of them through it is kept to the end, for the
  // caller. A value copied from there (`int v = a[0]`) is the function's own, dead when unread.
  const callers = (name: string): boolean =>
    (types.get(name) ?? '').includes('*') && info.params.includes(/^[&*]*(\w+)/.exec(aliases.get(name) ?? '')?.[1] ?? '');
  const end = fn.child('body') ?? fn;
  /** The rules' end of this function, complete or not: what they kept for it goes with it. */
  const endFunction = (complete: boolean, exits: ExitPath[]): void => {
    const ev = {
      file,
      fn: info,
      complete,
      exits,
      endStep: (message: string): TraceStep => ({ file, line: end.endRow + 1, column: Math.max(1, end.endCol), message }),
      step,
    };
    for (const v of visitors) v.functionExit?.(ev);
  };
  let flow: ReturnType<typeof runDataflow>;
  try {
    flow = runDataflow(cfg, transfer, entry, deadFactPruner(fn, cfg, info.params, [...types.keys()].filter((n) => !callers(n))));
  } catch (err) {
    endFunction(false, []);
    throw err;
  } finally {
    context.sink = null;
  }

  // In the order of their returns in the text (a fall off the end last), whatever order the paths came in.
  const exitStates = [...(flow.states.get(cfg.exit) ?? [])].sort((x, y) => returnPlace(x) - returnPlace(y));
  const exits = exitPaths(analysis, exitStates, configMacros(cfg));
  // Past its budget, the exits reached say nothing of the function's paths.
  endFunction(!flow.budgetExceeded, flow.budgetExceeded ? [] : exits);
  const failureReturns = exits
    .map((e, i) => ({ e, st: exitStates[i] }))
    .filter(({ e }) => isFailure(e.returned, info.returnKind))
    .map(({ e, st: pathState }) => ({ node: e.returnNode, returned: e.returned, when: entryConditions(pathState, info.params) }));
  const summary = facts ? functionSummary(analysis, facts, flow.budgetExceeded, exitStates, failureReturns, cfg) : null;
  return {
    info,
    result: { info, failureReturns, ...(failureReturns.length && documentedNoFailure(fn.file.text, fn.start) ? { documentedNoFailure: true } : {}) },
    summary,
    callSites: [...callSites.values()],
    parseErrors: cfg.parseErrors,
    widened: flow.widened,
    budgetExceeded: flow.budgetExceeded,
    orderEdges: [...context.orderEdges!.values()],
  };
}

/** The rules' events, and the call sites of the file's static functions with the locks held at each. */
function eventSink(a: Analysis, visitors: RuleVisitor[], callSites: Map<AstNode, CallSite>): EventSink {
  const { file, info, canonical, step, types, transfer, env } = a;
  const typeOf = (name: string): string | undefined => types.get(name);
  const initializer = env.initializer;
  // Computed once for the function, when a rule first asks.
  let shared: ReadonlySet<string> | undefined;
  const sharedThroughStruct = (key: string): boolean => /^\w+$/.test(key) && (shared ??= collectSharedThroughStruct(a.fn)).has(key);
  const mmapKeyOf = (expr: AstNode): LockKey | null => {
    const k = keyOf(rwsemOwner(expr, 'mmap') ?? stripParens(expr));
    return k ? lockKeyFor('mmap', canonical(k)) : null;
  };
  const base = (pathState: StateT) => ({ file, fn: info, state: viewOf(pathState, transfer), keyOf, mmapKeyOf, step, typeOf, initializer, sharedThroughStruct });
  const callVisitors = visitors.filter((v) => v.call);
  const derefVisitors = visitors.filter((v) => v.deref);
  const lockVisitors = visitors.filter((v) => v.lockOp);
  const kernelLockVisitors = visitors.filter((v) => v.kernelLock);
  const writeVisitors = visitors.filter((v) => v.write);
  return {
    // Each event an object literal of one shape per kind (spreading a base object into it cost a
    // call event 0.4 s of mm/'s run).
    call(node, callee, api, args, pathState, requires) {
      if (callee && env.statics.has(callee)) recordCallSite(a, callSites, node, callee, args, pathState);
      if (!callVisitors.length) return;
      const dropsKernelLocks = api?.kernelLocks || api?.atomicSection ? kernelLocksDroppedBy(a.context, api, args) : NO_KEYS;
      const state = viewOf(pathState, transfer);
      const ev = { file, fn: info, state, keyOf, mmapKeyOf, step, typeOf, initializer, sharedThroughStruct, node, callee, api, args, requires, dropsKernelLocks };
      for (const v of callVisitors) v.call!(ev);
    },
    deref(node, pointer, pointerKey, field, pathState, debugOnly) {
      if (!derefVisitors.length || !pathState.ptrs.has(pointerKey)) return;
      const state = viewOf(pathState, transfer);
      const ev = { file, fn: info, state, keyOf, mmapKeyOf, step, typeOf, initializer, sharedThroughStruct, node, pointer, pointerKey, field, debugOnly };
      for (const v of derefVisitors) v.deref!(ev);
    },
    lockOp(op, pathState) {
      if (!lockVisitors.length) return;
      const ev = Object.assign(base(pathState), op);
      for (const v of lockVisitors) v.lockOp!(ev);
    },
    kernelLock(op, pathState) {
      if (!kernelLockVisitors.length) return;
      const ev = Object.assign(base(pathState), op);
      for (const v of kernelLockVisitors) v.kernelLock!(ev);
    },
    write(node, object, objectKey, field, arrow, pathState) {
      if (!writeVisitors.length) return;
      const state = viewOf(pathState, transfer);
      const ev = { file, fn: info, state, keyOf, mmapKeyOf, step, typeOf, initializer, sharedThroughStruct, node, object, objectKey, field, arrow };
      for (const v of writeVisitors) v.write!(ev);
    },
  };
}

/** A call of a static function of the file: the locks held there, on the callee's parameters. */
function recordCallSite(a: Analysis, callSites: Map<AstNode, CallSite>, node: AstNode, callee: string, args: AstNode[], pathState: StateT): void {
  let site = callSites.get(node);
  if (!site) {
    const argKeys = args.map((arg) => {
      const k = keyOf(stripParens(arg));
      return k ? a.canonical(k) : null;
    });
    site = { callee, step: a.step(node, `${a.info.name}() calls ${callee}() here`, 'call'), held: [], argKeys, seen: new Set(), free: null };
    callSites.set(node, site);
  }
  const free = freeClasses(pathState);
  if (site.seen.size === 0) site.free = free;
  else if (site.free) site.free = free && { ...site.free, classes: site.free.classes.filter((c) => free.classes.includes(c)) };
  if (site.free && !site.free.classes.length) site.free = null;
  const held: HeldAtCall[] = [];
  let sig = '';
  for (const [key, l] of pathState.locks) {
    if (l.state !== 'read' && l.state !== 'write' && l.state !== 'held') continue;
    const where = heldOnParams(key, site.argKeys);
    if (!where) continue;
    held.push({ lock: lockClassOf(key), ...where, state: l.state, origin: l.origin, display: l.display });
    sig += `${key}=${l.state};`;
  }
  if (!site.seen.has(sig)) {
    site.seen.add(sig);
    site.held.push(held);
  }
}

/** The rules' view of each state at the function's exit. */
function exitPaths(a: Analysis, exitStates: StateT[], macros: ReturnType<typeof configMacros>): ExitPath[] {
  const { canonical, info, transfer } = a;
  return exitStates.map((pathState) => ({
    state: viewOf(pathState, transfer),
    returnNode: (pathState.retNode as AstNode | null) ?? null,
    returned: pathState.ret < 0 ? V_ANY : pathState.ret,
    returnedConstant: returnedConstant(pathState, a.context.constantValue),
    returnedFacts: returnedFacts(pathState),
    argumentsKnown: entryConditions(pathState, info.params),
    outFlags: outFlagValues(pathState, canonical, info.params),
    outConstants: outConstants(pathState, canonical, info.params),
    outFields: outFields(pathState, canonical, info.params),
    locks: new Map([
      ...[...pathState.locks].map(([k, l]) => [k, exitLock(l)] as const),
      ...[...pathState.lockAliases].filter(([, to]) => pathState.locks.has(to)).map(([from, to]) => [from, { ...exitLock(pathState.locks.get(to)!), aliasOf: to }] as const),
    ]),
    config: pathConfig(pathState, macros),
  }));
}

/** What a call of the function does, for its callers (src/engine/summary.ts). */
function functionSummary(
  a: Analysis,
  facts: SummaryFacts,
  budgetExceeded: boolean,
  exitStates: StateT[],
  failureReturns: FunctionResult['failureReturns'],
  cfg: Cfg,
): ApiEntry {
  const { fn, file, info, canonical } = a;
  // A function whose analysis ran out of budget says nothing reliable about its exits.
  const usable = budgetExceeded ? [] : exitStates;
  const summary = summarize({
    name: info.name,
    file,
    line: fn.row + 1,
    returnKind: info.returnKind,
    params: info.params,
    exits: usable,
    outFields: usable.map((pathState) => outFields(pathState, canonical, info.params)),
    facts: budgetExceeded ? { fault: facts.fault, derefs: new Set(), modifiesAt: new Map() } : facts,
    failureReturns: budgetExceeded
      ? []
      : failureReturns.map((f) => ({ step: stepAt(file, f.node ?? fn, f.node ? `returns ${describeFailure(f.returned, info.returnKind)} here` : 'falls off the end', 'return'), returned: f.returned, when: f.when })),
    documentedNoFailure: failureReturns.length > 0 && documentedNoFailure(fn.file.text, fn.start),
  });
  Object.assign(summary, kernelLockSummary(a.context, usable, facts));
  if (mayRangeCheckParameter(fn, info.params, (name) => a.types.get(name), (name) => a.context.resolve(name))) summary.rangeCheck = true;
  // No way out (every path ends in a noreturn call or loops forever): callers' paths end there.
  if (!budgetExceeded && exitStates.length === 0 && cfg.parseErrors === 0 && fn.child('body')) summary.noreturn = true;
  return summary;
}

function exitLock(l: LockFact): ExitLockFact {
  return { state: l.state, acquiredHere: l.acquiredHere, releasedUnowned: !!l.releasedUnowned, origin: l.origin, display: l.display };
}

function describeFailure(bits: number, kind: ReturnKind): string {
  if (kind === 'pointer') return bits === V_ZERO ? 'NULL' : bits === V_ERR ? 'an ERR_PTR' : 'NULL or an ERR_PTR';
  if (kind === 'bool') return 'false';
  return 'a negative errno';
}
