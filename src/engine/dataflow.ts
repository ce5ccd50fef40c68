// Worklist dataflow over a function's CFG with a set of states per node (path-sensitive up to a
// bound). When a node collects more than MAX_PRECISE distinct states, it keeps one joined state
// per lock signature and known nullness of lookup results (State.groupSignature(); values and
// pointer facts that differ are dropped); past MAX_GROUPS such groups it keeps a single joined
// state. The lattice is finite and joins only go up, so it terminates; a step budget bounds the
// work on pathological input.

import { performance } from 'node:perf_hooks';
import type { Cfg, CfgNode } from './cfg.js';
import type { State } from './state.js';
import { joinStates } from './state-join.js';
import { sameIdentity } from './state-identity.js';
import { joinKernelContext, sameKernelContext } from './kernel-context.js';
import type { Transfer } from './transfer.js';
import { OutOfBudget } from './context.js';
import type { DeadFactPruner } from './liveness.js';

const MAX_PRECISE = 8;
const MAX_GROUPS = 12;
const STEP_BUDGET = 60_000;
/** Wall-clock budget of one function's fixpoint, checked every 256 steps and inside long statements. */
const TIME_BUDGET_MS = 2_000;

type Mode = 'precise' | 'grouped' | 'single';

class NodeStates {
  mode: Mode = 'precise';
  /** The states in precise mode, in the order they came (a join takes its state's place). */
  private precise: State[] = [];
  /** Their places in `precise`, by State.identity(). */
  private byIdentity = new Map<number, number[]>();
  /** The states once grouped, by group signature (one key, '*', for the single state). */
  groups = new Map<string, State>();
  /**
   * @param final The exit: nothing flows out of it, so its groups are never joined into one
   * (each return of a function keeps its own state for the summary).
   */
  constructor(private readonly final = false) {}

  private groupKey(pathState: State): string {
    return this.mode === 'grouped' ? pathState.groupSignature() : '*';
  }

  /** The states here. */
  states(): State[] {
    return this.mode === 'precise' ? [...this.precise] : [...this.groups.values()];
  }

  /** Is `pathState` still a state here (not replaced by a join since it was added)? */
  holds(pathState: State): boolean {
    return this.mode === 'precise' || this.groups.get(this.groupKey(pathState)) === pathState;
  }

  /** Adds a state; returns the states that are new here (to propagate). */
  insert(pathState: State): State[] {
    if (this.mode === 'precise') {
      const id = pathState.identity();
      let places = this.byIdentity.get(id);
      const at = places?.find((i) => sameIdentity(this.precise[i], pathState));
      // The kernel locks are not in the identity: a path that agrees on everything else joins them.
      if (at !== undefined) {
        const existing = this.precise[at];
        if (sameKernelContext(existing, pathState)) return [];
        const joined = joinKernelContext(existing, pathState);
        if (sameKernelContext(joined, existing)) return [];
        this.precise[at] = joined;
        return [joined];
      }
      if (!places) this.byIdentity.set(id, (places = []));
      places.push(this.precise.length);
      this.precise.push(pathState);
      if (this.precise.length > MAX_PRECISE) return this.regroup('grouped', this.precise);
      return [pathState];
    }
    const k = this.groupKey(pathState);
    const existing = this.groups.get(k);
    if (!existing) {
      this.groups.set(k, pathState);
      if (this.mode === 'grouped' && this.groups.size > MAX_GROUPS && !this.final) return this.regroup('single', [...this.groups.values()]);
      return [pathState];
    }
    const joined = joinStates(existing, pathState);
    if (sameIdentity(joined, existing) && sameKernelContext(joined, existing)) return [];
    this.groups.set(k, joined);
    return [joined];
  }

  private regroup(mode: Mode, old: readonly State[]): State[] {
    this.mode = mode;
    this.precise = [];
    this.byIdentity.clear();
    this.groups = new Map();
    for (const pathState of old) {
      const k = this.groupKey(pathState);
      const ex = this.groups.get(k);
      this.groups.set(k, ex ? joinStates(ex, pathState) : pathState);
    }
    if (mode === 'grouped' && this.groups.size > MAX_GROUPS && !this.final) return this.regroup('single', [...this.groups.values()]);
    return [...this.groups.values()];
  }
}

