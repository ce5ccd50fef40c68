// The call graph: who calls whom, in an order that puts callees first, and what every caller of a
// static function holds at the call (its entry state).

import { calleeName, walk, type AstNode } from '../parse/ast.js';
import type { CallSite, EntryLock, EntryNone, HeldAtCall } from './function.js';
import type { FilePrescan, PrescanFunction } from './prescan.js';
import type { LinkDomains } from './link-domain.js';

/** Strongly connected components of a call graph, callees before callers (Tarjan). */
export function bottomUp(nodes: readonly string[], edges: ReadonlyMap<string, ReadonlySet<string>>): string[][] {
  const index = new Map<string, number>();
  const low = new Map<string, number>();
  const onStack = new Set<string>();
  const stack: string[] = [];
  const out: string[][] = [];
  let next = 0;
  for (const root of nodes) {
    if (index.has(root)) continue;
    // Iterative DFS: deep call chains must not overflow the JS stack.
    const work: { v: string; it: Iterator<string> }[] = [];
    const open = (v: string): void => {
      index.set(v, next);
      low.set(v, next);
      next++;
      stack.push(v);
      onStack.add(v);
      work.push({ v, it: (edges.get(v) ?? new Set<string>()).values() });
    };
    open(root);
    while (work.length) {
      const top = work[work.length - 1];
      const step = top.it.next();
      if (!step.done) {
        const w = step.value;
        if (!edges.has(w)) continue;
        if (!index.has(w)) open(w);
        else if (onStack.has(w)) low.set(top.v, Math.min(low.get(top.v)!, index.get(w)!));
        continue;
      }
      work.pop();
      if (work.length) {
        const parent = work[work.length - 1].v;
        low.set(parent, Math.min(low.get(parent)!, low.get(top.v)!));
      }
      if (low.get(top.v) === index.get(top.v)) {
        const scc: string[] = [];
        let w: string;
        do {
          w = stack.pop()!;
          onStack.delete(w);
          scc.push(w);
        } while (w !== top.v);
        out.push(scc);
      }
    }
  }
  return out;
}

/** Names of the functions a function body calls directly. */
export function calledNames(fn: AstNode): Set<string> {
  const out = new Set<string>();
  walk(fn, (n) => {
    if (n.type === 'call_expression') {
      const name = calleeName(n);
      if (name) out.add(name);
    }
    return true;
  });
  return out;
}

/** Locks held at every call of a static function, on its parameters (what its entry can assume). */
export function entryFromCallers(sites: readonly CallSite[], callee: string): EntryLock[] {
  if (!sites.length || sites.some((s) => s.held.length === 0)) return [];
  const all = sites.flatMap((s) => s.held);
  const sig = (h: HeldAtCall): string => `${h.lock}|${h.target}|${h.path ?? ''}`;
  const common = new Map<string, HeldAtCall>();
  for (const h of all[0]) common.set(sig(h), h);
  for (const held of all.slice(1)) {
    const here = new Map(held.map((h) => [sig(h), h]));
    for (const [k, h] of [...common]) {
      const o = here.get(k);
      if (!o) common.delete(k);
      else if (o.state !== h.state) common.set(k, { ...h, state: 'held' });
    }
  }
  const site = sites[0];
  return [...common.values()].map((h) => {
    const what = h.lock === 'mmap' ? 'mmap' : h.lock === 'vma' ? 'VMA' : 'VMA write';
    const taken = h.origin ? ` (taken at ${h.origin.file === site.step.file ? '' : `${h.origin.file}:`}line ${h.origin.line})` : '';
    const step = { ...site.step, message: `${site.step.message.replace(/ here$/, '')} with the ${what} ${h.state === 'held' ? '' : `${h.state} `}lock of \`${h.display}\` held${taken}${sites.length > 1 ? `, as do its ${sites.length - 1} other call(s)` : ''}: ${callee}() starts with it held` };
    return { lock: h.lock, target: h.target, path: h.path, state: h.state, step, origin: h.origin, display: h.display };
  });
}

/**
 * The lock classes no call of a static function holds any lock of, known from its callers' entry
 * context (a helper of an ioctl, every call of which holds no mmap lock): it starts without them.
 */
