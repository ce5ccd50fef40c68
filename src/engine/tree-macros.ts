// Facts the kernel tree states as macros rather than code: which VMA flags may be set atomically
// under the mmap read lock (`#define VM_ATOMIC_SET_ALLOWED VM_MAYBE_GUARD` in include/linux/mm.h).
// Read from the tree's headers, never assumed from a version: a tree without the macro allows none.

import { lookupApi, type ApiEntry } from '../kb/lock-api.js';
import type { AstNode } from '../parse/ast.js';
import { stripParens } from '../parse/ast.js';

/** The object-like macro definitions of a header's text (`#define NAME body`), every one of each name. */
export function objectMacros(text: string): Map<string, string[]> {
  const out = new Map<string, string[]>();
  const joined = text.replace(/\\\r?\n/g, ' ');
  for (const m of joined.matchAll(/^[ \t]*#[ \t]*define[ \t]+([A-Za-z_]\w*)(?!\()[ \t]*(.*)$/gm)) {
    const list = out.get(m[1]!) ?? [];
    list.push(m[2]!.replace(/\/\*.*?\*\//g, ' ').replace(/\/\/.*$/, '').trim());
    out.set(m[1]!, list);
  }
  return out;
}

/**
 * The names a macro stands for, through the object-like macros it uses (function-like macro names
 * themselves are left out, their arguments kept): VM_ATOMIC_SET_ALLOWED -> VM_MAYBE_GUARD ->
 * INIT_VM_FLAG(MAYBE_GUARD) gives VM_MAYBE_GUARD and MAYBE_GUARD.
 */
export function macroNames(macros: ReadonlyMap<string, readonly string[]>, name: string): string[] {
  const seen = new Set<string>();
  const names = new Set<string>();
  const visit = (n: string): void => {
    if (seen.has(n)) return;
    seen.add(n);
    for (const body of macros.get(n) ?? []) {
      for (const m of body.matchAll(/([A-Za-z_]\w*)(\s*\()?/g)) {
        if (m[2]) continue;
        names.add(m[1]!);
        visit(m[1]!);
      }
    }
  };
  visit(name);
  return [...names].sort();
}

/** Adds to the header summaries of functions with an `atomicFlag` entry the flags the tree allows. */
export function addAllowedFlags(headers: Map<string, ApiEntry>, headerTexts: readonly string[]): void {
  let macros: Map<string, string[]> | null = null;
  for (const [name, entry] of headers) {
    const kb = lookupApi(name);
    if (!kb?.atomicFlag) continue;
    if (!macros) {
      macros = new Map();
      for (const text of headerTexts) for (const [k, v] of objectMacros(text)) macros.set(k, [...(macros.get(k) ?? []), ...v]);
    }
    if (!macros.has(kb.atomicFlag.allowedBy)) continue;
    headers.set(name, { ...entry, allowedFlags: macroNames(macros, kb.atomicFlag.allowedBy) });
  }
}

/**
 * The arguments a call modifies as a VMA (ApiEntry.modifiesVma), less the VMA of an atomic flag
 * the tree allows (`vma_set_atomic_flag(vma, VMA_MAYBE_GUARD_BIT)`: VM_MAYBE_GUARD is allowed).
 */
export function modifiedVmaArgs(api: ApiEntry | undefined, args: readonly AstNode[]): readonly number[] {
  const modified = api?.modifiesVma ?? [];
  const flag = api?.atomicFlag ? args[api.atomicFlag.flag] : undefined;
  if (!modified.length || !flag || !api?.allowedFlags?.length) return modified;
  const text = stripParens(flag).text;
  const core = /^VMA_(\w+)_BIT$/.exec(text)?.[1];
  const allowed = api.allowedFlags.includes(text) || (core !== undefined && (api.allowedFlags.includes(core) || api.allowedFlags.includes(`VM_${core}`)));
  return allowed ? [] : modified;
}
