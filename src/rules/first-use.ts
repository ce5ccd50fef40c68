// Shared by the rules about a VMA lookup's result (unchecked-vma-lookup, find-vma-range): one
// finding per lookup, at its first bad use. The later uses of the same unchecked pointer follow
// from the same missing check, and a function's paths reach one use many times.
import type { AstNode } from '../parse/ast.js';
import type { PointerFact } from '../engine/events.js';

/** Identity of one lookup: the pointer's key and where the lookup call stands. */
export function lookupId(key: string, p: Pick<PointerFact, 'origin'>): string {
  return `${key}@${p.origin.line}:${p.origin.column}`;
}

/** Of uses found on any path, the first one (in the source) of each lookup. */
export function firstUsePerLookup<T extends { lookup: string; at: AstNode }>(uses: Iterable<T>): T[] {
  const first = new Map<string, T>();
  for (const u of uses) {
    const prior = first.get(u.lookup);
    if (!prior || u.at.start < prior.at.start) first.set(u.lookup, u);
  }
  return [...first.values()];
}