export function noneFromCallers(sites: readonly CallSite[], callee: string): EntryNone | undefined {
  if (!sites.length || sites.some((s) => !s.free)) return undefined;
  const classes = sites[0].free!.classes.filter((c) => sites.every((s) => s.free!.classes.includes(c)));
  if (!classes.length) return undefined;
  const site = sites[0];
  const what = classes.map((c) => (c === 'mmap' ? 'mmap lock' : c === 'vma' ? 'VMA lock' : 'VMA write lock')).join(' or ');
  const others = sites.length > 1 ? `, as do its ${sites.length - 1} other call(s)` : '';
  const message = `${site.step.message.replace(/ here$/, '')} here holding no ${what}${others} (${site.free!.why.message}): ${callee}() starts without them`;
  return { classes, step: { ...site.step, message, kind: 'entry' } };
}

/**
 * The files with something to analyse in an order where a file comes after the files defining
 * what its functions call (as far as cycles allow): fewer files need a second analysis. Every
 * function of the file counts, not only those analysed now: one a callee's summary makes needed
 * later (Demand.activate()) is then taken at its file's turn, not in another round. Every
 * definition a call may reach counts, not only the first: generic code's call of a function each
 * architecture defines has its answer only once all of them are analysed. On the whole 6.12 tree,
 * two workers: 65.0-66.1 s -> 58.7-59.9 s, the same findings.
 * The others follow in the order given (one of them is analysed only if a summary found on the way
 * makes a function of it needed).
 */
export function calleesFirst<S extends { path: string }>(
  sources: readonly S[],
  prescans: ReadonlyMap<string, FilePrescan>,
  needed: (file: string) => readonly PrescanFunction[] | null,
  domains: LinkDomains | null = null,
): S[] {
  const analyzed = sources.filter((src) => needed(src.path)?.length !== 0);
  /** The files defining each name non-static among their analysed functions (a call reaches only its own program's: `domains`). */
  const definedIn = new Map<string, string[]>();
  for (const src of analyzed) {
    for (const fn of needed(src.path) ?? prescans.get(src.path)?.functions ?? []) {
      if (fn.isStatic) continue;
      const files = definedIn.get(fn.name);
      if (!files) definedIn.set(fn.name, [src.path]);
      else if (files[files.length - 1] !== src.path) files.push(src.path);
    }
  }
  const edges = new Map<string, Set<string>>();
  for (const src of analyzed) {
    const deps = new Set<string>();
    for (const fn of prescans.get(src.path)?.functions ?? needed(src.path) ?? []) {
      for (const name of fn.ids) {
        for (const f of definedIn.get(name) ?? []) if (f !== src.path && (!domains || domains.links(src.path, f))) deps.add(f);
      }
    }
    edges.set(src.path, deps);
  }
  const byPath = new Map(sources.map((s) => [s.path, s]));
  const groups = bottomUp(analyzed.map((s) => s.path), edges);
  // Files that call each other: ordered so that few of their functions read a summary still to come.
  const rank = groups.some((g) => g.length > 1) ? functionRanks(analyzed, needed, prescans, definedIn) : null;
  const first = groups
    .map((g) => (g.length > 1 ? fewestCallsAhead(g, callCounts(g, byPath, needed, prescans, definedIn, domains), rank!) : g))
    .flat()
    .map((p) => byPath.get(p)!);
  const taken = new Set(first);
  return [...first, ...sources.filter((src) => !taken.has(src))];
}

/**
 * Each file's place in a callees-first order of the functions themselves: the mean index, in
 * Tarjan's order of the call graph of the needed non-static functions, of its functions. A group
 * of files that call each other has no callees-first order of files, but its functions mostly do:
 * a file whose functions come early there is mostly called by the others, and the others read
 * fewer summaries still to come when it goes first (6.12 mm/: 18 files analysed again instead of
 * 29; the mean height in the call graph, coarser, 26).
 */
function functionRanks<S extends { path: string }>(
  analyzed: readonly S[],
  needed: (file: string) => readonly PrescanFunction[] | null,
  prescans: ReadonlyMap<string, FilePrescan>,
  definedIn: ReadonlyMap<string, readonly string[]>,
): Map<string, number> {
  const calls = new Map<string, Set<string>>();
  const namesOf = new Map<string, string[]>();
  for (const src of analyzed) {
    const names: string[] = [];
    for (const fn of needed(src.path) ?? prescans.get(src.path)?.functions ?? []) {
      if (fn.isStatic) continue;
      names.push(fn.name);
      let out = calls.get(fn.name);
      if (!out) calls.set(fn.name, (out = new Set()));
      for (const id of fn.ids) if (id !== fn.name && definedIn.has(id)) out.add(id);
    }
    namesOf.set(src.path, names);
  }
  const index = new Map<string, number>();
  bottomUp([...calls.keys()], calls).forEach((scc, i) => {
    for (const name of scc) index.set(name, i);
  });
  const rank = new Map<string, number>();
  for (const [file, names] of namesOf) {
    if (names.length) rank.set(file, names.reduce((sum, n) => sum + index.get(n)!, 0) / names.length);
  }
  return rank;
}

