// stale-cannot-fail: a comment claims a call cannot fail, but the function has a failure path.
import type { Rule } from './rule.js';
import { AstNode, calleeName, callArgs, stripParens, walk } from '../parse/ast.js';
import { lookupApi, type FailureStyle } from '../kb/lock-api.js';
import { V_ERR, V_NEG, V_SELECTED, V_ZERO, type FunctionResult, type FileEvent } from '../engine/events.js';
import type { TraceStep } from '../types.js';
import { mayFailWith } from '../engine/arg-conditions.js';
import { isNamedConstant } from '../engine/c-names.js';
import { NO_FAILURE_CLAIM } from '../engine/doc-claims.js';
import { bodyOfMacro } from '../parse/macro-statement.js';

const CLAIM = NO_FAILURE_CLAIM;

/**
 * A claim the comment itself qualifies ("never fail if called from module exit; otherwise it
 * returns failure"): the comment already tells the reader when the call fails.
 */
const QUALIFIED =
  /\b(?:unless|otherwise|except)\b|\b(?:returns?|reports?)\s+(?:a\s+)?(?:failure|an?\s+error|NULL|false|ERR_PTR)\b|,?\s\bor\s+(?:NULL|false|an?\s+error|an?\s+ERR_PTR|a\s+negative\s+errno)\b|\b(?:may|can|could|might)\s+fail\b|-E[A-Z]{2,}\b|\b(?:on|if|in\s+case\s+of)\s+(?:an?\s+)?(?:error|failure)\b|\b(?:error|failure)\s+here\b|\bless\s+than\s+zero\b|\ban?\s+(?:negative\s+)?error\s+code\b/i;

/**
 * What may stand before the claim, in its sentence, when a function's documentation makes it
 * about the function itself ("Always succeeds.", "This function never fails."). Any other subject
 * makes it a claim about something else: "guarantee pvr_queue_job_arm() can't fail", "Various
 * destroy paths cannot fail", "If backup_len is given this cannot fail".
 */
const SELF_SUBJECT = /^(?:exception|note|returns?|context)?\s*(?:(?:and|so)\s+)?(?:(?:this|the)\s+(?:function|call|helper|routine|operation)|this|it|which|that|NAME(?:\(\))?)?\s*(?:will|should|does|do|is\s+(?:guaranteed|assumed|expected)\s+to)?\s*$/i;

/**
 * Words that may follow the claim when it is about the call itself. Any other word makes it a
 * different claim: "cannot fail STARTING callbacks" (fail has an object), "cannot fail to
 * allocate", or a conditional one ("always succeeds when GFP_NOFS").
 */
const CLAIM_FOLLOWERS = new Set([
  'here', 'now', 'because', 'since', 'as', 'so', 'at', 'in', 'on', 'for', 'but', 'and', 'anymore', 'either',
  'with', 'after', 'before', 'while', 'once', 'under', 'given', 'we', 'it', 'this', 'there', 'though', 'then',
  'anyway', 'yet', 'from', 'due', 'thanks', 'per', 'by',
]);

/** A sentence that opens with a condition ("For removals, ...", "When called from exit, ..."). */
const CONDITION_OPENING = /^\s*(?:for|when|if|once|while|after|before|with|during|in\s+the\s+case\s+of)\b[^,]*,/i;

/**
 * A condition right after a claim that may name what the call passes: "can't fail with
 * IO_URING_F_INLINE", "never fails for __GFP_NOFAIL", "cannot fail when passed &ti". Captures an
 * article (allowed before a constant only: "with the COPY_INLINE flag") and the word named.
 */
const ARGUMENT_CONDITION =
  /^\s*(?:with|for|given|under|on|in|using|passing|(?:when|if)\s+(?:passed|given|called\s+with))\s+((?:the|an?)\s+)?([&*]?[A-Za-z_][\w.>-]*)/i;

/**
 * Is the claim conditional on something the call passes ("can't fail with IO_URING_F_INLINE" over
 * io_req_sqe_copy(req, IO_URING_F_INLINE))? The call meets the condition it states, so the claim
 * holds whatever the callee does without it. The condition must be one of the arguments as
 * written, or a named constant inside one: "cannot fail with a lock held" names none.
 */
function meetsArgumentCondition(afterClaim: string, args: readonly AstNode[]): boolean {
  const m = ARGUMENT_CONDITION.exec(afterClaim);
  if (!m) return false;
  const named = m[2].replace(/[.>-]+$/, '');
  if (!m[1] && args.some((a) => a.text.replace(/\s+/g, '') === named)) return true;
  if (!isNamedConstant(named.replace(/^_+/, ''))) return false;
  return args.some((a) => {
    let found = false;
    walk(a, (x) => {
      if (x.type === 'identifier' && x.text === named) found = true;
      return !found;
    });
    return found;
  });
}

