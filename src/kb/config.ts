// Project configuration (`.vmalint.json`: rules on/off and their severity, the files to take or
// leave, macros, knowledge-base entries for out-of-tree wrappers) and summary files (summaries
// another run wrote: --summaries-out / --summaries-in).
// Everything read here is validated; a problem is reported with the file and the key path
// (`.vmalint.json: functions.drv_lock.lock[0].class: ...`). The formats are documented in
// docs/summaries-format.md.
//
// Nothing here touches the module-level table of src/kb/lock-api.ts: the entries are handed to
// the run (AnalyzeOptions.config), so that runs in one process never see each other's config.

import { LOCK_CLASSES, classesEndingWith } from './lock-classes.js';
import { KERNEL_LOCK_KINDS } from './kernel-locks.js';
import { TRACE_KINDS, type LockOrderEdge, type TraceKind } from '../types.js';
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { nearestAncestor } from '../ancestors.js';
import type { ApiEntry, FailureStyle, KernelLockEffect, LockClass, LockCondition, LockEffect, LockMode, LockRequirement, LockTarget } from './lock-api.js';
import { jsonErrorText } from '../json-error.js';

export const CONFIG_FILE_NAME = '.vmalint.json';

/** A configuration or summary file that cannot be used: the message names the file and the key. */
export class ConfigError extends Error {
  /** `problem` follows the file's name (`functions.f.lock[0].mode: missing`); the CLI shows the file relative. */
  constructor(
    readonly file: string,
    readonly problem: string,
  ) {
    super(`${file}: ${problem}`);
    this.name = 'ConfigError';
  }
}

/** The first `.vmalint.json` in `cwd` or one of its parents, or null. */
export function findConfig(cwd: string): string | null {
  return nearestAncestor(cwd, (dir) => {
    const candidate = path.join(dir, CONFIG_FILE_NAME);
    return existsSync(candidate) ? candidate : null;
  });
}

function readJson(file: string): unknown {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    const reason = code === 'ENOENT' ? 'no such file' : code === 'EISDIR' ? 'is a directory' : code ?? String(error);
    throw new ConfigError(file, `cannot read: ${reason}`);
  }
  if (text.charCodeAt(0) === 0xfeff) text = text.slice(1);
  try {
    return JSON.parse(text);
  } catch (error) {
    throw new ConfigError(file, `not valid JSON: ${jsonErrorText(error, text)}`);
  }
}

type Json = Record<string, unknown>;

