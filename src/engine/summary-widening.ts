// Widening of summaries for the cross-file fixed point (src/run/round-scheduler.ts). A summary
// mixes facts that only grow as its callees' summaries grow (it may fault, it may take a lock
// class) with facts that hold on every way out (it never returns, it leaves a flag set): a callee
// turning `noreturn` ends its callers' paths early, which removes faults from them, which changes
// what makes another function `noreturn`, and back. In a cycle of files such facts can flip at
// every round, so the iteration would end only at its cap, with a result that depends on the
// order of the files. Once a function's summary has changed often enough in a run, what the run
// publishes for it is the join of what it published before and what its file now says: may-facts
// united, must-facts kept only where both agree, a lock effect the two disagree on replaced by
// "may change" (forget). Every field moves one way only from then on, over a finite set of
// values, so the iteration ends whatever the order; a field the join does not know is kept only
// where both agree (dropping it is always a finite step).

import type { ApiEntry, KernelLockEffect, LockEffect, LockRequirement } from '../kb/lock-api.js';

/** How many times a summary may change in a run before its changes are joined with what was published. */
export const RAW_CHANGES = 2;

type Fields = Record<string, unknown>;

/** The join of a published summary and its file's new one (see above). */
export function widenSummary(prior: ApiEntry, next: ApiEntry): ApiEntry {
  const out: Fields = {};
  const a = prior as unknown as Fields;
  const b = next as unknown as Fields;
  for (const k of new Set([...Object.keys(a), ...Object.keys(b)])) {
    if (k in JOINS) continue;
    if (a[k] === undefined || b[k] === undefined) continue;
    // Kept where both agree: a must-fact (noreturn, leavesFlags, modifiesVma on every way out), or
    // anything this module has no better join for.
    if (same(a[k], b[k])) out[k] = b[k];
  }
  for (const join of Object.values(JOINS)) join(prior, next, out as Partial<ApiEntry>);
  out.name = next.name;
  if (next.source) out.source = next.source;
  for (const k of Object.keys(out)) if (out[k] === undefined) delete out[k];
  return out as unknown as ApiEntry;
}

/** Fields joined by a rule of their own (the others: kept where both agree). */
const JOINS: Record<string, (a: ApiEntry, b: ApiEntry, out: Partial<ApiEntry>) => void> = {
  name: () => {},
  source: () => {},
  // May fault: either did; only under conditions when both that fault have them.
  mayFault: (a, b, out) => {
    const f = either(a, b, (e) => !!e.mayFault);
    if (!f) return;
    out.mayFault = true;
    out.faultVia = f.newest.faultVia;
    out.faultsWhen = unitedConditions(f.holders.map((e) => e.faultsWhen));
    out.faultsWithBits = agreed(f.holders.map((e) => e.faultsWithBits));
  },
  faultVia: () => {},
  faultsWhen: () => {},
  faultsWithBits: () => {},
  // Takes the mmap lock inside: either did, on whose lock both agree on.
  takesMmapLock: (a, b, out) => {
    const f = either(a, b, (e) => !!e.takesMmapLock);
    if (!f) return;
    out.takesMmapLock = f.newest.takesMmapLock;
    out.takesMmapLockOf = agreed(f.holders.map((e) => e.takesMmapLockOf));
    out.takesMmapLockWhen = unitedConditions(f.holders.map((e) => e.takesMmapLockWhen));
  },
  takesMmapLockOf: () => {},
  takesMmapLockWhen: () => {},
  // Fails: either did, under the conditions of both.
  fails: (a, b, out) => {
    const f = either(a, b, (e) => !!e.fails);
    if (!f) return;
    out.fails = f.newest.fails;
    out.failureAt = f.newest.failureAt;
    out.failsWhen = unitedConditions(f.holders.map((e) => e.failsWhen));
    out.documentedNoFailure = f.holders.every((e) => e.documentedNoFailure) || undefined;
  },
  failureAt: () => {},
  failsWhen: () => {},
  documentedNoFailure: () => {},
  // What it may return, may be: either's.
  returns: (a, b, out) => {
    out.returns = a.returns === undefined || b.returns === undefined ? undefined : a.returns | b.returns;
  },
  returnsNullable: (a, b, out) => {
    out.returnsNullable = a.returnsNullable || b.returnsNullable || undefined;
  },
  mayStartAbove: (a, b, out) => {
    out.mayStartAbove = a.mayStartAbove || b.mayStartAbove || undefined;
  },
  // The lock classes taken inside: those of either.
  acquires: (a, b, out) => {
    const all = new Map<string, NonNullable<ApiEntry['acquires']>[number]>();
    for (const x of [...(b.acquires ?? []), ...(a.acquires ?? [])]) {
      const key = `${x.cls}|${JSON.stringify(x.when ?? null)}`;
      if (!all.has(key)) all.set(key, x);
    }
    out.acquires = all.size ? [...all].sort(([x], [y]) => (x < y ? -1 : x > y ? 1 : 0)).map(([, x]) => x) : undefined;
  },
  // Needs on entry: what both need.
  requires: (a, b, out) => {
    const theirs = new Set((a.requires ?? []).map(requirementKey));
    const both = (b.requires ?? []).filter((r) => theirs.has(requirementKey(r)));
    out.requires = both.length ? both : undefined;
  },
  lock: (a, b, out) => {
    out.lock = joinedLockEffects(a.lock ?? [], b.lock ?? []);
  },
  kernelLocks: (a, b, out) => {
    const theirs = new Set((a.kernelLocks ?? []).map((e) => JSON.stringify(e)));
    const both = (b.kernelLocks ?? []).filter((e: KernelLockEffect) => theirs.has(JSON.stringify(e)));
    out.kernelLocks = both.length ? both : undefined;
  },
};

