// Live local variables per CFG node, and the pruning of facts about dead ones.
//
// The dataflow keeps the values of pure expressions on each path so that a later test of the
// same expression is decided (branch correlation). Once no path from a node reads a local
// variable again, what a path knows of it can decide nothing: two paths that differ only there
// are the same path for the rest of the function. Dropping those facts where paths meet lets the
// dataflow merge them, without losing any precision, instead of carrying 2^k copies of a state
// through a function of k independent tests (`if (dirty) ...; if (writeback) ...`).
//
// Conservative by construction: every identifier a node's syntax mentions is a use (macro
// arguments, sizeof, an assignment inside a condition); only `x = e;` and declarations define.
// A use of a variable also uses what it was assigned from (a flag defined by a condition is
// decided from the condition's operands; an alias names its value). Parameters are never pruned
// (summaries and entry conditions read them at exit), nor the engine's own keys (`#...`), facts
// about a pointer the analysis tracks, or values written through a pointer (`*flag`).

import type { AstNode } from '../parse/ast.js';
import { walk } from '../parse/ast.js';
import type { Cfg, CfgNode } from './cfg.js';
import type { State } from './state.js';
import { declaredName } from './values.js';

/** Identifiers of a syntax subtree (field names are `field_identifier`, not counted). */
function identifiers(n: AstNode | null | undefined, into: Set<string>): void {
  if (!n) return;
  walk(n, (x) => {
    if (x.type === 'identifier') into.add(x.text);
  });
}

/** The variables a node reads (`uses`) and the ones it overwrites (`defs`). */
function usesAndDefs(n: CfgNode): { uses: Set<string>; defs: Set<string> } {
  const uses = new Set<string>();
  const defs = new Set<string>();
  switch (n.kind) {
    case 'eval': {
      const a = n.ast!;
      if (a.type === 'assignment_expression' && a.operator === '=' && a.child('left')?.type === 'identifier') {
        defs.add(a.child('left')!.text);
        identifiers(a.child('right'), uses);
      } else if (a.type === 'declaration') {
        for (const d of a.childrenOf('declarator')) {
          const name = declaredName(d.type === 'init_declarator' ? d.child('declarator') : d);
          if (d.type === 'init_declarator') identifiers(d.child('value'), uses);
          if (name && !uses.has(name)) defs.add(name);
        }
        identifiers(a.child('type'), uses);
      } else identifiers(a, uses);
      break;
    }
    case 'cond':
    case 'return':
    case 'iter-begin':
    case 'iter-end':
      identifiers(n.ast, uses);
      for (const a of n.iterArgs ?? []) identifiers(a, uses);
      break;
    case 'case':
      identifiers(n.ast, uses);
      identifiers(n.switchOn, uses);
      break;
    case 'guard-acquire':
    case 'guard-release':
      for (const a of n.guard?.args ?? []) identifiers(a, uses);
      break;
    // entry, exit, nop, branch: nothing is evaluated (a loop header's ast is the whole loop).
  }
  return { uses, defs };
}

/** For each local, the locals its assignments read (a use of it is a use of them: defs, aliases). */
function assignedFrom(fn: AstNode, locals: ReadonlySet<string>): Map<string, Set<string>> {
  const from = new Map<string, Set<string>>();
  const note = (name: string | null, rhs: AstNode | null): void => {
    if (!name || !rhs || !locals.has(name)) return;
    const ids = new Set<string>();
    identifiers(rhs, ids);
    let set = from.get(name);
    if (!set) from.set(name, (set = new Set()));
    for (const id of ids) if (locals.has(id) && id !== name) set.add(id);
  };
  const body = fn.child('body');
  if (!body) return from;
  walk(body, (n) => {
    if (n.type === 'init_declarator') note(declaredName(n.child('declarator')), n.child('value'));
    else if (n.type === 'assignment_expression' && n.child('left')?.type === 'identifier') note(n.child('left')!.text, n.child('right'));
    return true;
  });
  // Transitively: `a = b; c = a;` then a use of c reads a and b.
  for (let changed = true; changed; ) {
    changed = false;
    for (const set of from.values()) {
      for (const v of [...set]) {
        for (const w of from.get(v) ?? []) {
          if (!set.has(w)) {
            set.add(w);
            changed = true;
          }
        }
      }
    }
  }
  return from;
}

const KEY_IDENTIFIER = /(?<![\w.>$#@])[A-Za-z_]\w*/g;

export interface DeadFactPruner {
  /** The state with the facts about locals dead at `node` removed (the same object when there are none). */
  prune(node: number, pathState: State): State;
}

/**
 * Liveness of a function's locals (the names it declares, `declared`, less its parameters) over
 * its CFG, for pruning at the nodes where paths meet (where merging them pays). Null when the
 * function has no local worth it.
 */
export function deadFactPruner(fn: AstNode, cfg: Cfg, params: readonly string[], declared: Iterable<string>): DeadFactPruner | null {
  const locals = new Set(declared);
  for (const p of params) locals.delete(p);
  if (!locals.size) return null;
  const from = assignedFrom(fn, locals);
  const n = cfg.nodes.length;
  const uses: Set<string>[] = new Array(n);
  const defs: Set<string>[] = new Array(n);
  const preds = new Array<number>(n).fill(0);
  for (const node of cfg.nodes) {
    const ud = usesAndDefs(node);
    const u = new Set<string>();
    for (const v of ud.uses) {
      if (!locals.has(v)) continue;
      u.add(v);
      for (const w of from.get(v) ?? []) u.add(w);
    }
    uses[node.id] = u;
    defs[node.id] = ud.defs;
    for (const s of node.succs) preds[s]++;
  }
  // Backward fixpoint: live-in(n) = uses(n) ∪ (∪ live-in(succ) − defs(n)).
  const liveIn: Set<string>[] = Array.from({ length: n }, () => new Set<string>());
  const predsOf: number[][] = Array.from({ length: n }, () => []);
  for (const node of cfg.nodes) for (const s of node.succs) predsOf[s].push(node.id);
  const work: number[] = [];
  const queued = new Uint8Array(n);
  for (let i = n - 1; i >= 0; i--) {
    work.push(i);
    queued[i] = 1;
  }
  while (work.length) {
    const id = work.pop()!;
    queued[id] = 0;
    const live = liveIn[id];
    let grew = false;
    for (const v of uses[id]) {
      if (!live.has(v)) {
        live.add(v);
        grew = true;
      }
    }
    for (const s of cfg.nodes[id].succs) {
      for (const v of liveIn[s]) {
        if (!defs[id].has(v) && !live.has(v)) {
          live.add(v);
          grew = true;
        }
      }
    }
    if (!grew) continue;
    for (const p of predsOf[id]) {
      if (!queued[p]) {
        queued[p] = 1;
        work.push(p);
      }
    }
  }
  /** The locals a fact's key mentions, by key (cached: keys repeat on every path). */
  const mentioned = new Map<string, readonly string[]>();
  const localsIn = (key: string): readonly string[] => {
    let got = mentioned.get(key);
    if (!got) {
      got = (key.match(KEY_IDENTIFIER) ?? []).filter((id) => locals.has(id));
      mentioned.set(key, got);
    }
    return got;
  };
  return {
    prune(node, pathState) {
      if (preds[node] < 2) return pathState;
      const live = liveIn[node];
      const dead = (key: string): boolean => {
        if (key.startsWith('*') || pathState.ptrs.has(key)) return false;
        for (const v of localsIn(key)) if (!live.has(v)) return true;
        return false;
      };
      return pathState.withoutFacts(dead);
    },
  };
}