export interface DataflowResult {
  /** States reaching each node (its in-states). */
  states: Map<number, State[]>;
  /** Some node had to merge states. */
  widened: boolean;
  /** The step budget ran out: results cover only part of the paths. */
  budgetExceeded: boolean;
}

/** What leaves node `n` in state `st`: [successor, state] pairs. */
export function successors(cfg: Cfg, n: CfgNode, pathState: State, transfer: Transfer): [number, State][] {
  const out: [number, State][] = [];
  switch (n.kind) {
    case 'entry':
    case 'nop':
    case 'branch':
      for (const s of n.succs) out.push([s, pathState]);
      break;
    case 'exit':
      break;
    case 'eval':
      for (const s of transfer.evalNode(n.ast!, pathState)) out.push([n.succs[0], s]);
      break;
    case 'cond': {
      const r = transfer.evalCondition(n.ast!, pathState, n.negatedFrom, n.check);
      for (const s of r.t) out.push([n.succs[0], s]);
      for (const s of r.f) out.push([n.succs[1], s]);
      break;
    }
    case 'return':
      for (const s of transfer.evalReturn(n.ast!, pathState)) out.push([n.succs[0], s]);
      break;
    case 'guard-acquire':
      for (const s of transfer.guard(n.guard!, pathState, 'acquire')) out.push([n.succs[0], s]);
      break;
    case 'guard-release':
      for (const s of transfer.guard(n.guard!, pathState, 'release')) out.push([n.succs[0], s]);
      break;
    case 'case':
      for (const s of transfer.assumeCase(n.switchOn!, n.ast, n.caseLabels ?? [], pathState)) out.push([n.succs[0], s]);
      break;
    case 'iter-begin':
      for (const s of transfer.iterBegin(n.ast!, n.iterArgs ?? [], pathState)) out.push([n.succs[0], s]);
      break;
    case 'iter-end':
      for (const s of transfer.iterEnd(n.ast!, n.iterArgs ?? [], pathState)) out.push([n.succs[0], s]);
      break;
  }
  return out;
}

/** `pruner` drops facts about dead locals from each state where paths meet (src/engine/liveness.ts). */
export function runDataflow(cfg: Cfg, transfer: Transfer, entry: State, pruner: DeadFactPruner | null = null): DataflowResult {
  const nodeStates = new Map<number, NodeStates>();
  const work: [number, State][] = [];
  let widened = false;
  const push = (id: number, pathState: State): void => {
    let ns = nodeStates.get(id);
    if (!ns) {
      ns = new NodeStates(id === cfg.exit);
      nodeStates.set(id, ns);
    }
    const before = ns.mode;
    for (const s of ns.insert(pruner ? pruner.prune(id, pathState) : pathState)) work.push([id, s]);
    if (ns.mode !== before) widened = true;
  };
  push(cfg.entry, entry);
  let steps = 0;
  let budgetExceeded = false;
  let head = 0;
  const deadline = performance.now() + TIME_BUDGET_MS;
  transfer.deadline = deadline;
  while (head < work.length) {
    if (++steps > STEP_BUDGET || ((steps & 255) === 0 && performance.now() > deadline)) {
      budgetExceeded = true;
      break;
    }
    const [id, pathState] = work[head++];
    if (head > 4096 && head * 2 > work.length) {
      work.splice(0, head);
      head = 0;
    }
    const ns = nodeStates.get(id)!;
    // A state that was replaced by a join in the meantime is not worth propagating.
    if (!ns.holds(pathState)) continue;
    let next: [number, State][];
    try {
      next = successors(cfg, cfg.nodes[id], pathState, transfer);
    } catch (err) {
      if (!(err instanceof OutOfBudget)) throw err;
      budgetExceeded = true;
      break;
    }
    for (const [succ, s] of next) push(succ, s);
  }
  const states = new Map<number, State[]>();
  for (const [id, ns] of nodeStates) states.set(id, ns.states());
  return { states, widened, budgetExceeded };
}