/**
 * Lock effects on each lock object (class, target, path): where both say the same, that; where
 * they differ, the lock may change (forget). A returned object's lock exists only after the call,
 * so there nothing is kept but what both say.
 */
function joinedLockEffects(a: readonly LockEffect[], b: readonly LockEffect[]): LockEffect[] | undefined {
  const groups = new Map<string, { a: LockEffect[]; b: LockEffect[] }>();
  const group = (e: LockEffect): { a: LockEffect[]; b: LockEffect[] } => {
    const key = `${e.lock}|${e.target}|${e.path ?? ''}`;
    let g = groups.get(key);
    if (!g) groups.set(key, (g = { a: [], b: [] }));
    return g;
  };
  for (const e of a) group(e).a.push(e);
  for (const e of b) group(e).b.push(e);
  const out: LockEffect[] = [];
  // In an order of their own, so that joining the same effects again gives the same list.
  for (const [, g] of [...groups].sort(([x], [y]) => (x < y ? -1 : x > y ? 1 : 0))) {
    const shown = (list: LockEffect[]): string => JSON.stringify(list.map(({ via: _via, ...e }) => e));
    if (shown(g.a) === shown(g.b)) out.push(...g.b);
    else {
      const e = (g.b[0] ?? g.a[0])!;
      if (e.target === 'ret') continue;
      out.push({ lock: e.lock, op: 'forget', target: e.target, ...(e.path !== undefined ? { path: e.path } : {}), when: 'always' });
    }
  }
  return out.length ? out : undefined;
}

/**
 * A may-fact (it may fault, take the mmap lock, fail) in either summary: the summaries that have
 * it, and the newer of them (whose explanation is kept); null when neither has it.
 */
function either(a: ApiEntry, b: ApiEntry, has: (e: ApiEntry) => boolean): { holders: ApiEntry[]; newest: ApiEntry } | null {
  const holders = [a, b].filter(has);
  return holders.length ? { holders, newest: has(b) ? b : a } : null;
}

/** A value all of `values` agree on (undefined when one lacks it or they differ). */
function agreed<V>(values: readonly (V | undefined)[]): V | undefined {
  return values.every((x) => x !== undefined && same(x, values[0])) ? values[0] : undefined;
}

/** Conditions on the arguments under which either holds (undefined: whatever the arguments). */
function unitedConditions(lists: readonly (Record<number, number>[] | undefined)[]): Record<number, number>[] | undefined {
  if (lists.some((l) => !l)) return undefined;
  const seen = new Set<string>();
  const out: Record<number, number>[] = [];
  for (const l of lists) for (const c of l!) if (!seen.has(JSON.stringify(c)) && seen.add(JSON.stringify(c))) out.push(c);
  return out.sort((x, y) => (JSON.stringify(x) < JSON.stringify(y) ? -1 : 1));
}

function requirementKey(r: LockRequirement): string {
  const { at: _a, via: _v, ...rest } = r;
  return JSON.stringify(rest);
}

function same(x: unknown, y: unknown): boolean {
  return x === y || JSON.stringify(x) === JSON.stringify(y);
}
