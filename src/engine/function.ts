// Analysis of one function: CFG, entry state, fixpoint, then a reporting pass that replays each
// node on each state that reached it and hands the events to the rules' visitors.

import { AstNode, calleeName, stripParens, walk } from '../parse/ast.js';
import type { TraceStep } from '../types.js';
import type { RuleVisitor } from '../rules/rule.js';
import { buildCfg, type Cfg, type PreprocessorChoices } from './cfg.js';
import { runDataflow } from './dataflow.js';
import { State } from './state.js';
import { Transfer, keyOf, declaredName, rwsemOwner, type EventSink, type FunctionContext } from './transfer.js';
import {
  V_ANY,
  V_ERR,
  V_NEG,
  V_ZERO,
  type ExitPath,
  type FunctionInfo,
  type FunctionResult,
  type HeldLock,
  type PointerFact,
  type ReturnKind,
  type StateView,
} from './events.js';
import { MMAP_RWSEM_FIELDS, lookupApi } from '../kb/lock-api.js';

export interface FunctionAnalysis {
  info: FunctionInfo;
  result: FunctionResult;
  parseErrors: number;
  widened: boolean;
  budgetExceeded: boolean;
}

const MAX_TRACE = 10;

export function stepAt(file: string, node: AstNode, message: string): TraceStep {
  return { file, line: node.row + 1, column: node.col + 1, message };
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
  // SYSCALL_DEFINEn(name, ...) and friends: name the syscall.
  const m = /^(COMPAT_)?SYSCALL_DEFINE\d$/.exec(name);
  if (m && d) {
    const first = d.child('parameters')?.namedChildren[0];
    if (first) name = `${m[1] ? 'compat_' : ''}sys_${first.text}`;
  }
  const type = fn.child('type')?.text ?? '';
  let returnKind: ReturnKind = 'other';
  if (pointer) returnKind = 'pointer';
  else if (type === 'bool' || type === '_Bool') returnKind = 'bool';
  else if (type === 'void') returnKind = 'void';
  else if (/^(unsigned |signed |long |short )*(int|long|char|short|ssize_t|size_t|vm_fault_t|s32|s64|u32|u64|loff_t|__poll_t)$/.test(type) || type === 'unsigned') {
    returnKind = 'int';
  }
  return { name, node: fn, returnKind };
}

/** Single-assignment aliases of lock expressions: `struct mm_struct *mm = vma->vm_mm;`. */
function collectAliases(fn: AstNode): Map<string, string> {
  const count = new Map<string, number>();
  const value = new Map<string, string>();
  const addressed = new Set<string>();
  const params = new Set<string>();
  const decl = fn.child('declarator');
  if (decl) {
    walk(decl, (n) => {
      if (n.type === 'parameter_declaration') {
        const name = declaredName(n.child('declarator'));
        if (name) params.add(name);
        return false;
      }
      return true;
    });
  }
  const body = fn.child('body');
  if (!body) return new Map();
  const note = (name: string, rhs: AstNode | null): void => {
    count.set(name, (count.get(name) ?? 0) + 1);
    const k = rhs ? keyOf(stripParens(rhs)) : null;
    if (k) value.set(name, k);
    else value.delete(name);
  };
  walk(body, (n) => {
    if (n.type === 'init_declarator') {
      const name = declaredName(n.child('declarator'));
      if (name) note(name, n.child('value'));
    } else if (n.type === 'assignment_expression') {
      const left = n.child('left');
      if (left && left.type === 'identifier') note(left.text, n.operator === '=' ? n.child('right') : null);
    } else if (n.type === 'update_expression') {
      const arg = n.namedChildren[0];
      if (arg && arg.type === 'identifier') note(arg.text, null);
    } else if (n.type === 'pointer_expression' && n.operator === '&') {
      const arg = n.child('argument');
      if (arg && arg.type === 'identifier') addressed.add(arg.text);
    }
  });
  const aliases = new Map<string, string>();
  for (const [name, c] of count) {
    const v = value.get(name);
    if (c === 1 && v && !params.has(name) && !addressed.has(name) && v !== name && !/^[0-9]/.test(v)) aliases.set(name, v);
  }
  return aliases;
}

function canonicalizer(aliases: Map<string, string>): (key: string) => string {
  const cache = new Map<string, string>();
  return (key: string): string => {
    const hit = cache.get(key);
    if (hit !== undefined) return hit;
    let cur = key;
    for (let i = 0; i < 8; i++) {
      const m = /^[&*]*([A-Za-z_]\w*)/.exec(cur);
      if (!m) break;
      const root = m[1];
      const alias = aliases.get(root);
      if (!alias) break;
      const at = cur.indexOf(root);
      cur = cur.slice(0, at) + alias + cur.slice(at + root.length);
      cur = cur.replace(/^\*&/, '').replace(/^&\*/, '');
    }
    cache.set(key, cur);
    return cur;
  };
}

