// Does a knowledge-base entry fit the tree's declaration of its function? The table was written
// from 6.12's headers and names arguments by position; another release may declare the function
// otherwise: 7.2's vma_start_read(mm, vma) returns a VMA, 6.1's __get_user_pages_locked() has its
// `int *locked` sixth. What an entry assumes of a parameter is read from what it does with it (the
// mm of an mmap lock effect, the VMA of a VMA lock effect, the flag of `ifFlagSet`, a pointer it
// dereferences), and of the return value from how it fails. Against the tree's declaration:
// - each such parameter is where the entry says, or is the only parameter of its kind elsewhere
//   (the entry's positions are then moved there);
// - the return value is of the kind the entry reads (a truth value, an errno, a pointer);
// otherwise the entry does not hold for that tree and the function is read from its source.

import type { ApiEntry, LockEffect } from './lock-api.js';

export interface Parameter {
  /** Normalised type (`struct vm_area_struct *`), qualifiers and annotations left out. */
  type: string;
  name: string;
}

/** A function as the tree declares or defines it. */
export interface Declaration {
  name: string;
  /** Normalised return type (`struct vm_area_struct *`, `bool`). */
  returns: string;
  params: Parameter[];
  isStatic: boolean;
  file: string;
  /** 1-based line of the name. */
  line: number;
}

/** What an entry needs of a parameter. */
type Role = 'mm' | 'vma' | 'vma-out' | 'rwsem' | 'flag' | 'pointer';

const ROLE_TYPES: Record<Exclude<Role, 'pointer'>, RegExp> = {
  mm: /^struct mm_struct \*$/,
  vma: /^struct vm_area_struct \*$/,
  'vma-out': /^struct vm_area_struct \*\*$/,
  rwsem: /^struct rw_semaphore \*$/,
  flag: /^(?:int|bool|unsigned int|unsigned) \*$/,
};

const ROLE_NAMES: Record<Role, string> = { mm: 'mm', vma: 'vma', 'vma-out': 'vmap', rwsem: 'sem', flag: 'locked', pointer: 'p' };

/** Plain arithmetic types: no pointer hides behind them (a typedef name might). */
const ARITHMETIC = /^(?:(?:unsigned|signed|long|short|int|char|bool|_Bool|void)\s*)+$/;

/** Qualifiers and annotations that do not change what a parameter is. */
const NOISE = /\b(?:const|volatile|restrict|__restrict|__user|__rcu|__iomem|__force|__kernel|__must_check|__maybe_unused|__always_unused)\b/g;
const STORAGE = /\b(?:static|extern|inline|__inline__|__inline|__always_inline|noinline|__noinline|__init|__weak|__cold|__sched|notrace|asmlinkage|__visible|__must_check|__maybe_unused|__always_unused|__printf\s*\([^)]*\))\b/g;

function normaliseType(type: string): string {
  // Whitespace first: a blanked comment is a long run of it, which `\s*\*` would scan again at each space.
  return type
    .replace(NOISE, ' ')
    .replace(/\s+/g, ' ')
    .replace(/ ?\* ?/g, ' *')
    .replace(/\*\s+\*/g, '**')
    .replace(/\s+/g, ' ')
    .trim();
}

function roleOfEffect(e: Pick<LockEffect, 'lock' | 'path' | 'rawRwsem'>): Role {
  if (e.rawRwsem) return 'rwsem';
  if (e.path === undefined) return e.lock === 'mmap' ? 'mm' : 'vma';
  if (e.path === '$->vm_mm') return 'vma';
  if (e.path === '*$' && e.lock !== 'mmap') return 'vma-out';
  return 'pointer';
}

/** The parameters an entry's positions name, and what each must be. */
function rolesOf(entry: ApiEntry): Map<number, Role> {
  const roles = new Map<number, Role>();
  const put = (i: number | undefined, role: Role): void => {
    if (i === undefined) return;
    const had = roles.get(i);
    if (!had || had === 'pointer') roles.set(i, role);
  };
  for (const e of entry.lock ?? []) {
    if (typeof e.target === 'number') put(e.target, roleOfEffect(e));
    put(e.ifFlagSet, 'flag');
  }
  for (const r of entry.requires ?? []) put(r.target, roleOfEffect(r));
  for (const i of entry.flagStaysClear ?? []) put(i, 'flag');
  for (const i of entry.modifiesVma ?? []) put(i, 'vma');
  put(entry.lastUser, 'mm');
  for (const i of entry.derefsArgs ?? []) put(i, 'pointer');
  return roles;
}

/** What the entry reads of the return value: a truth value or errno ('scalar'), a pointer, or nothing. */
function returnOf(entry: ApiEntry): 'scalar' | 'pointer' | null {
  const whens = new Set((entry.lock ?? []).map((e) => (e.target === 'ret' ? 'ret-nonnull' : e.when)));
  if (entry.returnsVma || entry.returnsNullable || whens.has('ret-nonnull') || entry.fails === 'null-fail' || entry.fails === 'errptr-fail' || entry.fails === 'null-or-errptr-fail') return 'pointer';
  if (whens.has('ret-true') || whens.has('ret-zero') || entry.fails === 'true-ok' || entry.fails === 'zero-ok') return 'scalar';
  return null;
}