/**
 * Within a group of files that call each other: for each file, the weight of its calls to each
 * other file of the group: each of its functions that calls a function the other defines (once per
 * callee name) weighs its length in bytes, what analysing it again costs when the other's
 * summaries come after it. Counting each such function as one took 6.12 mm/ -j 1 5.9-6.4 s, by
 * length 5.7 s, the same findings and files analysed again; the whole trees within their noise
 * (7.2 after its headers 43.1 and 42.5 s, 6.12 39.4 and 38.4 s, 6.1 31.5 and 31.6 s).
 */
function callCounts<S extends { path: string }>(
  group: readonly string[],
  byPath: ReadonlyMap<string, S>,
  needed: (file: string) => readonly PrescanFunction[] | null,
  prescans: ReadonlyMap<string, FilePrescan>,
  definedIn: ReadonlyMap<string, readonly string[]>,
  domains: LinkDomains | null,
): Map<string, Map<string, number>> {
  const inGroup = new Set(group);
  const out = new Map<string, Map<string, number>>();
  for (const file of group) {
    const counts = new Map<string, number>();
    out.set(file, counts);
    if (!byPath.has(file)) continue;
    for (const fn of needed(file) ?? prescans.get(file)?.functions ?? []) {
      for (const name of new Set(fn.ids)) {
        for (const f of definedIn.get(name) ?? []) {
          if (f !== file && inGroup.has(f) && (!domains || domains.links(file, f))) counts.set(f, (counts.get(f) ?? 0) + fn.end - fn.start);
        }
      }
    }
  }
  return out;
}

/**
 * An order of a group of files that call each other where few calls go to a file still to come
 * (Eades, Lin and Smyth's greedy ordering for a small feedback arc set, with each pair of files
 * weighed by its calls: callCounts()): a file nothing left in the group calls goes last, one that
 * calls nothing left goes first, else the file whose calls in from the rest outweigh most its
 * calls out to them goes next (ties: the lower `rank`, then the path). Every call to a file still
 * to come is a function analysed again when that file's summaries are known.
 */
function fewestCallsAhead(group: readonly string[], calls: ReadonlyMap<string, ReadonlyMap<string, number>>, rank: ReadonlyMap<string, number>): string[] {
  // callers.get(v).get(u): the weight of u's calls to v's functions; calls.get(u).get(v) the same.
  const callers = new Map<string, Map<string, number>>(group.map((f) => [f, new Map()]));
  const callsOut = new Map<string, number>();
  const callsIn = new Map<string, number>();
  for (const [u, counts] of calls) {
    for (const [v, n] of counts) {
      callers.get(v)!.set(u, n);
      callsOut.set(u, (callsOut.get(u) ?? 0) + n);
      callsIn.set(v, (callsIn.get(v) ?? 0) + n);
    }
  }
  const left = new Set(group);
  const remove = (f: string): void => {
    left.delete(f);
    for (const [v, n] of calls.get(f) ?? []) if (left.has(v)) callsIn.set(v, callsIn.get(v)! - n);
    for (const [u, n] of callers.get(f)!) if (left.has(u)) callsOut.set(u, callsOut.get(u)! - n);
  };
  const before = (a: string, b: string): number => (rank.get(a) ?? 0) - (rank.get(b) ?? 0) || (a < b ? -1 : a > b ? 1 : 0);
  const all = [...group].sort(before);
  const head: string[] = [];
  const tail: string[] = [];
  while (left.size) {
    const sorted = all.filter((f) => left.has(f));
    // Called by nothing left: after the rest. Calling nothing left: before it.
    const last = sorted.filter((f) => !callsIn.get(f));
    const next = sorted.filter((f) => !callsOut.get(f) && callsIn.get(f));
    if (last.length || next.length) {
      for (const f of last) remove(f);
      tail.unshift(...last.reverse());
      for (const f of next) if (left.has(f)) remove(f), head.push(f);
      continue;
    }
    let best = sorted[0];
    for (const f of sorted) if ((callsIn.get(f) ?? 0) - (callsOut.get(f) ?? 0) > (callsIn.get(best) ?? 0) - (callsOut.get(best) ?? 0)) best = f;
    remove(best);
    head.push(best);
  }
  return [...head, ...tail];
}