/**
 * Local flags that decide whether a lock operation runs: `if (locked) mmap_read_unlock(mm);`,
 * `if (!*locked) mmap_read_lock(mm);`. The kernel passes such flags to callees that may drop the
 * lock (`int *locked`), so a callee receiving one may have changed the lock state.
 */
function collectLockFlags(fn: AstNode): Set<string> {
  const flags = new Set<string>();
  const body = fn.child('body');
  if (!body) return flags;
  const hasLockOp = (n: AstNode): boolean => {
    let found = false;
    walk(n, (x) => {
      if (found) return false;
      if (x.type === 'call_expression') {
        const name = calleeName(x);
        const api = name ? lookupApi(name) : undefined;
        if (api?.lock?.some((e) => e.op === 'acquire' || e.op === 'release')) found = true;
      }
      return !found;
    });
    return found;
  };
  // A flag set right beside a lock operation: `mmap_read_unlock(mm); locked = false;`.
  walk(body, (n) => {
    if (n.type !== 'compound_statement') return true;
    const stmts = n.namedChildren;
    for (let i = 0; i < stmts.length; i++) {
      if (!hasLockOp(stmts[i]) || stmts[i].type !== 'expression_statement') continue;
      for (const j of [i - 1, i + 1]) {
        const e = stmts[j]?.type === 'expression_statement' ? stmts[j].namedChildren[0] : undefined;
        if (e?.type !== 'assignment_expression') continue;
        const left = e.child('left');
        const right = e.child('right');
        const target = left?.type === 'pointer_expression' ? left.child('argument') : left;
        if (target?.type === 'identifier' && right && /^(true|false|0|1)$/.test(right.text)) flags.add(target.text);
      }
    }
    return true;
  });
  walk(body, (n) => {
    if (n.type !== 'if_statement') return true;
    const cond = n.child('condition');
    const cons = n.child('consequence');
    const alt = n.child('alternative');
    if (!cond || !((cons && hasLockOp(cons)) || (alt && hasLockOp(alt)))) return true;
    walk(cond, (x) => {
      if (x.type === 'call_expression' || x.type === 'field_expression') return false;
      if (x.type === 'identifier') flags.add(x.text);
      return true;
    });
    return true;
  });
  return flags;
}

/** Parameters declared as pointers to a scalar flag (`int *locked`, `bool *unlocked`). */
function collectPointerParams(fn: AstNode): Set<string> {
  const out = new Set<string>();
  const decl = fn.child('declarator');
  if (!decl) return out;
  walk(decl, (n) => {
    if (n.type !== 'parameter_declaration') return true;
    const d = n.child('declarator');
    const type = n.child('type')?.text ?? '';
    if (d?.type === 'pointer_declarator' && /^(bool|_Bool|int|unsigned( int)?|long|unsigned long)$/.test(type)) {
      const name = declaredName(d);
      if (name) out.add(name);
    }
    return false;
  });
  return out;
}

/** Lock facts at entry from sparse annotations after the declarator. */
function entryState(fn: AstNode, canonical: (k: string) => string, file: string): State {
  const st = new State();
  const body = fn.child('body');
  const head = body ? fn.file.text.slice(fn.start, body.start) : fn.text;
  const re = /__(must_hold|releases|acquires)\s*\(\s*&?\s*([^()]*?)\s*->\s*(\w+)\s*\)/g;
  for (let m = re.exec(head); m; m = re.exec(head)) {
    if (!MMAP_RWSEM_FIELDS.includes(m[3])) continue;
    const base = m[2].replace(/\s+/g, '');
    const key = `mmap:${canonical(base)}`;
    const step: TraceStep = { file, line: fn.row + 1, column: fn.col + 1, message: `__${m[1]}(${m[2]}->${m[3]}): the mmap lock is ${m[1] === 'acquires' ? 'not held' : 'held'} on entry` };
    st.setLock(key, { state: m[1] === 'acquires' ? 'none' : 'held', acquiredHere: false, origin: step, display: m[2] });
  }
  return st;
}

class View implements StateView {
  constructor(private readonly st: State) {}

  private held(prefix: string): HeldLock[] {
    const out: HeldLock[] = [];
    for (const [key, l] of this.st.locks) {
      if (!key.startsWith(prefix)) continue;
      if (l.state === 'read' || l.state === 'write' || l.state === 'held') {
        out.push({ key, display: l.display, state: l.state, origin: l.origin });
      }
    }
    return out;
  }

  heldMmapLocks(): HeldLock[] {
    return this.held('mmap:');
  }

  heldVmaLocks(): HeldLock[] {
    return this.held('vma:');
  }

  lockState(key: string) {
    return this.st.lockState(key);
  }

  pagefaultDisabled(): boolean {
    return this.st.pf > 0;
  }

