// What a function's text says before its flow is followed: the declared types of its names, the
// single-assignment aliases of lock expressions (and the canonical form of a key through them),
// the local flags that guard lock operations, the parameters that point to a flag, and the
// variables a callee may reach through a structure it is handed.

import { AstNode, calleeName, callArgs, stripParens, walk } from '../parse/ast.js';
import { lookupApi, type ApiEntry, type LockClass } from '../kb/lock-api.js';
import { keyOf } from './keys.js';
import { declaredName } from './values.js';

/** Declared types of the function's parameters and locals, by name (`struct vm_area_struct *`). */
export function collectTypes(fn: AstNode): Map<string, string> {
  const types = new Map<string, string>();
  walk(fn, (n) => {
    if (n.type !== 'parameter_declaration' && n.type !== 'declaration') return true;
    const base = n.child('type')?.text ?? '';
    for (const d of n.type === 'declaration' ? n.childrenOf('declarator') : [n.child('declarator')]) {
      if (!d) continue;
      let stars = '';
      let cur: AstNode | null = d.type === 'init_declarator' ? d.child('declarator') : d;
      while (cur && cur.type === 'pointer_declarator') {
        stars += '*';
        cur = cur.child('declarator');
      }
      const name = declaredName(d.type === 'init_declarator' ? d.child('declarator') : d);
      if (name && !types.has(name)) types.set(name, stars ? `${base} ${stars}` : base);
    }
    return false;
  });
  return types;
}