const STATEMENTS = new Set([
  'expression_statement',
  'declaration',
  'return_statement',
  'if_statement',
  'while_statement',
  'do_statement',
  'for_statement',
  'switch_statement',
]);

/**
 * The call a statement is about: `x = f()`, `if (!f())`, `WARN_ON(!f())`, `return f();` -> f().
 * `handled` when the statement acts on the call's result: tests it (`if`, `WARN_ON`), returns it,
 * or keeps it in a variable that is read later. A claim above code that handles the failure
 * anyway ("this should never fail" over a WARN_ON) does not lead a reader to skip the handling.
 */
function principalCall(n: AstNode | null, fn: AstNode | null): { call: AstNode; handled: boolean } | null {
  let cur = n;
  let handled = false;
  let keptIn: string | null = null;
  // Where the statement ends: the variable the result is kept in is read after it.
  let end = n?.end ?? 0;
  for (let i = 0; cur && i < 16; i++) {
    cur = stripParens(cur);
    switch (cur.type) {
      case 'expression_statement': {
        // `scoped_guard(lock, l) r = f();`, `for_each_x(...) f();`: the statement the macro governs
        // (not a block, whose first statement the comment need not be about).
        const body = bodyOfMacro(cur);
        if (body && STATEMENTS.has(body.type)) {
          cur = body;
          end = body.end;
          break;
        }
        cur = cur.namedChildren[0] ?? null;
        break;
      }
      case 'declaration': {
        const init = cur.childrenOf('declarator').find((d) => d.type === 'init_declarator');
        let name = init?.child('declarator') ?? null;
        while (name?.type === 'pointer_declarator') name = name.child('declarator');
        if (name?.type === 'identifier') keptIn = name.text;
        cur = init?.child('value') ?? null;
        break;
      }
      case 'return_statement':
        handled = true;
        cur = cur.namedChildren[0] ?? null;
        break;
      case 'if_statement':
      case 'while_statement':
      case 'switch_statement':
        handled = true;
        cur = cur.child('condition');
        break;
      case 'assignment_expression': {
        const left = cur.child('left');
        if (left?.type === 'identifier') keptIn = left.text;
        cur = cur.child('right');
        break;
      }
      case 'unary_expression':
      case 'pointer_expression':
        cur = cur.namedChildren[0] ?? null;
        break;
      case 'cast_expression':
        cur = cur.child('value');
        break;
      case 'binary_expression':
        cur = cur.child('left');
        break;
      case 'call_expression': {
        const name = calleeName(cur);
        const api = name ? lookupApi(name) : undefined;
        if (api && (api.transparent || api.assertsFalseArg !== undefined)) {
          if (api.assertsFalseArg !== undefined || api.check) handled = true;
          cur = callArgs(cur)[0] ?? null;
          break;
        }
        if (keptIn && fn && testedAfter(fn, keptIn, end)) handled = true;
        return { call: cur, handled };
      }
      default:
        return null;
    }
  }
  return null;
}

/**
 * Is `name`, read in `fn` after offset `from`, tested before it is used: in the condition of an
 * `if`, a loop or `?:`, in an error test or assertion (`IS_ERR(x)`, `WARN_ON(!x)`), or returned as
 * it is, before any dereference of it? Reads that only pass it on (to a tracepoint, say) neither
 * test nor use it. Stops at the next assignment to it.
 */
function testedAfter(fn: AstNode, name: string, from: number): boolean {
  const reads: AstNode[] = [];
  let reassigned = false;
  walk(fn, (x) => {
    if (reassigned || x.end <= from) return false;
    if (x.type === 'identifier' && x.start >= from && x.text === name) {
      const p = x.parent;
      if (p?.type === 'assignment_expression' && p.child('left') === x && p.operator === '=') reassigned = true;
      else reads.push(x);
    }
    return !reassigned;
  });
  for (const read of reads) {
    const p = read.parent;
    if (
      (p?.type === 'pointer_expression' && p.operator === '*') ||
      (p?.type === 'field_expression' && p.child('argument') === read && p.operator === '->') ||
      (p?.type === 'subscript_expression' && p.child('argument') === read)
    ) {
      return false;
    }
    // Returned as it is (`return p;`, not `return *p;`): the caller gets to check it.
    let direct = true;
    for (let a: AstNode | null = read; a && a !== fn; a = a.parent) {
      if (a.field === 'condition' || (a.type === 'return_statement' && direct)) return true;
      if (a !== read && a.type !== 'parenthesized_expression' && a.type !== 'cast_expression') direct = false;
      if (a.type === 'call_expression') {
        const callee = calleeName(a);
        const api = callee ? lookupApi(callee) : undefined;
        if (api && (api.errorTest || api.assertsFalseArg !== undefined || api.check)) return true;
      }
      if (STATEMENTS.has(a.type) || a.type === 'compound_statement') break;
    }
  }
  return false;
}