  pointer(key: string): PointerFact | undefined {
    const p = this.st.ptrs.get(key);
    if (!p) return undefined;
    return {
      api: p.api,
      nullable: p.nullable,
      mayStartAbove: p.mayStartAbove,
      origin: p.origin,
      nullness: this.st.nullness(key),
      testedFields: new Set(p.tested),
      lockedBy: p.lockedBy,
      staleSince: p.staleSince,
      escaped: !!p.escaped,
    };
  }

  trace(keys: string[]): TraceStep[] {
    const wanted = new Set(keys);
    const chain: { step: TraceStep; relevant: boolean; branch: boolean }[] = [];
    for (let t = this.st.trace; t; t = t.prev) {
      const relevant = t.keys.some((k) => wanted.has(k));
      chain.push({ step: t.step, relevant, branch: t.step.message.startsWith('condition ') });
    }
    chain.reverse();
    const firstRelevant = chain.findIndex((c) => c.relevant);
    if (firstRelevant < 0) return [];
    const picked = chain.filter((c, i) => c.relevant || (c.branch && i > firstRelevant)).map((c) => c.step);
    if (picked.length <= MAX_TRACE) return picked;
    return [picked[0], ...picked.slice(picked.length - (MAX_TRACE - 1))];
  }
}

export function viewOf(st: State): StateView {
  return new View(st);
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

export function analyzeFunction(
  fn: AstNode,
  file: string,
  pp: PreprocessorChoices,
  visitors: RuleVisitor[],
  localDefinitions: ReadonlySet<string> = new Set(),
): FunctionAnalysis {
  const info = functionInfo(fn);
  const cfg: Cfg = buildCfg(fn, pp);
  const canonical = canonicalizer(collectAliases(fn));
  const step = (node: AstNode, message: string): TraceStep => stepAt(file, node, message);
  const fx: FunctionContext = { file, canonical, step, sink: null, lockFlags: collectLockFlags(fn), pointerParams: collectPointerParams(fn), localDefinitions };
  const tf = new Transfer(fx);
  const entry = entryState(fn, canonical, file);

  // Rules see each state as the fixpoint computes it: every state a node receives is a real path
  // state (joins only happen past the path bound), and findings are de-duplicated downstream.
  const mmapKeyOf = (expr: AstNode): string | null => {
    const k = keyOf(rwsemOwner(expr, 'mmap') ?? stripParens(expr));
    return k ? `mmap:${canonical(k)}` : null;
  };
  const callVisitors = visitors.filter((v) => v.call);
  const derefVisitors = visitors.filter((v) => v.deref);
  const lockVisitors = visitors.filter((v) => v.lockOp);
  if (visitors.length) {
    fx.sink = {
      call(node, callee, api, args, st) {
        if (!callVisitors.length) return;
        const ev = { file, fn: info, state: viewOf(st), keyOf, mmapKeyOf, step, node, callee, api, args };
        for (const v of callVisitors) v.call!(ev);
      },
      deref(node, pointer, pointerKey, field, st) {
        if (!derefVisitors.length || !st.ptrs.has(pointerKey)) return;
        const ev = { file, fn: info, state: viewOf(st), keyOf, mmapKeyOf, step, node, pointer, pointerKey, field };
        for (const v of derefVisitors) v.deref!(ev);
      },
      lockOp(op, st) {
        if (!lockVisitors.length) return;
        const ev = { file, fn: info, state: viewOf(st), keyOf, mmapKeyOf, step, ...op };
        for (const v of lockVisitors) v.lockOp!(ev);
      },
    } satisfies EventSink;
  }
  const flow = runDataflow(cfg, tf, entry);
  fx.sink = null;

  const exitStates = flow.states.get(cfg.exit) ?? [];
  const exits: ExitPath[] = exitStates.map((st) => ({
    state: viewOf(st),
    returnNode: (st.retNode as AstNode | null) ?? null,
    returned: st.ret < 0 ? V_ANY : st.ret,
    outFlags: new Map([...st.vals].filter(([k]) => /^\*\w+$/.test(k))),
    locks: new Map(
      [...st.locks].map(([k, l]) => [k, { state: l.state, acquiredHere: l.acquiredHere, releasedUnowned: !!l.releasedUnowned, origin: l.origin, display: l.display }]),
    ),
  }));
  if (!flow.budgetExceeded) {
    const body = fn.child('body');
    const end = body ?? fn;
    const ev = {
      file,
      fn: info,
      exits,
      endStep: (message: string): TraceStep => ({ file, line: end.endRow + 1, column: Math.max(1, end.endCol), message }),
      step,
    };
    for (const v of visitors) v.functionExit?.(ev);
  }
  const failureReturns = exits
    .filter((e) => isFailure(e.returned, info.returnKind))
    .map((e) => ({ node: e.returnNode, returned: e.returned }));
  return {
    info,
    result: { info, failureReturns },
    parseErrors: cfg.parseErrors,
    widened: flow.widened,
    budgetExceeded: flow.budgetExceeded,
  };
}