function fits(role: Role, type: string | undefined): boolean {
  if (type === undefined) return false;
  if (role === 'pointer') return !ARITHMETIC.test(type);
  return ROLE_TYPES[role].test(type);
}

/**
 * The entry as it holds for this declaration: the entry itself, the entry with its positions moved
 * to where the declaration has those parameters, or null when the declaration does not fit.
 */
export function fitEntry(entry: ApiEntry, decl: Declaration): ApiEntry | null {
  const ret = returnOf(entry);
  if (ret === 'pointer' && !decl.returns.endsWith('*')) return null;
  if (ret === 'scalar' && (decl.returns.endsWith('*') || decl.returns === 'void')) return null;
  const roles = rolesOf(entry);
  const moved = new Map<number, number>();
  const taken = new Set<number>();
  // Parameters of a kind first, where they stand, then those that moved; mere pointers stay.
  const order = [...roles].sort(([, a], [, b]) => Number(a === 'pointer') - Number(b === 'pointer'));
  for (const [i, role] of order) if (fits(role, decl.params[i]?.type)) (moved.set(i, i), taken.add(i));
  for (const [i, role] of order) {
    if (moved.has(i)) continue;
    if (role === 'pointer') return null;
    const candidates = decl.params.map((p, j) => j).filter((j) => !taken.has(j) && fits(role, decl.params[j].type));
    if (candidates.length !== 1) return null;
    moved.set(i, candidates[0]);
    taken.add(candidates[0]);
  }
  if ([...moved].every(([i, j]) => i === j)) return entry;
  return moveArguments(entry, (i) => moved.get(i) ?? i);
}

/** The entry with every argument position `i` replaced by `to(i)`. */
function moveArguments(entry: ApiEntry, to: (i: number) => number): ApiEntry {
  const out: ApiEntry = { ...entry };
  const list = (l: number[] | undefined): number[] | undefined => l?.map(to);
  if (entry.lock) out.lock = entry.lock.map((e) => ({ ...e, ...(typeof e.target === 'number' ? { target: to(e.target) } : {}), ...(e.ifFlagSet !== undefined ? { ifFlagSet: to(e.ifFlagSet) } : {}) }));
  if (entry.requires) out.requires = entry.requires.map((r) => ({ ...r, target: to(r.target) }));
  if (entry.derefsArgs) out.derefsArgs = list(entry.derefsArgs);
  if (entry.modifiesVma) out.modifiesVma = list(entry.modifiesVma);
  if (entry.flagStaysClear) out.flagStaysClear = list(entry.flagStaysClear);
  if (entry.lastUser !== undefined) out.lastUser = to(entry.lastUser);
  if (entry.assertsFalseArg !== undefined) out.assertsFalseArg = to(entry.assertsFalseArg);
  const moveKeys = (w: Record<number, number>): Record<number, number> => Object.fromEntries(Object.entries(w).map(([k, v]) => [to(Number(k)), v]));
  if (entry.failsWhen) out.failsWhen = entry.failsWhen.map(moveKeys);
  if (entry.faultsWhen) out.faultsWhen = entry.faultsWhen.map(moveKeys);
  if (entry.faultsWithBits) out.faultsWithBits = entry.faultsWithBits.map((b) => ({ ...b, arg: to(b.arg) }));
  return out;
}

/** The entry's assumed form, as the parameters it names: `vma_start_read(vma)`, `f(_, _, _, _, locked)`. */
export function describeEntry(entry: ApiEntry): string {
  const roles = rolesOf(entry);
  const n = roles.size ? Math.max(...roles.keys()) + 1 : 0;
  const params = Array.from({ length: n }, (_, i) => (roles.has(i) ? ROLE_NAMES[roles.get(i)!] : '_'));
  return `${entry.name}(${params.join(', ')})`;
}

/** The declaration as C: `vma_start_read(struct mm_struct *mm, struct vm_area_struct *vma)`. */
export function describeDeclaration(decl: Declaration): string {
  return `${decl.name}(${decl.params.map((p) => `${p.type}${p.type.endsWith('*') ? '' : ' '}${p.name}`.trim()).join(', ')})`;
}

/**
 * The declarations and definitions, at file scope, of the functions `wanted` accepts in a C text
 * (a header's prototypes and static inlines, a file's definitions), or of the one function named
 * by `wanted`. Comments, strings and
 * preprocessor lines are skipped; what is inside braces (bodies, structs) is not file scope.
 * `firstLine`: the line of the text's first character in the file (for a part of a file).
 */