function firstStatementAt(defs: readonly FunctionResult[], row: number, before?: number): AstNode | null {
  for (const d of defs) {
    const fn = d.info.node;
    if (row < fn.row || row > fn.endRow) continue;
    let found: AstNode | null = null;
    walk(fn, (n) => {
      if (found) return false;
      if (n.endRow < row || n.row > row) return false;
      if (STATEMENTS.has(n.type) && n.row === row && (before === undefined || n.start < before)) {
        found = n;
        return false;
      }
      return true;
    });
    if (found) return found;
  }
  return null;
}

const STYLE_WORDS: Record<FailureStyle, string> = {
  'zero-ok': 'returns a negative errno on failure',
  'true-ok': 'returns false on failure',
  'null-fail': 'returns NULL on failure',
  'errptr-fail': 'returns an ERR_PTR on failure',
  'null-or-errptr-fail': 'returns NULL or an ERR_PTR on failure',
};

function failureWord(bits: number): string {
  if (bits === V_ZERO) return 'NULL/false';
  if (bits & V_ERR) return 'an ERR_PTR';
  if (bits & V_NEG) return 'a negative errno';
  return 'failure';
}

/**
 * Does this call fail under `when`? Not when it passes what the failure excludes (a NULL buffer
 * to allocate, a flag), nor when the failure is a case selected by a named constant the call may
 * not pass (`cpu_base == TX_CPU_BASE`, and the call passes 0 or another constant): the comment may
 * be about the case the call selects.
 */
function failsFor(when: Record<number, number> | undefined, args: readonly AstNode[]): boolean {
  if (!when || !Object.keys(when).length) return true;
  if (!mayFailWith([when], args)) return false;
  return !Object.entries(when).some(([i, need]) => need & V_SELECTED && isConstant(args[Number(i)]));
}

function isConstant(arg: AstNode | undefined): boolean {
  if (!arg) return false;
  const e = stripParens(arg);
  return e.type === 'number_literal' || (e.type === 'identifier' && isNamedConstant(e.text));
}

/** Why `name` can fail, with the trace to show it; null when it cannot (or nothing is known). */
function failureOf(ev: FileEvent, name: string, args: readonly AstNode[]): { why: string; steps: TraceStep[] } | null {
  const def = ev.functions.get(name);
  // The callee's own documentation says it does not fail (under conditions vmalint may not
  // decide): the claim repeats its contract.
  if (def?.documentedNoFailure) return null;
  if (def) {
    const f = def.failureReturns.find((r) => failsFor(r.when, args));
    if (!f) return null;
    const steps = f.node ? [ev.step(f.node, `${name}() returns ${failureWord(f.returned)} here`)] : [];
    return { why: `it returns ${failureWord(f.returned)}${f.node ? ` at line ${f.node.row + 1}` : ''}`, steps };
  }
  // Defined elsewhere in the run (its summary), or known to the knowledge base.
  const api = ev.resolve(name);
  if (api?.documentedNoFailure) return null;
  if (!api?.fails || !(api.failsWhen ? api.failsWhen.some((w) => failsFor(w, args)) : true)) return null;
  const at = api.source?.kind === 'summary' ? api.failureAt?.[0] : undefined;
  if (at) {
    const where = at.file === ev.file ? `line ${at.line}` : `${at.file}:${at.line}`;
    return { why: `it ${at.message.replace(/ here$/, '')} at ${where}`, steps: [{ ...at, message: `${name}() ${at.message}` }] };
  }
  return { why: `it ${STYLE_WORDS[api.fails]}`, steps: [] };
}

