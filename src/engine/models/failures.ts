// The failure model: what a callee returns (its failure style, or a summary's values), and a
// call of a function that fails only for some arguments as a success path plus one failure path
// per condition the arguments can meet.

import { AstNode, stripParens } from '../../parse/ast.js';
import type { ApiEntry, LockEffect } from '../../kb/lock-api.js';
import { argumentBits } from '../arg-conditions.js';
import { keyOf } from '../keys.js';
import type { State } from '../state.js';
import { V_ANY, V_ERR, V_NEG, V_POS, V_ZERO } from '../events.js';
import { NONZERO } from '../values.js';

/** The return values that are failure, by failure style. */
const FAILURE_BITS: Record<NonNullable<ApiEntry['fails']>, number> = {
  'zero-ok': V_NEG,
  'true-ok': V_ZERO,
  'null-fail': V_ZERO,
  'errptr-fail': V_ERR,
  'null-or-errptr-fail': V_ZERO | V_ERR,
};

/** The values a call of `api` may return. */
export function returnedBits(api: ApiEntry): number {
  if (api.returns !== undefined) return api.returns;
  // A summary leaves `returns` out when its values are not known (a result passed on from a
  // callback, `return __walk_page_range(...)`): anything, not only what its failure style names.
  if (api.source?.kind === 'summary') return V_ANY;
  switch (api.fails) {
    case 'zero-ok':
      return V_ZERO | V_NEG;
    case 'true-ok':
      return V_ZERO | V_POS;
    case 'null-fail':
      return V_ZERO | V_POS;
    case 'errptr-fail':
      // A valid pointer, or an ERR_PTR on failure.
      return V_POS | V_ERR;
    case 'null-or-errptr-fail':
      return V_ZERO | V_POS | V_ERR;
    default:
      return api.returnsNullable ? V_ZERO | V_POS : V_ANY;
  }
}

/**
 * A call of a function that fails only for some arguments (`failsWhen`): a success path, and a
 * failure path per condition the arguments can meet, on which the arguments are known to meet it.
 */
export function failureVariants(api: ApiEntry, args: AstNode[], state: State, bits: number): { state: State; bits: number }[] {
  const failBits = api.failsWhen && api.fails ? FAILURE_BITS[api.fails] & bits : 0;
  if (!failBits || !api.failsWhen) return [{ state, bits }];
  const out: { state: State; bits: number }[] = [];
  if (bits & ~failBits) out.push({ state, bits: bits & ~failBits });
  for (const when of api.failsWhen) {
    let next: State | null = state;
    for (const [i, need] of Object.entries(when)) {
      const arg = args[Number(i)];
      if (!arg || !next) continue;
      const e = stripParens(arg);
      if ((argumentBits(e) & need) === 0) next = null;
      const k = keyOf(e);
      if (!next || !k || /^(NULL|true|false)$/.test(k)) continue;
      const now = next.getVal(k) & need;
      if (now === 0) next = null;
      else if (now !== next.getVal(k)) {
        next = next === state ? state.clone() : next;
        next.setVal(k, now);
      }
    }
    if (next) out.push({ state: next, bits: failBits });
  }
  return out.length ? out : [{ state, bits: bits & ~failBits || bits }];
}

/**
 * The returned values on which a conditional lock effect happens (`ok`) and those on which it
 * does not: `mmap_read_lock_killable()` locks when it returns 0.
 */
export function splitOnReturn(effect: LockEffect, bits: number): { ok: boolean; bits: number }[] {
  let okBits: number;
  switch (effect.when) {
    case 'ret-bits':
      okBits = effect.okBits ?? V_ANY;
      break;
    case 'ret-zero':
      okBits = V_ZERO;
      break;
    case 'ret-true':
    case 'ret-nonnull':
      okBits = NONZERO;
      break;
    default:
      return [{ ok: true, bits }];
  }
  const out: { ok: boolean; bits: number }[] = [];
  if (bits & okBits) out.push({ ok: true, bits: bits & okBits });
  if (bits & ~okBits & V_ANY) out.push({ ok: false, bits: bits & ~okBits & V_ANY });
  return out;
}
