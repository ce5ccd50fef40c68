// What a path assumed of the configuration: an undecided `#ifdef X` / `#if !X` region of a function
// is a condition on the macro X (src/engine/cfg.ts), so a path that went through one knows X set
// or not. Two exits that assumed opposite values of one macro are never both paths of one build:
// rules that compare exits (lock-balance) compare only compatible ones.

import type { Cfg } from './cfg.js';
import type { State } from './state.js';
import { V_ANY, V_ZERO } from './events.js';

const DIRECTIVES = new Set(['preproc_if', 'preproc_ifdef', 'preproc_elif', 'preproc_elifdef']);

/** The macros the function's #if regions test (the condition nodes cfg.ts made of them). */
export function configMacros(cfg: Cfg): Set<string> {
  const out = new Set<string>();
  for (const n of cfg.nodes) {
    if (n.kind !== 'cond' || n.ast?.type !== 'identifier') continue;
    for (let p = n.ast.parent; p; p = p.parent) {
      if (DIRECTIVES.has(p.type)) {
        out.add(n.ast.text);
        break;
      }
      if (!p.type.endsWith('_expression') && p.type !== 'preproc_defined') break;
    }
  }
  return out;
}

/** The macros of `macros` this path knows set (true) or not set (false). */
export function pathConfig(pathState: State, macros: ReadonlySet<string>): Map<string, boolean> {
  const out = new Map<string, boolean>();
  for (const m of macros) {
    const bits = pathState.getVal(m);
    if (bits === V_ZERO) out.set(m, false);
    else if (bits !== V_ANY && (bits & V_ZERO) === 0) out.set(m, true);
  }
  return out;
}

/** Did the two paths assume opposite values of some macro? */
export function configsConflict(a: ReadonlyMap<string, boolean>, b: ReadonlyMap<string, boolean>): boolean {
  for (const [m, v] of a) if (b.has(m) && b.get(m) !== v) return true;
  return false;
}