export const staleCannotFail: Rule = {
  meta: {
    id: 'stale-cannot-fail',
    severity: 'warning',
    shortDescription: 'A comment says a call cannot fail, but the function can return failure.',
    // CLAIM, across the line breaks and `*` of a block comment.
    textTrigger: /\b(?:can\s?not|can'?t|can’t|never)[\s*/]+fails?\b|\balways[\s*/]+succeeds?\b/i,
    fullDescription:
      'Reports a comment that says "cannot fail", "can\'t fail", "never fails" or "always succeeds" about the call on ' +
      'the statement below it (or on its own line), or about the function it documents, when that function has a path ' +
      'that returns failure: false, NULL, an ERR_PTR or a negative errno. Readers trust such comments and skip the ' +
      'error handling the call needs.',
    docs: {
      what: 'A "cannot fail" comment about a function that has a failure return.',
      why:
        'Functions change: vma_start_read_locked() could not fail when it was written and can now. A stale comment tells ' +
        'reviewers the result need not be checked; the unchecked failure then surfaces as a use of an unlocked VMA.',
      wrong: [
        'static bool vma_start_read_locked(struct vm_area_struct *vma)',
        '{',
        '\tif (unlikely(vma_refcount_overflow(vma)))',
        '\t\treturn false;',
        '\t...',
        '\treturn true;',
        '}',
        '',
        '\t/* This cannot fail: we hold the mmap lock. */',
        '\tvma_start_read_locked(vma);',
      ].join('\n'),
      right: ['\t/* Fails only when the reference count would overflow. */', '\tif (!vma_start_read_locked(vma))', '\t\treturn -EAGAIN;'].join('\n'),
    },
  },
  create(context) {
    return {
      file(ev) {
        for (const c of ev.comments) {
          // One line of prose: comment markers and the leading `*` of block-comment lines removed.
          const prose = c.text
            .replace(/^\/\*+|\*+\/$|^\/\//g, ' ')
            // A blank line ends a sentence (kernel-doc's title line has no full stop).
            .replace(/\n[ \t]*\*?[ \t]*(?=\n)/g, ' .')
            // Each line's leading `*`, and a list bullet after it ("Return: * 0 on success, or * an
            // error code"); a dash inside a line stays ("can't fail - see cifs_find_inode()").
            .replace(/\n[ \t]*\*+(?:[ \t]+[*-](?=[ \t]))?/g, ' ')
            .replace(/\s+/g, ' ');
          const m = CLAIM.exec(prose);
          if (!m || QUALIFIED.test(prose)) continue;
          const follower = /^\s*([A-Za-z_][\w/]*)/.exec(prose.slice(m.index + m[0].length))?.[1];
          if (follower && !CLAIM_FOLLOWERS.has(follower.toLowerCase())) continue;
          // "Unregistration must always succeed", "Powering off is assumed to never fail": a
          // requirement or a stated assumption the design works under, not a claim about a call.
          if (/\b(?:must|(?:is|are)\s+assumed\s+to)\s+(?:always\s+)?$/i.test(prose.slice(0, m.index))) continue;
          // "For removals, this function never fails.": the sentence makes the claim for one case.
          const sentence = prose.slice(0, m.index).split(/[.;:!?]\s/).pop() ?? '';
          if (CONDITION_OPENING.test(sentence)) continue;
          const claim = m[0].replace(/\s+/g, ' ');
          let name: string | null = null;
          let args: AstNode[] = [];
          let fnName: string | null = null;
          // A comment on the line of a statement, after its code.
          const lineStart = c.node.file.text.lastIndexOf('\n', c.node.start - 1) + 1;
          const codeBefore = c.node.file.text.slice(lineStart, c.node.start).trim().length > 0;
          const stmt = codeBefore ? firstStatementAt(ev.definitions, c.node.row, c.node.start) : firstStatementAt(ev.definitions, c.node.endRow + 1);
          if (stmt) {
            const def = ev.definitions.find((d) => d.info.node.row <= stmt.row && d.info.node.endRow >= stmt.row);
            const principal = principalCall(stmt, def?.info.node ?? null);
            if (principal?.handled) continue;
            name = principal ? calleeName(principal.call) : null;
            args = principal ? callArgs(principal.call) : [];
            if (meetsArgumentCondition(prose.slice(m.index + m[0].length), args)) continue;
            fnName = def?.info.name ?? null;
          } else if (!codeBefore) {
            // A comment right above a function definition documents that function.
            const def = ev.definitions.find((d) => d.info.node.row === c.node.endRow + 1);
            const subject = new RegExp(SELF_SUBJECT.source.replace('NAME', def?.info.name ?? '\\b\\B'), 'i');
            if (def && subject.test(sentence)) name = def.info.name;
          }
          if (!name) continue;
          const failure = failureOf(ev, name, args);
          if (!failure) continue;
          context.report({
            node: c.node,
            function: fnName,
            message: `comment says "${claim}", but ${name}() can fail: ${failure.why}`,
            trace: [ev.step(c.node, `the comment says ${name}() cannot fail ("${claim}")`), ...failure.steps],
          });
        }
      },
    };
  },
};
