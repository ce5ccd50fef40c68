// Project configuration (`.vmalint.json`) and summary files: knowledge-base entries for
// out-of-tree wrappers, and summaries another run wrote (--summaries-out / --summaries-in).
// Everything read here is validated; a problem is reported with the file and the key path.

import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import type { ApiEntry, FailureStyle, LockClass, LockCondition, LockEffect, LockMode, LockTarget } from './lock-api.js';

export const CONFIG_FILE_NAME = '.vmalint.json';

/** A configuration or summary file that cannot be used: the message names the file and the key. */
export class ConfigError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'ConfigError';
  }
}

/** The first `.vmalint.json` in `cwd` or one of its parents, or null. */
export function findConfig(cwd: string): string | null {
  let dir = path.resolve(cwd);
  for (;;) {
    const candidate = path.join(dir, CONFIG_FILE_NAME);
    if (existsSync(candidate)) return candidate;
    const up = path.dirname(dir);
    if (up === dir) return null;
    dir = up;
  }
}

function readJson(file: string): unknown {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    throw new ConfigError(`${file}: cannot read: ${code === 'ENOENT' ? 'no such file' : code ?? String(error)}`);
  }
  try {
    return JSON.parse(text);
  } catch (error) {
    throw new ConfigError(`${file}: not valid JSON: ${error instanceof Error ? error.message : String(error)}`);
  }
}

type Json = Record<string, unknown>;

