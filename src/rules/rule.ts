// The contract between the engine and the rules (checkers). A rule is one module exporting a
// `Rule`: its metadata and documentation, and `create()`, which returns the event handlers it
// needs. The engine computes lock states along paths and calls the handlers; it knows nothing
// of what a rule looks for. Modelled on ESLint's meta + create and on the Clang Static
// Analyzer's checker callbacks.

import type { Severity } from '../types.js';
import type { TreeFacts, TreeFeature } from '../tree-facts.js';
import type { DemandNames } from '../engine/demand-names.js';
import type { CallEvent, DerefEvent, KernelLockOpEvent, LockOpEvent, FunctionExitEvent, FileEvent, FindingInput, WriteEvent } from '../engine/events.js';

export interface RuleDocs {
  /** What the rule reports, one paragraph. */
  what: string;
  /** Why it is a bug: the kernel rule it enforces. */
  why: string;
  /** A wrong example (C). */
  wrong: string;
  /** The correct form of the same code (C). */
  right: string;
}

export interface RuleMeta {
  /** Stable id, used in every output format and on the command line. */
  id: string;
  severity: Severity;
  /** One line. */
  shortDescription: string;
  /** A few sentences. */
  fullDescription: string;
  docs: RuleDocs;
  /**
   * For a rule that reads something besides the lock API (a comment): text that makes a function
   * worth analysing for it, tested on the function with the comments above it before anything is
   * parsed. The function and what it calls are then analysed (src/engine/demand.ts). The file
   * check's comments (FileEvent.comments) are given only for a file the trigger matches: it must
   * match every comment the rule could report on.
   */
  textTrigger?: RegExp;
  /**
   * For a rule whose check reads a table of the knowledge base that no engine model reads (the
   * page walks, the VMA fields a write needs a lock for): the names that make a function worth
   * analysing for it (src/engine/demand.ts), a field write as `fieldWrite(field)`
   * (src/engine/prescan.ts). Every rule's count, whichever rules the run selects
   * (everyRuleDemand(), src/rules/index.ts). A name the lock API's entries or an engine model
   * already make relevant need not be repeated.
   */
  demand?: DemandNames;
  /**
   * The kernel feature the rule checks: a tree without it (src/tree-facts.ts: 6.1 has no per-VMA
   * locks) does not run the rule.
   */
  treeFeature?: TreeFeature;
}

/** What a rule can do while it runs: report findings. */
export interface RuleContext {
  report(finding: FindingInput): void;
  /** The kernel features of the tree under analysis. */
  tree: Readonly<TreeFacts>;
}

/** Handlers a rule may provide; each is called with the abstract state on one path. */
export interface RuleVisitor {
  /** A call is about to be evaluated (arguments already evaluated). */
  call?(event: CallEvent): void;
  /** A pointer the engine tracks (a VMA lookup result or iterator cursor) is dereferenced (`p->f`, `*p`, `p[i]`). */
  deref?(event: DerefEvent): void;
  /** A lock operation from the knowledge base, with the state of that lock before it. */
  lockOp?(event: LockOpEvent): void;
  /** A kernel lock (mutex, spinlock, folio lock, ...: src/kb/kernel-locks.ts) is taken, with the state before it. */
  kernelLock?(event: KernelLockOpEvent): void;
  /** An assignment to a field (`p->f = v`, `s.f |= v`), with the state before it. */
  write?(event: WriteEvent): void;
  /** Once per function, with every state that reaches its exit. */
  functionExit?(event: FunctionExitEvent): void;
  /** Once per file, after every function was analysed: comments and per-function results. */
  file?(event: FileEvent): void;
}

export interface Rule {
  meta: RuleMeta;
  create(context: RuleContext): RuleVisitor;
}