function isObject(v: unknown): v is Json {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

const C_NAME = /^[A-Za-z_]\w*$/;

/** `at.key`, or `at["odd key"]` when the key is not a plain name; a bare key at the top level. */
function child(at: string, key: string): string {
  if (!/^[A-Za-z_$][\w$-]*$/.test(key)) return `${at}[${JSON.stringify(key)}]`;
  return at ? `${at}.${key}` : key;
}

/** Type checks that throw a ConfigError naming the file and the key path. */
class Checker {
  constructor(private readonly file: string) {}

  fail(at: string, problem: string): never {
    throw new ConfigError(this.file, `${at || '(top level)'}: ${problem}`);
  }

  object(v: unknown, at: string): Json {
    if (!isObject(v)) this.fail(at, `expected an object, got ${describe(v)}`);
    return v;
  }

  array(v: unknown, at: string, what: string): unknown[] {
    if (!Array.isArray(v)) this.fail(at, `expected a list of ${what}, got ${describe(v)}`);
    return v;
  }

  keys(o: Json, at: string, allowed: readonly string[]): void {
    for (const k of Object.keys(o)) {
      if (!allowed.includes(k)) this.fail(child(at, k), `unknown key (expected one of: ${allowed.join(', ')})`);
    }
  }

  required(o: Json, key: string, at: string): unknown {
    if (o[key] === undefined) this.fail(child(at, key), 'missing');
    return o[key];
  }

  oneOf<T extends string>(v: unknown, at: string, allowed: readonly T[]): T {
    if (typeof v !== 'string' || !(allowed as readonly string[]).includes(v)) {
      this.fail(at, `expected one of: ${allowed.map((a) => JSON.stringify(a)).join(', ')}; got ${describe(v)}`);
    }
    return v as T;
  }

  bool(v: unknown, at: string): boolean {
    if (typeof v !== 'boolean') this.fail(at, `expected true or false, got ${describe(v)}`);
    return v;
  }

  string(v: unknown, at: string): string {
    if (typeof v !== 'string') this.fail(at, `expected a string, got ${describe(v)}`);
    return v;
  }

  /** A whole number in [min, max]. */
  integer(v: unknown, at: string, min = 0, max = Number.MAX_SAFE_INTEGER): number {
    if (typeof v !== 'number' || !Number.isInteger(v) || v < min || v > max) {
      this.fail(at, `expected a whole number${max < Number.MAX_SAFE_INTEGER ? ` from ${min} to ${max}` : min > 0 ? ` of at least ${min}` : ''}, got ${describe(v)}`);
    }
    return v;
  }

  index(v: unknown, at: string): number {
    if (typeof v !== 'number' || !Number.isInteger(v) || v < 0 || v > 31) this.fail(at, `expected an argument index (0, 1, 2, ...), got ${describe(v)}`);
    return v;
  }

  indexes(v: unknown, at: string): number[] {
    return this.array(v, at, 'argument indexes').map((x, i) => this.index(x, `${at}[${i}]`));
  }

  /** A lock path written in a config file: `$->field` (repeatable) or `*$`. */
  lockPath(v: unknown, at: string): string {
    const s = this.string(v, at);
    if (!/^(\*\$|\$(->[A-Za-z_]\w*)+)$/.test(s)) this.fail(at, `expected "$->field" (a field of the argument, e.g. "$->vm_mm") or "*$" (what the argument points to), got ${JSON.stringify(s)}`);
    return s;
  }

  /** A lock path computed by a summary: an expression in which `$` stands for the argument. */
  computedPath(v: unknown, at: string): string {
    const s = this.string(v, at);
    if (s.split('$').length !== 2) this.fail(at, `expected an expression with one "$" standing for the argument, got ${JSON.stringify(s)}`);
    return s;
  }
}

function describe(v: unknown): string {
  if (v === null) return 'null';
  if (Array.isArray(v)) return 'a list';
  if (typeof v === 'object') return 'an object';
  if (typeof v === 'string') return JSON.stringify(v.length > 40 ? `${v.slice(0, 40)}...` : v);
  return String(v);
}

// ---------------------------------------------------------------------------------------------
// The configuration file

const OPS: readonly LockEffect['op'][] = ['acquire', 'release', 'downgrade', 'assert', 'forget'];
const MODES: readonly LockMode[] = ['read', 'write'];
const CONFIG_WHENS: readonly LockCondition[] = ['always', 'ret-zero', 'ret-true', 'ret-nonnull'];
const FAILS: readonly FailureStyle[] = ['zero-ok', 'true-ok', 'null-fail', 'errptr-fail', 'null-or-errptr-fail'];

const TOP_KEYS = ['rules', 'include', 'exclude', 'defines', 'undefines', 'functions', 'comment'] as const;
const RULE_STATES = ['off', 'on', 'error', 'warning', 'note'] as const;
export type RuleState = (typeof RULE_STATES)[number];
const FUNCTION_FLAGS = ['mayFault', 'returnsNullable', 'returnsVma', 'mayStartAbove', 'noreturn'] as const;
const FUNCTION_KEYS = ['lock', ...FUNCTION_FLAGS, 'fails', 'derefsArgs', 'modifiesVma', 'comment'] as const;
const LOCK_KEYS = ['class', 'op', 'mode', 'arg', 'path', 'when', 'trylock'] as const;

/** One lock effect of the config (`{ "class", "op", "mode", "arg", "path", "when", "trylock" }`). */
function configLockEffect(c: Checker, v: unknown, at: string): LockEffect {
  const o = c.object(v, at);
  c.keys(o, at, LOCK_KEYS);
  const lock = c.oneOf(c.required(o, 'class', at), child(at, 'class'), LOCK_CLASSES);
  const op = c.oneOf(c.required(o, 'op', at), child(at, 'op'), OPS);
  let mode = o['mode'] === undefined ? undefined : c.oneOf(o['mode'], child(at, 'mode'), MODES);
  const arg = o['arg'] ?? 0;
  const target: LockTarget = arg === 'ret' || arg === 'all' ? arg : c.index(arg, child(at, 'arg'));
  const when = o['when'] === undefined ? 'always' : c.oneOf(o['when'], child(at, 'when'), CONFIG_WHENS);

  // What the engine could not make sense of is refused here, with the reason.
  if (op === 'acquire' && mode === undefined && lock !== 'vma-write') c.fail(child(at, 'mode'), 'missing: an "acquire" says which mode it takes ("read" or "write")');
  if (lock === 'vma-write') {
    if (mode === 'read') c.fail(child(at, 'mode'), 'a "vma-write" lock is a write lock (leave "mode" out or write "write")');
    if (op === 'downgrade' || op === 'release') c.fail(child(at, 'op'), 'a "vma-write" lock is never released or downgraded by a call: it ends with the mmap write lock');
    mode = 'write';
  }
  if (op === 'downgrade') {
    if (lock !== 'mmap') c.fail(child(at, 'class'), 'only the mmap lock is downgraded');
    if (mode !== undefined) c.fail(child(at, 'mode'), 'a "downgrade" goes from write to read: leave "mode" out');
  }
  if (target === 'ret' && (lock !== 'vma' || op !== 'acquire')) c.fail(child(at, 'arg'), '"ret" is for a function that returns a locked VMA (class "vma", op "acquire")');
  if (target === 'all' && op !== 'forget') c.fail(child(at, 'arg'), '"all" is for a function that may release every lock of the class (op "forget")');
  if (op === 'forget' && mode !== undefined) c.fail(child(at, 'mode'), 'a "forget" makes the lock state unknown whatever the mode: leave "mode" out');

  const effect: LockEffect = { lock, op, target, when };
  if (mode !== undefined) effect.mode = mode;
  if (o['path'] !== undefined) {
    if (typeof target !== 'number') c.fail(child(at, 'path'), `a path applies to an argument, not to "${target}"`);
    effect.path = c.lockPath(o['path'], child(at, 'path'));
  }
  if (o['trylock'] !== undefined && c.bool(o['trylock'], child(at, 'trylock'))) {
    if (op !== 'acquire') c.fail(child(at, 'trylock'), 'only an "acquire" can be a trylock');
    effect.trylock = true;
  }
  // As with mmap_write_unlock() and mmap_write_downgrade(): the locks that end with the write lock
  // of the class (VMA write locks, with the mmap write lock) end with the call.
  const ends = classesEndingWith(lock).some((d) => d.endsWith!.mode === 'write');
  if (ends && (op === 'downgrade' || (op === 'release' && mode !== 'read'))) effect.endsVmaWriteLocks = true;
  return effect;
}

/** What a `.vmalint.json` says. */
export interface ProjectConfig {
  file: string;
  /** Rule id: "off", "on" (its own severity) or the severity its findings get. */
  rules: Record<string, RuleState>;
  /** Globs (relative to the file's directory) the files found in directories must match, and must not. */
  include: string[];
  exclude: string[];
  /** `NAME` or `NAME=VALUE`, as -D takes them; names, as -U takes them. The command line wins. */
  defines: string[];
  undefines: string[];
  /** Knowledge-base entries: an entry replaces a built-in one of the same name for the run. */
  functions: ApiEntry[];
}

const MACRO = /^[A-Za-z_]\w*(=.*)?$/;

/**
 * A `.vmalint.json`:
 * `{ "rules": { "raw-mmap-rwsem": "off", "find-vma-range": "error" }, "include": ["mm/**"], "exclude": ["mm/kasan/**"],
 *    "defines": ["CONFIG_PER_VMA_LOCK"], "undefines": [], "functions": { "name": { "lock": [...], "mayFault": true } } }`.
 * `knownRules` are the rule ids a "rules" key may name.
 */
export function loadConfig(file: string, knownRules: readonly string[]): ProjectConfig {
  const c = new Checker(file);
  const root = c.object(readJson(file), '');
  c.keys(root, '', TOP_KEYS);
  if (root['comment'] !== undefined) c.string(root['comment'], 'comment');
  const rules: Record<string, RuleState> = {};
  for (const [id, state] of Object.entries(c.object(root['rules'] ?? {}, 'rules'))) {
    if (!knownRules.includes(id)) c.fail(child('rules', id), `unknown rule (expected one of: ${knownRules.join(', ')})`);
    rules[id] = state === true ? 'on' : state === false ? 'off' : c.oneOf(state, child('rules', id), RULE_STATES);
  }
  const strings = (key: string, what: string, check?: (v: string, at: string) => void): string[] =>
    c.array(root[key] ?? [], key, what).map((v, i) => {
      const value = c.string(v, `${key}[${i}]`);
      check?.(value, `${key}[${i}]`);
      return value;
    });
  const include = strings('include', 'globs');
  const exclude = strings('exclude', 'globs');
  const defines = strings('defines', 'macros (NAME or NAME=VALUE)', (v, at) => MACRO.test(v) || c.fail(at, `expected NAME or NAME=VALUE, got ${describe(v)}`));
  const undefines = strings('undefines', 'macro names', (v, at) => C_NAME.test(v) || c.fail(at, `expected a macro name, got ${describe(v)}`));
  return { file, rules, include, exclude, defines, undefines, functions: configFunctions(c, root, file) };
}

/** The "functions" of a config file: knowledge-base entries. */
function configFunctions(c: Checker, root: Json, file: string): ApiEntry[] {
  const functions = c.object(root['functions'] ?? {}, 'functions');
  const out: ApiEntry[] = [];
  for (const [name, value] of Object.entries(functions)) {
    const at = child('functions', name);
    if (!C_NAME.test(name)) c.fail(at, 'not a C function name');
    const o = c.object(value, at);
    c.keys(o, at, FUNCTION_KEYS);
    if (o['comment'] !== undefined) c.string(o['comment'], child(at, 'comment'));
    const entry: ApiEntry = { name, source: { kind: 'config', file } };
    if (o['lock'] !== undefined) {
      entry.lock = c.array(o['lock'], child(at, 'lock'), 'lock effects').map((e, i) => configLockEffect(c, e, `${child(at, 'lock')}[${i}]`));
    }
    for (const flag of FUNCTION_FLAGS) {
      if (o[flag] !== undefined && c.bool(o[flag], child(at, flag))) entry[flag] = true;
    }
    if (o['fails'] !== undefined) entry.fails = c.oneOf(o['fails'], child(at, 'fails'), FAILS);
    if (o['derefsArgs'] !== undefined) entry.derefsArgs = c.indexes(o['derefsArgs'], child(at, 'derefsArgs'));
    if (o['modifiesVma'] !== undefined) entry.modifiesVma = c.indexes(o['modifiesVma'], child(at, 'modifiesVma'));
    if (entry.mayStartAbove && !entry.returnsVma) c.fail(child(at, 'mayStartAbove'), 'is about a returned VMA: add "returnsVma": true');
    if (entry.lock?.some((e) => e.target === 'ret') && !entry.returnsVma) c.fail(child(at, 'lock'), 'a lock on the returned VMA ("arg": "ret") needs "returnsVma": true');
    // A nullable result is a failure the caller checks (for the branch on it and for stale-cannot-fail).
    if (entry.returnsNullable && !entry.fails) entry.fails = 'null-fail';
    out.push(entry);
  }
  return out;
}

// ---------------------------------------------------------------------------------------------
// Summary files

export const SUMMARY_FILE_KIND = 'function-summaries';

/**
 * The JSON text of a summaries file (--summaries-out). Only functions another run can call by
 * name are written (not `<anonymous>` definitions the parser could not name, not `file#name` statics).
 */
export function formatSummaries(summaries: Record<string, ApiEntry>, version: string, lockOrder: readonly LockOrderEdge[] = []): string {
  const callable: Record<string, ApiEntry> = {};
  for (const [name, entry] of Object.entries(summaries)) if (C_NAME.test(name)) callable[name] = entry;
  // The lock order the run's code shows (src/engine/lock-order.ts): a shard judges its findings with every shard's.
  return `${JSON.stringify({ vmalint: version, kind: SUMMARY_FILE_KIND, summaries: callable, ...(lockOrder.length ? { lockOrder } : {}) }, null, 1)}\n`;
}

type Step = { file: string; line: number; column: number; message: string; kind?: TraceKind };

function step(c: Checker, v: unknown, at: string): Step {
  const o = c.object(v, at);
  c.keys(o, at, ['file', 'line', 'column', 'message', 'kind']);
  const out: Step = {
    file: c.string(c.required(o, 'file', at), child(at, 'file')),
    line: c.integer(c.required(o, 'line', at), child(at, 'line'), 1),
    column: c.integer(c.required(o, 'column', at), child(at, 'column'), 1),
    message: c.string(c.required(o, 'message', at), child(at, 'message')),
  };
  if (o['kind'] !== undefined) out.kind = c.oneOf(o['kind'], child(at, 'kind'), TRACE_KINDS);
  return out;
}

function steps(c: Checker, v: unknown, at: string): Step[] {
  return c.array(v, at, 'steps').map((s, i) => step(c, s, `${at}[${i}]`));
}

const V_BITS_MAX = 15;

/** Names of integer constants (a mask: `VM_FAULT_RETRY`, `VM_FAULT_COMPLETED`). */
function constantNames(c: Checker, v: unknown, at: string): string[] {
  return c.array(v, at, 'constant names').map((f, i) => {
    const name = c.string(f, `${at}[${i}]`);
    if (!C_NAME.test(name)) c.fail(`${at}[${i}]`, 'not a C name');
    return name;
  });
}
/** A failure condition's bits may also say the parameter selects a case (V_SELECTED = 32, see src/engine/events.ts). */
const WHEN_BITS_MAX = V_BITS_MAX | 32;

/**
 * Checks of every field of ApiEntry, LockEffect and LockRequirement as a summary file holds them.
 * The mapped types make a field added to those interfaces a compile error here until it is checked.
 */
type FieldChecks<T> = { [K in keyof Required<T>]: (c: Checker, v: unknown, at: string) => T[K] };

const EFFECT_FIELDS: FieldChecks<LockEffect> = {
  lock: (c, v, at) => c.oneOf(v, at, LOCK_CLASSES),
  op: (c, v, at) => c.oneOf(v, at, OPS),
  mode: (c, v, at) => c.oneOf(v, at, MODES),
  // A computed summary may also act on the current task's mm (`current->mm`).
  target: (c, v, at) => (v === 'ret' || v === 'all' || v === 'current' ? v : c.index(v, at)),
  when: (c, v, at) => c.oneOf(v, at, [...CONFIG_WHENS, 'ret-bits', 'ret-mask', 'flag-out', 'either']),
  rawRwsem: (c, v, at) => c.bool(v, at),
  trylock: (c, v, at) => c.bool(v, at),
  annotation: (c, v, at) => c.bool(v, at),
  okBits: (c, v, at) => c.integer(v, at, 0, V_BITS_MAX),
  retMask: (c, v, at) => constantNames(c, v, at),
  retMaskExcludes: (c, v, at) => constantNames(c, v, at),
  ifArgBits: (c, v, at) => {
    const o = c.object(v, at);
    c.keys(o, at, ['arg', 'mask', 'known']);
    const known = o['known'] === undefined ? {} : { known: c.bool(o['known'], child(at, 'known')) };
    return { arg: c.index(c.required(o, 'arg', at), child(at, 'arg')), mask: constantNames(c, c.required(o, 'mask', at), child(at, 'mask')), ...known };
  },
  heldAtCall: (c, v, at) => c.bool(v, at),
  unlessHeldAtCall: (c, v, at) => c.bool(v, at),
  path: (c, v, at) => c.computedPath(v, at),
  endsVmaWriteLocks: (c, v, at) => c.bool(v, at),
  ifFlagSet: (c, v, at) => c.index(v, at),
  flag: (c, v, at) => c.index(v, at),
  flagBits: (c, v, at) => c.integer(v, at, 1, V_BITS_MAX),
  flagKept: (c, v, at) => c.bool(v, at),
  flagOtherBits: (c, v, at) => c.integer(v, at, 1, V_BITS_MAX),
  ifFlag: (c, v, at) => {
    const o = c.object(v, at);
    const { exact, ...rest } = o;
    const flag = fieldFlag(c, rest, at, 'set', (x, a) => c.bool(x, a));
    return exact === undefined ? flag : { ...flag, exact: c.bool(exact, child(at, 'exact')) };
  },
  via: (c, v, at) => steps(c, v, at),
};

const REQUIREMENT_FIELDS: FieldChecks<LockRequirement> = {
  lock: (c, v, at) => c.oneOf(v, at, LOCK_CLASSES),
  mode: (c, v, at) => c.oneOf(v, at, MODES),
  target: (c, v, at) => c.index(v, at),
  path: (c, v, at) => c.computedPath(v, at),
  at: (c, v, at) => step(c, v, at),
  because: (c, v, at) => c.oneOf(v, at, ['write'] as const),
  via: (c, v, at) => steps(c, v, at),
};

const KERNEL_LOCK_EFFECT_FIELDS: FieldChecks<KernelLockEffect> = {
  op: (c, v, at) => c.oneOf(v, at, ['acquire', 'release', 'drop'] as const),
  kind: (c, v, at) => c.oneOf(v, at, KERNEL_LOCK_KINDS),
  mode: (c, v, at) => c.oneOf(v, at, ['read', 'write'] as const),
  cls: (c, v, at) => (v === null ? null : c.string(v, at)),
  target: (c, v, at) => (v === -1 ? -1 : c.index(v, at)),
  path: (c, v, at) => c.string(v, at),
};

const ENTRY_FIELDS: FieldChecks<ApiEntry> = {
  name: (c, v, at) => {
    const name = c.string(v, at);
    if (!C_NAME.test(name)) c.fail(at, 'not a C function name');
    return name;
  },
  lock: (c, v, at) => c.array(v, at, 'lock effects').map((e, i) => record(c, e, `${at}[${i}]`, EFFECT_FIELDS, ['lock', 'op', 'target', 'when'])),
  mayFault: (c, v, at) => c.bool(v, at),
  returnsNullable: (c, v, at) => c.bool(v, at),
  mayStartAbove: (c, v, at) => c.bool(v, at),
  returnsVma: (c, v, at) => c.bool(v, at),
  fails: (c, v, at) => c.oneOf(v, at, FAILS),
  documentedNoFailure: (c, v, at) => c.bool(v, at),
  failsWhen: (c, v, at) => argumentConditions(c, v, at),
  faultsWhen: (c, v, at) => argumentConditions(c, v, at),
  faultsWithBits: (c, v, at) =>
    c.array(v, at, 'argument bits').map((b, i) => {
      const where = `${at}[${i}]`;
      const o = c.object(b, where);
      c.keys(o, where, ['arg', 'atoms']);
      const atoms = c.array(c.required(o, 'atoms', where), child(where, 'atoms'), 'bits').map((a, j) => c.string(a, `${child(where, 'atoms')}[${j}]`));
      return { arg: c.index(c.required(o, 'arg', where), child(where, 'arg')), atoms };
    }),
  derefsArgs: (c, v, at) => c.indexes(v, at),
  flagStaysClear: (c, v, at) => c.indexes(v, at),
  leavesFlags: (c, v, at) => c.array(v, at, 'flags').map((f, i) => fieldFlag(c, f, `${at}[${i}]`, 'bits', (x, a) => c.integer(x, a, 1, V_BITS_MAX))),
  noreturn: (c, v, at) => c.bool(v, at),
  pagefault: (c, v, at) => c.oneOf(v, at, ['disable', 'enable'] as const),
  rcuRead: (c, v, at) => c.oneOf(v, at, ['enter', 'leave'] as const),
  treeEntry: (c, v, at) => c.bool(v, at),
  assertsFalseArg: (c, v, at) => c.index(v, at),
  lastUser: (c, v, at) => c.index(v, at),
  transparent: (c, v, at) => c.bool(v, at),
  trueOnlyWithBits: (c, v, at) => {
    const o = c.object(v, at);
    c.keys(o, at, ['arg', 'mask']);
    return { arg: c.index(c.required(o, 'arg', at), child(at, 'arg')), mask: constantNames(c, c.required(o, 'mask', at), child(at, 'mask')) };
  },
  check: (c, v, at) => c.oneOf(v, at, ['debug', 'evaluated'] as const),
  errorTest: (c, v, at) => c.oneOf(v, at, ['err', 'err-or-null'] as const),
  rangeCheck: (c, v, at) => c.bool(v, at),
  modifiesVma: (c, v, at) => c.indexes(v, at),
  wrapper: (c, v, at) => c.string(v, at),
  freshVma: (c, v, at) => c.bool(v, at),
  atomicFlag: (c, v, at) => {
    const o = c.object(v, at);
    c.keys(o, at, ['flag', 'allowedBy']);
    return { flag: c.index(c.required(o, 'flag', at), child(at, 'flag')), allowedBy: c.string(c.required(o, 'allowedBy', at), child(at, 'allowedBy')) };
  },
  allowedFlags: (c, v, at) => c.array(v, at, 'flag names').map((f, i) => c.string(f, `${at}[${i}]`)),
  returns: (c, v, at) => c.integer(v, at, 0, V_BITS_MAX),
  requires: (c, v, at) => c.array(v, at, 'lock requirements').map((r, i) => record(c, r, `${at}[${i}]`, REQUIREMENT_FIELDS, ['lock', 'target'])),
  takesMmapLock: (c, v, at) => steps(c, v, at),
  takesMmapLockOf: (c, v, at) => {
    const o = c.object(v, at);
    c.keys(o, at, ['target', 'path']);
    const target = c.index(c.required(o, 'target', at), child(at, 'target'));
    return o['path'] === undefined ? { target } : { target, path: c.computedPath(o['path'], child(at, 'path')) };
  },
  takesMmapLockWhen: (c, v, at) => argumentConditions(c, v, at),
  faultVia: (c, v, at) => steps(c, v, at),
  failureAt: (c, v, at) => steps(c, v, at),
  acquires: (c, v, at) =>
    c.array(v, at, 'acquired lock classes').map((a, i) => {
      const where = `${at}[${i}]`;
      const o = c.object(a, where);
      c.keys(o, where, ['cls', 'via', 'when']);
      const acquired = { cls: c.string(c.required(o, 'cls', where), child(where, 'cls')), via: steps(c, c.required(o, 'via', where), child(where, 'via')) };
      return o['when'] === undefined ? acquired : { ...acquired, when: argumentConditions(c, o['when'], child(where, 'when')) };
    }),
  atomicSection: (c, v, at) => c.oneOf(v, at, ['enter', 'leave', 'drop'] as const),
  kernelLocks: (c, v, at) => c.array(v, at, 'kernel lock effects').map((e, i) => record(c, e, `${at}[${i}]`, KERNEL_LOCK_EFFECT_FIELDS, ['op', 'kind', 'mode', 'cls', 'target', 'path'])),
  source: (c, v, at) => {
    const o = c.object(v, at);
    c.keys(o, at, ['kind', 'file', 'line']);
    const source: NonNullable<ApiEntry['source']> = { kind: c.oneOf(c.required(o, 'kind', at), child(at, 'kind'), ['kb', 'config', 'summary'] as const) };
    if (o['file'] !== undefined) source.file = c.string(o['file'], child(at, 'file'));
    if (o['line'] !== undefined) source.line = c.integer(o['line'], child(at, 'line'), 1);
    return source;
  },
};

/** A list of conditions on the arguments (failsWhen, faultsWhen): argument index -> V_* bits. */
function argumentConditions(c: Checker, v: unknown, at: string): Record<number, number>[] {
  return c.array(v, at, 'argument conditions').map((w, i) => {
    const o = c.object(w, `${at}[${i}]`);
    const out: Record<number, number> = {};
    for (const [k, bits] of Object.entries(o)) out[c.index(Number(k), `${at}[${i}].${k}`)] = c.integer(bits, `${at}[${i}].${k}`, 1, WHEN_BITS_MAX);
    return out;
  });
}

/** `{ target, path, <extra> }`: a flag at a path from an argument. */
function fieldFlag<K extends string, V>(c: Checker, v: unknown, at: string, extra: K, check: (x: unknown, at: string) => V): { target: number; path: string } & Record<K, V> {
  const o = c.object(v, at);
  c.keys(o, at, ['target', 'path', extra]);
  const target = c.index(c.required(o, 'target', at), child(at, 'target'));
  const path = c.computedPath(c.required(o, 'path', at), child(at, 'path'));
  return { target, path, [extra]: check(c.required(o, extra, at), child(at, extra)) } as { target: number; path: string } & Record<K, V>;
}

/** An object whose keys are all known fields, each checked, with the required ones present. */
function record<T>(c: Checker, v: unknown, at: string, fields: FieldChecks<T>, required: readonly (keyof T & string)[]): T {
  const o = c.object(v, at);
  const known = Object.keys(fields);
  c.keys(o, at, known);
  for (const key of required) c.required(o, key, at);
  const out: Record<string, unknown> = {};
  for (const key of known) {
    if (o[key] === undefined) continue;
    out[key] = (fields as Record<string, (c: Checker, v: unknown, at: string) => unknown>)[key]!(c, o[key], child(at, key));
  }
  return out as T;
}

/**
 * Keys no call can name, skipped when read: static functions (`file#name`, from the API with
 * staticSummaries) and definitions the parser could not name (`<anonymous>`).
 */
const UNCALLABLE_KEY = /^(.+#[A-Za-z_]\w*|<[\w -]+>)$/;

/**
 * Reads a summaries file written by --summaries-out: `{ "vmalint": VERSION, "kind":
 * "function-summaries", "summaries": { NAME: ApiEntry } }`. Keys no call can name are skipped.
 */
export function loadSummaries(file: string): Record<string, ApiEntry> {
  const c = new Checker(file);
  const root = c.object(readJson(file), '');
  if (root['kind'] !== SUMMARY_FILE_KIND) c.fail('kind', `expected "${SUMMARY_FILE_KIND}" (a file written by vmalint --summaries-out), got ${describe(root['kind'])}`);
  c.keys(root, '', ['vmalint', 'kind', 'summaries', 'lockOrder']);
  c.string(c.required(root, 'vmalint', ''), 'vmalint');
  const summaries = c.object(c.required(root, 'summaries', ''), 'summaries');
  const out: Record<string, ApiEntry> = {};
  for (const [name, value] of Object.entries(summaries)) {
    const at = child('summaries', name);
    if (UNCALLABLE_KEY.test(name)) continue;
    if (!C_NAME.test(name)) c.fail(at, 'not a C function name');
    const entry = record(c, value, at, ENTRY_FIELDS, []);
    if (entry.name !== undefined && entry.name !== name) c.fail(child(at, 'name'), `is ${JSON.stringify(entry.name)}, but the summary is filed under ${JSON.stringify(name)}`);
    out[name] = { ...entry, name };
  }
  return out;
}

/** The summaries of several files, a later file's summary of a name replacing an earlier one's. */
export function loadSummaryFiles(files: readonly string[]): Record<string, ApiEntry> {
  const merged: Record<string, ApiEntry> = {};
  for (const file of files) Object.assign(merged, loadSummaries(file));
  return merged;
}

/** The lock order of summaries files (their `lockOrder`), in file order. */
export function loadLockOrder(files: readonly string[]): LockOrderEdge[] {
  const edges: LockOrderEdge[] = [];
  for (const file of files) {
    const c = new Checker(file);
    const root = c.object(readJson(file), '');
    if (root['lockOrder'] === undefined) continue;
    c.array(root['lockOrder'], 'lockOrder', 'lock-order edges').forEach((e, i) => {
      const at = `lockOrder[${i}]`;
      const o = c.object(e, at);
      c.keys(o, at, ['from', 'to', 'reason', 'evidence']);
      edges.push({
        from: c.string(c.required(o, 'from', at), child(at, 'from')),
        to: c.string(c.required(o, 'to', at), child(at, 'to')),
        reason: c.string(c.required(o, 'reason', at), child(at, 'reason')),
        evidence: steps(c, c.required(o, 'evidence', at), child(at, 'evidence')),
      });
    });
  }
  return edges;
}