function isObject(v: unknown): v is Json {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

class Checker {
  constructor(private readonly file: string) {}

  fail(at: string, problem: string): never {
    throw new ConfigError(`${this.file}: ${at}: ${problem}`);
  }

  object(v: unknown, at: string): Json {
    if (!isObject(v)) this.fail(at, 'expected an object');
    return v;
  }

  keys(o: Json, at: string, allowed: readonly string[]): void {
    for (const k of Object.keys(o)) if (!allowed.includes(k)) this.fail(`${at}.${k}`, `unknown key (expected one of: ${allowed.join(', ')})`);
  }

  oneOf<T extends string>(v: unknown, at: string, allowed: readonly T[]): T {
    if (typeof v !== 'string' || !(allowed as readonly string[]).includes(v)) this.fail(at, `expected one of: ${allowed.map((a) => JSON.stringify(a)).join(', ')}`);
    return v as T;
  }

  bool(v: unknown, at: string): boolean {
    if (typeof v !== 'boolean') this.fail(at, 'expected true or false');
    return v;
  }

  index(v: unknown, at: string): number {
    if (typeof v !== 'number' || !Number.isInteger(v) || v < 0 || v > 31) this.fail(at, 'expected an argument index (0, 1, 2, ...)');
    return v;
  }
}

const FUNCTION_KEYS = ['lock', 'mayFault', 'returnsNullable', 'returnsVma', 'mayStartAbove', 'fails', 'derefsArgs', 'noreturn'] as const;
const LOCK_KEYS = ['class', 'op', 'mode', 'arg', 'when', 'trylock'] as const;
const CLASSES: readonly LockClass[] = ['mmap', 'vma'];
const OPS: readonly LockEffect['op'][] = ['acquire', 'release', 'downgrade', 'assert', 'forget'];
const MODES: readonly LockMode[] = ['read', 'write'];
const WHENS: readonly LockCondition[] = ['always', 'ret-zero', 'ret-true', 'ret-nonnull'];
const FAILS: readonly FailureStyle[] = ['zero-ok', 'true-ok', 'null-fail', 'errptr-fail', 'null-or-errptr-fail'];

function lockEffectOf(c: Checker, v: unknown, at: string): LockEffect {
  const o = c.object(v, at);
  c.keys(o, at, LOCK_KEYS);
  const lock = c.oneOf(o['class'], `${at}.class`, CLASSES);
  const op = c.oneOf(o['op'], `${at}.op`, OPS);
  const mode = o['mode'] === undefined ? undefined : c.oneOf(o['mode'], `${at}.mode`, MODES);
  let target: LockTarget;
  const arg = o['arg'] ?? 0;
  if (arg === 'ret' || arg === 'all') target = arg;
  else target = c.index(arg, `${at}.arg`);
  const when = o['when'] === undefined ? 'always' : c.oneOf(o['when'], `${at}.when`, WHENS);
  if (target === 'ret' && (lock !== 'vma' || op !== 'acquire')) c.fail(`${at}.arg`, '"ret" is for a function that returns a locked VMA (class "vma", op "acquire")');
  const effect: LockEffect = { lock, op, mode, target, when };
  if (o['trylock'] !== undefined && c.bool(o['trylock'], `${at}.trylock`)) effect.trylock = true;
  return effect;
}

/**
 * Knowledge-base entries from a config file:
 * `{ "functions": { "name": { "lock": [{ "class", "op", "mode", "arg", "when" }], "mayFault": true, ... } } }`.
 */
export function loadConfig(file: string): ApiEntry[] {
  const c: Checker = new Checker(file);
  const root = c.object(readJson(file), '(top level)');
  c.keys(root, '(top level)', ['functions']);
  const functions = c.object(root['functions'] ?? {}, 'functions');
  const out: ApiEntry[] = [];
  for (const [name, value] of Object.entries(functions)) {
    const at = `functions.${name}`;
    if (!/^[A-Za-z_]\w*$/.test(name)) c.fail(at, 'not a C function name');
    const o = c.object(value, at);
    c.keys(o, at, FUNCTION_KEYS);
    const entry: ApiEntry = { name, source: { kind: 'config', file } };
    const lock = o['lock'];
    if (lock !== undefined) {
      if (!Array.isArray(lock)) c.fail(`${at}.lock`, 'expected a list of lock effects');
      entry.lock = lock.map((e: unknown, i: number) => lockEffectOf(c, e, `${at}.lock[${i}]`));
    }
    for (const flag of ['mayFault', 'returnsNullable', 'returnsVma', 'mayStartAbove', 'noreturn'] as const) {
      if (o[flag] !== undefined) entry[flag] = c.bool(o[flag], `${at}.${flag}`) || undefined;
    }
    if (o['fails'] !== undefined) entry.fails = c.oneOf(o['fails'], `${at}.fails`, FAILS);
    const derefs = o['derefsArgs'];
    if (derefs !== undefined) {
      if (!Array.isArray(derefs)) c.fail(`${at}.derefsArgs`, 'expected a list of argument indexes');
      entry.derefsArgs = derefs.map((x: unknown, i: number) => c.index(x, `${at}.derefsArgs[${i}]`));
    }
    if (entry.returnsNullable && !entry.fails) entry.fails = 'null-fail';
    out.push(entry);
  }
  return out;
}

export const SUMMARY_FILE_KIND = 'function-summaries';

/** The JSON text of a summaries file (--summaries-out). */
export function formatSummaries(summaries: Record<string, ApiEntry>, version: string): string {
  return `${JSON.stringify({ vmalint: version, kind: SUMMARY_FILE_KIND, summaries }, null, 1)}\n`;
}

/** Reads a summaries file written by --summaries-out. */
export function loadSummaries(file: string): Record<string, ApiEntry> {
  const c: Checker = new Checker(file);
  const root = c.object(readJson(file), '(top level)');
  if (root['kind'] !== SUMMARY_FILE_KIND) c.fail('kind', `expected "${SUMMARY_FILE_KIND}" (a file written by vmalint --summaries-out)`);
  const summaries = c.object(root['summaries'], 'summaries');
  const out: Record<string, ApiEntry> = {};
  for (const [name, value] of Object.entries(summaries)) {
    const at = `summaries.${name}`;
    const o = c.object(value, at);
    const lock = o['lock'];
    if (lock !== undefined) {
      if (!Array.isArray(lock)) c.fail(`${at}.lock`, 'expected a list');
      lock.forEach((e: unknown, i: number) => {
        const eo = c.object(e, `${at}.lock[${i}]`);
        c.oneOf(eo['lock'], `${at}.lock[${i}].lock`, ['mmap', 'vma', 'vma-write']);
        c.oneOf(eo['op'], `${at}.lock[${i}].op`, OPS);
      });
    }
    out[name] = { ...(o as unknown as ApiEntry), name };
  }
  return out;
}