export function findDeclarations(text: string, wanted: string | ((name: string) => boolean), file: string, firstLine = 1): Declaration[] {
  // The places a wanted name is followed by `(`, found on the text as it is; most files have none.
  const at: number[] = [];
  const pattern = typeof wanted === 'string' ? new RegExp(`\\b(${wanted})\\s*\\(`, 'g') : /\b([A-Za-z_]\w*)\s*\(/g;
  for (const m of text.matchAll(pattern)) if (typeof wanted === 'string' || wanted(m[1])) at.push(m.index);
  if (!at.length) return [];
  const clean = blankNonCode(text);
  const out: Declaration[] = [];
  let depth = 0;
  let statementStart = 0;
  let next = 0;
  for (let i = 0; i < clean.length && next < at.length; i++) {
    if (i === at[next]) {
      next++;
      const m = /^[A-Za-z_]\w*/.exec(clean.slice(i, i + 80));
      // Inside braces (a body, a struct) or blanked (a comment, a directive): not a declaration.
      if (depth === 0 && m) {
        const open = clean.indexOf('(', i + m[0].length);
        const decl = declarationAt(clean, statementStart, i, open, m[0], file, text, firstLine);
        if (decl) out.push(decl);
      }
    }
    const c = clean.charCodeAt(i);
    if (c === 123) depth++;
    else if (c === 125) {
      depth = Math.max(0, depth - 1);
      if (depth === 0) statementStart = i + 1;
    } else if (c === 59 && depth === 0) statementStart = i + 1;
  }
  return out;
}

/** The declaration whose name is at `at` and whose parameter list opens at `open`, or null. */
function declarationAt(clean: string, start: number, at: number, open: number, name: string, file: string, text: string, firstLine: number): Declaration | null {
  const prefix = clean.slice(start, at).replace(/__attribute__\s*\(\(.*?\)\)/g, ' ');
  // A return type of names and stars, nothing that would make this a call or an initializer.
  if (!/^[\s\w*]+$/.test(prefix) || !/\w|\*/.test(prefix) || /\b(?:return|if|while|for|switch|sizeof|typedef|define)\b/.test(prefix)) return null;
  let depth = 0;
  let close = -1;
  for (let k = open; k < clean.length; k++) {
    if (clean[k] === '(') depth++;
    else if (clean[k] === ')' && --depth === 0) {
      close = k;
      break;
    }
  }
  if (close < 0) return null;
  const returns = normaliseType(prefix.replace(STORAGE, ' '));
  if (!returns) return null;
  const params = parameters(clean.slice(open + 1, close));
  if (!params) return null;
  const line = firstLine + text.slice(0, at).split('\n').length - 1;
  return { name, returns, params, isStatic: /\bstatic\b/.test(prefix), file, line };
}

/** A parameter list's parameters; null when one cannot be read (K&R, a macro). */
function parameters(list: string): Parameter[] | null {
  const parts: string[] = [];
  let depth = 0;
  let from = 0;
  for (let k = 0; k < list.length; k++) {
    if (list[k] === '(' || list[k] === '[') depth++;
    else if (list[k] === ')' || list[k] === ']') depth--;
    else if (list[k] === ',' && depth === 0) {
      parts.push(list.slice(from, k));
      from = k + 1;
    }
  }
  parts.push(list.slice(from));
  const trimmed = parts.map((p) => p.replace(/\s+/g, ' ').trim());
  if (trimmed.length === 1 && (trimmed[0] === '' || trimmed[0] === 'void')) return [];
  const out: Parameter[] = [];
  for (const p of trimmed) {
    if (p === '...') continue;
    // A function pointer, an array: a pointer whose name is inside.
    const fnPointer = /\(\s*\*\s*(\w*)\s*\)/.exec(p);
    if (fnPointer) {
      out.push({ type: 'void (*)()', name: fnPointer[1] });
      continue;
    }
    const words = p.replace(NOISE, ' ').replace(/\s+/g, ' ').trim();
    const m = /^(.*?[\s*])(\w+)\s*(\[[^\]]*\])?$/.exec(words);
    // A type alone (a prototype's unnamed parameter: `unsigned long`, `struct page *`).
    if (!m || /^(?:unsigned|signed|long|short|int|char|bool|void)$/.test(m[2]) || /^(?:struct|enum|union)\s*$/.test(m[1])) {
      if (!/^[\w\s*]+$/.test(words)) return null;
      out.push({ type: normaliseType(words), name: '' });
      continue;
    }
    const type = normaliseType(m[1] + (m[3] ? '*' : ''));
    out.push({ type, name: m[2] });
  }
  return out;
}

/** The text with comments, string and character literals and preprocessor lines blanked (same length, same lines). */
function blankNonCode(text: string): string {
  return text.replace(/\/\*[\s\S]*?\*\/|\/\/[^\n]*|"(?:\\.|[^"\\\n])*"|'(?:\\.|[^'\\\n])*'|^[ \t]*#(?:[^\n]*\\\n)*[^\n]*/gm, (m) => m.replace(/[^\n]/g, ' '));
}