/** Single-assignment aliases of lock expressions: `struct mm_struct *mm = vma->vm_mm;`. */
export function collectAliases(fn: AstNode): Map<string, string> {
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

export function canonicalizer(aliases: Map<string, string>): (key: string) => string {
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
      const rest = cur.slice(at + root.length);
      // `ctx->mm` with `ctx = &priv->lock_ctx` is `priv->lock_ctx.mm`.
      cur = at === 0 && alias.startsWith('&') && rest.startsWith('->') ? `${alias.slice(1)}.${rest.slice(2)}` : cur.slice(0, at) + alias + rest;
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
export function collectLockFlags(fn: AstNode, resolve: (name: string) => ApiEntry | undefined): Map<string, Set<LockClass>> {
  const flags = new Map<string, Set<LockClass>>();
  const body = fn.child('body');
  if (!body) return flags;
  // The nodes that contain a lock operation, with the classes of their operations: each such call
  // and its ancestors (one walk).
  const withLockOp = new Map<AstNode, Set<LockClass>>();
  walk(body, (x) => {
    if (x.type !== 'call_expression') return true;
    const name = calleeName(x);
    const api = name ? resolve(name) : undefined;
    for (const e of api?.lock ?? []) {
      if (e.op !== 'acquire' && e.op !== 'release') continue;
      for (let a: AstNode | null = x; a; a = a.parent) {
        const classes = withLockOp.get(a) ?? new Set<LockClass>();
        if (classes.has(e.lock)) break;
        classes.add(e.lock);
        withLockOp.set(a, classes);
      }
    }
    return true;
  });
  if (!withLockOp.size) return flags;
  const add = (flag: string, classes: ReadonlySet<LockClass>): void => {
    const known = flags.get(flag) ?? new Set<LockClass>();
    for (const c of classes) known.add(c);
    flags.set(flag, known);
  };
  // A flag set right beside a lock operation: `mmap_read_unlock(mm); locked = false;`.
  walk(body, (n) => {
    if (n.type !== 'compound_statement') return true;
    const stmts = n.namedChildren;
    for (let i = 0; i < stmts.length; i++) {
      const classes = withLockOp.get(stmts[i]);
      if (!classes || stmts[i].type !== 'expression_statement') continue;
      for (const j of [i - 1, i + 1]) {
        const e = stmts[j]?.type === 'expression_statement' ? stmts[j].namedChildren[0] : undefined;
        if (e?.type !== 'assignment_expression') continue;
        const left = e.child('left');
        const right = e.child('right');
        const target = left?.type === 'pointer_expression' ? left.child('argument') : left;
        if (target?.type === 'identifier' && right && /^(true|false|0|1)$/.test(right.text)) add(target.text, classes);
      }
    }
    return true;
  });
  walk(body, (n) => {
    if (n.type !== 'if_statement') return true;
    const cond = n.child('condition');
    const cons = n.child('consequence');
    const alt = n.child('alternative');
    const classes = new Set([...(cons ? withLockOp.get(cons) ?? [] : []), ...(alt ? withLockOp.get(alt) ?? [] : [])]);
    if (!cond || !classes.size) return true;
    walk(cond, (x) => {
      if (x.type === 'call_expression' || x.type === 'field_expression') return false;
      if (x.type === 'identifier') add(x.text, classes);
      return true;
    });
    return true;
  });
  return flags;
}

/** Parameters declared as pointers to a scalar flag (`int *locked`, `bool *unlocked`). */
export function collectPointerParams(fn: AstNode): Set<string> {
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

/** The identifier an expression is rooted at: `vp` for `&vp`, `vp.vma`, `vmg->vma->vm_mm`, `(x)`. */
function baseIdentifier(n: AstNode): string | null {
  let cur: AstNode | null = stripParens(n);
  while (cur) {
    if (cur.type === 'identifier') return cur.text;
    if (cur.type === 'field_expression' || cur.type === 'pointer_expression' || cur.type === 'subscript_expression') cur = cur.child('argument');
    else if (cur.type === 'cast_expression') cur = cur.child('value');
    else if (cur.type === 'parenthesized_expression') cur = stripParens(cur);
    else return null;
  }
  return null;
}

/**
 * Variables of the function whose value is stored into a field of a structure (`vp.vma = vma;`) or
 * read from one (`vma = vmg->target;`), where that structure (or its address) is also handed to a
 * function the knowledge base does not describe: a computed summary or an unknown function. Such a
 * callee may change what the variable points to through the structure (`vma_prepare(&vp)`
 * write-locks the VMA), which the path's state does not connect to the variable. Flow-insensitive,
 * so conservative.
 */
export function collectSharedThroughStruct(fn: AstNode): Set<string> {
  const pairs: [string, string][] = [];
  const passed = new Set<string>();
  const note = (variable: AstNode | null, field: AstNode | null): void => {
    const v = variable ? stripParens(variable) : null;
    const f = field ? stripParens(field) : null;
    if (v?.type !== 'identifier' || f?.type !== 'field_expression') return;
    const base = baseIdentifier(f);
    if (base && base !== v.text) pairs.push([v.text, base]);
  };
  walk(fn, (n) => {
    if (n.type === 'assignment_expression') {
      note(n.child('right'), n.child('left'));
      note(n.child('left'), n.child('right'));
    } else if (n.type === 'init_declarator') {
      const d = n.child('declarator');
      let id: AstNode | null = d;
      while (id && id.type === 'pointer_declarator') id = id.child('declarator');
      note(id, n.child('value'));
    } else if (n.type === 'call_expression') {
      const name = calleeName(n);
      if (name && lookupApi(name)) return true;
      for (const a of callArgs(n)) {
        const b = baseIdentifier(a);
        if (b) passed.add(b);
      }
    }
    return true;
  });
  return new Set(pairs.filter(([, base]) => passed.has(base)).map(([v]) => v));
}

/**
 * The function takes the mmap lock or a VMA lock itself somewhere (a call whose entry acquires one,
 * a lockdep annotation and a raw rwsem call on another lock aside): where it does, it does not run
 * under its caller's mmap lock (a blocking take would deadlock, a VMA lock is taken without it).
 * Flow-insensitive: the whole function.
 */
export function takesMmOrVmaLock(fn: AstNode, name: string, resolve: (name: string) => ApiEntry | undefined): boolean {
  const takes = (api: ApiEntry | undefined): boolean => !!api?.lock?.some((e) => e.op === 'acquire' && (e.lock === 'mmap' || e.lock === 'vma') && !e.annotation && !e.rawRwsem);
  // Or the function is one the knowledge base knows to take one for its caller (lock_vma_under_rcu()).
  let found = takes(resolve(name));
  const body = fn.child('body');
  if (body && !found) {
    walk(body, (x) => {
      if (found) return false;
      if (x.type !== 'call_expression') return true;
      const callee = calleeName(x);
      found = !!callee && takes(resolve(callee));
      return !found;
    });
  }
  return found;
}
