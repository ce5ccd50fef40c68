// Kernel features that the lock model depends on, decided from the tree under analysis (never from
// a version number: distributions backport). Read once per run from the tree's
// include/linux/mm_types.h, struct vm_area_struct:
// - is `vm_flags` const (6.3 on: changed only through vm_flags_set/clear/mod/reset()), or a plain
//   field written directly under the mmap write lock (6.1)?
// - has the VMA a lock of its own (6.4 on: a vm_lock, vm_lock_seq or vm_refcnt field)? Without
//   one there is no per-VMA lock to take, leak or order against the mmap lock.
// Without a kernel root (a file outside a tree, the fixtures), or where the header does not say,
// the facts are those of the kernels the knowledge base was written from (6.12).

import { readFileSync } from 'node:fs';
import path from 'node:path';
import { readConstantDefinitions } from './engine/named-constants.js';

export interface TreeFacts {
  /** `vma->vm_flags` is read-only (a const member): writes go through the vm_flags_*() helpers. */
  vmFlagsReadOnly: boolean;
  /** VMAs have a lock of their own (per-VMA locks: lock_vma_under_rcu(), vma_start_read()). */
  perVmaLocks: boolean;
}

/** A kernel feature a rule needs (RuleMeta.treeFeature). */
export type TreeFeature = keyof TreeFacts;

/** The facts of an unknown tree. */
export const DEFAULT_TREE_FACTS: Readonly<TreeFacts> = { vmFlagsReadOnly: true, perVmaLocks: true };

/** The header the facts are read from, relative to the kernel root. */
export const TREE_FACTS_HEADER = 'include/linux/mm_types.h';

/** Fields of struct vm_area_struct that are (part of) its own lock, in one kernel or another. */
const VMA_LOCK_FIELDS = /\b(?:vm_lock|vm_lock_seq|vm_refcnt)\b/;

/** The headers whose named integer constants (VM_FAULT_*, FOLL_*, VM_*) the dataflow may evaluate. */
export const TREE_CONSTANT_HEADERS = ['include/linux/mm_types.h', 'include/linux/mm.h'];

export interface TreeFactsRead {
  facts: TreeFacts;
  /** The header read, or null when there was none (no root, no header, no struct in it). */
  file: string | null;
  /** What differs from an unknown tree, one sentence each (the run says so in notes). */
  differences: string[];
}

/** The facts of the tree at `root` (an unknown tree's when null). */
export function readTreeFacts(root: string | null): TreeFactsRead {
  const unknown: TreeFactsRead = { facts: { ...DEFAULT_TREE_FACTS }, file: null, differences: [] };
  if (!root) return unknown;
  const file = path.join(root, TREE_FACTS_HEADER);
  let text: string;
  try {
    text = readFileSync(file, 'latin1');
  } catch {
    return unknown;
  }
  const body = structBody(text, 'vm_area_struct');
  if (body === null) return unknown;
  const facts = factsOfVmaStruct(body);
  const differences: string[] = [];
  if (!facts.vmFlagsReadOnly) differences.push('`vm_flags` of struct vm_area_struct is a plain field: writing it directly needs the mmap write lock, like vm_start');
  if (!facts.perVmaLocks) differences.push('struct vm_area_struct has no lock of its own (no vm_lock, vm_lock_seq or vm_refcnt field): the tree has no per-VMA locks');
  return { facts, file, differences };
}

/** The named constants of the tree's mm headers (none where a header cannot be read). */
export function readTreeConstants(root: string): Record<string, string> {
  const out: Record<string, string> = {};
  for (const header of TREE_CONSTANT_HEADERS) {
    let text: string;
    try {
      text = readFileSync(path.join(root, header), 'latin1');
    } catch {
      continue;
    }
    for (const [name, value] of readConstantDefinitions(text)) if (!(name in out)) out[name] = value;
  }
  return out;
}

/** The facts a struct vm_area_struct body (comments and directives removed) shows. */
export function factsOfVmaStruct(body: string): TreeFacts {
  const members = body.split(/[;{}]/).map((m) => m.replace(/\s+/g, ' ').trim());
  // `const vm_flags_t vm_flags`, `unsigned long vm_flags`: the member declaring vm_flags.
  const flags = members.find((m) => /\bvm_flags$/.test(m));
  return {
    vmFlagsReadOnly: flags === undefined || /(^|\s)const\s/.test(flags),
    perVmaLocks: VMA_LOCK_FIELDS.test(body),
  };
}

/** The text between the braces of `struct tag { ... }` (the first definition), without comments and preprocessor lines. */
export function structBody(text: string, tag: string): string | null {
  const clean = text.replace(/\/\*[\s\S]*?\*\//g, ' ').replace(/\/\/[^\n]*/g, '').replace(/^[ \t]*#.*(?:\\\n.*)*$/gm, '');
  const m = new RegExp(`\\bstruct\\s+${tag}\\s*\\{`).exec(clean);
  if (!m) return null;
  let depth = 0;
  for (let i = m.index + m[0].length - 1; i < clean.length; i++) {
    if (clean[i] === '{') depth++;
    else if (clean[i] === '}' && --depth === 0) return clean.slice(m.index + m[0].length, i);
  }
  return null;
}
